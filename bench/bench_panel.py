"""Client panel look-up: p99 ≤ 5 ms on a store holding 50,000 summaries + 100,000 own records.

The look-up is the one the forms run on the store thread when a code is entered
(`outreach.ui.client_history.load_client_history`): the hub's summary by primary key, the
device's own records for the code after the last pull, their use reports, and voids made since.
The store is a real encrypted one made by `create_store`, filled through `Store.add` (the ledger
and facts as in the app); the first 90 % of its records are covered by a hub receipt received
before the summaries were pulled (as after a sync), the rest are unsynced. Codes are looked up at
random: most have summaries and own records, some only one of them, some neither.

`BENCH_PANEL_SCALE` (default 1.0) scales both sizes down for a quick look.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from outreach.domain import ids
from outreach.domain.client_code import make_client_code
from outreach.records import Contact, KitIssue, Record
from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.stock.companion import register
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.store.summaries import SummaryChange, put_summaries
from outreach.sync import state
from outreach.ui.client_history import load_client_history

BUDGET_MS = 5.0
SUMMARIES = 50_000
OWN = 100_000
LOOKUPS = 2_000
BATCH = 5_000
START = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
HUB = "f" * 64


def codes(count: int) -> list[str]:
    key = b"bench panel service key 32 bytes"
    day = dt.date(1950, 1, 1)
    return [
        make_client_code(key, "AB", day + dt.timedelta(days=n // 3), "MFX"[n % 3])
        for n in range(count)
    ]


def summary(code: str, rng: random.Random) -> ClientSummary:
    last = dt.date(2026, 11, 1) - dt.timedelta(days=rng.randint(0, 300))
    return ClientSummary(
        client_code=code,
        first_seen=last - dt.timedelta(days=rng.randint(0, 400)),
        contacts_total=rng.randint(1, 30),
        contacts_12m=rng.randint(0, 12),
        last_contact=last,
        last_contact_area=f"LS{rng.randint(1, 29)}",
        kits_total=rng.randint(0, 6),
        last_kit=last,
        last_kit_product="nyxoid_1_8mg_nasal",
        last_kit_expiry=dt.date(2028, 3, 31),
        held_kit_expiries=(dt.date(2028, 3, 31),) * rng.randint(0, 3),
        risk_level=rng.choice(("low", "raised", "high", "very_high")),
        risk_reasons=("previous_overdose", "using_alone"),
        sticky=(StickyFactor("previous_overdose", last),),
        open_referrals=("R-ABCD-EFGH",),
    )


def own_records(pool: list[str], count: int, rng: random.Random) -> list[Record]:
    """A contact then a kit, alternately, for codes drawn from `pool` over a year."""
    records: list[Record] = []
    for index in range(count):
        when = START + dt.timedelta(minutes=index * 525_600 // count)
        common = {
            "id": ids.uuid7(),
            "occurred_at": when,
            "recorded_by": "bench",
            "client_code": rng.choice(pool),
        }
        if index % 2:
            records.append(
                KitIssue(
                    **common,
                    site="outreach_van",
                    product="prenoxad_2mg_syringe",
                    batch=f"B{rng.randint(1, 40)}",
                    expiry=dt.date(2029, 1, 31),
                    recipient="person_at_risk",
                    supply="first",
                    training="full",
                )
            )
        else:
            records.append(
                Contact(
                    **common,
                    site="outreach_van",
                    area=f"LS{rng.randint(1, 29)}",
                    setting="street",
                    substances=("heroin",),
                    risk_factors=("using_alone", "previous_overdose")[: rng.randint(1, 2)],
                )
            )
    return records


def fill(store: Store, summaries: int, own: int, rng: random.Random) -> list[str]:
    """Summaries for the first `summaries` codes; own records for codes overlapping them (and
    some the service has not heard of); returns every code that may be looked up."""
    pool = codes(summaries + summaries // 5)
    known = pool[:summaries]
    started = time.perf_counter()
    for start in range(0, summaries, BATCH):
        page = [
            SummaryChange(c, start + i + 1, summary(c, rng))
            for i, c in enumerate(known[start : start + BATCH])
        ]
        put_summaries(store, page, hub=HUB, after=start, through=start + len(page))
    print(f"  {summaries:,} summaries put in {time.perf_counter() - started:.1f} s")
    own_pool = pool[summaries // 2 :]  # half the known codes, and the unknown ones
    records = own_records(own_pool, own, rng)
    started = time.perf_counter()
    for start in range(0, own, BATCH):
        store.add(records[start : start + BATCH])
    print(f"  {own:,} own records added in {time.perf_counter() - started:.1f} s")
    synced = store.last_seq() * 9 // 10
    pulled = dt.datetime.now(dt.UTC)
    with store.transaction() as conn:  # a receipt received before the pull, as after a sync
        conn.execute(
            "INSERT INTO receipts (batch_id, received_at, acked_through, accepted, quarantined, "
            "body) VALUES (?, ?, ?, ?, 0, x'')",
            (
                ids.uuid7(),
                (pulled - dt.timedelta(seconds=5)).isoformat(timespec="seconds"),
                synced,
                synced,
            ),
        )
        store.set_meta(state.ACKED, str(synced))
    put_summaries(store, [], hub=HUB, after=summaries, through=summaries, as_of=pulled)
    return pool


def main() -> None:
    register()
    scale = float(os.environ.get("BENCH_PANEL_SCALE", "1.0"))
    summaries, own = int(SUMMARIES * scale), int(OWN * scale)
    rng = random.Random(12)
    print(f"store: {summaries:,} summaries + {own:,} own records (encrypted); load: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        store, _ = create_store(Path(tmp) / "data", "bench", "worker", "benchmark passphrase")
        started = time.perf_counter()
        pool = fill(store, summaries, own, rng)
        print(f"filled in {time.perf_counter() - started:.1f} s")
        today = dt.date(2026, 12, 2)
        for code in rng.sample(pool, 50):  # warm the page cache as a day's use would
            load_client_history(store, code, today)
        times, cpu = [], []
        for code in (rng.choice(pool) for _ in range(LOOKUPS)):
            begun, begun_cpu = time.perf_counter(), time.thread_time()
            load_client_history(store, code, today)
            cpu.append((time.thread_time() - begun_cpu) * 1000)
            times.append((time.perf_counter() - begun) * 1000)
        store.close()
    print(f"load after: {load()}")
    report("client panel look-up", times)
    report("  the same, CPU time of the look-up's thread (no waiting for a core)", cpu)


def report(what: str, times: list[float]) -> None:
    times = sorted(times)
    p99 = times[int(len(times) * 0.99) - 1]
    print(
        f"{what} ({len(times):,} codes): median {statistics.median(times):.2f} ms, "
        f"p99 {p99:.2f} ms, max {times[-1]:.2f} ms (budget p99 <= {BUDGET_MS:.0f} ms)"
        + ("" if p99 <= BUDGET_MS else "  OVER BUDGET")
    )


def load() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"
