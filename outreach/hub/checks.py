"""Checks on an upload's clear header, before any key or database is involved."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from outreach.hub.errors import BadEnvelope, HubError
from outreach.hub.limits import MAX_SEQ
from outreach.sync.envelope import EnvelopeError, Header, read_header

log = logging.getLogger(__name__)


@contextlib.contextmanager
def refusing_bad_envelopes() -> Iterator[None]:
    """An envelope that fails a check is the client's error (`BadEnvelope`), logged once."""
    try:
        yield
    except EnvelopeError as exc:
        log.warning("refused a batch: %s", exc)
        raise BadEnvelope(str(exc)) from None


def checked_header(envelope: bytes, *, unreadable: type[HubError] = BadEnvelope) -> Header:
    """The batch's clear header, refused unless its seqs are 1 ≤ first ≤ last < 2^63 (the
    databases' BIGINT; seqs start at 1, so a 0 or negative seq is no device's). A header
    that cannot be read raises `unreadable` (an upload answers `bad_request` for it)."""
    try:
        header = read_header(envelope)
    except EnvelopeError as exc:
        log.warning("refused a batch: %s", exc)
        raise unreadable(str(exc)) from None
    if not 1 <= header.first_seq <= header.last_seq <= MAX_SEQ:
        raise BadEnvelope(f"batch seqs must be from 1 to {MAX_SEQ}, first ≤ last")
    return header
