"""Reference data pulled from the hub, as the rest of the app uses it.

The service key keys pseudonymous client codes. An enrolled device uses the hub's, so codes match
across the service; a standalone install makes its own once and keeps it in the encrypted store.
"""

from __future__ import annotations

import logging

from outreach.domain.client_code import new_service_key
from outreach.domain.vocab import Vocabulary
from outreach.records.follow_up import DEFAULT_WINDOW, FollowUpWindow
from outreach.store import vocabulary
from outreach.store.store import Store
from outreach.sync import state

log = logging.getLogger(__name__)
LOCAL_SERVICE_KEY = "service_key"  # the same meta key the desktop uses for a standalone key


def current_vocabulary(store: Store) -> Vocabulary:
    """The shipped code lists plus whatever the hub has added."""
    return vocabulary.current_vocabulary(store)


def service_key(store: Store) -> bytes:
    """The hub's service key once enrolled; before that a local one made on first use."""
    ref = state.reference(store)
    if ref is not None and ref.service_key:
        return bytes.fromhex(ref.service_key)
    stored = store.meta(LOCAL_SERVICE_KEY)
    if stored:
        return bytes.fromhex(stored)
    key = new_service_key()
    with store.transaction():
        store.set_meta(LOCAL_SERVICE_KEY, key.hex())
    log.info("made a local service key (standalone device)")
    return key


def retention_days(store: Store) -> int:
    ref = state.reference(store)
    return ref.retention_days if ref is not None else 0


def follow_up_window(store: Store) -> FollowUpWindow:
    """When a follow-up after a non-fatal overdose is due: the hub's, else the default."""
    ref = state.reference(store)
    return ref.follow_up if ref is not None else DEFAULT_WINDOW
