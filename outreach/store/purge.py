"""The retention purge: records the hub has acked, older than the retention period, leave the
laptop, and nothing the laptop shows from them changes (issue 12, migration 5).

In one transaction:

* every registered purge keeper runs (the stock ledger adds the purged movements to its opening
  balances, so stock on hand is the same afterwards);
* pack serials of purged active kit issues go to `purged_serials` (a pack scanned again is still
  recognised);
* the delete runs with the roll-up's delete triggers set aside (`rollup.keeping_cells`), so the
  cells stay and every count the roll-up answers (one field by site and day, week, month or
  year) is the same afterwards;
* the purge is recorded in `purges` (the days its counted records covered);
* after the delete, client codes that no remaining record carries leave the `codes` dictionary.

What a purged period can no longer answer exactly: anything that must see each record or person
(distinct people reached, high risk without a kit, crossings of two fields that the roll-up does
not hold, History, a client's record). `purged_overlap` says when a period includes purged days,
so those figures are marked as counted from what is still on this device (†), with the hub's
figure the full one (docs/security.md, "Laptop: retention purge").
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from outreach.store import rollup
from outreach.store.companions import purge_keepers
from outreach.store.connection import Connection
from outreach.store.store import Store

PURGED_THROUGH = "purged_through"


def purge_prefix(store: Store, acked: int, cutoff: dt.datetime) -> int:
    """Delete the longest prefix of records (by device_seq) that the hub acked (`acked`) and
    that occurred before `cutoff`; returns how many records went. Keepers run first, in the
    same transaction: if one fails, nothing is deleted."""
    keepers = purge_keepers()
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT max(device_seq), count(*) FROM records WHERE device_seq <= ? "
            "AND device_seq <= (SELECT coalesce(min(device_seq) - 1, ?) FROM records "
            "  WHERE device_seq <= ? AND occurred_at >= ?)",
            (acked, acked, acked, cutoff.isoformat()),
        ).fetchone()
        through, count = row[0], int(row[1])
        if not through:
            return 0
        for keep in keepers:
            keep(conn, int(through))
        _keep_serials(conn, int(through))
        codes = _client_codes(conn, int(through))
        first_day, last_day = conn.execute(
            "SELECT min(day), max(day) FROM fact_data WHERE seq <= ?", (through,)
        ).fetchone()
        # Seqs are gap-free, so purging a prefix keeps `last_seq` and the outbox consistent.
        with rollup.keeping_cells(conn):
            conn.execute("DELETE FROM records WHERE device_seq <= ?", (through,))
        _forget_client_codes(conn, codes)
        conn.execute(
            "INSERT INTO purges (through_seq, purged_at, first_day, last_day, records) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                through,
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                first_day,
                last_day,
                count,
            ),
        )
        store.set_meta(PURGED_THROUGH, str(max(int(through), purged_through(store))))
    store.fact_writer.forget()  # code ids it cached may have gone with the client codes
    return count


def purged_through(store: Store) -> int:
    return int(store.meta(PURGED_THROUGH, "0") or 0)


def _keep_serials(conn: Connection, through: int) -> None:
    # `+`: read the purged prefix by seq, not every kit issue by the type or serial index.
    conn.execute(
        "INSERT INTO purged_serials (serial, day) "
        "SELECT serial, max(day) FROM fact_data WHERE seq <= ? AND +serial IS NOT NULL "
        "AND active = 1 AND +type = (SELECT id FROM codes WHERE value = 'kit_issue') "
        "GROUP BY serial "
        "ON CONFLICT (serial) DO UPDATE SET day = max(day, excluded.day)",
        (through,),
    )


def _client_codes(conn: Connection, through: int) -> list[int]:
    rows = conn.execute(
        "SELECT DISTINCT client_code FROM fact_data WHERE seq <= ? AND +client_code IS NOT NULL",
        (through,),
    )
    return [int(row[0]) for row in rows]


def _forget_client_codes(conn: Connection, codes: list[int]) -> None:
    """Take the purged client codes no remaining record carries out of the codes dictionary:
    once its records are gone, a code is no longer kept on this laptop (summaries pulled from the
    hub are kept apart, as text, and go by their own rules)."""
    conn.executemany(
        "DELETE FROM codes WHERE id = ? "
        "AND NOT EXISTS (SELECT 1 FROM fact_data WHERE client_code = ?)",
        [(code, code) for code in codes],
    )


def purged_serial_day(conn: Connection, serial: str) -> dt.date | None:
    """The day a purged active kit issue handed out this pack serial, if one did."""
    row = conn.execute(
        "SELECT p.day FROM purged_serials p JOIN codes c ON c.id = p.serial WHERE c.value = ?",
        (serial,),
    ).fetchone()
    return dt.date.fromordinal(int(row[0])) if row else None


def purged_status(conn: Connection) -> dict[str, object]:
    """For `outreach status`: records purged so far, and when the last purge ran."""
    total, last = conn.execute(
        "SELECT coalesce(sum(records), 0), max(purged_at) FROM purges"
    ).fetchone()
    return {"records": int(total), "last": last}


def last_purge(conn: Connection) -> dt.date | None:
    """The day the last purge that deleted records ran (UTC), if any did."""
    row = conn.execute("SELECT max(purged_at) FROM purges").fetchone()
    return dt.date.fromisoformat(row[0][:10]) if row and row[0] else None


@dataclasses.dataclass(frozen=True)
class PurgedSpan:
    """The days, within a period asked about, whose records were partly or wholly purged."""

    first: dt.date
    last: dt.date


def purged_overlap(conn: Connection, start: dt.date, end: dt.date) -> PurgedSpan | None:
    """Where `start`..`end` meets days that purged records occurred on; None if it does not."""
    row = conn.execute(
        "SELECT min(first_day), max(last_day) FROM purges "
        "WHERE first_day <= :end AND last_day >= :start",
        {"start": start.toordinal(), "end": end.toordinal()},
    ).fetchone()
    if row is None or row[0] is None:
        return None
    first = max(dt.date.fromordinal(int(row[0])), start)
    last = min(dt.date.fromordinal(int(row[1])), end)
    return PurgedSpan(first, last)
