"""Running a migration's SQL inside the runner's transaction."""

from __future__ import annotations

from outreach.store.connection import Connection


def run_script(conn: Connection, script: str) -> None:
    """Statement by statement: `executescript` would commit the migration's transaction early."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)
