"""Service dashboard refresh from a warm hub over loopback (budget ≤ 300 ms, issue 13).

A hub on SQLite filled by bench_service's load generator (BENCH_DASHBOARD_ROWS facts rows,
default 100,000, over three financial years), served by `outreach-hub serve` in its own process
on 127.0.0.1; a coordinator laptop (real SQLCipher store) enrolled with a coordinator code. One
refresh is what the dashboard's Whole-service scope does off the UI thread: the signed clock
check and GET of the year's commissioner set, keeping the answer in the encrypted store, and
reading it as the reports' CountSet. Warmed by one refresh, then 10 timed (median and worst),
for the dashboard's opening view (a month, March 2026) and for a financial year (FY2025-26).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import msgspec

from bench.bench_service import fill_sqlite
from bench.hub_process import hub_process, init_hub
from outreach.reports.countset import CountSet
from outreach.store.key_wrap import KdfParams
from outreach.store.session import create_store
from outreach.sync.enrolment import enrol
from outreach.sync.service_copy import service_view

BUDGET_MS = 300
QUICK_KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)  # throw-away store only
PERIODS = {"month": "2026-03-01..2026-03-31", "financial year": "2025-04-01..2026-03-31"}


def refresh(store: object, period: str) -> CountSet:
    view = service_view(store, period)  # type: ignore[arg-type]
    return CountSet.from_wire(msgspec.to_builtins(view.answer))


def main() -> None:
    rows = int(os.environ.get("BENCH_DASHBOARD_ROWS", "100000"))
    results: dict[str, tuple[list[float], CountSet]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "hub"
        url = f"sqlite:///{home / 'hub.db'}"
        home.mkdir()
        hub = init_hub(home, url)
        fill_sqlite(hub.engine, rows)
        with hub_process(home, url) as base:
            store, _ = create_store(
                Path(tmp) / "cora", "cora", "coordinator", "bench pass phrase 1", kdf=QUICK_KDF
            )
            try:
                enrol(store, hub.new_enrolment(base, label="bench", role="coordinator").text())
                for name, period in PERIODS.items():
                    refresh(store, period)  # warm: the hub's caches and this process's imports
                    times = []
                    for _ in range(10):
                        started = time.perf_counter()
                        counts = refresh(store, period)
                        times.append((time.perf_counter() - started) * 1000)
                    results[name] = times, counts
            finally:
                store.close()
    for name, (times, counts) in results.items():
        print(  # noqa: T201
            f"service dashboard refresh, {rows:,} hub rows, a {name} "
            f"({counts.headline('kits')} kits, published): median "
            f"{statistics.median(times):.0f} ms, worst {max(times):.0f} ms "
            f"(budget ≤ {BUDGET_MS} ms) — load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
