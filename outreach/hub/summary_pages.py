"""Pages of client summary changes for one device: `GET /v1/summaries` and summaries files.

A page holds the changes after the device's cursor in `change_seq` order, at most
`limits.SUMMARY_PAGE_MAX`, scoped by reference data: a code last active before
`Reference.summary_months` ago is not sent (sent as a drop to a device that may hold it, i.e.
one asking after a cursor above 0). A device whose role may not read contacts (a pharmacy)
gets only what its role may see (`summarise.visible_to`). The page names the hub, the device
and its cursor range, and is signed with the hub's Ed25519 key (`SignedSummaries`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

from outreach.domain.roles import Action
from outreach.hub.errors import DeviceRevoked, HubError, UnknownDevice
from outreach.hub.ingest import now
from outreach.hub.limits import MAX_SEQ, SUMMARY_PAGE_MAX
from outreach.records import permissions
from outreach.records.client_summary import ClientSummary
from outreach.records.summarise import visible_to
from outreach.sync.protocol import SignedSummaries, SummaryEntry, SummaryPage

if TYPE_CHECKING:
    from outreach.hub.service import Hub

_decode = msgspec.msgpack.Decoder(ClientSummary).decode
_encode = msgspec.msgpack.Encoder().encode
MAX_MONTHS = 1200  # a scope of 100 years is "everything"; a setting out of range is clamped
_ROWS = (
    "SELECT client_code, change_seq, last_active, body FROM client_summaries "
    "WHERE change_seq > ? ORDER BY change_seq LIMIT ?"
)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _device_role(hub: Hub, device_id: str) -> str:
    select = "SELECT role, revoked_at FROM devices WHERE device_id = ?"
    with hub.engine.connect() as conn:
        rows = hub.sql.rows(conn, select, (device_id,))
    if not rows:
        raise UnknownDevice(f"no device {device_id}")
    role, revoked_at = rows[0]
    if revoked_at is not None:
        raise DeviceRevoked("this device has been revoked", device_id)
    return str(role)


def summary_page(hub: Hub, device_id: str, after: int, limit: int | None = None) -> bytes:
    """The signed page of changes after `after` for `device_id`: at most `limit` (capped at
    SUMMARY_PAGE_MAX); `limit=None` is every change, for a summaries file made by the hub's
    administrator (not reachable over HTTP)."""
    if not 0 <= after <= MAX_SEQ:
        raise HubError(f"after must be a cursor between 0 and {MAX_SEQ}")
    if limit is not None and limit < 1:
        raise HubError("limit must be at least 1")
    role = _device_role(hub, device_id)
    wanted = MAX_SEQ if limit is None else min(limit, SUMMARY_PAGE_MAX)
    months = min(max(hub.reference().summary_months, 1), MAX_MONTHS)
    since = months_before(dt.datetime.now(dt.UTC).date(), months)
    with hub.engine.connect() as conn:
        rows = hub.sql.rows(conn, _ROWS, (after, wanted + 1 if limit is not None else wanted))
    complete = len(rows) <= wanted
    rows = rows[:wanted]
    entries: list[SummaryEntry] = []
    scope = since.isoformat()
    sees_all = all(
        permissions.permitted(role, Action.READ, kind) for kind in ("contact", "kit_issue")
    )
    for code, seq, last_active, body in rows:
        summary = None if body is None or last_active < scope else bytes(body)
        if summary is not None and not sees_all:
            summary = _for_role(summary, role)
        if summary is not None or after > 0:
            entries.append(SummaryEntry(code, int(seq), summary))
    page = SummaryPage(
        hub=hub.keys.fingerprint,
        device_id=device_id,
        after=after,
        through=int(rows[-1][1]) if rows else after,
        complete=complete,
        active_since=scope,
        issued_at=now(),
        entries=entries,
    )
    return SignedSummaries.make(page, hub.keys.sign)


def _for_role(body: bytes, role: str) -> bytes | None:
    """The summary re-encoded without what the role may not see (None: nothing)."""
    seen = visible_to(_decode(body), role)
    return None if seen is None else _encode(seen)
