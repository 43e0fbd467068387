"""The layout every form page shares: a banner, the form scrolling in the middle, a save button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QScrollArea, QVBoxLayout, QWidget


def lay_out_form_page(page: QWidget, banner: QWidget, form: QFormLayout, save: QWidget) -> None:
    """Only the form scrolls, so the confirmation banner and Save stay in view at 200 % scaling."""
    inner = QWidget()
    inner.setLayout(form)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(inner)
    layout = QVBoxLayout(page)
    layout.addWidget(banner)
    layout.addWidget(scroll, 1)
    layout.addWidget(save)
