"""2026-12-02: coordinator devices and the service-wide roll-up (issue 13), on both backends.

- `enrol_tokens.role`: the role the hub operator gives an enrolment code (a coordinator device
  is one enrolled with a code made by `outreach-hub enrol --role coordinator`).
- `coordinator_audit`: who (device), when and what, for every coordinator request.
- `hub_rollup`: active records per (type, field, day, site, value), the cells of the
  commissioner set (`FIELDS`, a literal copy of what that set reads on this day). No area: it
  multiplied the cells thirtyfold; counts for one area read the facts.
- `hub_reach`: per client code, how many active kits it was supplied and the day of the first
  (cumulative reach, new people per period).
- `hub_people_months`: per (month, client code), the active contacts and kits (people reached
  by the whole service over whole months without scanning the facts).
- `kit_uses`: naloxone use reports and the kit they name: a row per use goes in with its facts
  row (day NULL: not read yet), the kit and day are read from the record's body when counts are
  next asked for (`outreach.hub.service_counts`). A kit reported used is no longer held.

Triggers on `facts` keep the first three exact in the transaction that writes facts — new rows,
voids and corrections (active 1 → 0) and deletions — so no storing path needs to know: row
triggers on SQLite, statement triggers over transition tables on PostgreSQL (one grouped upsert
per batch, in key order so concurrent batches take row locks in the same order). The SQL is built
here from this module's literals only, never from today's registry.
"""

from __future__ import annotations

import sqlalchemy as sa

# What the roll-up counts, per record type: (scalar fields, list fields).
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "contact": (("site", "setting"), ("interventions", "referrals")),
    "kit_issue": (("site", "product", "recipient", "supply", "resupply_reason", "training"), ()),
    "naloxone_use": (("site", "outcome", "administered_by", "ambulance_called"), ()),
}
PEOPLE_TYPES = ("contact", "kit_issue")

TABLES = """
CREATE TABLE IF NOT EXISTS coordinator_audit (
    entry {serial} NOT NULL PRIMARY KEY,
    at TEXT{c} NOT NULL,
    device_id TEXT{c} NOT NULL,
    action TEXT{c} NOT NULL,
    detail TEXT{c} NOT NULL
);
CREATE TABLE IF NOT EXISTS hub_rollup (
    type TEXT{c} NOT NULL,
    field TEXT{c} NOT NULL,
    day TEXT{c} NOT NULL,
    site TEXT{c} NOT NULL,
    value TEXT{c} NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (type, field, day, site, value)
){rowid};
CREATE TABLE IF NOT EXISTS hub_reach (
    client_code TEXT{c} NOT NULL PRIMARY KEY,
    first_day TEXT{c},
    kits BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS hub_reach_first_day ON hub_reach (first_day);
CREATE TABLE IF NOT EXISTS hub_people_months (
    month TEXT{c} NOT NULL,
    client_code TEXT{c} NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (month, client_code)
){rowid};
CREATE TABLE IF NOT EXISTS kit_uses (
    use_id TEXT{c} NOT NULL PRIMARY KEY,
    kit_id TEXT{c},
    day TEXT{c}
);
CREATE INDEX IF NOT EXISTS kit_uses_kit ON kit_uses (kit_id) WHERE kit_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS kit_uses_unread ON kit_uses (use_id) WHERE day IS NULL
"""
# The kits of a client code, and the high-risk contacts of a period, read from the index alone
# (the columns the service set reads are in it: INCLUDE on PostgreSQL, key columns on SQLite).
INDEXES = {
    "postgresql": (
        "CREATE INDEX IF NOT EXISTS facts_kit_code ON facts (client_code, day) "
        "INCLUDE (expiry, active, id) WHERE type = 'kit_issue'",
        "CREATE INDEX IF NOT EXISTS facts_high_risk ON facts (day) "
        "INCLUDE (area, risk_level, client_code, active) "
        "WHERE type = 'contact' AND risk_level IN ('high', 'very_high')",
    ),
    "sqlite": (
        "CREATE INDEX IF NOT EXISTS facts_kit_code "
        "ON facts (client_code, day, expiry, active, id) WHERE type = 'kit_issue'",
        "CREATE INDEX IF NOT EXISTS facts_high_risk "
        "ON facts (day, area, risk_level, client_code, active) "
        "WHERE type = 'contact' AND risk_level IN ('high', 'very_high')",
    ),
}
_KEY = "type, field, day, site, value"
_ROLLUP_UPSERT = f"ON CONFLICT ({_KEY}) DO UPDATE SET n = hub_rollup.n + excluded.n"
_PEOPLE_UPSERT = (
    "ON CONFLICT (month, client_code) DO UPDATE SET n = hub_people_months.n + excluded.n"
)


# -- SQLite: row triggers ---------------------------------------------------------------------


def _sqlite_cells(kind: str, row: str, sign: str) -> list[str]:
    """Statements adding `sign` × the `kind` facts row `row` (NEW or OLD) to the roll-up."""
    scalars, lists = FIELDS[kind]
    select = (
        f"SELECT {row}.type, c.field, {row}.day, coalesce({row}.site, ''), "
        f"coalesce(c.value, ''), {sign}"
    )
    # One statement per row: its scalar cells and its list values (a statement each had cost
    # a contact two more executions).
    cells = " UNION ALL ".join(
        [
            *(f"SELECT '{f}' AS field, {row}.{f} AS value" for f in scalars),
            *(f"SELECT '{f}', j.value FROM json_each({row}.{f}) j" for f in lists),
        ]
    )
    statements = [
        f"INSERT INTO hub_rollup ({_KEY}, n) {select} FROM ({cells}) c WHERE true {_ROLLUP_UPSERT}"
    ]
    if kind in PEOPLE_TYPES:
        statements.append(
            "INSERT INTO hub_people_months (month, client_code, n) "
            f"SELECT {row}.month, {row}.client_code, {sign} "
            f"WHERE {row}.client_code IS NOT NULL {_PEOPLE_UPSERT}"
        )
    if kind == "kit_issue":
        statements.append(_sqlite_reach(row, sign))
    if kind == "naloxone_use" and sign == "1":
        statements.append(
            f"INSERT INTO kit_uses (use_id) VALUES ({row}.id) ON CONFLICT (use_id) DO NOTHING"
        )
    return statements


def _sqlite_reach(row: str, sign: str) -> str:
    if sign == "1":
        return (
            "INSERT INTO hub_reach (client_code, first_day, kits) "
            f"SELECT {row}.client_code, {row}.day, 1 WHERE {row}.client_code IS NOT NULL "
            "ON CONFLICT (client_code) DO UPDATE SET first_day = CASE WHEN kits = 0 "
            "THEN excluded.first_day ELSE min(first_day, excluded.first_day) END, kits = kits + 1"
        )
    # The facts row is already inactive (or gone): the first active kit left, if any.
    return (
        "UPDATE hub_reach SET kits = kits - 1, first_day = (SELECT min(f.day) FROM facts f "
        f"WHERE f.type = 'kit_issue' AND f.client_code = {row}.client_code AND f.active = 1) "
        f"WHERE client_code = {row}.client_code"
    )


def _sqlite_triggers() -> list[str]:
    triggers = []
    for kind in FIELDS:
        events = (
            (
                "insert",
                f"AFTER INSERT ON facts WHEN NEW.type = '{kind}' AND NEW.active = 1",
                "NEW",
                "1",
            ),
            (
                "on",
                f"AFTER UPDATE OF active ON facts WHEN NEW.type = '{kind}' "
                "AND NEW.active = 1 AND OLD.active = 0",
                "NEW",
                "1",
            ),
            (
                "off",
                f"AFTER UPDATE OF active ON facts WHEN NEW.type = '{kind}' "
                "AND NEW.active = 0 AND OLD.active = 1",
                "NEW",
                "-1",
            ),
            (
                "delete",
                f"AFTER DELETE ON facts WHEN OLD.type = '{kind}' AND OLD.active = 1",
                "OLD",
                "-1",
            ),
        )
        for name, when, row, sign in events:
            body = "; ".join(_sqlite_cells(kind, row, sign))
            triggers.append(f"CREATE TRIGGER hub_rollup_{name}_{kind} {when} BEGIN {body}; END")
    return triggers


def _sqlite_backfill() -> list[str]:
    """The roll-up tables from the active facts of a hub made before this step."""
    statements = []
    for kind, (scalars, lists) in FIELDS.items():
        for field in scalars:
            statements.append(
                _grouped_insert(
                    f"SELECT type AS type, '{field}' AS field, day AS day, "
                    f"coalesce(site, '') AS site, "
                    f"coalesce({field}, '') AS value "
                    f"FROM facts WHERE type = '{kind}' AND active = 1"
                )
            )
        for field in lists:
            statements.append(
                _grouped_insert(
                    f"SELECT f.type AS type, '{field}' AS field, f.day AS day, "
                    f"coalesce(f.site, '') AS site, j.value AS value "
                    f"FROM facts f, json_each(f.{field}) j "
                    f"WHERE f.type = '{kind}' AND f.active = 1"
                )
            )
    return [*statements, *_people_backfill()]


def _grouped_insert(cells: str) -> str:
    return (
        f"INSERT INTO hub_rollup ({_KEY}, n) SELECT {_KEY}, count(*) FROM ({cells}) c "
        f"GROUP BY {_KEY} ORDER BY {_KEY}"
    )


def _people_backfill() -> list[str]:
    types = ", ".join(f"'{kind}'" for kind in PEOPLE_TYPES)
    return [
        "INSERT INTO hub_people_months (month, client_code, n) "
        "SELECT month, client_code, count(*) "
        f"FROM facts WHERE type IN ({types}) AND active = 1 AND client_code IS NOT NULL "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        "INSERT INTO hub_reach (client_code, first_day, kits) "
        "SELECT client_code, min(day), count(*) FROM facts "
        "WHERE type = 'kit_issue' AND active = 1 AND client_code IS NOT NULL GROUP BY 1",
        "INSERT INTO kit_uses (use_id) SELECT id FROM facts WHERE type = 'naloxone_use' "
        "ON CONFLICT (use_id) DO NOTHING",
    ]


# -- PostgreSQL: statement triggers over transition tables --------------------------------------

# The changed rows of a statement, each with its sign, per event.
_PG_SOURCES = {
    "insert": "SELECT r.*, 1 AS sgn FROM new_rows r WHERE r.active = 1",
    "update": "SELECT n.*, n.active - o.active AS sgn FROM new_rows n "
    "JOIN old_rows o ON o.fact = n.fact WHERE n.active <> o.active",
    "delete": "SELECT r.*, -1 AS sgn FROM old_rows r WHERE r.active = 1",
}


def _pg_cells() -> str:
    """Each changed row's cells: its scalar fields (one unnest of two arrays per type), then
    its list values."""
    fields, values, lists = [], [], []
    for kind, (scalars, list_fields) in FIELDS.items():
        names = ", ".join(f"'{field}'" for field in scalars)
        fields.append(f"WHEN '{kind}' THEN ARRAY[{names}]")
        values.append(f"WHEN '{kind}' THEN ARRAY[{', '.join(f's.{f}' for f in scalars)}]")
        for field in list_fields:
            lists.append(
                f"SELECT s.type, '{field}', s.day, coalesce(s.site, ''), x.value, s.sgn "
                f"FROM src s CROSS JOIN LATERAL unnest(s.{field}) x(value) "
                f"WHERE s.type = '{kind}'"
            )
    scalar = (
        "SELECT s.type, v.field, s.day, coalesce(s.site, ''), coalesce(v.value, ''), s.sgn "
        f"FROM src s CROSS JOIN LATERAL unnest(CASE s.type {' '.join(fields)} END, "
        f"CASE s.type {' '.join(values)} END) v(field, value)"
    )
    return " UNION ALL ".join([scalar, *lists])


def _pg_statements(source: str) -> list[str]:
    src = f"WITH src AS ({source}) "
    types = ", ".join(f"'{kind}'" for kind in PEOPLE_TYPES)
    return [
        f"{src}INSERT INTO hub_rollup ({_KEY}, n) SELECT {_KEY}, sum(sgn) FROM ({_pg_cells()}) "
        f"c({_KEY}, sgn) GROUP BY {_KEY} ORDER BY {_KEY} {_ROLLUP_UPSERT}",
        f"{src}INSERT INTO hub_people_months (month, client_code, n) "
        "SELECT month, client_code, sum(sgn) FROM src "
        f"WHERE type IN ({types}) AND client_code IS NOT NULL GROUP BY 1, 2 "
        f"ORDER BY 1, 2 {_PEOPLE_UPSERT}",
        f"{src}INSERT INTO hub_reach (client_code, first_day, kits) "
        "SELECT client_code, min(day), sum(sgn) FROM src WHERE type = 'kit_issue' "
        "AND client_code IS NOT NULL AND sgn > 0 GROUP BY 1 ORDER BY 1 "
        "ON CONFLICT (client_code) DO UPDATE SET first_day = CASE WHEN hub_reach.kits = 0 "
        "THEN excluded.first_day ELSE LEAST(hub_reach.first_day, excluded.first_day) END, "
        "kits = hub_reach.kits + excluded.kits",
        f"{src}INSERT INTO kit_uses (use_id) SELECT id FROM src WHERE type = 'naloxone_use' "
        "AND sgn > 0 ORDER BY 1 ON CONFLICT (use_id) DO NOTHING",
        f"{src}UPDATE hub_reach h SET kits = h.kits + d.n, first_day = (SELECT min(f.day) "
        "FROM facts f WHERE f.type = 'kit_issue' AND f.client_code = h.client_code "
        "AND f.active = 1) FROM (SELECT client_code, sum(sgn) AS n FROM src "
        "WHERE type = 'kit_issue' AND client_code IS NOT NULL AND sgn < 0 GROUP BY 1 "
        "ORDER BY 1) d WHERE h.client_code = d.client_code",
    ]


def _pg_triggers() -> list[str]:
    statements = []
    transitions = {
        "insert": "INSERT ON facts REFERENCING NEW TABLE AS new_rows",
        "update": "UPDATE ON facts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "DELETE ON facts REFERENCING OLD TABLE AS old_rows",
    }
    # Each event runs only the statements that can change something for it (each one planned
    # costs the batch ~1 ms): no reach decrements on insert, no kit-use queue on delete, and the
    # kit-use queue only when the statement wrote a naloxone use.
    wanted = {"insert": (0, 1, 2, 3), "update": (0, 1, 2, 3, 4), "delete": (0, 1, 4)}
    uses = (
        "IF EXISTS (SELECT 1 FROM new_rows WHERE type = 'naloxone_use') THEN\n        {};\n"
        "    END IF"
    )
    for event, source in _PG_SOURCES.items():
        steps = _pg_statements(source)
        parts = [uses.format(steps[i]) if i == 3 else steps[i] for i in wanted[event]]
        if event == "update":
            parts.insert(0, f"IF NOT EXISTS ({source}) THEN\n        RETURN NULL;\n    END IF")
        body = ";\n    ".join(parts)
        statements.append(
            f"CREATE OR REPLACE FUNCTION hub_rollup_{event}() RETURNS trigger "
            "LANGUAGE plpgsql AS $fn$\n"
            f"BEGIN\n    {body};\n    RETURN NULL;\nEND\n$fn$"
        )
        statements.append(
            f"CREATE TRIGGER hub_rollup_{event} AFTER {transitions[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION hub_rollup_{event}()"
        )
    return statements


def _pg_backfill() -> list[str]:
    """The insert trigger's statements over every active facts row."""
    return _pg_statements("SELECT f.*, 1 AS sgn FROM facts f WHERE f.active = 1")[:4]


def upgrade(conn: sa.Connection) -> None:
    """Idempotent, as every step (a hub whose ledger was lost runs them again): tables and
    indexes if missing, the roll-up recomputed from the facts, triggers replaced."""
    postgres = conn.dialect.name == "postgresql"
    columns = {column["name"] for column in sa.inspect(conn).get_columns("enrol_tokens")}
    if "role" not in columns:
        conn.exec_driver_sql(
            "ALTER TABLE enrol_tokens ADD COLUMN role TEXT"
            + (' COLLATE "C"' if postgres else "")
            + " DEFAULT 'worker' NOT NULL"
        )
    tables = TABLES.format(
        c=' COLLATE "C"' if postgres else "",
        serial="BIGSERIAL" if postgres else "INTEGER",
        rowid="" if postgres else " WITHOUT ROWID",
    )
    for statement in (*tables.split(";\n"), *INDEXES[conn.dialect.name]):
        conn.exec_driver_sql(statement)
    emptied = [f"DELETE FROM {table}" for table in ("hub_rollup", "hub_people_months", "hub_reach")]
    if postgres:
        dropped = [f"DROP TRIGGER IF EXISTS hub_rollup_{event} ON facts" for event in _PG_SOURCES]
        script = [*dropped, *emptied, *_pg_backfill(), *_pg_triggers()]
    else:
        dropped = [
            f"DROP TRIGGER IF EXISTS hub_rollup_{event}_{kind}"
            for kind in FIELDS
            for event in ("insert", "on", "off", "delete")
        ]
        script = [*dropped, *emptied, *_sqlite_backfill(), *_sqlite_triggers()]
    for statement in script:
        conn.exec_driver_sql(statement)
