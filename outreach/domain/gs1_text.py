"""The GS1 group separator and its visible stand-in, shared by the parser and the scan field.

A module of its own so that the desktop scan field can use them without importing the parser
(`outreach.domain.gs1` loads biip, which the first window should not wait for).
"""

from __future__ import annotations

GS = "\x1d"  # ASCII 29: ends a variable-length GS1 field
GS_SHOWN = "\u241d"  # SYMBOL FOR GROUP SEPARATOR: what a text box shows for GS
