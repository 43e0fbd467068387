"""Encrypted vs plain SQLite on the same engine: bulk insert, grouped counts, save latency, unlock.

`BENCH_RECORDS` (default 1,000,000) scales the bulk part down for a quick look.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlcipher3

from outreach.domain import ids
from outreach.records import Contact, KitIssue, Record
from outreach.stock.companion import register
from outreach.store.connection import CACHE_KIB, Connection, open_encrypted
from outreach.store.counts import counts
from outreach.store.migrations import migrate
from outreach.store.session import create_store, unlock_store
from outreach.store.store import Store

PASSPHRASE = "benchmark passphrase"
BATCH = 10_000
PRODUCTS = ("prenoxad_2mg_syringe", "nyxoid_1_8mg_nasal")
RECIPIENTS = ("person_at_risk", "family_friend", "carer", "service_worker")
SETTINGS = ("street", "hostel", "pharmacy", "prison_release")
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def make_records(count: int, seed: int = 1) -> list[Record]:
    """Realistic mix: two kit issues for every contact, spread over a year."""
    rng = random.Random(seed)
    records: list[Record] = []
    for index in range(count):
        when = START + dt.timedelta(minutes=index * 525_600 // max(count, 1))
        common = {"id": ids.uuid7(), "occurred_at": when, "recorded_by": "bench"}
        if index % 3 == 0:
            records.append(
                Contact(
                    **common,
                    site="outreach_van",
                    area=f"LS{rng.randint(1, 29)}",
                    setting=rng.choice(SETTINGS),
                    substances=("heroin", "crack")[: rng.randint(1, 2)],
                    risk_factors=("using_alone",),
                )
            )
        else:
            supply = rng.choice(("first", "repeat"))
            records.append(
                KitIssue(
                    **common,
                    site="outreach_van",
                    product=rng.choice(PRODUCTS),
                    batch=f"B{rng.randint(1, 40)}",
                    expiry=dt.date(2028, 1, 31),
                    recipient=rng.choice(RECIPIENTS),
                    supply=supply,
                    resupply_reason="used_on_other" if supply == "repeat" else None,
                    training="full",
                )
            )
    return records


def open_plain(path: Path) -> Connection:
    """The same engine and pragmas, without a key: the baseline for the ratio."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    for pragma in (
        f"cache_size = -{CACHE_KIB}",
        "journal_mode = WAL",
        "synchronous = FULL",
        "temp_store = MEMORY",
        "secure_delete = ON",
    ):
        conn.execute(f"PRAGMA {pragma}").fetchall()
    return conn


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bulk(store: Store, records: list[Record]) -> float:
    def insert() -> None:
        for start in range(0, len(records), BATCH):
            store.add(records[start : start + BATCH])

    return timed(insert)


def grouped_counts(store: Store, by: list[str]) -> float:
    """Best of 3 over all records: a cross of two fields reads the fact rows, one field the
    daily roll-up."""
    span = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    return min(timed(lambda: counts(store.conn, by, *span)) for _ in range(3))


def main() -> None:
    register()  # the ledger joins Store.add, as in the app (outreach.store.companions)
    total = int(os.environ.get("BENCH_RECORDS", "1000000"))
    print(f"records: {total:,}")
    records = make_records(total)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        key = os.urandom(32)
        encrypted = open_encrypted(root / "enc.db", key, create=True)
        plain = open_plain(root / "plain.db")
        results = {}
        for name, conn in (("plain", plain), ("encrypted", encrypted)):
            migrate(conn, None)
            store = Store(conn, None, "bench", "worker")
            insert_s = bulk(store, records)
            count_s = grouped_counts(store, ["product", "recipient"])
            rollup_s = grouped_counts(store, ["product"])
            results[name] = (insert_s, count_s)
            print(
                f"{name:9s} insert {insert_s:7.2f} s ({total / insert_s:,.0f}/s)   "
                f"counts by product,recipient {count_s * 1000:7.1f} ms   "
                f"by product (roll-up) {rollup_s * 1000:5.1f} ms"
            )
            store.close()
        print(
            f"ratio encrypted/plain: insert {results['encrypted'][0] / results['plain'][0]:.2f}x, "
            f"counts {results['encrypted'][1] / results['plain'][1]:.2f}x (budget 1.3x)"
        )

        data_dir = root / "latency"
        store, _ = create_store(data_dir, "bench", "worker", PASSPHRASE)
        form = {
            "type": "contact",
            "site": "outreach_van",
            "area": "LS6",
            "setting": "street",
            "substances": ["heroin"],
            "risk_factors": ["using_alone"],
        }
        latencies = sorted(timed(lambda: store.add_new(form)) for _ in range(1000))
        store.close()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(
            f"save one contact (validate, encrypt, fsync): p50 {p50:.2f} ms, p99 {p99:.2f} ms "
            "(budget p99 5 ms)"
        )
        unlock_s = min(
            timed(lambda: unlock_store(data_dir, "bench", PASSPHRASE).close()) for _ in range(3)
        )
        print(f"unlock (Argon2id 64 MiB, calibrated): {unlock_s:.2f} s (budget 0.1-1 s)")
