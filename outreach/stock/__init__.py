"""The pharmacy stock ledger: movements, stock on hand, alerts (DESIGN §3). No Qt here."""

from outreach.stock.alerts import Alert, alerts, minimums, set_minimum
from outreach.stock.ledger import (
    StockKey,
    StockLine,
    first_expiry_first,
    on_hand,
    quantity_of,
    use_first,
)
from outreach.stock.operations import (
    issue,
    receive,
    receive_scan,
    record_count,
    return_to_stock,
    transfer,
    write_off,
)

__all__ = [
    "Alert",
    "StockKey",
    "StockLine",
    "alerts",
    "first_expiry_first",
    "issue",
    "minimums",
    "on_hand",
    "quantity_of",
    "receive",
    "receive_scan",
    "record_count",
    "return_to_stock",
    "set_minimum",
    "transfer",
    "use_first",
    "write_off",
]
