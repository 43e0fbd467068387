"""Read an enrolment code from a photo or screenshot of its QR code (no Qt here)."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image, UnidentifiedImageError

from outreach.errors import InvalidRecord


def decode_qr_image(path: Path) -> str:
    """The text of the first QR/DataMatrix code in the image, or InvalidRecord saying why not."""
    try:
        with Image.open(path) as image:
            results = zxingcpp.read_barcodes(image.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise InvalidRecord(f"cannot read that image: {exc}", field="image") from None
    texts = [r.text for r in results if r.text]
    if not texts:
        raise InvalidRecord("no QR code found in that image", field="image")
    return texts[0]
