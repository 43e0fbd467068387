"""Per-record cost of the record-type code every write path runs: decode + validate, projection.

The hub runs these for every record of every batch and the laptop for every save, so the
registry that dispatches them must not make them slower (issue 14: within 10%).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from bench.bench_store import make_records
from outreach.records import facts, record_to_dict
from outreach.records.validation import parse_record

ROUNDS = 7
COUNT = 20_000


def _best(label: str, work: Callable[[], Any], count: int) -> None:
    best = min(_timed(work) for _ in range(ROUNDS))
    print(f"{label}: {best / count * 1e6:.2f} µs a record (best of {ROUNDS})", flush=True)


def _timed(work: Callable[[], Any]) -> float:
    """CPU time of this process: the 2-core CI machine is shared, and wall time under load
    measures the neighbours."""
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    records = make_records(COUNT)
    dicts = [record_to_dict(record) for record in records]
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    _best("parse + validate", lambda: [parse_record(d, now=now) for d in dicts], COUNT)
    _best("project (laptop, SQLite hub)", lambda: [facts.project(r) for r in records], COUNT)
    _best("compact_row (PostgreSQL hub)", lambda: [facts.compact_row(r) for r in records], COUNT)


if __name__ == "__main__":
    main()
