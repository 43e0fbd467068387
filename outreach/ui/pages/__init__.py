"""The pages of the main window's left navigation, registered here.

Page contract: each `REGISTRY` entry names a module, a class, the navigation title and the roles
that see it. The module is imported only when the page is first shown, so start-up pays for the
first page alone (DESIGN §7 budget) and a role never loads pages it cannot open.

    class SomePage(QWidget):
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from outreach.domain.roles import COORDINATORS, EVERYONE, ROLES, Action
from outreach.records import permissions

if TYPE_CHECKING:  # no Qt at package import: tools that walk packages import __init__ files
    from PySide6.QtWidgets import QWidget

    from outreach.ui.context import AppContext

log = logging.getLogger(__name__)

ALL_ROLES = EVERYONE


@dataclass(frozen=True)
class PageEntry:
    module: str
    cls: str
    title: str
    roles: frozenset[str] = ALL_ROLES

    def load(self) -> Callable[[AppContext], QWidget]:
        """The page's class (built with the app's context), importing its module now."""
        page: Callable[[AppContext], QWidget] = getattr(
            importlib.import_module(self.module), self.cls
        )
        return page


def _who(action: Action, record_type: str) -> frozenset[str]:
    """The roles granted `action` on `record_type` by its declaration (outreach.records)."""
    return frozenset(role for role in ROLES if permissions.permitted(role, action, record_type))


# Who sees a page follows the record types' declarations: the store refuses the rest anyway.
REGISTRY: tuple[PageEntry, ...] = (
    PageEntry(
        "outreach.ui.pages.record_contact",
        "RecordContactPage",
        "Record contact",
        _who(Action.RECORD, "contact"),
    ),
    PageEntry(
        "outreach.ui.pages.issue_kit",
        "IssueKitPage",
        "Issue naloxone",
        _who(Action.RECORD, "kit_issue"),
    ),
    PageEntry(
        "outreach.ui.pages.history",
        "HistoryPage",
        "History",  # looks clients up by code: needs every type that carries one
        frozenset(role for role in ROLES if permissions.may_look_up_clients(role)),
    ),
    PageEntry(
        "outreach.ui.pages.stock_page", "StockPage", "Stock", _who(Action.RECORD, "stock_movement")
    ),
    PageEntry(
        "outreach.ui.pages.dashboard_page",
        "DashboardPage",
        "Dashboard",  # the service's counts: every counted type
        frozenset(
            role
            for role in ROLES
            if all(permissions.permitted(role, Action.READ, t) for t in permissions.granted_types())
        ),
    ),
    PageEntry("outreach.ui.pages.sync_page", "SyncPage", "Sync"),
    # Issue 15, after the others so that their Ctrl+number shortcuts stay as they were.
    PageEntry(
        "outreach.ui.pages.record_overdose",
        "RecordOverdosePage",
        "Record overdose",
        _who(Action.RECORD, "overdose_event"),
    ),
    PageEntry(
        "outreach.ui.pages.referral_outcomes",
        "ReferralOutcomesPage",
        "Referral outcomes",
        _who(Action.RECORD, "referral_outcome"),
    ),
    PageEntry(
        "outreach.ui.pages.overdose_review",
        "OverdoseReviewPage",
        "Overdose review",  # the coordinator's list of fatal events (reviews after a death)
        COORDINATORS & _who(Action.READ, "overdose_event"),
    ),
    PageEntry(
        "outreach.ui.pages.follow_ups",
        "FollowUpsPage",
        "Follow-ups due",  # survivors of a non-fatal overdose (issue 15 item 2)
        _who(Action.RECORD, "follow_up") & _who(Action.READ, "overdose_event"),
    ),
    # The hub's devices: enrolment codes, revocation (issue 13 item 5; the hub answers coordinator
    # devices only). Last, so that the other pages keep their Ctrl+number.
    PageEntry("outreach.ui.pages.devices_page", "DevicesPage", "Devices", COORDINATORS),
)


def pages_for(role: str) -> list[PageEntry]:
    """The pages this role sees, in navigation order."""
    return [entry for entry in REGISTRY if role in entry.roles]
