"""Client summaries (issue 12): what keeping them costs the hub and pulling them a device.

1. Hub ingest with and without summary upkeep: `DEVICES` devices upload batches of 100 records
   (contacts and kits, each for one of `CODES` client codes, so codes recur as people do) to
   `outreach-hub serve` (one worker, its own process; uploads as in bench_hub), a fresh hub
   per run, runs alternated and the best of each kept (the machine is shared). Without: the
   served process switches the upkeep off (`switch_off_upkeep`, the only place that does).
   Budget: upkeep costs at most 25% of batches/s.
2. A device pulls 50,000 summaries from a hub served by `outreach-hub serve` (its own process)
   into a real encrypted store: seconds and bytes on the wire (budget ≤ 2 s, ≤ 10 MB); then
   deltas of 500 and 5,000 changed codes (proportional to the change).
3. `service_summary` on that store: p99 of 2,000 look-ups (budget ≤ 5 ms).

`BENCH_SUMMARY_BATCHES` (default 60) sets the batches per ingest run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.bench_hub import WARM_UP, upload_all
from bench.hub_process import _free_port, hub_process, init_hub, postgres_database
from outreach.domain import ids
from outreach.domain.client_code import make_client_code
from outreach.hub import summaries as hub_summaries
from outreach.hub.service import Hub
from outreach.records import Contact, KitIssue, Record, encode_record
from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.records.summarise import last_active
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.store.summaries import service_summary
from outreach.store.vault import KdfParams
from outreach.sync import state
from outreach.sync.enrolment import enrol
from outreach.sync.envelope import raw_public, seal
from outreach.sync.protocol import EnrolRequest, b64e
from outreach.sync.summary_pull import pull_summaries
from outreach.sync.transport import DEFAULT_POLICY, make_client

KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
# Codes a batch's records are drawn from: the 50,000 a device pulls below (a large service).
# With 5,000, four devices uploading at once touched the same codes in most pairs of batches,
# and PostgreSQL's per-code locks serialised them (75% cost on 2026-12-02, docs/benchmarks.md).
CODES = 50_000
DEVICES = 4
PER_BATCH = 100
PULLED = 50_000
START = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
_KEY = b"bench-service-key-32-bytes-long!"


@functools.cache
def codes(count: int) -> list[str]:
    """Distinct valid codes: initials and days of birth over 1940-2005 (23,000 days)."""
    day = dt.date(1940, 1, 1)
    initials = ("AB", "CD", "EF", "GH")
    return [
        make_client_code(_KEY, initials[n // 23_000], day + dt.timedelta(days=n % 23_000), "m")
        for n in range(count)
    ]


def records(count: int, pool: list[str], rng: random.Random) -> list[Record]:
    made: list[Record] = []
    for n in range(count):
        when = START + dt.timedelta(minutes=n)
        code = rng.choice(pool)
        if n % 3:
            made.append(
                Contact(
                    id=ids.uuid7(),
                    occurred_at=when,
                    recorded_by="bench",
                    site="outreach_van",
                    area=f"LS{n % 29 + 1}",
                    setting="street",
                    client_code=code,
                    substances=("heroin",),
                    risk_factors=("using_alone", "previous_overdose")[: n % 2 + 1],
                )
            )
        else:
            made.append(
                KitIssue(
                    id=ids.uuid7(),
                    occurred_at=when,
                    recorded_by="bench",
                    site="outreach_van",
                    product="nyxoid_1_8mg_nasal",
                    batch="AB12",
                    expiry=dt.date(2028, 3, 31),
                    recipient="person_at_risk",
                    supply="first",
                    training="full",
                    client_code=code,
                )
            )
    return made


def switch_off_upkeep() -> None:
    """The hub without summary upkeep, for the comparison only (run in the served hub's
    process by `_served`)."""
    hub_summaries.upkeep_sqlite = lambda *a, **k: 0  # type: ignore[assignment]
    hub_summaries.inputs_call = lambda records: ("SELECT NULL WHERE false", ())  # type: ignore[assignment]
    hub_summaries.changes = lambda *a, **k: []  # type: ignore[assignment]


@contextlib.contextmanager
def _served(home: Path, url: str, off: bool) -> Iterator[str]:
    """`outreach-hub serve` in its own process (one worker), upkeep switched off if `off`."""
    port = _free_port()
    code = (
        "import bench.bench_summaries as b; b.switch_off_upkeep(); " if off else ""
    ) + "from outreach.hub.cli import main; raise SystemExit(main())"
    args = ["--home", str(home), "--db", url, "serve", "--port", str(port), "--rate", "0"]
    process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=Path(__file__).parents[1])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("hub did not start")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def ingest_rate(root: Path, url: str, batches: int, off: bool, seed: int) -> float:
    """Batches/s of `DEVICES` devices uploading at once to a served hub (as bench_hub)."""
    hub = init_hub(root, url)
    pool = codes(CODES)
    per_device = []
    for index in range(DEVICES):
        key = Ed25519PrivateKey.generate()
        device_id = f"bench-{index}"
        code = hub.new_enrolment("http://127.0.0.1")
        hub.enrol(EnrolRequest(code.token, device_id, b64e(raw_public(key.public_key()))))
        made = records(batches * PER_BATCH, pool, random.Random(seed * 100 + index))
        bodies = [encode_record(r) for r in made]
        per_device.append(
            [
                seal(
                    device_id,
                    [(b * PER_BATCH + i + 1, bodies[b * PER_BATCH + i]) for i in range(PER_BATCH)],
                    hub.keys.kem.public_key(),
                    key,
                )
                for b in range(batches)
            ]
        )
    errors: list[str] = []
    with _served(root, url, off) as served:
        upload_all(served, [envelopes[:WARM_UP] for envelopes in per_device], errors)
        started = time.perf_counter()
        upload_all(served, [envelopes[WARM_UP:] for envelopes in per_device], errors)
        elapsed = time.perf_counter() - started
    hub.engine.dispose()
    assert not errors, errors[:3]
    return DEVICES * (batches - WARM_UP) / elapsed


def ingest(root: Path, label: str, url_for: Any, batches: int) -> None:
    best = {True: 0.0, False: 0.0}
    for round_ in range(3):
        for off in (False, True):
            with url_for(root / f"{label}-{round_}-{off}") as url:
                rate = ingest_rate(root / f"{label}-{round_}-{off}", url, batches, off, round_)
            best[off] = max(best[off], rate)
    cost = 1 - best[False] / best[True]
    print(
        f"{label} ingest, {DEVICES} devices x {batches - WARM_UP} batches of {PER_BATCH} "
        f"(contacts and kits, {CODES:,} codes), served hub, one worker: "
        f"{best[True]:,.0f} batches/s without upkeep, {best[False]:,.0f} with: "
        f"upkeep costs {cost:.0%} (budget <= 25%)"
    )


def summaries(count: int, pool: list[str]) -> list[ClientSummary]:
    rng = random.Random(7)
    made = []
    for code in pool[:count]:
        last = dt.date(2026, 11, 1) - dt.timedelta(days=rng.randrange(400))
        made.append(
            ClientSummary(
                client_code=code,
                first_seen=last - dt.timedelta(days=rng.randrange(900)),
                contacts_total=rng.randrange(1, 40),
                contacts_12m=rng.randrange(0, 12),
                last_contact=last,
                last_contact_area=f"LS{rng.randrange(1, 30)}",
                kits_total=rng.randrange(0, 4),
                last_kit=last - dt.timedelta(days=rng.randrange(60)),
                last_kit_product="nyxoid_1_8mg_nasal",
                last_kit_expiry=dt.date(2028, 3, 31),
                held_kit_expiries=(dt.date(2028, 3, 31),),
                risk_level=rng.choice(("low", "raised", "high", "very_high")),
                risk_reasons=("previous_overdose", "using_alone")[: rng.randrange(3)],
                sticky=(StickyFactor("previous_overdose", last),) if rng.random() < 0.3 else (),
            )
        )
    return made


def put(hub: Hub, found: list[ClientSummary]) -> None:
    encode = msgspec.msgpack.Encoder().encode
    changes = [
        hub_summaries.Change(s.client_code, encode(s), last_active(s).isoformat()) for s in found
    ]
    with hub.engine.begin() as conn:
        for start in range(0, len(changes), 5000):
            part = changes[start : start + 5000]
            if hub.sql.postgres:
                hub.sql.cursor(conn).execute(*hub_summaries.put_call(part))
            else:
                hub_summaries.put_sqlite(hub.sql, conn, part)


def timed_pull(store: Store) -> tuple[float, int]:
    ident = state.identity(store)
    wire = 0

    def count(response: httpx.Response) -> None:
        nonlocal wire
        response.read()
        wire += len(response.content) + sum(len(k) + len(v) + 4 for k, v in response.headers.raw)

    with make_client(ident.hub.url, None, DEFAULT_POLICY) as client:
        client.event_hooks["response"] = [count]
        started, cpu = time.perf_counter(), time.process_time()
        pull_summaries(store, client, ident)
        timed_pull.cpu = time.process_time() - cpu  # type: ignore[attr-defined]
        return time.perf_counter() - started, wire


def pull(root: Path, url: str, label: str) -> None:
    hub = init_hub(root / "hub", url)
    pool = codes(PULLED)
    found = summaries(PULLED, pool)
    put(hub, found)
    with hub_process(root / "hub", url) as served:
        store, _ = create_store(root / "dev", "bench", "worker", "bench passphrase", KDF)
        with store:
            enrol(store, hub.new_enrolment(served).text())
            seconds, wire = timed_pull(store)
            held = store.conn.execute("SELECT count(*) FROM summaries").fetchone()[0]
            print(
                f"{label}: pull of {held:,} summaries in {seconds:.2f} s "
                f"(device CPU {timed_pull.cpu:.2f} s), "  # type: ignore[attr-defined]
                f"{wire / 1e6:.2f} MB on the wire (budget <= 2 s, <= 10 MB)"
            )
            for changed in (500, 5000):
                put(hub, [msgspec.structs.replace(s, contacts_total=99) for s in found[:changed]])
                seconds, wire = timed_pull(store)
                print(
                    f"{label}: delta of {changed:,} changed codes in {seconds * 1000:.0f} ms, "
                    f"{wire / 1e3:,.0f} kB on the wire (proportional to the change)"
                )
            rng = random.Random(3)
            lookups = [rng.choice(pool) for _ in range(2000)]
            times = []
            for code in lookups:
                started = time.perf_counter()
                service_summary(store, code)
                times.append(time.perf_counter() - started)
            times.sort()
            p50, p99 = times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000
            print(
                f"{label}: service_summary on {held:,} summaries: p50 {p50:.2f} ms, "
                f"p99 {p99:.2f} ms (budget p99 <= 5 ms)"
            )
    hub.engine.dispose()


@contextlib.contextmanager
def _sqlite(home: Path) -> Iterator[str]:
    home.mkdir(parents=True, exist_ok=True)
    yield f"sqlite:///{home / 'hub.db'}"


def main() -> None:
    batches = int(os.environ.get("BENCH_SUMMARY_BATCHES", "40"))
    print(f"load: {os.getloadavg()[0]:.1f} (1-minute average, 2 cores shared)")
    with postgres_database() as pg_url:
        postgres = pg_url is not None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ingest(root, "sqlite", _sqlite, batches)
        if postgres:
            ingest(root, "postgresql", _scratch_pg, batches)
        else:
            print("postgresql: no server on 127.0.0.1:5432, skipped")
        with _sqlite(root / "pull-sqlite") as url:
            pull(root / "pull-sqlite", url, "sqlite")
        if postgres:
            with _scratch_pg(root / "pull-pg") as url:
                pull(root / "pull-pg", url, "postgresql")


@contextlib.contextmanager
def _scratch_pg(home: Path) -> Iterator[str]:
    with postgres_database() as url:
        assert url is not None
        yield url
