"""The unlocked workspace: left navigation and the pages this role may see."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QStackedWidget, QWidget

from outreach.ui.context import AppContext
from outreach.ui.pages import page_classes

log = logging.getLogger(__name__)


class Workspace(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.nav = QListWidget()
        self.nav.setAccessibleName("Navigation")
        self.nav.setMaximumWidth(220)
        self.stack = QStackedWidget()
        layout = QHBoxLayout(self)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.pages: list[QWidget] = []
        for number, cls in enumerate(page_classes(ctx.role), start=1):
            page = cls(ctx)  # type: ignore[call-arg]
            self.pages.append(page)
            self.stack.addWidget(page)
            title = str(getattr(cls, "title", cls.__name__))
            self.nav.addItem(f"{title}  (Ctrl+{number})" if number <= 9 else title)
            item = self.nav.item(self.nav.count() - 1)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
            if number <= 9:
                shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
                shortcut.activated.connect(lambda index=number - 1: self.show_index(index))
        self._link_pages()
        self.nav.currentRowChanged.connect(self._on_row)
        if self.pages:
            self.nav.setCurrentRow(0)

    def _link_pages(self) -> None:
        """A saved contact with "naloxone supplied" goes straight on to the kit form."""
        source, kit = self.page("RecordContactPage"), self.page("IssueKitPage")
        if source is not None and kit is not None:

            def go(contact_id: str, code: object) -> None:
                self.show_page("IssueKitPage")
                kit.prefill(contact_id, code)  # type: ignore[attr-defined]

            source.kit_requested.connect(go)  # type: ignore[attr-defined]

    def _on_row(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        page = self.pages[row]
        activated = getattr(page, "activated", None)
        if callable(activated):
            activated()
        focus = getattr(page, "first_field", None)
        (focus() if callable(focus) else page).setFocus()

    def show_index(self, index: int) -> None:
        if 0 <= index < len(self.pages):
            self.nav.setCurrentRow(index)

    def page(self, cls_name: str) -> QWidget | None:
        return next((p for p in self.pages if type(p).__name__ == cls_name), None)

    def show_page(self, cls_name: str) -> QWidget:
        page = self.page(cls_name)
        if page is None:
            raise LookupError(cls_name)
        self.show_index(self.pages.index(page))
        return page
