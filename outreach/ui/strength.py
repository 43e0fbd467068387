"""Passphrase strength feedback for the set-up and passphrase forms (no Qt here).

The estimate and the verdict are the core's (outreach.store.passphrases): what the form accepts
is exactly what the store, and so the CLI, accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from outreach.store import passphrases


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4
    label: str
    hint: str
    acceptable: bool


def passphrase_strength(text: str, user_inputs: Sequence[str] = ()) -> Strength:
    """Score, label and what to do about it (zxcvbn's feedback) for the strength meter."""
    verdict = passphrases.assess(text, user_inputs)
    if verdict.acceptable:
        hint = "hard enough to guess." if verdict.score < 4 else "very hard to guess."
    else:
        hint = verdict.feedback or "Add another word or two."
    return Strength(verdict.score, verdict.label, hint, verdict.acceptable)
