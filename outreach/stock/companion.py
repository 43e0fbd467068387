"""The ledger's rules inside `Store.add` (DESIGN §3), run in the same transaction as the write.

* A kit issue at a site that keeps a ledger (has any stock movement, or an opening balance left
  by purged ones) writes the matching `issued`
  movement; voiding or correcting that kit issue voids the movement with it.
* Stock on hand never goes negative unless the same write carries an explicit count adjustment
  for that line. A refused write raises `StockError` and nothing is saved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from outreach.domain import ids
from outreach.domain.vocab import base_vocabulary
from outreach.errors import StockError
from outreach.records import KitIssue, Record, StockMovement, Void, decode_record, facts
from outreach.stock.ledger import ADJUSTMENT, StockKey, balances, signed
from outreach.stock.opening import keep_opening_balances
from outreach.store.companions import register_companion_writer, register_purge_keeper
from outreach.store.connection import Connection

_RELEVANT = (KitIssue, StockMovement, Void)


def ledger_companions(conn: Connection, records: Sequence[Record]) -> list[Record]:
    """Records to add alongside `records` (already inserted, not committed); may raise."""
    if not any(isinstance(record, _RELEVANT) or record.supersedes for record in records):
        return []
    if not _has_ledger(conn):
        return []  # no ledger anywhere on this device
    extras: list[Record] = []
    explicit = {r.kit_issue_id for r in records if isinstance(r, StockMovement) and r.kit_issue_id}
    for record in records:
        retired = facts.retired_id(record)
        if retired and _type_of(conn, retired) == "kit_issue":
            previous = _movement_for_kit(conn, retired)
            if previous is not None:
                extras.append(_void(previous, record))
        if (
            isinstance(record, KitIssue)
            and record.id not in explicit
            and _has_ledger(conn, record.site)
        ):
            extras.append(_issued(record))
    _check_not_negative(conn, [*records, *extras], extras)
    return extras


def _issued(kit: KitIssue) -> StockMovement:
    return StockMovement(
        id=ids.uuid7(),
        occurred_at=kit.occurred_at,
        recorded_by=kit.recorded_by,
        site=kit.site,
        product=kit.product,
        gtin=kit.gtin,
        batch=kit.batch,
        expiry=kit.expiry,
        quantity=1,
        movement="issued",
        reason="supplied_to_client",
        kit_issue_id=kit.id,
    )


def _void(movement_id: str, cause: Record) -> Void:
    reason = cause.reason if isinstance(cause, Void) else "entered_in_error"
    return Void(
        id=ids.uuid7(),
        occurred_at=cause.occurred_at,
        recorded_by=cause.recorded_by,
        target=movement_id,
        reason=reason,
    )


def _type_of(conn: Connection, record_id: str) -> str | None:
    row = conn.execute("SELECT type FROM records WHERE id = ?", (record_id,)).fetchone()
    return str(row[0]) if row else None


def _has_ledger(conn: Connection, site: str | None = None) -> bool:
    """Whether `site` (or any site) has a stock movement, or an opening balance left by purged
    ones: indexed look-ups."""
    sql = (
        "SELECT 1 FROM fact_data WHERE type = (SELECT id FROM codes WHERE value = 'stock_movement')"
    )
    opening = "SELECT 1 FROM stock_opening"
    if site is None:
        return any(conn.execute(q + " LIMIT 1").fetchone() for q in (sql, opening))
    where = " AND site = (SELECT id FROM codes WHERE value = ?) LIMIT 1"
    return any(conn.execute(q + where, (site,)).fetchone() for q in (sql, opening + " WHERE true"))


def _movement_for_kit(conn: Connection, kit_id: str) -> str | None:
    """The active `issued` movement written for a kit issue (same day, so an indexed look-up)."""
    rows = conn.execute(
        "SELECT r.body FROM fact_data f JOIN records r ON r.device_seq = f.seq "
        "WHERE f.type = (SELECT id FROM codes WHERE value = 'stock_movement') AND f.active = 1 "
        "AND f.day = (SELECT k.day FROM fact_data k JOIN records kr ON kr.device_seq = k.seq "
        "WHERE kr.id = ?)",
        (kit_id,),
    ).fetchall()
    for (body,) in rows:
        movement = decode_record(body)
        if isinstance(movement, StockMovement) and movement.kit_issue_id == kit_id:
            return movement.id
    return None


def _retired_movement(conn: Connection, record_id: str) -> tuple[StockKey, int] | None:
    """Key and signed quantity of a stock movement being voided or corrected."""
    row = conn.execute(
        "SELECT r.body FROM records r WHERE r.id = ? AND r.type = 'stock_movement'",
        (record_id,),
    ).fetchone()
    if row is None:
        return None
    movement = decode_record(row[0])
    if not isinstance(movement, StockMovement):
        return None
    return StockKey.of(movement), signed(movement.movement, movement.quantity)


def _check_not_negative(
    conn: Connection, batch: Sequence[Record], not_yet_written: Sequence[Record]
) -> None:
    """Refuse a write that takes a stock line below zero (or further below) without a count."""
    change: dict[StockKey, int] = defaultdict(int)
    pending: dict[StockKey, int] = defaultdict(int)
    adjusted: set[StockKey] = set()
    waiting = {record.id for record in not_yet_written}
    for record in batch:
        effects: list[tuple[StockKey, int]] = []
        if isinstance(record, StockMovement):
            effects.append((StockKey.of(record), signed(record.movement, record.quantity)))
            if record.movement == ADJUSTMENT:
                adjusted.add(StockKey.of(record))
        retired = facts.retired_id(record)
        if retired and (old := _retired_movement(conn, retired)) is not None:
            effects.append((old[0], -old[1]))
        for key, delta in effects:
            change[key] += delta
            if record.id in waiting:
                pending[key] += delta
    if not change:
        return
    now = balances(conn)
    for key, delta in sorted(change.items()):
        after = now.get(key, 0) + pending[key]
        if after < 0 and delta < 0 and key not in adjusted:
            vocab = base_vocabulary()
            raise StockError(
                f"not enough stock: {vocab.label('product', key.product)} batch {key.batch} "
                f"(expiry {key.expiry:%d %b %Y}) at "
                f"{vocab.label('site', key.site)} would go to {after}. Receive it first, or "
                "count the stock and record an adjustment."
            )


def register() -> None:
    """Install the ledger's rules in every `Store.add`, and its opening balances in every
    retention purge (call once at start-up; idempotent)."""
    register_companion_writer(ledger_companions)
    register_purge_keeper(keep_opening_balances)
