"""GS1 text that needs no parser: the group separator, its visible stand-in, and the one rule
for batch and serial text.

A module of its own so that the desktop scan field and the record checks can use them without
importing the parser (`outreach.domain.gs1` loads biip, ~200 ms and ~300 M instructions, which
neither the first window nor opening a store should wait for).
"""

from __future__ import annotations

import re

from outreach.errors import InvalidRecord

GS = "\x1d"  # ASCII 29: ends a variable-length GS1 field
GS_SHOWN = "\u241d"  # SYMBOL FOR GROUP SEPARATOR: what a text box shows for GS

MAX_CODE_TEXT = 20  # GS1 batch and serial are at most 20 characters
# GS1 AI encodable character set 82, the only characters of batch (10) and serial (21) in a pack
# code: letters, digits and ! " % & ' ( ) * + , - . / : ; < = > ? _ (no spaces, no # $ @ [ \ ]
# ^ ` { | } ~).
_GS1_TEXT = re.compile(r'^[!"%-?A-Z_a-z]{1,20}$')


def check_batch_or_serial(value: str, field: str) -> None:
    """The one rule for batch and serial, typed or scanned (scans are checked with it too): what
    a scan of the pack could hold, so a typed value matches the pack and a recall finds it."""
    if not _GS1_TEXT.fullmatch(value):
        raise InvalidRecord(
            f"must be 1–{MAX_CODE_TEXT} letters, digits or GS1 punctuation "
            "(no spaces, and none of # $ @ [ \\ ] ^ ` { | } ~)",
            field=field,
        )
