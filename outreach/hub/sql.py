"""The hub's hot statements as driver SQL, one text per dialect, run on the DBAPI cursor.

Ingest runs a dozen statements per batch. Built as SQLAlchemy expressions, each cost ~100 µs of
construction, cache-key and parameter work, more than SQLite took to run it; here the text is
made once per table and the parameters go straight to the driver. Bulk rows go in with SQLite's
`executemany`; on PostgreSQL with COPY, or `unnest` over one array per column where conflicts
are to be skipped (one statement either way, not one per row).
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

_PG_TYPES = {sa.Text: "text", sa.BigInteger: "int8", sa.Integer: "int4", sa.LargeBinary: "bytea"}


def _pg_type(column: sa.Column[Any]) -> str:
    for kind, name in _PG_TYPES.items():
        if isinstance(column.type, kind):
            return name
    raise TypeError(f"no PostgreSQL type for {column}")


class Sql:
    """Statements for one engine's dialect; `cursor(conn)` gives the connection's DBAPI cursor,
    inside whatever transaction the SQLAlchemy connection has begun."""

    def __init__(self, engine: sa.Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.mark = "%s" if self.postgres else "?"

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
        """Insert many rows, each a tuple of values for `columns` (None is NULL)."""
        if not rows:
            return
        if not self.postgres:
            sql = _sqlite_insert(table.name, tuple(columns), ignore_conflicts)
            self.cursor(conn).executemany(sql, rows)
            return
        names, types = ", ".join(columns), [_pg_type(table.c[name]) for name in columns]
        cursor = self.cursor(conn)
        if ignore_conflicts:
            casts = ", ".join(f"%s::{kind}[]" for kind in types)
            arrays = [list(values) for values in zip(*rows, strict=True)]
            cursor.execute(
                f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({casts}) "
                "ON CONFLICT DO NOTHING",
                arrays,
                binary=True,  # text arrays are escaped value by value in Python
            )
            return
        # COPY in binary: a quarter of the client CPU of unnest, whose array text psycopg
        # escapes value by value in Python.
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)


@functools.lru_cache(maxsize=256)
def _sqlite_insert(table: str, columns: tuple[str, ...], ignore_conflicts: bool) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    )
