"""A form in progress survives a lock, for the same user only (DESIGN §4).

At lock the workspace is destroyed with the store's key; before that, each page that has a form
in progress hands over a plain snapshot of it (`page.draft()`), kept here, in memory only:
never written to disk, and dropped when the app closes. When the same user unlocks, the pages
get their forms back (`page.restore_draft()`); when another user unlocks, the snapshot is
discarded and the new user is told on screen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from outreach.ui.workspace import Workspace

log = logging.getLogger(__name__)
KEPT = "Welcome back: the form you were filling in when the app locked is as you left it."
DISCARDED = (
    "A form left unsaved by another user when the app locked was discarded: only the user "
    "who was filling it in gets it back."
)


@dataclass(frozen=True)
class Kept:
    user: str
    forms: dict[str, dict[str, Any]]  # page class name → its snapshot
    current: str | None  # the page that was shown


class DraftKeeper:
    def __init__(self) -> None:
        self._kept: Kept | None = None

    @property
    def holding(self) -> bool:
        return self._kept is not None

    def notice(self) -> str:
        """For the unlock screen: whose form is waiting (empty when none)."""
        if self._kept is None:
            return ""
        return f"A form in progress is kept for {self._kept.user}: it comes back when they unlock."

    def keep(self, workspace: Workspace, user: str) -> None:
        """Take a snapshot of every form in progress (called before the workspace goes)."""
        forms: dict[str, dict[str, Any]] = {}
        for name, page in workspace.built_pages():
            draft = getattr(page, "draft", None)
            snapshot = draft() if callable(draft) else None
            if snapshot is not None:
                forms[name] = snapshot
        self._kept = Kept(user, forms, workspace.current_name()) if forms else None
        if forms:
            log.info("kept %d form(s) in progress over the lock", len(forms))

    def hand_over(self, workspace: Workspace, user: str) -> str | None:
        """Give the forms back to the same user; discard them for anyone else. Returns what the
        person should be told (shown on the page), or None when nothing was kept."""
        kept, self._kept = self._kept, None
        if kept is None:
            return None
        if kept.user != user:
            log.info("discarded forms in progress: another user unlocked")
            self._tell(workspace, DISCARDED, warning=True)
            return DISCARDED
        for name, snapshot in kept.forms.items():
            page = workspace.page(name)
            restore = getattr(page, "restore_draft", None)
            if callable(restore):
                restore(snapshot)
        if kept.current is not None:
            workspace.show_page(kept.current)
        self._tell(workspace, KEPT, warning=False)
        return KEPT

    def discard(self) -> None:
        self._kept = None

    @staticmethod
    def _tell(workspace: Workspace, text: str, *, warning: bool) -> None:
        from outreach.ui.widgets.message_bar import MessageBar

        page = workspace.stack.currentWidget()
        for name in ("banner", "message"):  # the page's own message bar
            bar = getattr(page, name, None)
            if isinstance(bar, MessageBar):
                (bar.warning if warning else bar.info)(text)
                return
