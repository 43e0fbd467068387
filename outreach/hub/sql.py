"""The hub's hot statements as driver SQL, one text per dialect, run on the DBAPI cursor.

Ingest on SQLite runs a dozen statements per batch. Built as SQLAlchemy expressions, each cost
~100 µs of construction, cache-key and parameter work, more than SQLite took to run it; here the
text is made once per table and the parameters go straight to the driver, bulk rows with
`executemany`. (PostgreSQL stores a batch with one function call: `pg_store.py`.)
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

# One PostgreSQL advisory lock orders projection against retirements (see `Sql.projection_lock`).
_PROJECTION_LOCK = int.from_bytes(hashlib.sha256(b"outreach-hub-projection").digest()[:8], "big")
PROJECTION_LOCK = _PROJECTION_LOCK - (1 << 64) if _PROJECTION_LOCK >= 1 << 63 else _PROJECTION_LOCK


class Sql:
    """Statements for one engine's dialect; `cursor(conn)` gives the connection's DBAPI cursor,
    inside whatever transaction the SQLAlchemy connection has begun."""

    def __init__(self, engine: sa.Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"

    @staticmethod
    def cursor(conn: sa.Connection) -> Any:
        return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def text(self, sql: str) -> str:
        """`sql` written with `?` marks, in this driver's paramstyle."""
        return sql.replace("?", "%s") if self.postgres else sql

    def rows(self, conn: sa.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self.cursor(conn)
        cursor.execute(self.text(sql), params)
        return list(cursor.fetchall())

    def run(self, conn: sa.Connection, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement; returns the driver's row count."""
        cursor = self.cursor(conn)
        cursor.execute(self.text(sql), params)
        return int(cursor.rowcount)

    def in_list(
        self, column: str, values: Sequence[Any], kind: str = "text"
    ) -> tuple[str, list[Any]]:
        """`column IN values` as SQL and parameters (a `kind[]` parameter on PostgreSQL: an
        untyped array of ints is numeric[], and `bigint = ANY(numeric[])` scans the table)."""
        if self.postgres:
            return f"{column} = ANY(%s::{kind}[])", [list(values)]
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    def projection_lock(self, conn: sa.Connection, exclusive: bool) -> None:
        """PostgreSQL: order this transaction's projection against concurrent ones.

        A void and its target stored by two concurrent transactions would each miss the other
        (neither sees uncommitted rows) and the target would stay counted. Every ingest holds
        this lock shared (they do not wait for each other); one that retires records holds it
        exclusive, so it runs alone, after and before the others. SQLite writes one at a time.
        """
        if self.postgres:
            function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            self.cursor(conn).execute(f"SELECT {function}(%s)", (PROJECTION_LOCK,))

    def insert(
        self,
        conn: sa.Connection,
        table: sa.Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        ignore_conflicts: bool = False,
    ) -> None:
        """SQLite: insert many rows, each a tuple of values for `columns` (None is NULL)."""
        if rows:
            sql = _sqlite_insert(table.name, tuple(columns), ignore_conflicts)
            self.cursor(conn).executemany(sql, rows)


@functools.lru_cache(maxsize=256)
def _sqlite_insert(table: str, columns: tuple[str, ...], ignore_conflicts: bool) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    )
