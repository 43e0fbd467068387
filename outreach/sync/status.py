"""What the sync state is, read from the store alone (no network stack).

The desktop's status bar asks this as soon as the workspace shows; `outreach.sync.enrolment`
(which imports httpx, ~380 M instructions with its optional CLI extras) is not needed for it.
"""

from __future__ import annotations

import datetime as dt

from outreach.store.store import Store
from outreach.sync import outbox, state


def is_enrolled(store: Store) -> bool:
    return state.hub_pins(store) is not None


def pending_count(store: Store) -> int:
    """Records this device holds that the hub has not acknowledged yet."""
    return outbox.pending_count(store)


def last_sync(store: Store) -> dt.datetime | None:
    stored = store.meta(state.LAST_SYNC)
    return dt.datetime.fromisoformat(stored) if stored else None


def unlinked_client_codes(store: Store) -> int:
    """How many records kept client codes from the local key at enrolment (see `enrolment`)."""
    return int(store.meta(state.UNLINKED_CODES, "0") or 0)
