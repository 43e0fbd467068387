"""User names: one form everywhere (NFC), and no name that passes for another.

A name is what a person picks on the unlock screen and what every record carries as
`recorded_by`, so the slot file, the store and the hub must agree on its bytes: it is kept in
Unicode NFC (an `ü` typed as `u` + combining diaeresis is the same name). A new name is refused if
it mixes scripts (a Cyrillic `а` inside a Latin name) or if its confusable skeleton (Unicode TR39,
from the `confusable_homoglyphs` tables, and ignoring case) matches an existing user's: the list
must never show two names that look the same.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from outreach.errors import InvalidUserName

MAX_LENGTH = 40
PUNCTUATION = "._-"
RULE = f"a user name uses letters, digits, '.', '_' or '-' (at most {MAX_LENGTH})"
_ASCII = re.compile(r"^[A-Za-z0-9._-]{1,40}$")  # the common case, checked without a loop


def normalise(name: str) -> str:
    """The stored form of a typed name: surrounding spaces dropped, NFC."""
    return unicodedata.normalize("NFC", name.strip())


def _allowed(index: int, char: str) -> bool:
    category = unicodedata.category(char)
    return (
        category[0] == "L"
        or category == "Nd"
        or char in PUNCTUATION
        or (category[0] == "M" and index > 0)  # marks that NFC cannot compose (e.g. Devanagari)
    )


def is_well_formed(name: str) -> bool:
    """Letters, decimal digits, marks and `._-`, 1–40 characters, already NFC (cheap: the hub
    checks it on every record's `recorded_by`)."""
    if _ASCII.match(name):
        return True
    return (
        0 < len(name) <= MAX_LENGTH
        and unicodedata.is_normalized("NFC", name)
        and all(_allowed(i, c) for i, c in enumerate(name))
    )


def check_form(name: str) -> str:
    """The normalised name, or InvalidUserName saying the rule."""
    normal = normalise(name)
    if not is_well_formed(normal):
        raise InvalidUserName(RULE)
    return normal


@functools.cache
def _tables() -> tuple[object, dict[str, list[dict[str, str]]]]:
    """The confusables data, loaded on first use (a few MB of JSON)."""
    from confusable_homoglyphs import confusables

    return confusables, confusables.confusables_data


def is_mixed_script(name: str) -> bool:
    """Letters from more than one script (digits and `._-` belong to none)."""
    module, _ = _tables()
    return bool(module.is_mixed_script(name))  # type: ignore[attr-defined]


def _prototype(char: str, data: dict[str, list[dict[str, str]]]) -> str:
    """The character `char` is confusable with, as one representative of its class."""
    entries = data.get(char, ())
    if len(entries) != 1 or len(entries[0]["c"]) != 1:
        return char  # a prototype itself, or not confusable
    other = entries[0]["c"]
    back = data.get(other, ())
    if len(back) == 1 and back[0]["c"] == char:
        return min(char, other)  # a pair that point at each other: pick one
    return other


def skeleton(name: str) -> str:
    """TR39-style skeleton: NFD, each character replaced by its confusable prototype, NFD."""
    _, data = _tables()
    mapped = "".join(_prototype(c, data) for c in unicodedata.normalize("NFD", name))
    return unicodedata.normalize("NFD", mapped)


def _keys(name: str) -> set[str]:
    return {skeleton(name), skeleton(name.casefold()), skeleton(name).casefold()}


def check_new(name: str, existing: Iterable[str]) -> str:
    """The normalised new name, or InvalidUserName if it is malformed, mixes scripts, or looks
    like (or differs only in case from) an existing user's name."""
    normal = check_form(name)
    if is_mixed_script(normal):
        raise InvalidUserName(
            f"'{normal}' mixes letters from different alphabets: type it in one alphabet"
        )
    keys = _keys(normal)
    for other in existing:
        if other == normal:
            raise InvalidUserName(f"user '{normal}' already exists")
        if keys & _keys(other):
            raise InvalidUserName(
                f"'{normal}' looks too much like the existing user '{other}': choose another name"
            )
    return normal
