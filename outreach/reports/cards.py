"""Printable cards as PDF files: referral cards and the recovery-key card (text + QR).

One entry point for the CLI and the UI; the layouts live in `referral_card.py` and
`recovery_card.py`. Neither card carries anything about a person.
"""

from __future__ import annotations

from pathlib import Path

from outreach.config import write_atomic
from outreach.reports.recovery_card import recovery_card_pdf
from outreach.reports.referral_card import referral_card_pdf


def referral_card(
    path: Path, referral_code: str, destination: str = "", *, service_name: str = ""
) -> None:
    """Write a wallet-sized referral card; InvalidRecord for a malformed referral code."""
    write_atomic(path, referral_card_pdf(referral_code, destination, service_name))


def recovery_card(path: Path, recovery_key: str, *, store_id: str = "", user: str = "") -> None:
    """Write the A4 recovery-key card shown once at set-up."""
    write_atomic(path, recovery_card_pdf(recovery_key, store_id=store_id, user=user))
