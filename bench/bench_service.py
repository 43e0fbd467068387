"""The coordinator's service-wide commissioner set on a hub, and what the roll-up costs ingest.

Load generator: facts rows written straight into a hub's `facts` table (the roll-up's triggers
fire as on ingest, so the load also builds `hub_rollup`, `hub_people_months` and `hub_reach`),
spread evenly over three financial years (1 April 2023 – 31 March 2026): a third contacts (70%
with one of 60,000 client codes, 29 areas, risk levels evenly, an intervention each, a fifth with
a referral), one in twenty naloxone uses, the rest kits (5 sites, 2 products, first/repeat...).
SQLite: rows made in Python and inserted in batches of 50,000 (BENCH_SERVICE_SQLITE, default
1,000,000). PostgreSQL: made by the server with generate_series in chunks of 500,000, a
multiplicative hash of the row number choosing each value (BENCH_SERVICE_PG, default
10,000,000). Naloxone uses' kit links are marked read (the bench has no record bodies). Then the
service set for FY2025-26 (a third of the rows), best of three, and for all three years.

Roll-up upkeep: `Hub.ingest` of the same sealed batches (100 records: contacts and kits with
client codes) into two fresh hubs on each backend, one with the roll-up triggers dropped; the
cost is the throughput lost (budget ≤ 20%).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.hub_process import init_hub, postgres_database
from outreach.hub import db
from outreach.hub.service_counts import service_counts
from outreach.records.facts import period_keys
from outreach.reports.periods import fy

START = dt.date(2023, 4, 1)
DAYS = 3 * 365 + 1
SITES = ("outreach_van", "town_centre", "hostel_outreach", "prison_gate", "pharmacy")
RISK = ("low", "raised", "high", "very_high")
COLUMNS = (
    "fact", "id", "type", "active", "day", "week", "month", "year", "client_code", "site",
    "area", "setting", "risk_level", "product", "recipient", "supply", "resupply_reason",
    "training", "batch", "expiry", "outcome", "administered_by", "ambulance_called",
    "location_type", "doses", "interventions", "referrals",
)  # fmt: skip


def sqlite_rows(count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    for index in range(count):
        day = START + dt.timedelta(days=index * DAYS // count)
        keys = period_keys(day)
        code = f"C{rng.randrange(60_000):06d}" if rng.random() < 0.7 else None
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row.update(keys, fact=index + 1, id=f"bench-{index:09d}", active=1, client_code=code)
        row["site"] = rng.choice(SITES)
        if index % 3 == 0:
            row.update(type="contact", area=f"LS{rng.randint(1, 29)}", setting="street")
            row["risk_level"] = rng.choice(RISK)
            row["interventions"] = json.dumps([rng.choice(("advice", "naloxone_supplied"))])
            if rng.random() < 0.2:
                row["referrals"] = json.dumps([rng.choice(("gp", "housing"))])
        elif index % 20 != 1:
            supply = rng.choice(("first", "repeat"))
            row.update(type="kit_issue", product=rng.choice(("nyxoid", "prenoxad")))
            row.update(recipient="person_at_risk", supply=supply, training="full")
            row.update(batch="B1", expiry="2027-01-31")
            row["resupply_reason"] = "used_on_self" if supply == "repeat" else None
        else:
            row.update(type="naloxone_use", outcome="survived", administered_by="peer")
            row.update(ambulance_called="yes", location_type="street", doses=1)
            row["client_code"] = None
        yield tuple(row[name] for name in COLUMNS)


def fill_sqlite(engine: sa.Engine, count: int) -> None:
    insert = f"INSERT INTO facts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        chunk: list[tuple[Any, ...]] = []
        for row in sqlite_rows(count):
            chunk.append(row)
            if len(chunk) == 50_000:
                raw.executemany(insert, chunk)
                chunk.clear()
        raw.executemany(insert, chunk)
        conn.exec_driver_sql("UPDATE kit_uses SET day = '0000-00-00'")
        conn.exec_driver_sql("ANALYZE")


# The server makes the rows: h is a multiplicative hash of the row number g.
PG_CHUNK = """
INSERT INTO facts (fact, id, type, active, day, week, month, year, client_code, site, area,
    setting, risk_level, product, recipient, supply, resupply_reason, training, batch, expiry,
    outcome, administered_by, ambulance_called, location_type, doses, interventions, referrals)
SELECT g, 'bench-' || g, k.type, 1, d::text, to_char(d, 'IYYY-"W"IW'), to_char(d, 'YYYY-MM'),
    to_char(d, 'YYYY'),
    CASE WHEN k.type <> 'naloxone_use' AND h %% 10 < 7
        THEN 'C' || lpad(((h / 10) %% 60000)::text, 6, '0') END,
    (ARRAY['outreach_van','town_centre','hostel_outreach','prison_gate','pharmacy'])[1 + (h / 7) %% 5],
    CASE WHEN k.type = 'contact' THEN 'LS' || (1 + (h / 37) %% 29) END,
    CASE WHEN k.type = 'contact' THEN 'street' END,
    CASE WHEN k.type = 'contact' THEN (ARRAY['low','raised','high','very_high'])[1 + (h / 1103) %% 4] END,
    CASE WHEN k.type = 'kit_issue' THEN (ARRAY['nyxoid','prenoxad'])[1 + (h / 13) %% 2] END,
    CASE WHEN k.type = 'kit_issue' THEN 'person_at_risk' END,
    CASE WHEN k.type = 'kit_issue' THEN (ARRAY['first','repeat'])[1 + (h / 17) %% 2] END,
    CASE WHEN k.type = 'kit_issue' AND (h / 17) %% 2 = 1 THEN 'used_on_self' END,
    CASE WHEN k.type = 'kit_issue' THEN 'full' END,
    CASE WHEN k.type = 'kit_issue' THEN 'B1' END,
    CASE WHEN k.type = 'kit_issue' THEN '2027-01-31' END,
    CASE WHEN k.type = 'naloxone_use' THEN 'survived' END,
    CASE WHEN k.type = 'naloxone_use' THEN 'peer' END,
    CASE WHEN k.type = 'naloxone_use' THEN 'yes' END,
    CASE WHEN k.type = 'naloxone_use' THEN 'street' END,
    CASE WHEN k.type = 'naloxone_use' THEN 1 END,
    CASE WHEN k.type = 'contact' THEN ARRAY[(ARRAY['advice','naloxone_supplied'])[1 + (h / 19) %% 2]] END,
    CASE WHEN k.type = 'contact' AND (h / 23) %% 5 = 0 THEN ARRAY[(ARRAY['gp','housing'])[1 + (h / 29) %% 2]] END
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g,
    LATERAL (SELECT (g * 2654435761) %% 4294967296 AS h,
                    DATE '2023-04-01' + (g * 1096 / %(count)s)::int AS d) x,
    LATERAL (SELECT CASE WHEN g %% 3 = 0 THEN 'contact' WHEN g %% 20 = 1 THEN 'naloxone_use'
                    ELSE 'kit_issue' END AS type) k
"""  # noqa: E501


def fill_postgres(engine: sa.Engine, count: int) -> None:
    step = 500_000
    for lo in range(1, count + 1, step):
        with engine.begin() as conn:
            hi = min(lo + step - 1, count)
            conn.exec_driver_sql(PG_CHUNK, {"lo": lo, "hi": hi, "count": count})
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE kit_uses SET day = '0000-00-00'")
    # What autovacuum does on a hub in service: statistics, and the visibility map that lets
    # the service set read its indexes alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def best(action: Callable[[], object], repeat: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def measure_set(label: str, url: str, count: int, fill: Callable[[sa.Engine, int], None]) -> None:
    engine = db.make_engine(url)
    try:
        db.create_schema(engine)
        started = time.perf_counter()
        fill(engine, count)
        loaded = time.perf_counter() - started
        year = fy(2025)
        year_s, counts = best(lambda: service_counts(engine, year.start, year.end))
        all_s, _ = best(lambda: service_counts(engine, START, year.end), repeat=1)
        site_s, _ = best(lambda: service_counts(engine, year.start, year.end, "pharmacy"))
    finally:
        engine.dispose()
    print(f"{label}: loaded {count:,} facts rows (roll-up kept by triggers) in {loaded:.0f} s")  # noqa: T201
    print(f"  service set FY2025-26 (≤ 0.5 s)            {year_s * 1000:8.0f} ms")  # noqa: T201
    print(f"  service set FY2025-26, one site            {site_s * 1000:8.0f} ms")  # noqa: T201
    print(f"  service set, all three years (one run)     {all_s * 1000:8.0f} ms")  # noqa: T201
    print(
        f"  kits {counts.headline('kits'):,}, people reached {counts.headline('people_reached'):,}"
    )  # noqa: T201


UPKEEP_BATCHES = int(os.environ.get("BENCH_UPKEEP_BATCHES", "150"))
DROP_TRIGGERS = {
    "sqlite": "SELECT 'DROP TRIGGER ' || name FROM sqlite_master "
    "WHERE type = 'trigger' AND substr(name, 1, 11) = 'hub_rollup_'",
    "postgresql": "SELECT 'DROP TRIGGER ' || tgname || ' ON facts' FROM pg_trigger "
    "WHERE left(tgname, 11) = 'hub_rollup_'",
}


def upkeep_records(count: int) -> list[Any]:
    """Contacts and kits, each with one of 500 real client codes (a roll-up row per code)."""
    from outreach.domain import ids
    from outreach.domain.client_code import make_client_code
    from outreach.records.contact import Contact
    from outreach.records.kit_issue import KitIssue

    born = dt.date(1980, 1, 1)
    codes = [
        make_client_code(
            b"b" * 32, "AB", born + dt.timedelta(days=n), "male", today=dt.date(2026, 1, 1)
        )
        for n in range(500)
    ]
    at = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    records: list[Any] = []
    for n in range(count):
        common = {"id": ids.uuid7(), "occurred_at": at + dt.timedelta(minutes=n)}
        common.update(recorded_by="bench", site=SITES[n % 5], client_code=codes[n % 500])
        if n % 2:
            records.append(
                KitIssue(
                    **common,
                    product="nyxoid_1_8mg_nasal",
                    batch="B1",
                    expiry=dt.date(2030, 1, 31),
                    recipient="person_at_risk",
                    supply="first",
                    training="full",
                )  # fmt: skip
            )
        else:
            records.append(
                Contact(
                    **common,
                    area=f"LS{n % 29 + 1}",
                    setting="street",
                    age_band="25_34",
                    substances=("heroin",),
                    risk_factors=("using_alone",),
                    interventions=("harm_reduction_advice",),
                )  # fmt: skip
            )
    return records


def ingest_rate(home: Path, url: str, rollup: bool) -> float:
    """Records a second `Hub.ingest` stores, sealed batches of 100 from 4 devices."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from outreach.records import encode_record
    from outreach.sync.envelope import raw_public, seal
    from outreach.sync.protocol import EnrolRequest, b64e

    hub = init_hub(home, url)
    try:
        if not rollup:
            with hub.engine.begin() as conn:
                for (drop,) in conn.exec_driver_sql(DROP_TRIGGERS[conn.dialect.name]).all():
                    conn.exec_driver_sql(drop)
        envelopes = []
        bodies = [encode_record(r) for r in upkeep_records(UPKEEP_BATCHES * 100)]
        for device in range(4):
            key = Ed25519PrivateKey.generate()
            code = hub.new_enrolment("http://127.0.0.1")
            hub.enrol(EnrolRequest(code.token, f"d{device}", b64e(raw_public(key.public_key()))))
            for b in range(UPKEEP_BATCHES // 4):
                start = (device * UPKEEP_BATCHES // 4 + b) * 100
                pairs = [(b * 100 + i + 1, bodies[start + i]) for i in range(100)]
                envelopes.append(seal(f"d{device}", pairs, hub.keys.kem.public_key(), key))
        for envelope in envelopes[:8]:  # warm: caches, plans, pools
            hub.ingest(envelope)
        started = time.perf_counter()
        for envelope in envelopes[8:]:
            hub.ingest(envelope)
        return (len(envelopes) - 8) * 100 / (time.perf_counter() - started)
    finally:
        hub.engine.dispose()


def upkeep() -> None:
    """Ingest with and without the roll-up's triggers, alternately (twice each), best of each."""
    for label in ("SQLite", "PostgreSQL"):
        rates: dict[bool, list[float]] = {True: [], False: []}
        for trial in range(4):
            rollup = trial % 2 == 0
            with tempfile.TemporaryDirectory() as tmp:
                if label == "SQLite":
                    url = f"sqlite:///{Path(tmp) / 'hub.db'}"
                    rates[rollup].append(ingest_rate(Path(tmp) / "home", url, rollup))
                    continue
                with postgres_database() as pg:
                    assert pg is not None
                    rates[rollup].append(ingest_rate(Path(tmp) / "home", pg, rollup))
        with_rollup, without = max(rates[True]), max(rates[False])
        cost = 1 - with_rollup / without
        print(  # noqa: T201
            f"{label} ingest (Hub.ingest, one thread): {without:,.0f} records/s without the "
            f"roll-up, {with_rollup:,.0f} with it: upkeep {cost:.0%} (budget ≤ 20%)"
        )


def main() -> None:
    """`BENCH_SERVICE_PARTS` (default all): any of sqlite, postgresql, upkeep, comma separated."""
    parts = os.environ.get("BENCH_SERVICE_PARTS", "sqlite,postgresql,upkeep").split(",")
    if "sqlite" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_count = int(os.environ.get("BENCH_SERVICE_SQLITE", "1000000"))
            measure_set("SQLite", f"sqlite:///{Path(tmp) / 'hub.db'}", sqlite_count, fill_sqlite)
    if "postgresql" in parts:
        pg_count = int(os.environ.get("BENCH_SERVICE_PG", "10000000"))
        with postgres_database() as url:
            assert url is not None, "no PostgreSQL server"
            measure_set("PostgreSQL", url, pg_count, fill_postgres)
    if "upkeep" in parts:
        upkeep()


if __name__ == "__main__":
    main()
