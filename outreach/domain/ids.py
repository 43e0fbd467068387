"""Client-made identifiers: UUIDv7 record ids (time-ordered, so B-tree inserts append) and
short referral codes printed on cards."""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = 0
_counter = 0
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_REFERRAL_RE = re.compile(r"^R-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def uuid7() -> str:
    """A RFC 9562 version 7 UUID; monotonic within this process even inside one millisecond."""
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # 4096 ids in one ms: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            now_ms = _last_ms
        else:
            _last_ms = now_ms
            _counter = secrets.randbelow(0x800)
        rand_a = _counter
    rand_b = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    value = (now_ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def is_uuid(text: str) -> bool:
    return bool(_UUID_RE.match(text))


def new_referral_code() -> str:
    """`R-XXXX-XXXX` in Crockford base32: short enough to read over the phone, 40 random bits."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(8))
    return f"R-{chars[:4]}-{chars[4:]}"


def is_referral_code(text: str) -> bool:
    return bool(_REFERRAL_RE.match(text))
