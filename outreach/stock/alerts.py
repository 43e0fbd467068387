"""Stock alerts: batches near or past expiry, and products below the site's minimum level.

Minimum levels are per site and product, kept in store meta (`stock.minimums`, JSON) because they
are settings, not events: they are not synced or counted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from outreach.errors import InvalidRecord
from outreach.stock.ledger import StockLine, on_hand, totals_by_product
from outreach.store.store import Store

EXPIRY_WARNING_DAYS = 60
_META_KEY = "stock.minimums"


@dataclasses.dataclass(frozen=True)
class Alert:
    kind: str  # "expired", "expiring" or "below_minimum"
    site: str
    product: str
    message: str
    batch: str | None = None
    quantity: int = 0


def minimums(store: Store) -> dict[tuple[str, str], int]:
    raw: dict[str, int] = json.loads(store.meta(_META_KEY, "{}") or "{}")
    levels: dict[tuple[str, str], int] = {}
    for key, n in raw.items():
        site, _, product = key.partition("|")
        levels[(site, product)] = int(n)
    return levels


def set_minimum(store: Store, site: str, product: str, minimum: int) -> None:
    """Set (or with 0 clear) the level below which a product at a site raises an alert."""
    if minimum < 0:
        raise InvalidRecord("a minimum cannot be below zero", field="minimum")
    levels = {f"{s}|{p}": n for (s, p), n in minimums(store).items()}
    levels.pop(f"{site}|{product}", None)
    if minimum:
        levels[f"{site}|{product}"] = minimum
    with store.transaction():
        store.set_meta(_META_KEY, json.dumps(levels, sort_keys=True))


def alerts(store: Store, today: dt.date, site: str | None = None) -> list[Alert]:
    """Expired and soon-expiring batches in stock, then products below their minimum."""
    lines = on_hand(store.conn, site)
    found = [alert for line in lines if (alert := _expiry_alert(line, today))]
    totals = totals_by_product(line for line in lines if line.expiry >= today)
    for (where, product), minimum in sorted(minimums(store).items()):
        if site is not None and where != site:
            continue
        have = totals.get((where, product), 0)
        if have < minimum:
            found.append(
                Alert(
                    "below_minimum",
                    where,
                    product,
                    f"{have} usable in stock, minimum {minimum}",
                    quantity=have,
                )
            )
    return found


def _expiry_alert(line: StockLine, today: dt.date) -> Alert | None:
    if line.quantity <= 0:
        return None
    days = (line.expiry - today).days
    if days < 0:
        return Alert(
            "expired",
            line.site,
            line.product,
            f"expired on {line.expiry:%d %b %Y}: write it off",
            line.batch,
            line.quantity,
        )
    if days <= EXPIRY_WARNING_DAYS:
        return Alert(
            "expiring",
            line.site,
            line.product,
            f"expires in {days} days ({line.expiry:%d %b %Y}): use first",
            line.batch,
            line.quantity,
        )
    return None
