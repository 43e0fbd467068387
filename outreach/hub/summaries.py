"""Client summaries on the hub: kept up to date in the transaction that stores a batch.

For each batch: link its records to the client codes they bear on (`links`: a contact or kit
to its own code; a void or correction to its target's codes; a naloxone use to its kit's),
read every record linked to the codes it touched, recompute each code's summary with the one
rule the device shares (`outreach.records.summarise`), and write those that changed under new
`change_seq`s (migration h0004 says why the counter is taken last). SQLite does it statement
by statement (`upkeep_sqlite`, called from `BatchWriter._store`); PostgreSQL with two function
calls pipelined with the batch's own (`inputs_call`, then `put_call`), no extra round trip.

A summary is recomputed "as of" the day its code last changed: `contacts_12m` and the open
referrals count back from that day (docs/sync-protocol.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import msgspec
import sqlalchemy as sa

from outreach.hub.sql import Sql
from outreach.records import NaloxoneUse, Record, decode_record, facts, permissions
from outreach.records.summarise import last_active, summarise

_encode = msgspec.msgpack.Encoder().encode
CHUNK = 500


class Links(NamedTuple):
    """`ids[i]` bears on code `codes[i]`; `ref_by[i]` on every code `refs[i]` bears on."""

    ids: list[str]
    codes: list[str]
    refs: list[str]
    ref_by: list[str]


class Change(NamedTuple):
    """A code's new summary as stored: msgpack, or None when nothing about it counts now."""

    client_code: str
    body: bytes | None
    last_active: str


def links(records: Iterable[Record]) -> Links:
    found = Links([], [], [], [])
    coded = set(permissions.client_code_types())
    for record in records:
        code = getattr(record, "client_code", None)
        if code is not None and record.type in coded:
            found.ids.append(record.id)
            found.codes.append(code)
        target = facts.retired_id(record)
        if target is not None:
            found.refs.append(target)
            found.ref_by.append(record.id)
        if isinstance(record, NaloxoneUse) and record.kit_issue_id is not None:
            found.refs.append(record.kit_issue_id)
            found.ref_by.append(record.id)
    return found


def known(good: Iterable[tuple[int, bytes, Any]]) -> dict[bytes, Record]:
    """A batch's checked records (seq, stored bytes, projected) by their bytes: what `changes`
    need not decode again when the code's records are read back."""
    return {body: item.record for _, body, item in good}


def changes(
    rows: Iterable[tuple[str, bytes | None, int]],
    today: dt.date | None = None,
    known: Mapping[bytes, Record] | None = None,
) -> list[Change]:
    """The summaries that changed, from (code, body, current) rows: a linked record's body
    (current 0) or the code's stored summary (current 1, body None for a dropped one).
    `known`: records already decoded (the batch's, by their stored bytes), not decoded again."""
    today = today or dt.datetime.now(dt.UTC).date()
    known = known or {}
    bodies: dict[str, list[Record]] = {}
    held: dict[str, bytes | None] = {}
    for code, body, current in rows:
        if current:
            held[code] = None if body is None else bytes(body)
            continue
        data = bytes(body or b"")
        record = known.get(data)
        bodies.setdefault(code, []).append(record if record is not None else decode_record(data))
    found: list[Change] = []
    for code in sorted(bodies.keys() | held.keys()):
        summary = summarise(code, bodies.get(code, []), today)
        body = None if summary is None else _encode(summary)
        if (code in held and body == held[code]) or (code not in held and body is None):
            continue  # unchanged, or nothing to say about a code never summarised
        active = (today if summary is None else last_active(summary)).isoformat()
        found.append(Change(code, body, active))
    return found


# -- SQLite ---------------------------------------------------------------------------------

_LINK = "INSERT INTO summary_links (record_id, client_code) VALUES (?, ?) ON CONFLICT DO NOTHING"
_PUT = (
    "INSERT INTO client_summaries (client_code, change_seq, last_active, body) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (client_code) DO UPDATE SET "
    "change_seq = excluded.change_seq, last_active = excluded.last_active, body = excluded.body"
)


def upkeep_sqlite(
    sql: Sql, conn: sa.Connection, records: Sequence[Record], known: Mapping[bytes, Record]
) -> int:
    """Link, recompute and write the summaries `records` (just stored) touch; returns how many
    changed. `known`: the batch's records by their stored bytes (not decoded again). One writer
    at a time on SQLite, so no locks."""
    return upkeep(sql, conn, records, known)


def upkeep(
    sql: Sql,
    conn: sa.Connection,
    records: Sequence[Record],
    known: Mapping[bytes, Record] | None = None,
) -> int:
    """`upkeep_sqlite` on either backend, statement by statement: for records stored outside a
    batch (e.g. released from quarantine). On PostgreSQL the touched codes are locked in order
    first, as `outreach_summary_inputs` does. The records are new, so their own links are the
    codes they bear; only those that refer to others are looked up after linking."""
    found = links(records)
    link(sql, conn, found)
    codes = sorted(set(found.codes) | _codes_of(sql, conn, found.ref_by))
    if sql.postgres:
        cursor = sql.cursor(conn)
        for code in codes:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                ("outreach-summary:" + code,),
            )
    return recompute(sql, conn, codes, known)


def link(sql: Sql, conn: sa.Connection, found: Links) -> None:
    """Write the links: own codes first, then references followed in rounds (a void of a use
    of a kit in the same batch needs two)."""
    cursor = sql.cursor(conn)
    cursor.executemany(sql.text(_LINK), list(zip(found.ids, found.codes, strict=True)))
    pending = list(zip(found.refs, found.ref_by, strict=True))
    for _ in range(8):
        added = 0
        for start in range(0, len(pending), CHUNK):
            part = pending[start : start + CHUNK]
            values = ", ".join("(?, ?)" for _ in part)
            cursor.execute(
                sql.text(
                    "INSERT INTO summary_links (record_id, client_code) "
                    "SELECT r.by_id, l.client_code FROM (SELECT column1 AS ref, column2 AS by_id "
                    f"FROM (VALUES {values}) v) r JOIN summary_links l ON l.record_id = r.ref "
                    "WHERE true ON CONFLICT DO NOTHING"
                ),
                [value for pair in part for value in pair],
            )
            added += max(cursor.rowcount, 0)
        if not added:
            break


def recompute(
    sql: Sql,
    conn: sa.Connection,
    codes: Sequence[str],
    known: Mapping[bytes, Record] | None = None,
) -> int:
    """Recompute and write the summaries of `codes` that changed; returns how many."""
    rows: list[tuple[str, bytes | None, int]] = []
    for start in range(0, len(codes), CHUNK):
        rows += _inputs(sql, conn, codes[start : start + CHUNK])
    found = changes(rows, known=known)
    if sql.postgres and found:
        sql.cursor(conn).execute(*put_call(found))
        return len(found)
    return put_sqlite(sql, conn, found)


def backfill(sql: Sql, conn: sa.Connection) -> int:
    """Summaries for the records a hub stored before it kept them (run once, right after
    migration h0004, in one transaction): links for every record, a chunk at a time by id,
    then every code. Returns how many summaries were written."""
    last = ""
    found = Links([], [], [], [])
    while True:
        rows = sql.rows(
            conn, "SELECT id, body FROM records WHERE id > ? ORDER BY id LIMIT ?", (last, 2000)
        )
        if not rows:
            break
        more = links(decode_record(bytes(body)) for _, body in rows)
        for mine, theirs in zip(found, more, strict=True):
            mine.extend(theirs)
        last = rows[-1][0]
    link(sql, conn, found)
    codes = [row[0] for row in sql.rows(conn, "SELECT DISTINCT client_code FROM summary_links")]
    written = 0
    for start in range(0, len(codes), CHUNK):
        written += recompute(sql, conn, sorted(codes)[start : start + CHUNK])
    return written


def _codes_of(sql: Sql, conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    codes: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        where, params = sql.in_list("record_id", ids[start : start + CHUNK])
        codes.update(
            row[0]
            for row in sql.rows(
                conn, f"SELECT DISTINCT client_code FROM summary_links WHERE {where}", params
            )
        )
    return codes


def _inputs(
    sql: Sql, conn: sa.Connection, codes: Sequence[str]
) -> list[tuple[str, bytes | None, int]]:
    where, params = sql.in_list("l.client_code", codes)
    linked = sql.rows(
        conn,
        f"SELECT l.client_code, r.body, 0 FROM summary_links l "
        f"JOIN records r ON r.id = l.record_id WHERE {where}",
        params,
    )
    where, params = sql.in_list("client_code", codes)
    held = sql.rows(
        conn, f"SELECT client_code, body, 1 FROM client_summaries WHERE {where}", params
    )
    return [(str(c), b, int(k)) for c, b, k in [*linked, *held]]


def put_sqlite(sql: Sql, conn: sa.Connection, found: Sequence[Change]) -> int:
    """Number `found` after the last change_seq given and write them."""
    if not found:
        return 0
    (top,) = sql.rows(
        conn,
        "UPDATE summary_counter SET seq = seq + ? WHERE id = 1 RETURNING seq",
        (len(found),),
    )[0]
    first = int(top) - len(found) + 1
    sql.cursor(conn).executemany(
        _PUT,
        [(c.client_code, first + i, c.last_active, c.body) for i, c in enumerate(found)],
    )
    return len(found)


# -- PostgreSQL -----------------------------------------------------------------------------

INPUTS_CALL = (
    "SELECT o_code, o_body, o_current FROM outreach_summary_inputs("
    "%b::text[], %b::text[], %b::text[], %b::text[])"
)
PUT_CALL = "SELECT outreach_put_summaries(%b::text[], %b::bytea[], %b::text[])"


def inputs_call(records: Iterable[Record]) -> tuple[str, tuple[Any, ...]]:
    """`outreach_summary_inputs` for a batch's records: links them, locks the codes they
    touch, answers `changes`' rows."""
    found = links(records)
    return INPUTS_CALL, (found.ids, found.codes, found.refs, found.ref_by)


def put_call(found: Sequence[Change]) -> tuple[str, tuple[Any, ...]]:
    return PUT_CALL, (
        [c.client_code for c in found],
        [c.body for c in found],
        [c.last_active for c in found],
    )


def backfill_hub(engine: sa.Engine, sql: Sql) -> int:
    """`backfill` in its own transaction (`Hub.upgrade`, after h0004 ran)."""
    with engine.begin() as conn:
        return backfill(sql, conn)
