"""2026-12-01: bring a hub made before recorded migrations to the 2026-12-01 schema.

Until then every start ran these catch-up steps; each does nothing on a hub that has its
change (and so on a fresh one). The list fields are those facts had that day.
"""

from __future__ import annotations

import sqlalchemy as sa

LIST_FIELDS = ("substances", "risk_factors", "interventions", "referrals")
TABLES = (
    "hub_meta", "enrol_tokens", "devices", "batches", "records", "quarantine", "retired",
    "alerts", "pending_facts", "facts", "fact_items",
)  # fmt: skip


def upgrade(conn: sa.Connection) -> None:
    postgres = conn.dialect.name == "postgresql"
    # Replaced by batches_device_first_seq (h0001).
    conn.exec_driver_sql("DROP INDEX IF EXISTS batches_device_last_seq")
    _quarantine_bytes(conn)
    _list_columns(conn, 'TEXT[] COLLATE "C"' if postgres else "TEXT")
    _items_into_lists(conn, "array_agg(value)" if postgres else "json_group_array(value)")
    if postgres:
        # The foreign key from fact_items to facts cost a query per item.
        conn.exec_driver_sql(
            "ALTER TABLE fact_items DROP CONSTRAINT IF EXISTS fact_items_fact_fkey"
        )
        _collate_c(conn)


def _columns(conn: sa.Connection, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(conn).get_columns(table)}


def _quarantine_bytes(conn: sa.Connection) -> None:
    """Hubs made before the quarantine cap: the column, with what each device holds now."""
    if "quarantine_bytes" in _columns(conn, "devices"):
        return
    conn.exec_driver_sql(
        "ALTER TABLE devices ADD COLUMN quarantine_bytes BIGINT NOT NULL DEFAULT 0"
    )
    conn.exec_driver_sql(
        "UPDATE devices SET quarantine_bytes = (SELECT coalesce(sum(length(q.body) + "
        "length(q.error)), 0) FROM quarantine q WHERE q.device_id = devices.device_id)"
    )


def _list_columns(conn: sa.Connection, kind: str) -> None:
    """Hubs made before facts had a column per list field."""
    present = _columns(conn, "facts")
    for name in LIST_FIELDS:
        if name not in present:
            conn.exec_driver_sql(f"ALTER TABLE facts ADD COLUMN {name} {kind}")


def _items_into_lists(conn: sa.Connection, gather: str) -> None:
    """Hubs made before the list columns: their item rows move into them."""
    if conn.exec_driver_sql("SELECT 1 FROM fact_items LIMIT 1").first() is None:
        return
    for name in LIST_FIELDS:
        conn.exec_driver_sql(
            f"UPDATE facts SET {name} = (SELECT {gather} FROM fact_items i "
            f"WHERE i.fact = facts.fact AND i.field = '{name}') "
            f"WHERE fact IN (SELECT fact FROM fact_items WHERE field = '{name}')"
        )
    conn.exec_driver_sql("DELETE FROM fact_items")


def _collate_c(conn: sa.Connection) -> None:
    """Hubs made before their text columns were COLLATE "C": rebuilds their indexes, once."""
    older = conn.exec_driver_sql(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND data_type = 'text' "
        "AND collation_name IS DISTINCT FROM 'C' AND table_name = ANY(%(tables)s)",
        {"tables": list(TABLES)},
    ).all()
    for table, column in older:
        conn.exec_driver_sql(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE "C"')
