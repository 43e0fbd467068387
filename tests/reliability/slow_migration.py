"""A stand-in for a future schema migration that takes long enough for a kill to land inside it."""

from __future__ import annotations

from outreach.store import migrations
from outreach.store.connection import Connection

PADDING_ROWS = 20_000


def _slow(conn: Connection) -> None:
    conn.execute("CREATE TABLE soak_padding (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)")
    conn.execute(
        "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?) "
        "INSERT INTO soak_padding SELECT n, randomblob(100) FROM k",
        (PADDING_ROWS,),
    )


def add_slow_migration() -> int:
    """Append the slow step (once) and return the schema version it brings a store to."""
    if _slow not in migrations.MIGRATIONS:
        migrations.MIGRATIONS.append(_slow)
        migrations.LATEST = len(migrations.MIGRATIONS)
    return migrations.LATEST
