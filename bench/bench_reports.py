"""Commissioner counts over 1M records and the monthly PDF report built from them.

The store is a real encrypted store (fast KDF, temp dir) filled by bulk inserts straight into the
counting tables, whose triggers keep the daily roll-up as `Store.add` would (`Store.add` at 1M
records takes ~50 s and is measured by bench_store). Record bodies are written only where a
count reads them: contacts with a referral and the referral outcomes (every other referral has
one), for the referral funnel. Figures:
the monthly set (one month of a 1M-record year), the whole year (all 1M), the PDF after counts.
`BENCH_RECORDS` scales the data down for a quick look.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from outreach.domain import ids
from outreach.records import Contact, Referral, ReferralOutcome, encode_record
from outreach.records.facts import period_keys
from outreach.reports.commissioner import local_counts, store_runner
from outreach.reports.pdf_report import report_pdf
from outreach.reports.referral_funnel import read_funnel
from outreach.store.connection import Connection
from outreach.store.fact_table import CODED_COLUMNS
from outreach.store.session import create_store
from outreach.store.vault import KdfParams

FAST_KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
YEAR_START = dt.date(2025, 1, 1)
PRODUCTS = ("prenoxad_2mg_syringe", "nyxoid_1_8mg_nasal")
SITES = ("outreach_van", "town_centre", "hostel_outreach", "prison_gate", "pharmacy")
RECIPIENTS = ("person_at_risk", "family_friend", "carer", "service_worker")
SETTINGS = ("street", "hostel", "pharmacy", "prison_release")
REASONS = ("used_on_self", "used_on_other", "lost", "expired")
TRAINING = ("full", "brief", "refresher", "declined")
RISK = ("low", "raised", "high", "very_high")
INTERVENTIONS = ("harm_reduction_advice", "naloxone_training", "naloxone_supplied")
REFERRALS = ("drug_treatment", "gp", "housing")
COLUMNS = ("seq", "active", "day", *CODED_COLUMNS, "quantity", "doses")


def rows(count: int, seed: int = 7) -> Iterator[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """Facts for a year: ⅓ contacts, ~⅗ kit issues, the rest naloxone-use reports."""
    rng = random.Random(seed)
    for index in range(count):
        day = YEAR_START + dt.timedelta(days=index * 365 // count)
        row: dict[str, Any] = dict(period_keys(day), day=day, site=rng.choice(SITES))
        code = f"C{rng.randrange(60_000):06d}" if rng.random() < 0.7 else None
        items: list[tuple[str, str]] = []
        if index % 3 == 0:
            row.update(
                type="contact",
                client_code=code,
                area=f"LS{rng.randint(1, 29)}",
                setting=rng.choice(SETTINGS),
                risk_level=rng.choice(RISK),
            )
            items = [("interventions", rng.choice(INTERVENTIONS))]
            if rng.random() < 0.2:
                items.append(("referrals", rng.choice(REFERRALS)))
                row["made_code"] = f"R-{index % 10_000:04d}-{index // 10_000:04d}"
                items.append(("referral_code", row["made_code"]))  # the contact's join item
        elif index % 20 != 1:
            supply = rng.choice(("first", "repeat"))
            row.update(
                type="kit_issue",
                client_code=code,
                product=rng.choice(PRODUCTS),
                recipient=rng.choice(RECIPIENTS),
                supply=supply,
                resupply_reason=rng.choice(REASONS) if supply == "repeat" else None,
                training=rng.choice(TRAINING),
                batch=f"B{rng.randint(1, 40)}",
                expiry="2027-01-31",
            )
        else:
            row.update(
                type="naloxone_use",
                product=rng.choice(PRODUCTS),
                location_type="street",
                administered_by=rng.choice(("peer", "family_friend", "paramedic")),
                ambulance_called=rng.choice(("yes", "no")),
                outcome=rng.choice(("survived", "survived", "died", "unknown")),
                doses=1,
            )
        yield row, items


OUTCOMES = ("attended", "started_treatment", "did_not_attend", "not_known")
WHEN = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)


def with_outcomes(
    made: Iterator[tuple[dict[str, Any], list[tuple[str, str]]]],
) -> Iterator[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """Every other referral gets an outcome (the funnel reads both): 1M rows gain ~33,000."""
    for row, items in made:
        yield row, items
        code = row.get("made_code")  # not a contact's facts column: only in its body
        if code is not None and int(code[2:6]) % 2 == 0:
            outcome = OUTCOMES[int(code[2:6]) // 2 % len(OUTCOMES)]
            day = row["day"] + dt.timedelta(days=7)
            yield (
                {
                    **period_keys(day),
                    "day": day,
                    "type": "referral_outcome",
                    "site": "service_hub",
                    "outcome": outcome,
                    "referral_code": code,
                },
                [],
            )


def body(row: dict[str, Any]) -> bytes:
    """The record body where a count reads it (the referral funnel), else empty as before."""
    if row["type"] == "contact" and "made_code" in row:
        contact = Contact(
            id=ids.uuid7(),
            occurred_at=dt.datetime.combine(row["day"], WHEN.timetz()),
            recorded_by="bench",
            site=row["site"],
            area=row["area"],
            setting=row["setting"],
            referrals=(Referral(to="drug_treatment", referral_code=row["made_code"]),),
        )
        return encode_record(contact)
    if row["type"] == "referral_outcome":
        outcome = ReferralOutcome(
            id=ids.uuid7(),
            occurred_at=WHEN,
            recorded_by="bench",
            site=row["site"],
            referral_code=row["referral_code"],
            outcome=row["outcome"],
            outcome_on=row["day"],
        )
        return encode_record(outcome)
    return b""


def fill(conn: Connection, count: int) -> None:
    """Bulk insert: code ids handed out here and written once, rows in batches of 50,000."""
    ids: dict[str, int] = {}
    next_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM codes").fetchone()[0]) + 1
    ids.update((value, code_id) for code_id, value in conn.execute("SELECT id, value FROM codes"))

    def code(value: object) -> int | None:
        nonlocal next_id
        if value is None:
            return None
        text = str(value)
        found = ids.get(text)
        if found is None:
            found = ids[text] = next_id
            next_id += 1
        return found

    conn.execute("BEGIN")
    records: list[Any] = []
    facts: list[Any] = []
    items: list[Any] = []
    for seq, (row, row_items) in enumerate(with_outcomes(rows(count)), start=1):
        records.append(
            (seq, f"bench-{seq:08d}", row["type"], row["day"].isoformat(), "bench", body(row))
        )
        values: list[object] = [seq, 1, row["day"].toordinal()]
        values += [code(row.get(name)) for name in CODED_COLUMNS]
        values += [row.get("quantity"), row.get("doses")]
        facts.append(values)
        items += [(seq, code(field), code(value)) for field, value in row_items]
        if len(records) == 50_000:
            _flush(conn, records, facts, items)
    _flush(conn, records, facts, items)
    conn.executemany(
        "INSERT OR IGNORE INTO codes (id, value) VALUES (?, ?)",
        [(code_id, value) for value, code_id in ids.items()],
    )
    conn.execute("COMMIT")


def _flush(conn: Connection, records: list[Any], facts: list[Any], items: list[Any]) -> None:
    conn.executemany(
        "INSERT INTO records (device_seq, id, type, occurred_at, recorded_by, body) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        records,
    )
    conn.executemany(
        f"INSERT INTO fact_data ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        facts,
    )
    conn.executemany("INSERT INTO fact_item_data (seq, field, value) VALUES (?, ?, ?)", items)
    records.clear()
    facts.clear()
    items.clear()


def best(action: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    count = int(os.environ.get("BENCH_RECORDS", "1000000"))
    with tempfile.TemporaryDirectory() as tmp:
        store, _ = create_store(
            Path(tmp), "bench", "coordinator", "benchmark passphrase", kdf=FAST_KDF
        )
        try:
            started = time.perf_counter()
            fill(store.conn, count)
            print(f"filled {count:,} records in {time.perf_counter() - started:.1f} s")  # noqa: T201
            month = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
            year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
            month_s, month_set = best(lambda: local_counts(store.conn, *month))
            year_s, year_set = best(lambda: local_counts(store.conn, *year))
            site_s, _ = best(lambda: local_counts(store.conn, *month, site="pharmacy"))
            run = store_runner(store.conn)
            funnel_s, funnel = best(lambda: read_funnel(run, *year))
            made = sum(n for (_, _, stage), n in funnel.items() if stage == "made")  # type: ignore[union-attr]
            pdf_times = []
            for counts in (month_set, year_set):
                pdf_s, pdf = best(lambda c=counts: report_pdf(c.for_publication()), repeat=3)  # type: ignore[misc]
                pdf_times.append(pdf_s)
            kits = year_set.headline("kits")  # type: ignore[union-attr]
        finally:
            store.close()
    figures = {
        "commissioner set, one month of 1M (≤ 0.5 s)": month_s,
        "commissioner set, one month, one site": site_s,
        "commissioner set, whole year = all 1M (≤ 0.5 s)": year_s,
        f"  of which the referral funnel ({made:,} referrals)": funnel_s,
        "PDF monthly report after counts (≤ 1 s)": pdf_times[0],
        "PDF report of the whole year": pdf_times[1],
    }
    for name, seconds in figures.items():
        print(f"{name:52s} {seconds * 1000:8.0f} ms")  # noqa: T201
    print(f"kits in the year: {kits:,}")  # noqa: T201


if __name__ == "__main__":
    main()
