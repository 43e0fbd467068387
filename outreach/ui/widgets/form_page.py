"""The layout every form page shares: a message bar, the form scrolling in the middle, Save.

Nothing on the form moves while it is filled in (STYLE 19): the message bar keeps its height
whether it shows anything or not, the vertical scroll bar is always there (so the form's width
never changes when it starts or stops overflowing), and what changes size as the form is filled
(the risk panel) sits in the bottom row beside Save, outside the form.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget


def lay_out_form_page(
    page: QWidget,
    banner: QWidget,
    form: QFormLayout,
    save: QWidget,
    beside_save: QWidget | None = None,
) -> QScrollArea:
    """Only the form scrolls, so the message bar and Save stay in view at 200 % scaling."""
    inner = QWidget()
    inner.setLayout(form)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop of its own: its fields are
    scroll.setWidget(inner)
    bottom = QHBoxLayout()
    if beside_save is not None:
        bottom.addWidget(beside_save, 1)
    bottom.addWidget(save, 0 if beside_save is not None else 1, Qt.AlignmentFlag.AlignTop)
    layout = QVBoxLayout(page)
    layout.addWidget(banner)
    layout.addWidget(scroll, 1)
    layout.addLayout(bottom)
    return scroll
