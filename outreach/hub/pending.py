"""Records an older hub stored but had not projected yet (`pending_facts`), projected once.

Earlier hubs projected after the receipt, from this queue; records are now projected in the
transaction that stores them. A hub upgraded with records still queued projects them once its
migrations have run (`Hub.upgrade`), with today's projection: it writes today's facts columns,
which exist only after the last step. Never at count time.
"""

from __future__ import annotations

import sqlalchemy as sa

from outreach.hub import pg_store
from outreach.hub.projection import Projected, project
from outreach.hub.sql import Sql
from outreach.records import decode_record

CHUNK = 2000


def project_pending(engine: sa.Engine, sql: Sql) -> int:
    """Project the queued records, a chunk per transaction; returns how many."""
    done = 0
    waiting = "SELECT id FROM pending_facts LIMIT ?"
    while True:
        with engine.connect() as conn:
            rows = sql.rows(conn, f"SELECT id, body FROM records WHERE id IN ({waiting})", (CHUNK,))
        if not rows:
            return done
        new = [Projected(decode_record(bytes(body)), compact=sql.postgres) for _, body in rows]
        with engine.begin() as conn:
            sql.projection_lock(conn, exclusive=True)
            where, params = sql.in_list("id", [item.record.id for item in new])
            deleted = sql.rows(
                conn, f"DELETE FROM pending_facts WHERE {where} RETURNING id", params
            )
            claimed = {row[0] for row in deleted}
            mine = [item for item in new if item.record.id in claimed]
            if sql.postgres:
                pg_store.project(conn, mine)
            else:
                project(sql, conn, mine)
        done += len(mine)
