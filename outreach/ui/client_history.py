"""The client panel's look-up, on the store thread (Qt-free: a plain function of a Store).

The hub's summary of the code (`outreach.store.summaries`, as of the last pull) and this
device's own records for it that the summary cannot reflect yet, folded together by
`outreach.records.service_history.merge_history`. A record is reflected once a hub receipt that
covers it came back before the summaries were last pulled: the hub brings a client's summary up to
date in the transaction that stores the batch, so every pull after the receipt includes it.
Everything else of this device's for the code — not yet synced, or synced after that pull — is
folded in; so is a void made here since, of a record the summary counts.

Two primary-key or index reads and a few record bodies: the budget is p99 ≤ 5 ms on a store with
50,000 summaries and 100,000 own records (`bench/bench_panel.py`).
"""

from __future__ import annotations

import datetime as dt

from outreach.domain.roles import Action
from outreach.records import Contact, KitIssue, NaloxoneUse, decode_record, permissions
from outreach.records.service_history import ServiceHistory, merge_history
from outreach.store.store import Store
from outreach.store.summaries import service_summary, summaries_as_of
from outreach.sync import state

__all__ = ["OWN_LIMIT", "load_client_history", "reflected_through"]

OWN_LIMIT = 500
"""At most this many of this device's own records for one code are read (newest kept)."""
_TYPES = ("contact", "kit_issue")


def reflected_through(store: Store, as_of: dt.datetime | None) -> int:
    """The store seq up to which this device's records are in the summaries pulled at `as_of`:
    the highest a receipt received by then covers (0: no pull yet, nothing reflected)."""
    if as_of is None:
        return 0
    stamp = as_of.astimezone(dt.UTC).isoformat(timespec="seconds")
    row = store.conn.execute(
        "SELECT max(acked_through) FROM receipts WHERE received_at <= ?", (stamp,)
    ).fetchone()
    if row is None or row[0] is None:
        return 0
    return min(int(row[0]) + state.seq_base(store), state.acked_through(store))


def _readable(store: Store) -> tuple[str, ...]:
    """The client-code types this role reads: a pharmacy's panel is made of kits alone."""
    return tuple(t for t in _TYPES if permissions.permitted(store.role, Action.READ, t))


def _own(
    store: Store, code_id: int, types: tuple[str, ...], after: int
) -> list[Contact | KitIssue | NaloxoneUse]:
    """Active records for the code after seq `after`, oldest first, with the use report each
    kit was saved with (the next seq: `save_kit` adds both in one transaction)."""
    rows = store.conn.execute(
        # By the client code's index, always: walking the seqs after a pull was a scan of every
        # unsynced record (2 ms a look-up at 10,000 of them).
        "SELECT r.device_seq, r.body FROM fact_data f INDEXED BY fact_data_client "
        "JOIN records r ON r.device_seq = f.seq "
        f"WHERE f.client_code = ? AND f.seq > ? AND f.active AND r.type IN "
        f"({','.join('?' * len(types))}) ORDER BY f.seq DESC LIMIT {OWN_LIMIT:d}",
        (code_id, after, *types),
    ).fetchall()
    found: list[Contact | KitIssue | NaloxoneUse] = []
    for seq, body in reversed(rows):
        record = decode_record(body)
        if not isinstance(record, Contact | KitIssue):
            continue
        found.append(record)
        if isinstance(record, KitIssue):
            used = _use_with(store, seq + 1, record.id)
            if used is not None:
                found.append(used)
    return found


def _use_with(store: Store, seq: int, kit_id: str) -> NaloxoneUse | None:
    row = store.conn.execute(
        "SELECT body FROM records WHERE device_seq = ? AND type = 'naloxone_use' "
        "AND id NOT IN (SELECT id FROM retired)",
        (seq,),
    ).fetchone()
    if row is None:
        return None
    use = decode_record(row[0])
    return use if isinstance(use, NaloxoneUse) and use.kit_issue_id == kit_id else None


def _retracted(
    store: Store, code_id: int, types: tuple[str, ...], through: int
) -> list[Contact | KitIssue]:
    """Records the summary counts (seq ≤ `through`) retired here by a record it has not seen."""
    rows = store.conn.execute(
        "SELECT r.body FROM fact_data f INDEXED BY fact_data_client "
        "JOIN records r ON r.device_seq = f.seq JOIN retired t ON t.id = r.id "
        "JOIN records v ON v.id = t.by_id "
        f"WHERE f.client_code = ? AND f.seq <= ? AND NOT f.active AND v.device_seq > ? "
        f"AND r.type IN ({','.join('?' * len(types))})",
        (code_id, through, through, *types),
    ).fetchall()
    return [r for (body,) in rows if isinstance(r := decode_record(body), Contact | KitIssue)]


def load_client_history(
    store: Store, code: str, today: dt.date | None = None
) -> ServiceHistory | None:
    """What the service and this device know of `code`, as this role may see it; None for a
    role that may see no client history at all."""
    types = _readable(store)
    if not types:
        return None
    today = today or dt.date.today()
    summary = service_summary(store, code)
    as_of = summaries_as_of(store)
    through = reflected_through(store, as_of)
    code_id = store.fact_writer.lookup(store.conn, code)
    own: list[Contact | KitIssue | NaloxoneUse] = []
    retracted: list[Contact | KitIssue] = []
    if code_id is not None:
        own = _own(store, code_id, types, through)
        if summary is not None and through:
            retracted = _retracted(store, code_id, types, through)
    return merge_history(code, summary, own, today, as_of=as_of, retracted=retracted)
