"""The daily roll-up always agrees with the fact rows: after saves, voids, corrections, deletes
and a migration of an older store; and the person counts read covering indexes. (The retention
purge is the one delete that keeps its cells: tests/stock/test_purge_property.py.)"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.errors import StockError
from outreach.records.facts import count_fields
from outreach.records.validation import build_record
from outreach.reports.commissioner import high_risk_without_kit, people_reached
from outreach.store import migrations
from outreach.store.counts import count_query, counts, rolled_up
from outreach.store.rollup import serves
from outreach.store.session import create_store, unlock_store
from outreach.store.store import Store
from tests.samples import CONTACT, FAST_KDF, KIT, PASSPHRASE

SPAN = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
SITES = ("outreach_van", "pharmacy")
DAYS = ("2026-03-02", "2026-03-03", "2026-03-20", "2026-04-01")


def _contact(draw: st.DrawFn, when: str, site: str) -> dict[str, Any]:
    return {
        **CONTACT,
        "site": site,
        "occurred_at": when,
        "setting": draw(st.sampled_from(["street", "hostel", "pharmacy"])),
        "area": draw(st.sampled_from(["LS1", "LS2"])),
        "substances": draw(st.lists(st.sampled_from(["heroin", "crack"]), unique=True)),
        "interventions": draw(st.lists(st.sampled_from(["nsp", "naloxone_training"]), unique=True)),
        "referrals": [{"to": "gp"}] if draw(st.booleans()) else [],
    }


def _kit(draw: st.DrawFn, when: str, site: str) -> dict[str, Any]:
    repeat = draw(st.booleans())
    return {
        **KIT,
        "site": site,
        "occurred_at": when,
        "recipient": draw(st.sampled_from(["person_at_risk", "carer"])),
        "supply": "repeat" if repeat else "first",
        "resupply_reason": draw(st.sampled_from(["lost", "used_on_self"])) if repeat else None,
    }


def _movement(draw: st.DrawFn, when: str, site: str) -> dict[str, Any]:
    return {
        "type": "stock_movement",
        "site": site,
        "occurred_at": when,
        "product": KIT["product"],
        "batch": draw(st.sampled_from(["AB12", "CD34"])),
        "expiry": KIT["expiry"],
        "quantity": draw(st.integers(1, 20)),
        "movement": "received",
        "reason": "delivery",
    }


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """Saves of each countable type, voids and corrections of earlier saves, and purges."""
    ops: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 14))):
        action = draw(st.sampled_from(["save", "save", "save", "void", "correct", "purge"]))
        if action != "save":
            ops.append((action, draw(st.integers(0, 30))))
            continue
        when = f"{draw(st.sampled_from(DAYS))}T10:00:00+00:00"
        make = draw(st.sampled_from([_contact, _kit, _movement]))
        ops.append(("save", make(draw, when, draw(st.sampled_from(SITES)))))
    return ops


def _apply(store: Store, ops: list[tuple[str, Any]]) -> None:
    """Run the operations; a write the ledger refuses (not enough stock) saves nothing."""
    saved: list[dict[str, Any]] = []
    for action, value in ops:
        with contextlib.suppress(StockError):
            _apply_one(store, saved, action, value)


def _apply_one(store: Store, saved: list[dict[str, Any]], action: str, value: Any) -> None:
    live = [r for r in store.recent(limit=1000) if r.active and r.record.type != "void"]
    if action == "save":
        record, _ = store.add_new(value)
        saved.append({**value, "id": record.id})
    elif action == "void" and live:
        store.void(live[value % len(live)].record.id, "duplicate")
    elif action == "correct" and live:
        target = live[value % len(live)].record
        data = next((s for s in saved if s["id"] == target.id), None)
        if data is not None and target.type != "stock_movement":
            fixed = {k: v for k, v in data.items() if k != "id"}
            store.add([build_record({**fixed, "supersedes": target.id}, recorded_by="t")])
    elif action == "purge":  # a plain delete of a prefix of records: the triggers' delete path
        with store.transaction() as conn:
            conn.execute("DELETE FROM records WHERE device_seq <= ?", (value % 4,))


def _groupings(kind: str) -> list[list[str]]:
    shapes: list[list[str]] = [[], ["site"], ["day"], ["site", "day"]]
    for field in count_fields()[kind]:
        shapes += [[field], ["site", field], [field, "day"], ["day", "site", field]]
    return [shape for shape in shapes if serves(shape)]


def _period_groupings(kind: str) -> list[list[str]]:
    """Counts by week, month or year that `counts` sums from the roll-up's days."""
    shapes: list[list[str]] = [["month"], ["year", "site"], ["week", "month"]]
    shapes += [[period, field] for period in ("week", "month") for field in count_fields()[kind]]
    return [*shapes, ["site", "month", count_fields()[kind][-1]]]


def assert_rollup_matches_facts(store: Store) -> None:
    for kind in count_fields():
        for by in _period_groupings(kind):
            assert rolled_up(by, kind), by
            slow, slow_params, _ = count_query(by, *SPAN, kind, layout="coded")
            rows = store.conn.execute(slow, slow_params).fetchall()
            expected = [dict(zip([*by, "count"], row, strict=True)) for row in rows]
            assert counts(store.conn, by, *SPAN, kind) == expected, (kind, by)
    for kind in count_fields():
        for by in _groupings(kind):
            fast, params, _ = count_query(by, *SPAN, kind, layout="rollup")
            slow, slow_params, _ = count_query(by, *SPAN, kind, layout="coded")
            assert fast != slow, "the roll-up did not answer"
            assert (
                store.conn.execute(fast, params).fetchall()
                == store.conn.execute(slow, slow_params).fetchall()
            ), (kind, by)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations())
def test_rollup_agrees_with_the_fact_rows_after_any_history(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, Any]]
) -> None:
    data = tmp_path_factory.mktemp("rollup")
    store, _ = create_store(data, "alice", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    with store:
        _apply(store, ops)
        assert_rollup_matches_facts(store)


def _write_facts_as_of_migration_2(patch: pytest.MonkeyPatch) -> None:
    """Fact rows as the code of that day wrote them: without the columns later migrations
    added (migration 6's overdose columns), which a schema-2 table does not have."""
    from outreach.records.columns import ADDED_FACT_COLUMNS
    from outreach.store import fact_table

    coded = tuple(c for c in fact_table.CODED_COLUMNS if c not in ADDED_FACT_COLUMNS)
    names = ("seq", "active", "day", *coded, *fact_table.facts.NUMERIC_COLUMNS)
    patch.setattr(fact_table, "CODED_COLUMNS", coded)
    patch.setattr(
        fact_table,
        "_INSERT_FACT",
        f"INSERT INTO fact_data ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
    )


def test_migrating_an_older_store_fills_the_rollup_from_its_records(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before_rollup:
        before_rollup.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
        before_rollup.setattr(migrations, "LATEST", 2)
        # That day's ledger knew no opening balances (migration 5); these kits keep no stock.
        before_rollup.setattr("outreach.stock.companion._has_ledger", lambda *_: False)
        _write_facts_as_of_migration_2(before_rollup)
        store, _ = create_store(data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
        with store:
            for day in DAYS:
                store.add_new({**KIT, "occurred_at": f"{day}T09:00:00+00:00"})
                store.add_new(
                    {**CONTACT, "occurred_at": f"{day}T09:00:00+00:00", "substances": ["heroin"]}
                )
            voided, _ = store.add_new({**KIT, "occurred_at": "2026-03-02T11:00:00+00:00"})
            store.void(voided.id, "duplicate")
            assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 2
    with unlock_store(data_dir, "alice", PASSPHRASE) as store:
        assert migrations.schema_version(store.conn) == migrations.LATEST
        assert_rollup_matches_facts(store)
        sql, params, _ = count_query(["product"], *SPAN, "kit_issue", layout="rollup")
        assert store.conn.execute(sql, params).fetchall() == [("nyxoid_1_8mg_nasal", 3)]


def test_person_counts_read_covering_indexes_not_rows(store: Store) -> None:
    """Distinct people and the at-risk list must not visit each fact row (1M-record budget)."""
    plans: list[str] = []

    def explain(sql: str, params: dict[str, Any]) -> list[Any]:
        plans.extend(row[-1] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        return []

    people_reached(explain, *SPAN, layout="rollup")
    high_risk_without_kit(explain, *SPAN, layout="rollup")
    scans = [plan for plan in plans if plan.startswith(("SEARCH f ", "SEARCH k ", "SCAN f"))]
    assert scans and all("COVERING INDEX" in plan for plan in scans), scans
