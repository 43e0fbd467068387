"""The sync core as seen by the UI, imported on first use: httpx and the sync modules stay off
the start-up path, and a build without sync shows "not available" instead of failing.

Every function here runs on the store thread (it takes the `Store`); none imports Qt.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from outreach.domain.client_code import new_service_key
from outreach.store.changes import Changes
from outreach.store.store import Store

log = logging.getLogger(__name__)
# Returned beside the result of an enrolment or a sync: the op runner broadcasts it, and every
# view of the sync state (status bar, Sync page) refreshes from that one signal (STYLE 3).
SYNC_STATE = Changes(types=frozenset({"sync_state"}))


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"outreach.sync.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("outreach.sync"):
            return None
        raise


def available() -> bool:
    """Whether this build has the sync client, found without importing it (httpx)."""
    try:
        return all(
            importlib.util.find_spec(f"outreach.sync.{name}") is not None
            for name in ("client", "enrolment", "status")
        )
    except ModuleNotFoundError:  # no `outreach.sync` package at all
        return False


@dataclass(frozen=True)
class SyncStatusInfo:
    available: bool
    enrolled: bool
    pending: int
    last_sync: dt.datetime | None
    unlinked_client_codes: int = 0


def status(store: Store) -> SyncStatusInfo:
    """The sync state from the store alone: the status bar's first refresh, right after unlock,
    must not import the network stack (start-up budget, docs/benchmarks.md)."""
    reads = _module("status")
    if reads is None or not available():
        return SyncStatusInfo(False, False, store.last_seq(), None)
    return SyncStatusInfo(
        True,
        bool(reads.is_enrolled(store)),
        int(reads.pending_count(store)),
        reads.last_sync(store),
        int(reads.unlinked_client_codes(store)),
    )


def sync_now(store: Store, progress: Any, cancel: Any) -> tuple[Any, Changes]:
    """The client's sync result, and `SYNC_STATE` for the views."""
    client = _module("client")
    if client is None:
        from outreach.errors import SyncError, SyncErrorKind

        raise SyncError("sync is not part of this build", kind=SyncErrorKind.NOT_ENROLLED)
    return client.sync_now(store, progress=progress, cancel=cancel), SYNC_STATE


def codes_to_unlink(store: Store) -> int:
    """Records whose client codes (made with this laptop's own key) enrolling would unlink."""
    enrolment = _module("enrolment")
    return 0 if enrolment is None else int(enrolment.codes_to_unlink(store))


def local_codes_through(store: Store) -> int:
    """The last seq whose client code was made with this laptop's own key (History marks)."""
    enrolment = _module("enrolment")
    return 0 if enrolment is None else int(enrolment.local_codes_through(store))


def enrol(store: Store, code: str) -> tuple[Any, Changes]:
    """The enrolment info, and `SYNC_STATE` for the views."""
    enrolment = _module("enrolment")
    if enrolment is None:
        from outreach.errors import SyncError, SyncErrorKind

        raise SyncError("sync is not part of this build", kind=SyncErrorKind.NOT_ENROLLED)
    return enrolment.enrol(store, code), SYNC_STATE


@dataclass(frozen=True)
class SavedBatches:
    """Sealed batch files written to a folder for USB transfer."""

    files: int
    records: int
    folder: str


def save_batches(store: Store, folder: str) -> SavedBatches:
    """Write every batch the hub has not acknowledged to `folder`, as `outreach sync --to-dir`."""
    files = _module("files")
    enrolment = _module("enrolment")
    if files is None or enrolment is None:
        from outreach.errors import SyncError, SyncErrorKind

        raise SyncError("sync is not part of this build", kind=SyncErrorKind.NOT_ENROLLED)
    records = int(enrolment.pending_count(store))
    written = files.write_batches(store, folder)
    return SavedBatches(len(written), records if written else 0, folder)


def receipt_history(store: Store) -> list[Any]:
    enrolment = _module("enrolment")
    if enrolment is None or not hasattr(enrolment, "receipt_history"):
        return []
    return list(enrolment.receipt_history(store))


def service_key(store: Store) -> bytes:
    """The service key for client codes: from sync reference data, else a local one in meta."""
    reference = _module("reference")
    if reference is not None and hasattr(reference, "service_key"):
        key = reference.service_key(store)
        if key:
            return bytes(key)
    stored = store.meta("service_key")
    if stored:
        return bytes.fromhex(stored)
    key = new_service_key()
    with store.transaction():
        store.set_meta("service_key", key.hex())
    log.info("made a local service key (standalone device)")
    return key


def vocabulary(store: Store) -> Any:
    """The code lists merged with the hub's reference data, or None to keep the base lists."""
    reference = _module("reference")
    if reference is None or not hasattr(reference, "current_vocabulary"):
        return None
    return reference.current_vocabulary(store)


def auto_sync_target(store: Store) -> Any:
    """The hub pins when an automatic sync is due (enrolled, records waiting), else None."""
    if not available():
        return None
    info = status(store)
    if not info.enrolled or info.pending == 0:
        return None
    state = importlib.import_module("outreach.sync.state")
    return state.hub_pins(store)


def hub_answers(pins: Any) -> bool:
    """Network only (no store): run it on the network pool."""
    client = importlib.import_module("outreach.sync.client")
    return bool(client.probe(pins))
