"""Re-enrolment: the recovery path for a store the hub refuses as an old copy (409).

A store restored from a backup has forgotten seqs the hub already holds, so every new batch
reuses them and is refused. Re-enrolling makes the store a new device (new id, new key) whose
seqs start again at 1 from the first record the hub never receipted; `state.SEQ_BASE` maps them
to the store's own seqs. The hub stores records once by record id, so the ones it already has
from the old identity come back as duplicates, never counted twice.
"""

from __future__ import annotations

import logging
import secrets

from outreach.store.store import Store
from outreach.sync import enrolment, state
from outreach.sync.enrolment import EnrolmentInfo
from outreach.sync.transport import DEFAULT_POLICY, RetryPolicy

log = logging.getLogger(__name__)


def re_enrol(store: Store, code: str, *, policy: RetryPolicy = DEFAULT_POLICY) -> EnrolmentInfo:
    """Enrol this store again as a new device; its unreceipted records go to the hub under the
    new id at the next sync. Safe to repeat if enrolment fails half way (same new id and key)."""
    enrolment.parse_code(code)  # a bad code changes nothing
    if state.hub_pins(store) is not None:
        _new_identity(store)
    return enrolment.enrol(store, code, policy=policy)


def _new_identity(store: Store) -> None:
    """Forget the old enrolment in one transaction: id, key, pins and sealed batches."""
    old = store.device_id
    acked = state.acked_through(store)
    with store.transaction() as conn:
        previous = (store.meta(state.PREVIOUS_IDS) or "").split()
        store.set_meta(state.PREVIOUS_IDS, " ".join([*previous, old]))
        store.set_meta("device_id", secrets.token_hex(16))
        store.set_meta(state.SEQ_BASE, str(acked))
        for key in (state.HUB, state.DEVICE_KEY, state.OUT_OF_STEP):
            conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        conn.execute("DELETE FROM outbox_batches")
        state.device_key(store)
    log.warning("re-enrolling: device %s becomes %s from seq %d", old, store.device_id, acked + 1)
