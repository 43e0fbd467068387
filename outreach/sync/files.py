"""Offline transfer: write the pending sealed batches to a directory (a USB stick).

The files hold the very envelopes an HTTPS sync would send, so `outreach-hub import` stores them
identically and a later HTTPS sync of the same batch gets the same receipt back. The watermark
moves only when a receipt comes back (at the next HTTPS sync).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from outreach.config import write_atomic
from outreach.errors import SyncError, SyncErrorKind
from outreach.store.store import Store
from outreach.sync import outbox, state
from outreach.sync.envelope import read_header

log = logging.getLogger(__name__)
SUFFIX = ".oxb"


def batch_file_name(envelope: bytes) -> str:
    header = read_header(envelope)
    return (
        f"outreach-{header.device_id[:12]}-{header.first_seq:010d}-{header.last_seq:010d}{SUFFIX}"
    )


def write_batches(
    store: Store, directory: Path | str, batch_size: int = outbox.BATCH_SIZE
) -> list[Path]:
    """Write every batch the hub has not acked to `directory`; returns the files written."""
    ident = state.identity(store)
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SyncError(f"cannot use {target}: {exc}", kind=SyncErrorKind.PROTOCOL) from None
    written: list[Path] = []
    for envelope in outbox.seal_all(store, ident, batch_size):
        path = target / batch_file_name(envelope)
        try:
            write_atomic(path, envelope)
        except OSError as exc:
            raise SyncError(f"cannot write {path}: {exc}", kind=SyncErrorKind.PROTOCOL) from None
        written.append(path)
    if written:
        _sync_dir(target)
    log.info("wrote %d batch files", len(written))
    return written


def _sync_dir(directory: Path) -> None:
    """Make the new names durable before someone pulls the stick out."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("directory fsync not supported here")
    finally:
        os.close(fd)
