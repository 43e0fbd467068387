"""Client summaries on the hub (issue 12): kept in the batch's transaction, on both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec
import pytest

from outreach.domain.client_code import make_client_code
from outreach.domain.ids import uuid7
from outreach.hub.service import Hub
from outreach.records import Record
from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.records.summarise import summarise
from outreach.records.validation import build_record
from tests.hub.harness import NOW, Device, contact, hub_on, void

KEY = b"k" * 32
X = make_client_code(KEY, "AB", dt.date(1980, 1, 1), "m")
Y = make_client_code(KEY, "CD", dt.date(1990, 2, 2), "f")
Z = make_client_code(KEY, "EF", dt.date(1970, 3, 3), "m")


def kit(code: str, n: int = 0, **extra: object) -> Record:
    data: dict[str, object] = {
        "type": "kit_issue",
        "id": uuid7(),
        "occurred_at": (NOW - dt.timedelta(days=n)).isoformat(),
        "site": "outreach_van",
        "product": "nyxoid_1_8mg_nasal",
        "batch": "AB12",
        "expiry": "2028-03-31",
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "full",
        "client_code": code,
    }
    data.update(extra)
    return build_record(data, recorded_by="alice", now=NOW + dt.timedelta(days=1))


def use(resupply: Record) -> Record:
    data = {
        "type": "naloxone_use",
        "id": uuid7(),
        "occurred_at": NOW.isoformat(),
        "site": "pharmacy",
        "occurred_on": "2026-11-01",
        "location_type": "street",
        "administered_by": "peer",
        "product": "nyxoid_1_8mg_nasal",
        "kit_issue_id": resupply.id,
    }
    return build_record(data, recorded_by="alice", now=NOW + dt.timedelta(days=1))


def scenario() -> dict[str, list[Record]]:
    """Made once, so both hubs get the same ids and bytes."""
    seen = contact(1, client_code=X, risk_factors=["previous_overdose"])
    first_kit = kit(X, 30, expiry="2027-01-31")
    other = contact(2, client_code=Y)
    resupply = kit(X, 0, supply="repeat", resupply_reason="used_on_other")
    fixed = msgspec.structs.replace(
        resupply, id=uuid7(), expiry=dt.date(2028, 4, 30), supersedes=resupply.id
    )
    return {
        "a1": [seen, first_kit, other],
        "b1": [resupply, use(resupply), contact(3, client_code=Z)],
        "a2": [void(other.id), fixed],
    }


def summary_rows(hub: Hub) -> list[tuple[Any, ...]]:
    with hub.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT client_code, change_seq, last_active, body FROM client_summaries"
        ).all()
    return sorted(
        (code, seq, active, None if body is None else bytes(body))
        for code, seq, active, body in rows
    )


def summaries(hub: Hub) -> dict[str, ClientSummary | None]:
    return {
        code: None if body is None else msgspec.msgpack.decode(body, type=ClientSummary)
        for code, _, _, body in summary_rows(hub)
    }


def play(hub: Hub, records: dict[str, list[Record]]) -> list[list[tuple[Any, ...]]]:
    a, b = Device(hub, "dev-a"), Device(hub, "dev-b")
    after: list[list[tuple[Any, ...]]] = []
    first = a.batch(records["a1"])
    for envelope in (first, b.batch(records["b1"]), a.batch(records["a2"]), first):
        hub.ingest(envelope)
        after.append(summary_rows(hub))
    return after


@pytest.mark.postgres
def test_both_backends_keep_the_same_summaries(tmp_path: Path) -> None:
    """The same batches leave the same summary rows (bytes and change_seqs) after each batch
    on SQLite and PostgreSQL; a void drops a code, a replay changes nothing."""
    records = scenario()
    results = []
    for backend in ("sqlite", "postgresql"):
        with hub_on(backend, tmp_path / backend) as hub:
            results.append(play(hub, records))
    assert results[0] == results[1]
    steps = results[0]
    assert [row[0] for row in steps[0]] == sorted([X, Y])
    assert steps[3] == steps[2]  # the replayed first batch changed nothing
    y_row = next(row for row in steps[2] if row[0] == Y)
    assert y_row[3] is None  # every record of Y voided: kept as a drop for devices
    seqs = [row[1] for row in steps[2]]
    assert len(set(seqs)) == len(seqs) and min(seqs) >= 1


def test_a_summary_is_what_the_one_rule_makes_of_the_codes_records(hub: Hub) -> None:
    records = scenario()
    play(hub, records)
    found = summaries(hub)
    everything = [r for batch in records.values() for r in batch]
    today = dt.datetime.now(dt.UTC).date()
    assert found[X] == summarise(X, everything, today)
    assert found[Z] == summarise(Z, everything, today)
    assert found[Y] is None
    x = found[X]
    assert x is not None
    # Worked by hand: the first kit was used (reported with the resupply), the resupply was
    # corrected to expire 2028-04-30; the contact reported a previous overdose.
    assert x.kits_total == 2 and x.held_kit_expiries == (dt.date(2028, 4, 30),)
    assert x.sticky == (StickyFactor("previous_overdose", NOW.date()),)
    assert x.risk_level == "high" and x.last_naloxone_use == dt.date(2026, 11, 1)


def test_change_seqs_grow_and_only_changed_codes_move(hub: Hub) -> None:
    records = scenario()
    a = Device(hub, "dev-a")
    hub.ingest(a.batch(records["a1"]))
    before = {row[0]: row[1] for row in summary_rows(hub)}
    hub.ingest(a.batch([contact(5, client_code=Y)]))
    after = {row[0]: row[1] for row in summary_rows(hub)}
    assert after[X] == before[X]
    assert after[Y] > max(before.values())


def test_records_decode_from_what_the_hub_linked(hub: Hub) -> None:
    """Every record of a code is linked: its contact, kits, the use and the correction."""
    records = scenario()
    play(hub, records)
    with hub.engine.connect() as conn:
        ids = {
            row[0]
            for row in conn.exec_driver_sql(
                f"SELECT record_id FROM summary_links WHERE client_code = '{X}'"
            ).all()
        }
    expected = [r for r in records["a1"] if getattr(r, "client_code", None) == X]
    expected += records["b1"][:2] + records["a2"][1:]
    assert ids == {r.id for r in expected}


def test_a_hub_upgraded_with_records_gets_their_summaries(hub: Hub) -> None:
    """What the hub held before h0004 is summarised once at upgrade (`backfill`)."""
    from outreach.hub import summaries as hub_summaries

    play(hub, scenario())
    kept = summaries(hub)
    with hub.engine.begin() as conn:
        for table in ("client_summaries", "summary_links"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    hub_summaries.backfill_hub(hub.engine, hub.sql)
    assert summaries(hub) == {code: s for code, s in kept.items() if s is not None}


def test_records_stored_outside_a_batch_are_summarised_by_upkeep(hub: Hub) -> None:
    """`upkeep` (e.g. for records released from quarantine) gives what a batch would."""
    from outreach.hub import summaries as hub_summaries

    records = scenario()
    play(hub, records)
    kept = summaries(hub)
    with hub.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM client_summaries")
        conn.exec_driver_sql("DELETE FROM summary_links")
        everything = [r for batch in records.values() for r in batch]
        assert hub_summaries.upkeep(hub.sql, conn, everything) >= 2
    assert summaries(hub) == {code: s for code, s in kept.items() if s is not None}


def test_concurrent_batches_on_the_same_codes_leave_the_one_rules_summaries(
    hub: Hub, tmp_path: Path
) -> None:
    """Four devices upload at once through the served hub (PostgreSQL: several transactions in
    flight), every batch touching the same three codes: each summary is what the one rule makes
    of all the records, and change_seqs are unique (no lost update, no deadlock)."""
    import threading

    import httpx

    from tests.hub.harness import serve_in_thread

    devices = [Device(hub, f"dev-{n}") for n in range(4)]
    made: list[Record] = []
    envelopes: list[list[bytes]] = []
    for n, device in enumerate(devices):
        mine = []
        for b in range(5):
            batch = [contact(b * 10 + i, client_code=(X, Y, Z)[(n + i) % 3]) for i in range(6)]
            batch.append(kit((X, Y, Z)[b % 3], b))
            made += batch
            mine.append(device.batch(batch))
        envelopes.append(mine)
    errors: list[str] = []

    def upload(url: str, bodies: list[bytes]) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for body in bodies:
                answer = client.post(
                    "/v1/batches",
                    content=body,
                    headers={"content-type": "application/octet-stream"},
                )
                if answer.status_code != 200:
                    errors.append(answer.text)

    with serve_in_thread(hub) as url:
        threads = [threading.Thread(target=upload, args=(url, e)) for e in envelopes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert not errors
    today = dt.datetime.now(dt.UTC).date()
    assert summaries(hub) == {code: summarise(code, made, today) for code in (X, Y, Z)}
    seqs = [row[1] for row in summary_rows(hub)]
    assert len(seqs) == len(set(seqs)) == 3
