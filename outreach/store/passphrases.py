"""The passphrase policy, one for the CLI and the desktop app: at least 10 characters and a
zxcvbn score of 3 ("safely unguessable") or more, with zxcvbn's feedback to say why not.

zxcvbn (Dropbox's estimator, Python port) knows common passwords, names, keyboard walks, dates,
repeats and l33t spellings, which a hand-written entropy count does not: `password123` and
`aaaaaaaaaa` are long enough and still refused. The user's own name, and the service's obvious
words, count against a passphrase.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from outreach.errors import WeakPassphrase

MIN_LENGTH = 10
MIN_SCORE = 3  # of 0..4: at least 10^8 guesses, each an Argon2id derivation (docs/security.md)
ESTIMATED_CHARS = 72  # zxcvbn refuses longer input; what follows only adds strength
LABELS = ("Very weak", "Weak", "Fair", "Good", "Strong")
# Words anyone guessing at a drug service's laptop would try first, as if they were the user's own.
SERVICE_WORDS = ("outreach", "naloxone", "nyxoid", "prenoxad", "pharmacy", "hostel", "needle")
SHORT_LABEL = "Too short"


@dataclass(frozen=True)
class Assessment:
    score: int  # 0..4
    label: str
    warning: str
    suggestions: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return self.score >= MIN_SCORE and self.label != SHORT_LABEL

    @property
    def feedback(self) -> str:
        """zxcvbn's warning and suggestions as one line of text (empty for a strong one)."""
        return " ".join(part for part in (self.warning, *self.suggestions) if part)


def _without_accents(word: str) -> str:
    """`jürgen` → `jurgen`: people drop accents when they type a name into a passphrase."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@functools.cache
def _estimator() -> Callable[..., dict[str, Any]]:
    """zxcvbn, imported on first use (its word lists take ~0.1 s to load)."""
    from zxcvbn import zxcvbn

    return zxcvbn


def assess(passphrase: str, user_inputs: Sequence[str] = ()) -> Assessment:
    """Score and feedback for a candidate passphrase; `user_inputs` (the user name) count as
    guessable words."""
    if len(passphrase) < MIN_LENGTH:
        return Assessment(0, SHORT_LABEL, f"Use at least {MIN_LENGTH} characters.", ())
    words = [*user_inputs, *map(_without_accents, user_inputs), *SERVICE_WORDS]
    result = _estimator()(passphrase[:ESTIMATED_CHARS], user_inputs=words)
    feedback = result.get("feedback") or {}
    score = int(result["score"])
    suggestions = tuple(feedback.get("suggestions") or ())
    if score < MIN_SCORE and not suggestions:
        suggestions = ("Add another word or two: a short sentence is easy to remember.",)
    return Assessment(score, LABELS[score], str(feedback.get("warning") or ""), suggestions)


def check(passphrase: str, user_inputs: Sequence[str] = ()) -> None:
    """WeakPassphrase (with zxcvbn's feedback) unless the passphrase meets the policy."""
    verdict = assess(passphrase, user_inputs)
    if verdict.acceptable:
        return
    if verdict.label == SHORT_LABEL:
        message = f"the passphrase needs at least {MIN_LENGTH} characters"
    else:
        message = f"the passphrase is too easy to guess ({verdict.label.lower()})"
    detail = verdict.feedback
    raise WeakPassphrase(
        f"{message}: {detail}" if detail else message,
        feedback=tuple(part for part in (verdict.warning, *verdict.suggestions) if part),
    )
