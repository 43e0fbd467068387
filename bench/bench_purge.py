"""The retention purge that keeps the books (issue 12) against the plain delete it replaced.

A real encrypted store of a year's records (`bench_store`'s mix of contacts and kit issues at a
van that keeps a ledger, so each kit issue also writes its stock movement), all acked by the hub
(the watermark is set directly: the hub is not what is measured). Then:

* the first purge of 11 months (what a device purges on its first sync after a long time), timed
  against a copy of the same store where the same prefix is deleted as the purge did before:
  a plain `DELETE` whose cascade the roll-up triggers follow;
* the everyday purge: one more day of records, as every sync ends with.

Budget: each no slower than 1.25x the plain delete it replaced (the delete itself, with
`secure_delete` and the cascade into the fact rows, is most of the time), and the everyday purge
inside the 1 s a day's sync may take.

`BENCH_PURGE_RECORDS` (default 100,000) sets the size.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.bench_store import PRODUCTS, START, make_records
from outreach.domain import ids
from outreach.records import StockMovement
from outreach.stock.companion import register
from outreach.store.session import create_store, unlock_store
from outreach.store.store import Store
from outreach.store.vault import KdfParams
from outreach.sync import outbox, state

KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
PASSPHRASE = "bench passphrase"
RETENTION = 30
FIRST = START + dt.timedelta(days=365)  # "now" for the first purge: 11 months go
BUDGET_DAY_MS = 1000
BUDGET_RATIO = 1.25


def _receipts() -> list[StockMovement]:
    """Enough packs of every batch `make_records` issues, received the day before."""
    return [
        StockMovement(
            id=ids.uuid7(),
            occurred_at=START - dt.timedelta(days=1),
            recorded_by="bench",
            site="outreach_van",
            product=product,
            batch=f"B{batch}",
            expiry=dt.date(2028, 1, 31),
            quantity=10_000,
            movement="received",
            reason="delivery",
        )
        for product in PRODUCTS
        for batch in range(1, 41)
    ]


def build(data: Path, total: int) -> None:
    store, _ = create_store(data, "bench", "coordinator", PASSPHRASE, KDF)
    with store:
        store.add(_receipts())
        records = make_records(total)
        for start in range(0, total, 10_000):
            store.add(records[start : start + 10_000])
        with store.transaction():
            store.set_meta(state.ACKED, str(store.last_seq()))


def timed_purge(store: Store, now: dt.datetime) -> tuple[float, int]:
    started = time.perf_counter()
    count = outbox.purge_synced(store, RETENTION, now=now)
    return time.perf_counter() - started, count


def plain_delete(store: Store, through: int) -> float:
    """What the purge did before issue 12: the cascade took the roll-up cells with it."""
    started = time.perf_counter()
    with store.transaction() as conn:
        conn.execute("DELETE FROM records WHERE device_seq <= ?", (through,))
    return time.perf_counter() - started


def main() -> None:
    register()
    total = int(os.environ.get("BENCH_PURGE_RECORDS", "100000"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root / "a", total)
        shutil.copytree(root / "a", root / "b")
        with unlock_store(root / "a", "bench", PASSPHRASE) as store:
            first, count = timed_purge(store, FIRST)
            day, day_count = timed_purge(store, FIRST + dt.timedelta(days=1))
            ends = [row[0] for row in store.conn.execute("SELECT through_seq FROM purges")]
        with unlock_store(root / "b", "bench", PASSPHRASE) as store:
            plain = plain_delete(store, ends[0])
            plain_day = plain_delete(store, ends[1])
    print(f"store: {total:,} records over a year (+ their stock movements), all acked")
    print(
        f"first purge of 11 months ({count:,} records): {first:.2f} s; plain delete of the "
        f"same prefix (before issue 12): {plain:.2f} s = {first / plain:.2f}x "
        f"(budget <= {BUDGET_RATIO:.2f}x)"
    )
    print(
        f"everyday purge of one day ({day_count:,} records): {day * 1000:.0f} ms "
        f"(budget < {BUDGET_DAY_MS} ms); plain delete of the same: {plain_day * 1000:.0f} ms "
        f"= {day / plain_day:.2f}x (budget <= {BUDGET_RATIO:.2f}x)"
    )
