"""The unlocked workspace: left navigation and the pages this role may see.

Pages are built the first time they are shown, so the window paints as soon as the first page
exists (start-up budget: DESIGN §7).
"""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QListWidget, QStackedWidget, QWidget

from outreach.ui.context import AppContext
from outreach.ui.pages import pages_for

log = logging.getLogger(__name__)
WARM_UP_MS = 1500
# Slow imports a first scan would otherwise wait for, made after the first paint (biip, ~460 M
# instructions). The sync client is preloaded while the passphrase is typed (`MainWindow`).
WARM_UP_MODULES = ("outreach.domain.gs1",)


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
        self.entries = pages_for(ctx.role)
        self._built: dict[int, QWidget] = {}
        for number, entry in enumerate(self.entries, start=1):
            self.stack.addWidget(QWidget())  # placeholder until first shown
            title = entry.title
            self.nav.addItem(f"{title}  (Ctrl+{number})" if number <= 9 else title)
            item = self.nav.item(self.nav.count() - 1)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
            if number <= 9:
                shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
                shortcut.activated.connect(lambda index=number - 1: self.show_index(index))
        # Ctrl+S saves the page shown wherever the focus is (the navigation list too): one
        # shortcut here rather than one per page, which Qt would find ambiguous.
        for keys in (QKeySequence(QKeySequence.StandardKey.Save), QKeySequence("Ctrl+Return")):
            save = QShortcut(keys, self)
            save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            save.activated.connect(self.save_current)
        self.nav.currentRowChanged.connect(self._on_row)
        if self.entries:
            self.nav.setCurrentRow(0)
        # Tied to this widget, so the timer dies with the workspace (lock, window closed).
        QTimer.singleShot(WARM_UP_MS, self, self._warm_up)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        """Shown after unlock: the focus goes to the page's first field, not to whatever Qt
        picks when the unlock screen goes (the navigation list), so typing can start at once."""
        super().showEvent(event)
        QTimer.singleShot(0, self, self._focus_if_lost)

    def _focus_if_lost(self) -> None:
        focused = QApplication.focusWidget()
        page = self.stack.currentWidget()
        if page is None:
            return
        if focused is None or not (focused is page or page.isAncestorOf(focused)):
            self.focus_page()

    def focus_page(self) -> None:
        page = self.stack.currentWidget()
        if page is None:
            return
        focus = getattr(page, "first_field", None)
        (focus() if callable(focus) else page).setFocus()

    def _warm_up(self) -> None:
        if self.ctx.ops.closed:
            return
        from outreach.ui.widgets import message_bar

        message_bar.warm_up()  # Qt enums the first message needs (UI thread: PySide types)
        for name in WARM_UP_MODULES:
            self.ctx.ops.network(lambda name=name: importlib.import_module(name)).failure(
                lambda exc: log.info("warm-up import failed: %s", exc)
            ).run()

    @property
    def pages(self) -> list[QWidget]:
        """Every page, built now if it was not yet."""
        return [self._page_at(index) for index in range(len(self.entries))]

    def _page_at(self, index: int) -> QWidget:
        page = self._built.get(index)
        if page is None:
            page = self.entries[index].load()(self.ctx)
            self._built[index] = page
            placeholder = self.stack.widget(index)
            self.stack.insertWidget(index, page)
            if placeholder is not None:
                self.stack.removeWidget(placeholder)
                placeholder.deleteLater()
            self._link(page)
        return page

    def _link(self, page: QWidget) -> None:
        """A saved contact with "naloxone supplied" goes straight on to the kit form."""
        if hasattr(page, "kit_requested") and self._index_of("IssueKitPage") is not None:

            def go(contact_id: str, code: object) -> None:
                kit = self.show_page("IssueKitPage")
                kit.prefill(contact_id, code)  # type: ignore[attr-defined]

            page.kit_requested.connect(go)

    def _index_of(self, cls_name: str) -> int | None:
        return next((i for i, e in enumerate(self.entries) if e.cls == cls_name), None)

    def _on_row(self, row: int) -> None:
        if row < 0:
            return
        page = self._page_at(row)
        self.stack.setCurrentIndex(row)
        activated = getattr(page, "activated", None)
        if callable(activated):
            activated()
        self.focus_page()

    def built_pages(self) -> list[tuple[str, QWidget]]:
        """(class name, page) for the pages built so far."""
        return [(self.entries[index].cls, page) for index, page in sorted(self._built.items())]

    def current_name(self) -> str | None:
        row = self.stack.currentIndex()
        return self.entries[row].cls if 0 <= row < len(self.entries) else None

    def save_current(self) -> None:
        """Save the page shown, if it is a form (it has `save`)."""
        save = getattr(self.stack.currentWidget(), "save", None)
        if callable(save):
            save()

    def show_index(self, index: int) -> None:
        if 0 <= index < len(self.entries):
            self.nav.setCurrentRow(index)

    def page(self, cls_name: str) -> QWidget | None:
        index = self._index_of(cls_name)
        return None if index is None else self._page_at(index)

    def show_page(self, cls_name: str) -> QWidget:
        index = self._index_of(cls_name)
        if index is None:
            raise LookupError(cls_name)
        self.show_index(index)
        return self._page_at(index)
