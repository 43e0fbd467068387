"""Checking records against the code lists, and quarantined records again after a change.

A record that fails validation is quarantined (ingest.py, step 5), never the whole batch. Most
fail for good (a malformed record), but one that used a code the hub did not know yet — the
device had newer reference data, or the coordinator added the code after — passes once
`outreach-hub reference` adds it. `recheck` then validates every quarantined record with the
current lists and releases those that pass: stored in `records` under their device and seq as
if they had passed on arrival, projected into the counts (voids and corrections retire their
targets, a record already voided stays uncounted), taken off the device's quarantine bytes.
A chunk at a time, each in one transaction that claims its rows by deleting them, so two
processes re-checking at once release each record once. Records that still fail stay, with
today's reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import msgspec
import sqlalchemy as sa

from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.hub import pg_store, summaries
from outreach.hub.projection import Projected, project
from outreach.hub.sql import Sql
from outreach.records import decode_record
from outreach.records.validation import validate

CHUNK = 500
FUTURE_SKEW = dt.timedelta(days=1)  # as ingest: device clocks run ahead
Checked = tuple[int, bytes, Projected]
Refused = tuple[int, bytes, str]

_PAGE = (
    "SELECT batch_id, device_seq, device_id, body, error FROM quarantine "
    "WHERE batch_id > ? OR (batch_id = ? AND device_seq > ?) "
    "ORDER BY batch_id, device_seq LIMIT ?"
)
_CLAIM = "DELETE FROM quarantine WHERE batch_id = ? AND device_seq = ? RETURNING device_id"
# PostgreSQL: the chunk's rows claimed in one statement (a round trip a row was most of the time).
_CLAIM_MANY = (
    "DELETE FROM quarantine q USING unnest(%s::text[], %s::int8[]) AS c(batch_id, seq) "
    "WHERE q.batch_id = c.batch_id AND q.device_seq = c.seq RETURNING q.batch_id, q.device_seq"
)
_STORE = (
    "INSERT INTO records (id, device_id, device_seq, type, occurred_at, batch_id, body) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_UNCOUNT = "UPDATE devices SET quarantine_bytes = quarantine_bytes - ? WHERE device_id = ?"


class Released(NamedTuple):
    """What a re-check did: records looked at, released (stored and counted), still held."""

    checked: int = 0
    released: int = 0

    @property
    def still_quarantined(self) -> int:
        return self.checked - self.released

    def detail(self) -> str:
        return (
            f"{self.released} of {self.checked} quarantined records now pass the reference "
            f"data and were stored and counted; {self.still_quarantined} remain quarantined"
        )

    def report(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "released": self.released,
            "still_quarantined": self.still_quarantined,
        }


def check_records(
    pairs: Sequence[tuple[int, bytes]], vocab: Vocabulary, now: dt.datetime, compact: bool
) -> tuple[list[Checked], list[Refused]]:
    """Validate every (seq, body) and make its facts row; the invalid ones with their reason."""
    good: list[Checked] = []
    bad: list[Refused] = []
    for seq, body in pairs:
        try:
            record = decode_record(body)
            validate(record, now=now, vocab=vocab)
            good.append((seq, body, Projected(record, compact=compact)))
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            bad.append((seq, body, f"undecodable record: {exc}"))
        except InvalidRecord as exc:
            bad.append((seq, body, str(exc)))
    return good, bad


class _Held(NamedTuple):
    batch_id: str
    seq: int
    device_id: str
    body: bytes
    error: str


def recheck(
    engine: sa.Engine,
    sql: Sql,
    vocab: Vocabulary,
    writing: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
) -> Released:
    """Validate every quarantined record with `vocab`; store and count those that pass. Each
    chunk's writes run inside `writing()` (the hub's SQLite write lock), so batches arriving
    meanwhile wait for one chunk, not the whole quarantine."""
    checked = released = 0
    after: tuple[str, int] = ("", -1)
    while True:
        with engine.connect() as conn:
            rows = sql.rows(conn, _PAGE, (after[0], after[0], after[1], CHUNK))
        if not rows:
            return Released(checked, released)
        held = [_Held(r[0], int(r[1]), r[2], bytes(r[3]), r[4]) for r in rows]
        after = (held[-1].batch_id, held[-1].seq)
        checked += len(held)
        now = dt.datetime.now(dt.UTC) + FUTURE_SKEW
        good, _ = check_records(
            [(i, item.body) for i, item in enumerate(held)], vocab, now, sql.postgres
        )
        if good:
            with writing():
                released += _release(engine, sql, [(held[i], item) for i, _, item in good])


def _release(engine: sa.Engine, sql: Sql, passing: Sequence[tuple[_Held, Projected]]) -> int:
    """Store and project records that now pass, in one transaction; returns how many were
    released (a row another process released meanwhile is skipped)."""
    with engine.begin() as conn:
        sql.projection_lock(conn, exclusive=True)  # PostgreSQL: ordered against ingest
        cursor = Sql.cursor(conn)
        mine = _claim(cursor, sql, passing)
        if not mine:
            return 0
        rows = [
            (item.record.id, held.device_id, held.seq, item.type, item.occurred_at)
            + (held.batch_id, held.body)
            for held, item in mine
        ]
        cursor.executemany(sql.text(_STORE), rows)
        stored = _stored_ids(conn, sql, mine)
        new = [i for h, i in mine if (i.record.id, h.device_id, h.seq) in stored]
        if sql.postgres:
            pg_store.project(conn, new)
        else:
            project(sql, conn, new)
        summaries.upkeep(sql, conn, [item.record for item in new])  # as ingest's step 7b
        freed: dict[str, int] = {}
        for held, _ in mine:
            size = len(held.body) + len(held.error.encode())
            freed[held.device_id] = freed.get(held.device_id, 0) + size
        cursor.executemany(sql.text(_UNCOUNT), [(size, dev) for dev, size in freed.items()])
    return len(mine)


def _claim(
    cursor: Any, sql: Sql, passing: Sequence[tuple[_Held, Projected]]
) -> list[tuple[_Held, Projected]]:
    """Delete the passing rows from quarantine; those this transaction deleted are its own."""
    if sql.postgres:
        cursor.execute(
            _CLAIM_MANY,
            ([held.batch_id for held, _ in passing], [held.seq for held, _ in passing]),
        )
        claimed = {(row[0], int(row[1])) for row in cursor.fetchall()}
        return [(held, item) for held, item in passing if (held.batch_id, held.seq) in claimed]
    mine = []
    for held, item in passing:
        cursor.execute(_CLAIM, (held.batch_id, held.seq))
        if cursor.fetchone() is not None:
            mine.append((held, item))
    return mine


def _stored_ids(
    conn: sa.Connection, sql: Sql, mine: Sequence[tuple[_Held, Projected]]
) -> set[tuple[str, str, int]]:
    """(id, device, seq) of the claimed records now in `records` at their own device and seq: a
    record whose id the hub already held (a copy from elsewhere) is not projected twice."""
    where, params = sql.in_list("id", [item.record.id for _, item in mine])
    found = sql.rows(conn, f"SELECT id, device_id, device_seq FROM records WHERE {where}", params)
    return {(row[0], row[1], int(row[2])) for row in found}
