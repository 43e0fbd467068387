"""Stock on hand from the ledger: every stock movement record, summed by site, product and batch.

There is no stock table to drift out of step: on hand is always the opening balance (what purged
movements left, `stock_opening`; see `outreach.stock.opening`) plus the sum of active movements
(received, transfers in and returns add; issues, write-offs, recalls and transfers out take away;
a count adjustment carries its own sign).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from outreach.records import StockMovement
from outreach.store.connection import Connection

INCOMING = frozenset({"received", "returned", "transfer_in"})
OUTGOING = frozenset(
    {"issued", "written_off_expired", "written_off_damaged", "recalled", "transfer_out"}
)
ADJUSTMENT = "count_adjustment"


@dataclasses.dataclass(frozen=True, order=True)
class StockKey:
    """What a pack is, for stock purposes: where, which product, which batch and expiry."""

    site: str
    product: str
    batch: str
    expiry: dt.date

    @classmethod
    def of(cls, movement: StockMovement) -> StockKey:
        return cls(movement.site, movement.product, movement.batch, movement.expiry)


@dataclasses.dataclass(frozen=True)
class StockLine:
    key: StockKey
    quantity: int

    @property
    def site(self) -> str:
        return self.key.site

    @property
    def product(self) -> str:
        return self.key.product

    @property
    def batch(self) -> str:
        return self.key.batch

    @property
    def expiry(self) -> dt.date:
        return self.key.expiry


def signed(movement: str, quantity: int) -> int:
    """The change a movement makes to stock on hand."""
    if movement in OUTGOING:
        return -quantity
    return quantity  # incoming, or an adjustment that carries its own sign


_BALANCES = """
SELECT cs.value, cp.value, cb.value, ce.value, cm.value, g.n FROM (
  SELECT site, product, batch, expiry, movement, sum(quantity) AS n FROM fact_data
  WHERE type = (SELECT id FROM codes WHERE value = 'stock_movement') AND active = 1 {site}
  GROUP BY site, product, batch, expiry, movement
) g
JOIN codes cs ON cs.id = g.site JOIN codes cp ON cp.id = g.product
JOIN codes cb ON cb.id = g.batch JOIN codes ce ON ce.id = g.expiry
JOIN codes cm ON cm.id = g.movement
"""

# What purged movements left (migration 5, `outreach.stock.opening`), per line.
_OPENING = """
SELECT cs.value, cp.value, cb.value, ce.value, o.quantity FROM stock_opening o
JOIN codes cs ON cs.id = o.site JOIN codes cp ON cp.id = o.product
JOIN codes cb ON cb.id = o.batch JOIN codes ce ON ce.id = o.expiry
{site}
"""


def balances(conn: Connection, site: str | None = None) -> dict[StockKey, int]:
    """On hand per site/product/batch/expiry, including zero and (adjusted) negative lines:
    the opening balance left by purged movements plus the active movements on the device."""
    where = "AND site = (SELECT id FROM codes WHERE value = :site)" if site else ""
    totals: dict[StockKey, int] = defaultdict(int)
    for site_code, product, batch, expiry, movement, n in conn.execute(
        _BALANCES.format(site=where), {"site": site}
    ):
        key = StockKey(site_code, product, batch, dt.date.fromisoformat(expiry))
        totals[key] += signed(movement, int(n))
    opening_where = "WHERE cs.value = :site" if site else ""
    for site_code, product, batch, expiry, n in conn.execute(
        _OPENING.format(site=opening_where), {"site": site}
    ):
        key = StockKey(site_code, product, batch, dt.date.fromisoformat(expiry))
        totals[key] += int(n)
    return dict(totals)


def on_hand(conn: Connection, site: str | None = None) -> list[StockLine]:
    """Lines with stock (non-zero), soonest expiry first."""
    lines = [StockLine(key, n) for key, n in balances(conn, site).items() if n != 0]
    return sorted(lines, key=lambda line: (line.expiry, line.key))


def quantity_of(conn: Connection, key: StockKey) -> int:
    return balances(conn, key.site).get(key, 0)


def totals_by_product(lines: Iterable[StockLine]) -> dict[tuple[str, str], int]:
    """(site, product) → packs, over usable lines."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        totals[(line.site, line.product)] += line.quantity
    return dict(totals)


def use_first(lines: Iterable[StockLine], today: dt.date) -> dict[tuple[str, str], StockLine]:
    """(site, product) → the batch to hand out next: in stock, not expired, soonest expiry."""
    chosen: dict[tuple[str, str], StockLine] = {}
    for line in sorted(lines, key=lambda line: (line.expiry, line.key)):
        if line.quantity > 0 and line.expiry >= today:
            chosen.setdefault((line.site, line.product), line)
    return chosen


def first_expiry_first(
    conn: Connection, site: str, product: str, today: dt.date
) -> StockLine | None:
    """The batch to hand out next at `site` (first expiry, first out)."""
    return use_first(on_hand(conn, site), today).get((site, product))
