"""PostgreSQL: a batch stored by one server-side function call instead of a dozen statements.

Each statement sent to PostgreSQL costs a round trip: ~150 µs of server CPU and as much of
client CPU before any row is touched, and most of a batch's cost on a two-core machine. So the
checks that need the database (device revoked? batch already claimed? a seq reused?), the
record, quarantine and projection writes and the watermark run in `outreach_store_batch`, in
the order `ingest.py` describes for both backends. The
records travel as one binary array per column (psycopg dumps those in C; PostgreSQL unnests
them without parsing), the facts rows, whose columns vary by record type, as JSON that msgspec
encodes in C. The hub's Python keeps the work that needs no database (signature, decryption,
validation, the facts rows) and the signed receipt, written in the same transaction.

`outreach_project` is the projection alone, also used for records an older hub left pending.
The functions are made by the recorded migrations (`migrations/h0003_pg_functions.py`).
SQLite keeps the statement-by-statement writer (`ingest.py`, `projection.py`): it runs in the
hub's process, where a statement costs microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from outreach.hub import db
from outreach.hub.limits import (
    quarantine_bytes,
)
from outreach.hub.projection import Projected
from outreach.hub.sql import Sql


class _Retirement(msgspec.Struct):
    id: str
    by_id: str


_encode = msgspec.json.Encoder().encode

# Rows of records as one array per column, in binary (psycopg dumps those in C); facts rows,
# whose columns vary by record type, as JSON.
_CALL = (
    "SELECT status, accepted, acked, clash FROM outreach_store_batch("
    "%s, %s, %s, %s, %s, %s, %s, %b, %b::text[], %b::int8[], %b::text[], %b::text[], "
    "%b::bytea[], %b::int8[], %b::text[], %b::bytea[], %s::json, %s, %s::json, %s)"
)


def _json(rows: Sequence[msgspec.Struct] | Sequence[dict[str, Any]]) -> str | None:
    return _encode(rows).decode() if rows else None


def projection_documents(new: Sequence[Projected]) -> tuple[str | None, int, str | None]:
    """The facts rows and retirements of checked records (made with `compact=True`), as JSON,
    and how many facts rows. Each row gets its fact key and serial here, in place."""
    facts: list[dict[str, Any]] = []
    retires: list[_Retirement] = []
    for item in new:
        record = item.record
        if item.retires is not None:
            retires.append(_Retirement(item.retires, record.id))
        row = item.row
        if row is None:
            continue
        row["fact"] = db.fact_key(record.id)
        serial = getattr(record, "serial", None)
        if serial is not None:
            row["serial"] = serial
        facts.append(row)
    return _json(facts), len(facts), _json(retires)


def batch_call(
    claim: tuple[str, str, int, int, str, str, str, bytes],
    good: Sequence[tuple[int, bytes, Projected]],
    bad: Sequence[tuple[int, bytes, str]],
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters that run `outreach_store_batch`; `claim` is the batches row
    (batch id, device id, first and last seq, sha256, received at, via, envelope). Its one
    result row is `Stored` (ingest.py): status, accepted, acked through, clash."""
    records = [
        [item.record.id for _, _, item in good],
        [seq for seq, _, _ in good],
        [item.type for _, _, item in good],
        [item.occurred_at for _, _, item in good],
        [body for _, body, _ in good],
    ]
    refused = [[seq for seq, _, _ in bad], [error for _, _, error in bad], [b for _, b, _ in bad]]
    facts, count, retires = projection_documents([item for _, _, item in good])
    return _CALL, (*claim, *records, *refused, facts, count, retires, quarantine_bytes(bad))


def project(conn: sa.Connection, new: Sequence[Projected]) -> None:
    """Project records stored earlier (`Hub.project_pending`) through `outreach_project`."""
    facts, count, retires = projection_documents(new)
    cursor = Sql.cursor(conn)
    cursor.execute("SELECT outreach_project(%s::json, %s, %s::json, NULL)", (facts, count, retires))
