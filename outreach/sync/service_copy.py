"""The coordinator's whole-service counts: fetched from the hub, else the last copy kept.

Every answer the hub gives is kept in the encrypted store (table `service_counts`, migration
m0007) with when it was fetched, one row per request (period, site, area, exact or published);
when the hub cannot be reached, the copy for the same request is returned, dated, with the
reason. Counts only: the hub's answer carries no client code. Runs on the store thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.store.store import Store
from outreach.sync.protocol import ServiceCounts
from outreach.sync.service_counts import fetch_service_counts, service_counts_path
from outreach.sync.transport import RetryPolicy

KEEP = 40  # copies kept (the oldest go first): a coordinator looks at a few periods
# A dashboard waits for one quick retry, not a sync's eight (the copy is shown meanwhile).
QUICK = RetryPolicy(attempts=2, initial=0.2, maximum=1.0, timeout=8.0)


@dataclasses.dataclass(frozen=True)
class ServiceView:
    """The hub's answer and when it was fetched; `error` says why the hub did not answer now
    (then this is the kept copy)."""

    answer: ServiceCounts
    fetched_at: dt.datetime  # UTC
    error: str = ""

    @property
    def live(self) -> bool:
        return not self.error


def kept(
    store: Store, period: str, site: str | None = None, area: str | None = None, *, exact: bool
) -> ServiceView | None:
    """The last copy fetched for this request, or None."""
    row = store.conn.execute(
        "SELECT fetched_at, answer FROM service_counts WHERE request = ?",
        (service_counts_path(period, site, area, exact=exact),),
    ).fetchone()
    if row is None:
        return None
    try:
        answer = msgspec.json.decode(bytes(row[1]), type=ServiceCounts)
    except msgspec.DecodeError:
        return None  # a copy this version cannot read is as good as none
    return ServiceView(answer, dt.datetime.fromisoformat(row[0]))


def keep(store: Store, request: str, answer: ServiceCounts, fetched_at: dt.datetime) -> None:
    """Store `answer` as the copy for `request`, dropping the oldest beyond KEEP."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO service_counts (request, fetched_at, answer) VALUES (?, ?, ?) "
            "ON CONFLICT (request) DO UPDATE SET fetched_at = excluded.fetched_at, "
            "answer = excluded.answer",
            (request, fetched_at.isoformat(), msgspec.json.encode(answer)),
        )
        conn.execute(
            "DELETE FROM service_counts WHERE request NOT IN "
            "(SELECT request FROM service_counts ORDER BY fetched_at DESC LIMIT ?)",
            (KEEP,),
        )


def service_view(
    store: Store,
    period: str,
    site: str | None = None,
    area: str | None = None,
    *,
    exact: bool = False,
    policy: RetryPolicy = QUICK,
    cancel: threading.Event | None = None,
) -> ServiceView:
    """The hub's answer now (kept as the new copy), or, when the hub cannot be reached, the
    copy kept for this request. SyncError otherwise: not enrolled, not a coordinator (AUTH), a
    bad period (PROTOCOL), revoked, or offline with no copy of this request."""
    try:
        answer = fetch_service_counts(
            store, period, site, area, exact=exact, policy=policy, cancel=cancel
        )
    except SyncError as exc:
        if exc.kind is not SyncErrorKind.NETWORK:
            raise
        copy = kept(store, period, site, area, exact=exact)
        if copy is None:
            raise SyncError(
                f"the hub cannot be reached ({exc}) and no copy of these counts was fetched before",
                kind=SyncErrorKind.NETWORK,
            ) from None
        return dataclasses.replace(copy, error=str(exc))
    now = dt.datetime.now(dt.UTC)
    keep(store, service_counts_path(period, site, area, exact=exact), answer, now)
    return ServiceView(answer, now)
