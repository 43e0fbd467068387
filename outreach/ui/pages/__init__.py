"""The pages of the main window's left navigation, registered here.

Page contract (for every module listed in `REGISTRY`):

    class SomePage(QWidget):
        title: ClassVar[str] = "Stock"            # navigation label
        roles: ClassVar[frozenset[str]] = frozenset({"pharmacy", "coordinator"})
        shortcut: ClassVar[str] = ""              # optional, e.g. "Ctrl+1"

        def __init__(self, ctx: AppContext) -> None: ...
        def activated(self) -> None: ...          # optional: shown in the window (refresh here)

* `ctx` is `outreach.ui.context.AppContext`: `ctx.ops` (run store work with
  `ctx.ops.store(lambda store: ...).success(cb).run()` — NEVER touch the store from the UI thread),
  `ctx.vocab`, `ctx.settings`, `ctx.user`, `ctx.role`, `ctx.changes` (signal with `Changes` after
  every write: connect it to refresh), `ctx.remember(**settings)`.
* Pages are built after unlock and destroyed on lock, so they hold nothing across sessions.
* A registry entry whose module does not exist yet is skipped (pages written by other helpers).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no Qt at package import: tools that walk packages import __init__ files
    from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

ALL_ROLES = frozenset({"worker", "pharmacy", "coordinator"})


@dataclass(frozen=True)
class PageEntry:
    module: str
    cls: str


REGISTRY: tuple[PageEntry, ...] = (
    PageEntry("outreach.ui.pages.record_contact", "RecordContactPage"),
    PageEntry("outreach.ui.pages.issue_kit", "IssueKitPage"),
    PageEntry("outreach.ui.pages.history", "HistoryPage"),
    PageEntry("outreach.ui.pages.stock_page", "StockPage"),
    PageEntry("outreach.ui.pages.dashboard_page", "DashboardPage"),
    PageEntry("outreach.ui.pages.sync_page", "SyncPage"),
)


def page_classes(role: str) -> list[type[QWidget]]:
    """The page classes this role sees, in navigation order; missing modules are skipped."""
    found: list[type[QWidget]] = []
    for entry in REGISTRY:
        try:
            module = importlib.import_module(entry.module)
        except ModuleNotFoundError as exc:
            if exc.name != entry.module:
                raise
            log.debug("page module %s not present", entry.module)
            continue
        cls = getattr(module, entry.cls)
        if role in getattr(cls, "roles", ALL_ROLES):
            found.append(cls)
    return found
