"""Hub CPU per batch with and without summary upkeep (issue 12), in one process.

The served benchmark (`bench_summaries`) compares batches/s, wall time on a machine shared
with other work; this one times the hub process's own CPU (`time.process_time`) storing the
same batches (`Hub.ingest`: open, check, store, receipt) into a fresh hub, with the upkeep on
and switched off (`bench_summaries.switch_off_upkeep`), alternated, best of three. On
PostgreSQL the server's CPU is not in the figure (it runs in its own process); the served
benchmark covers it. `BENCH_PROFILE=1` prints a cProfile of the upkeep run instead.

Budget: upkeep costs at most 25% of ingest throughput, i.e. CPU per batch with upkeep at most
1/0.75 of that without.
"""

from __future__ import annotations

import contextlib
import cProfile
import importlib
import os
import pstats
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench import bench_summaries as b
from bench.hub_process import init_hub, postgres_database
from outreach.hub import summaries as hub_summaries
from outreach.records import encode_record
from outreach.sync.envelope import raw_public, seal
from outreach.sync.protocol import EnrolRequest, b64e

BATCHES = int(os.environ.get("BENCH_SUMMARY_BATCHES", "60"))


def cpu_per_batch(home: Path, url: str, off: bool, seed: int, profile: bool = False) -> float:
    """Milliseconds of this process's CPU per batch of `PER_BATCH` records."""
    importlib.reload(hub_summaries)  # upkeep back on (a previous run may have switched it off)
    if off:
        b.switch_off_upkeep()
    hub = init_hub(home, url)
    key = Ed25519PrivateKey.generate()
    code = hub.new_enrolment("http://127.0.0.1")
    hub.enrol(EnrolRequest(code.token, "cpu", b64e(raw_public(key.public_key()))))
    made = b.records(BATCHES * b.PER_BATCH, b.codes(b.CODES), random.Random(seed))
    bodies = [encode_record(r) for r in made]
    envelopes = [
        seal(
            "cpu",
            [(n * b.PER_BATCH + i + 1, bodies[n * b.PER_BATCH + i]) for i in range(b.PER_BATCH)],
            hub.keys.kem.public_key(),
            key,
        )
        for n in range(BATCHES)
    ]
    for envelope in envelopes[:5]:  # warm up
        hub.ingest(envelope)
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for envelope in envelopes[5:]:
        hub.ingest(envelope)
    if profiler:
        profiler.disable()
        order = os.environ.get("BENCH_PROFILE_SORT", "cumulative")
        pstats.Stats(profiler).sort_stats(order).print_stats(40)
    spent = time.process_time() - started
    hub.engine.dispose()
    return spent * 1000 / (BATCHES - 5)


@contextlib.contextmanager
def _sqlite(home: Path) -> Iterator[str | None]:
    yield f"sqlite:///{home / 'hub.db'}"


def main() -> None:
    b.codes(b.CODES)  # made once, outside the timing
    backends: list[tuple[str, Callable[..., contextlib.AbstractContextManager[str | None]]]] = [
        ("SQLite", _sqlite),
        ("PostgreSQL", lambda home: postgres_database()),
    ]
    with tempfile.TemporaryDirectory() as root:
        for label, url_for in backends:
            if os.environ.get("BENCH_PROFILE"):
                with url_for(Path(root) / f"{label}-p") as url:
                    if url is None:
                        continue
                    cpu_per_batch(Path(root) / f"{label}-p", url, False, 0, profile=True)
                continue
            best = {True: float("inf"), False: float("inf")}
            for round_ in range(3):
                for off in (False, True):
                    home = Path(root) / f"{label}-{round_}-{off}"
                    home.mkdir()
                    with url_for(home) as url:
                        if url is None:
                            break
                        best[off] = min(best[off], cpu_per_batch(home, url, off, round_))
            cost = 1 - best[True] / best[False]
            print(
                f"{label} hub CPU per batch of {b.PER_BATCH} ({b.CODES:,} codes, in-process): "
                f"{best[True]:.2f} ms without upkeep, {best[False]:.2f} ms with: upkeep costs "
                f"{cost:.0%} of throughput (budget <= 25%; load {os.getloadavg()[0]:.1f})"
            )


if __name__ == "__main__":
    main()
