"""The set-up and unlock screens' layout: one box in the middle of the window."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget


def lay_out_centred(screen: QWidget, box: QWidget) -> None:
    """Centre `box` with stretches rather than an alignment flag: these screens are the first
    window painted, and PySide takes ~15 ms to build `Qt` (the namespace) on its first use."""
    row = QHBoxLayout()
    row.addStretch()
    row.addWidget(box)
    row.addStretch()
    outer = QVBoxLayout(screen)
    outer.addStretch()
    outer.addLayout(row)
    outer.addStretch()
