"""Passphrase strength feedback for the set-up and change-passphrase forms (no Qt here)."""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

from outreach.store.vault import MIN_PASSPHRASE

COMMON = ("password", "passphrase", "outreach", "naloxone", "123456", "qwerty", "letmein")
LABELS = ("Too short", "Weak", "Fair", "Good", "Strong")


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4
    label: str
    hint: str

    @property
    def acceptable(self) -> bool:
        return self.score >= 2


def passphrase_strength(text: str) -> Strength:
    """A rough entropy estimate: length times alphabet size, less for common words and repeats."""
    if len(text) < MIN_PASSPHRASE:
        return Strength(0, LABELS[0], f"Use at least {MIN_PASSPHRASE} characters.")
    pools = [
        (string.ascii_lowercase, 26),
        (string.ascii_uppercase, 26),
        (string.digits, 10),
        (string.punctuation + " ", 33),
    ]
    size = sum(n for chars, n in pools if any(c in chars for c in text)) or 26
    unique = len(set(text))
    bits = min(len(text), unique * 2) * math.log2(size)
    lowered = text.lower()
    if any(word in lowered for word in COMMON):
        bits -= 20
    if bits < 40:
        return Strength(1, LABELS[1], "Add more words: a short sentence is easy to remember.")
    if bits < 60:
        return Strength(2, LABELS[2], "Acceptable; one or two more words make it much stronger.")
    if bits < 80:
        return Strength(3, LABELS[3], "Good.")
    return Strength(4, LABELS[4], "Strong.")
