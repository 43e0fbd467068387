"""Migration 8 (2026-12-02; issue 15 item 2, branch followups): an index
for the Follow-ups due list over the pulled client summaries.

Only summaries that hold overdoses are indexed (a partial index: the msgpack key `overdoses`,
bytes A9 'overdoses', is in a body exactly when the list is not empty), by the day last active,
so the list reads a few rows instead of decrypting the whole table (50,000 codes: a full scan
took 49 ms median under load 9) and a pull pays for an index entry only on those few codes.

And the roll-up again, with the new `follow_up` type's counted fields (site, outcome): the
fields of migration 7 plus those, as of this day.
"""

from __future__ import annotations

from outreach.store import rollup
from outreach.store.connection import Connection
from outreach.store.migrations import m0006_overdose
from outreach.store.migrations.script import run_script

FIELDS = rollup.RollupFields(
    counted={**m0006_overdose.FIELDS.counted, "follow_up": ("site", "outcome")},
    items=m0006_overdose.FIELDS.items,
)

SQL = """
CREATE INDEX summaries_with_overdoses ON summaries (last_active)
  WHERE instr(body, X'a96f766572646f736573') > 0;
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
    rollup.install(conn, FIELDS)
