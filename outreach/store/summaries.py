"""The service-wide client summaries this device pulled from its hub (issue 12), in the store.

Written only by `put_summaries`, with a page the sync layer has verified (hub signature, hub and
device named) and the cursor it brings, in one transaction: a pull interrupted between pages
resumes from the last page that committed, and applying a page again changes nothing. Read by
the client panel (`service_summary`), History's search (`summary_codes_matching`) and the "as of"
line (`summaries_as_of`), each as the role allows (`outreach.records.summarise.visible_to`:
contact-made fields for roles that read contacts, kits and uses for every role that reads kits).
The revocation wipe destroys them with the rest of the store.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import NamedTuple

import msgspec

from outreach.domain.roles import Action
from outreach.errors import NotPermitted, SyncError, SyncErrorKind
from outreach.records import permissions
from outreach.records.client_summary import ClientSummary, SummaryHead
from outreach.records.summarise import last_active, visible_to
from outreach.store.connection import Connection
from outreach.store.store import Store, _corruption_is_an_error

__all__ = [
    "SummaryChange",
    "put_summaries",
    "service_summary",
    "summaries_as_of",
    "summaries_cursor",
    "summaries_hub",
    "summary_codes_matching",
    "summary_count",
]

log = logging.getLogger(__name__)
CURSOR = "summaries.cursor"  # the hub's change_seq up to which every change is applied
AS_OF = "summaries.as_of"  # when the last page was applied (UTC, ISO)
HUB = "summaries.hub"  # the fingerprint of the hub the summaries came from
_decode = msgspec.msgpack.Decoder(ClientSummary).decode
_encode = msgspec.msgpack.Encoder().encode


class SummaryChange(NamedTuple):
    """One code's new summary at hub change `change_seq`; None: the hub holds nothing for it
    now (every record voided, or no longer in the pull's scope)."""

    client_code: str
    change_seq: int
    summary: ClientSummary | SummaryHead | None
    """The summary, or (pulled: `body` given) only the head of it the store reads."""
    body: bytes | None = None
    """The summary's msgpack as received, stored as is (else `summary` is encoded)."""


def _refused(message: str) -> SyncError:
    return SyncError(f"summaries refused, nothing changed: {message}", kind=SyncErrorKind.PROTOCOL)


@_corruption_is_an_error
def put_summaries(
    store: Store,
    changes: Sequence[SummaryChange],
    *,
    hub: str,
    after: int,
    through: int,
    active_since: dt.date | None = None,
    as_of: dt.datetime | None = None,
) -> int:
    """Apply one verified page (hub changes `after` < seq ≤ `through`) and store the new
    cursor, all in one transaction; returns how many rows changed.

    Refused (SyncError, nothing changed): a page older than what is stored (`through` below the
    cursor: a replay), one that skips changes (`after` above it), or a page from another hub
    than the stored summaries' unless it starts from nothing (re-enrolled: the old hub's are
    dropped). A row is never replaced by an older change of it. Rows last active before
    `active_since` (the hub's scope) are dropped."""
    seqs = [c.change_seq for c in changes]
    if through < after or (seqs and not (after < min(seqs) and max(seqs) <= through)):
        raise _refused("the page's changes are outside its own range")
    changed = 0
    with store.transaction() as conn:
        cursor = int(store.meta(CURSOR, "0") or 0)
        held_hub = store.meta(HUB)
        if held_hub is not None and held_hub != hub:
            if after != 0:
                raise _refused("the page continues another hub's summaries")
            conn.execute("DELETE FROM summaries")
            cursor = 0
        if through < cursor:
            raise _refused(
                f"the page ends at change {through}, older than the {cursor} already held "
                "(a replayed or stale answer)"
            )
        if after > cursor:
            raise _refused(f"the page starts after change {after}; this device holds {cursor}")
        changed += _apply(store, changes)
        if active_since is not None:
            since = active_since.isoformat()
            changed += conn.execute(
                "DELETE FROM summaries WHERE last_active < ?", (since,)
            ).rowcount
        store.set_meta(CURSOR, str(through))
        store.set_meta(HUB, hub)
        stamp = (as_of or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        store.set_meta(AS_OF, stamp.isoformat(timespec="seconds"))
    return changed


def _apply(store: Store, changes: Sequence[SummaryChange]) -> int:
    """Write a page's rows in code order (neighbouring b-tree pages: a page of 10,000 took a
    third of the time it took in arrival order); returns how many rows changed."""
    conn = store.conn
    dropped: list[tuple[str, int]] = []
    kept: list[tuple[str, int, str, bytes]] = []
    for c in sorted(changes, key=lambda change: change.client_code):
        if c.summary is None:
            dropped.append((c.client_code, c.change_seq))
            continue
        if c.summary.client_code != c.client_code:
            raise _refused(f"the change for {c.client_code} holds another code's summary")
        body = c.body
        if body is None:
            if not isinstance(c.summary, ClientSummary):
                raise ValueError("a summary's head is stored only with its body")
            body = _encode(c.summary)
        kept.append((c.client_code, c.change_seq, last_active(c.summary).isoformat(), body))
    changed = 0
    if dropped:
        changed += conn.executemany(
            "DELETE FROM summaries WHERE client_code = ? AND change_seq <= ?", dropped
        ).rowcount
    if kept:
        changed += conn.executemany(
            "INSERT INTO summaries (client_code, change_seq, last_active, body) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (client_code) DO UPDATE SET "
            "change_seq = excluded.change_seq, last_active = excluded.last_active, "
            "body = excluded.body WHERE excluded.change_seq > summaries.change_seq",
            kept,
        ).rowcount
    return int(changed)


def _require_reader(store: Store) -> None:
    """Summaries are read under the kit issue grant (every role today); contact-made fields
    are then left out for roles that may not read contacts (`visible_to`)."""
    store.require(Action.READ, "kit_issue")


def _reader(store: Store | Connection) -> tuple[Connection, str | None]:
    """The connection and the role to filter by: a `Store` applies its role (NotPermitted
    without a kit issue grant); a bare connection is below the role line (docs/security.md),
    as sync's and the ledger's are, and sees every field."""
    if isinstance(store, Store):
        _require_reader(store)
        return store.conn, store.role
    return store, None


@_corruption_is_an_error
def service_summary(store: Store | Connection, client_code: str) -> ClientSummary | None:
    """The service's summary of `client_code` as this role may see it; None if the hub sent
    none (a code new to the service, or not active in the pull's scope). One primary-key
    look-up."""
    conn, role = _reader(store)
    row = conn.execute(
        "SELECT body FROM summaries WHERE client_code = ?", (client_code,)
    ).fetchone()
    if row is None:
        return None
    try:
        summary = _decode(row[0])
    except msgspec.DecodeError:  # only its head was checked when pulled (hub-signed)
        log.warning("the service summary of a client code cannot be read; not shown")
        return None
    return summary if role is None else visible_to(summary, role)


@_corruption_is_an_error
def summary_codes_matching(store: Store | Connection, prefix: str, limit: int = 50) -> list[str]:
    """Client codes the service knows that start with `prefix` (as typed; codes are compared
    exactly), in code order, at most `limit`: a range read on the primary key."""
    conn, _ = _reader(store)
    if limit <= 0:
        return []
    rows = conn.execute(
        "SELECT client_code FROM summaries WHERE client_code >= ? AND client_code < ? "
        "ORDER BY client_code LIMIT ?",
        (prefix, prefix + "\U0010ffff", limit),
    ).fetchall()
    return [str(row[0]) for row in rows]


@_corruption_is_an_error
def summaries_as_of(store: Store) -> dt.datetime | None:
    """When the summaries were last brought up to date from the hub (UTC); None if never."""
    stamp = store.meta(AS_OF)
    return dt.datetime.fromisoformat(stamp) if stamp else None


def summaries_cursor(store: Store) -> int:
    """The hub change up to which this device holds every summary (0: none yet)."""
    return int(store.meta(CURSOR, "0") or 0)


def summaries_hub(store: Store) -> str | None:
    """The fingerprint of the hub the stored summaries came from."""
    return store.meta(HUB)


@_corruption_is_an_error
def summary_count(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM summaries").fetchone()[0])


def may_see_service_history(role: str) -> bool:
    """Whether the client panel may show `role` any service history at all."""
    try:
        permissions.require(role, Action.READ, "kit_issue")
    except NotPermitted:
        return False
    return True
