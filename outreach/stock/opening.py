"""Opening balances: what purged stock movements leave behind (issue 12, migration 5).

A retention purge deletes synced records older than the retention period, stock movements
included. Before it deletes them, `keep_opening_balances` adds their signed sum (active movements
only) to `stock_opening`, per site, product, batch and expiry, in the purge's transaction; stock on
hand is the opening balance plus the movements still on the device (`ledger.balances`). A line
whose purged movements net to zero keeps a row at 0, so its site still keeps a ledger.
"""

from __future__ import annotations

from collections import defaultdict

from outreach.stock.ledger import signed
from outreach.store.connection import Connection

# `+f.type`: read the purged prefix by seq, not every stock movement by the type index.
_PURGED_MOVEMENTS = """
SELECT f.site, f.product, f.batch, f.expiry, c.value, sum(f.quantity * f.active)
FROM fact_data f JOIN codes c ON c.id = f.movement
WHERE f.seq <= ? AND +f.type = (SELECT id FROM codes WHERE value = 'stock_movement')
GROUP BY 1, 2, 3, 4, 5
"""


def keep_opening_balances(conn: Connection, through: int) -> None:
    """Add the movements of records up to `through` (about to be purged) to the opening
    balances. A purge keeper (`outreach.store.companions`): runs inside the purge."""
    change: dict[tuple[int, int, int, int], int] = defaultdict(int)
    for site, product, batch, expiry, movement, n in conn.execute(_PURGED_MOVEMENTS, (through,)):
        change[(site, product, batch, expiry)] += signed(str(movement), int(n))
    conn.executemany(
        "INSERT INTO stock_opening (site, product, batch, expiry, quantity) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (site, product, batch, expiry) DO UPDATE SET quantity = quantity + "
        "excluded.quantity",
        [(*key, n) for key, n in change.items()],
    )
