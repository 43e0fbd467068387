"""Referral outcomes (issue 15, item 3): validation, roles, storage, counts, History, the CSV
import (all-or-nothing, line and field named; CLI and store API), the referral funnel on the
laptop and on a real hub (both backends) after sync. Counts are worked out by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from outreach.domain.roles import Action
from outreach.domain.vocab import base_vocabulary
from outreach.errors import InvalidRecord, NotPermitted
from outreach.hub.service import Hub
from outreach.records import ReferralOutcome, facts, permissions
from outreach.records.referral_csv import parse_outcomes
from outreach.records.validation import build_entered
from outreach.reports.commissioner import local_counts
from outreach.reports.referral_funnel import Referral, funnel, read_funnel
from outreach.store.referral_import import OutcomeFileRefused, import_outcomes
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from tests.cli.conftest import quiet_cli
from tests.cli.helpers import outreach, refused
from tests.samples import FAST_KDF, PASSPHRASE

__all__ = ["quiet_cli"]  # the CLI's fixture, used by one test here

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
CODES = ["R-7K2M-Q9XD", "R-AAAA-0001", "R-AAAA-0002", "R-AAAA-0003", "R-AAAA-0004"]


def outcome(**changes: Any) -> dict[str, Any]:
    data = {
        "type": "referral_outcome",
        "site": "service_hub",
        "referral_code": CODES[0],
        "outcome": "attended",
        "outcome_on": "2026-11-03",
    }
    return {**data, **changes}


def _store(tmp_path: Path, role: str) -> Store:
    store, _ = create_store(tmp_path / role, f"{role[:4]}x", role, PASSPHRASE, kdf=FAST_KDF)
    return store


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"referral_code": "R-7K2M-Q9X"}, "referral_code", "referral code like"),
        ({"referral_code": "r-7k2m-q9xd"}, "referral_code", "referral code like"),
        ({"outcome": "cured"}, "outcome", "unknown code 'cured'"),
        ({"outcome_on": "2027-01-01"}, "outcome_on", "future"),
        ({"outcome_on": "1999-12-31"}, "outcome_on", "before the year 2000"),
        ({"source": "phone"}, "source", "unknown code"),
        ({"client_name": "J"}, "client_name", "free text"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        build_entered(outcome(**changes), recorded_by="cora", now=NOW)
    assert caught.value.field == field and words in str(caught.value)


def test_projection_roles_and_history(tmp_path: Path) -> None:
    record = build_entered(outcome(), recorded_by="cora", now=NOW)
    assert isinstance(record, ReferralOutcome)
    fact = facts.project(record)
    assert fact is not None and fact.row["day"] == "2026-11-03"
    assert fact.row["referral_code"] == CODES[0]  # the funnel joins on it without the body
    assert (fact.row["outcome"], fact.row["site"], fact.row["client_code"]) == (
        "attended",
        "service_hub",
        None,
    )
    # coordinators record and void; workers read; pharmacy users nothing
    assert "referral_outcome" in permissions.types_for("coordinator", Action.RECORD)
    assert permissions.permitted("worker", Action.READ, "referral_outcome")
    assert not permissions.permitted("worker", Action.RECORD, "referral_outcome")
    assert not permissions.permitted("worker", Action.VOID, "referral_outcome")
    assert not any(permissions.permitted("pharmacy", a, "referral_outcome") for a in Action)
    with _store(tmp_path, "worker") as store, pytest.raises(NotPermitted):
        store.add_new(outcome())

    from outreach.ui.models.records_model import RecordsModel

    with _store(tmp_path, "coordinator") as store:
        store.add_new(outcome())
        store.add_new(outcome(referral_code=CODES[1], outcome="did_not_attend"))
        model = RecordsModel(base_vocabulary())
        model.set_rows(store.recent(types=["referral_outcome"]))
        shown = [[model.data(model.index(row, col)) for col in (1, 2)] for row in range(2)]
        counts = store.counts(["outcome"], *NOVEMBER, kind="referral_outcome")
    assert shown == [
        ["Referral outcome", f"{CODES[1]} · Did not attend"],
        ["Referral outcome", f"{CODES[0]} · Attended"],
    ]
    assert {r["outcome"]: r["count"] for r in counts} == {"attended": 1, "did_not_attend": 1}


GOOD_CSV = (
    "referral_code,outcome,date\r\n"
    f"{CODES[0]},attended,2026-11-03\r\n"
    f"{CODES[0].lower()},Started treatment,10/11/2026\r\n"
    "\r\n"
    f"R-AAAA 0001,Did not attend,2026-11-04\r\n"
)


def test_a_good_file_parses_codes_labels_and_uk_dates() -> None:
    records, errors = parse_outcomes(
        ("\ufeff" + GOOD_CSV).encode(), user="cora", site="service_hub", now=NOW
    )
    assert errors == []
    assert [(r.referral_code, r.outcome, r.outcome_on, r.source) for r in records] == [
        (CODES[0], "attended", dt.date(2026, 11, 3), "imported"),
        (CODES[0], "started_treatment", dt.date(2026, 11, 10), "imported"),
        (CODES[1], "did_not_attend", dt.date(2026, 11, 4), "imported"),
    ]


def test_bad_lines_are_named_with_their_field() -> None:
    text = (
        "referral_code,outcome,date\n"
        f"{CODES[0]},attended,2026-11-03\n"
        f"{CODES[1]},cured,2026-11-03\n"  # line 3: outcome
        "R-12,attended,2026-11-03\n"  # line 4: code
        f"{CODES[2]},attended,31/02/2026\n"  # line 5: date
        f"{CODES[3]},attended\n"  # line 6: columns
        f"{CODES[0]},attended,2026-11-03\n"  # line 7: repeats line 2
        f"{CODES[4]},attended,2027-01-01\n"  # line 8: future
    )
    records, errors = parse_outcomes(text.encode(), user="cora", site="service_hub", now=NOW)
    assert len(records) == 1
    assert [(e.line, e.field) for e in errors] == [
        (3, "outcome"),
        (4, "referral_code"),
        (5, "date"),
        (6, None),
        (7, "referral_code"),
        (8, "date"),
    ]
    assert "line 7, field 'referral_code': repeats line 2" in str(errors[4])
    assert "expected 3 columns" in str(errors[3])
    with pytest.raises(InvalidRecord, match="line 2: not UTF-8"):
        parse_outcomes(b"a,b,c\n\xff,attended,2026-11-03\n", user="cora", site="service_hub")


def test_one_bad_line_saves_nothing_and_a_good_file_is_imported_once(tmp_path: Path) -> None:
    with _store(tmp_path, "coordinator") as store:
        bad = GOOD_CSV + "R-AAAA-0002,attended,2026-13-01\r\n"
        with pytest.raises(OutcomeFileRefused) as caught:
            import_outcomes(store, bad.encode(), "service_hub")
        assert [(e.line, e.field) for e in caught.value.errors] == [(6, "date")]
        assert "line 6, field 'date'" in str(caught.value)
        assert store.recent(types=["referral_outcome"]) == []
        first = import_outcomes(store, GOOD_CSV.encode(), "service_hub")
        again = import_outcomes(store, GOOD_CSV.encode(), "service_hub")
        assert (first.saved, first.already, again.saved, again.already) == (3, 0, 0, 3)
        assert len(store.recent(types=["referral_outcome"])) == 3
    with _store(tmp_path, "worker") as store, pytest.raises(NotPermitted):
        import_outcomes(store, GOOD_CSV.encode(), "service_hub")


def test_the_cli_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, quiet_cli: None
) -> None:
    data = tmp_path / "cli"
    assert outreach(capsys, data, "init", "--user", "cora", "--role", "coordinator")[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_CSV + "R-AAAA-0002,maybe,2026-11-01\n", encoding="utf-8")
    code, out, err = outreach(capsys, data, "referrals", "import", str(bad))
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.splitlines() == [
        "outreach: line 6, field 'outcome': unknown outcome 'maybe' (one of: attended, "
        "assessed, started_treatment, did_not_attend, not_known)",
        "outreach: nothing was saved",
    ]
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    code, out, _ = outreach(capsys, data, "referrals", "import", str(good), "--site", "pharmacy")
    assert code == 0 and out.strip() == '{"saved": 3, "already_recorded": 0}'
    code, _, err = outreach(capsys, data, "referrals", "import", str(tmp_path / "none.csv"))
    assert code == 1 and "cannot read" in err
    worker = tmp_path / "worker"
    assert outreach(capsys, worker, "init", "--user", "wes", "--role", "worker")[0] == 0
    code, _, err = outreach(capsys, worker, "referrals", "import", str(good))
    assert refused(code, err, "an outreach worker may not record referral outcomes")


def test_the_funnel_by_hand() -> None:
    """LS6 in November: 4 made, 2 attended (one then started), 1 started; a code never
    reported and a referral without a code count as made only. LS7 in December: 1 made,
    did not attend."""
    nov, dec = dt.date(2026, 11, 2), dt.date(2026, 12, 1)
    referrals = [
        Referral(CODES[0], "LS6", nov),
        Referral(CODES[1], "LS6", nov),
        Referral(CODES[2], "LS6", nov),
        Referral(None, "LS6", nov),
        Referral(CODES[3], "LS7", dec),
    ]
    outcomes = [
        (CODES[0], "attended"),
        (CODES[0], "started_treatment"),
        (CODES[1], "assessed"),
        (CODES[3], "did_not_attend"),
        ("R-ZZZZ-ZZZZ", "attended"),  # a referral made elsewhere or earlier: not in this set
    ]
    assert funnel(referrals, outcomes) == {
        ("LS6", "2026-11", "made"): 4,
        ("LS6", "2026-11", "attended"): 2,
        ("LS6", "2026-11", "started_treatment"): 1,
        ("LS7", "2026-12", "made"): 1,
    }


def contact(area: str, codes: Sequence[str | None], day: str = "2026-11-02") -> dict[str, Any]:
    tos = ["drug_treatment", "gp", "housing"]
    return {
        "type": "contact",
        "site": "outreach_van",
        "area": area,
        "setting": "street",
        "age_band": "25_34",
        "occurred_at": f"{day}T10:00:00+00:00",
        "referrals": [
            {"to": to, **({"referral_code": code} if code else {})}
            for to, code in zip(tos, codes, strict=False)
        ],
    }


# Contacts: LS6 makes CODES 0, 1 and one without a code; LS7 makes CODES 2. Outcomes: CODES 0
# attended then started treatment, CODES 1 did not attend, CODES 2 assessed.
CONTACTS = [
    contact("LS6", [CODES[0], CODES[1]]),
    contact("LS6", [None]),
    contact("LS7", [CODES[2]]),
]
OUTCOMES = [
    outcome(referral_code=CODES[0], outcome="attended", outcome_on="2026-11-05"),
    outcome(referral_code=CODES[0], outcome="started_treatment", outcome_on="2026-11-12"),
    outcome(referral_code=CODES[1], outcome="did_not_attend", outcome_on="2026-11-06"),
    outcome(referral_code=CODES[2], outcome="assessed", outcome_on="2026-11-07"),
]
EXPECTED = {
    ("LS6", "2026-11", "made"): 3,
    ("LS6", "2026-11", "started_treatment"): 1,
    ("LS6", "2026-11", "attended"): 1,
    ("LS7", "2026-11", "made"): 1,
    ("LS7", "2026-11", "attended"): 1,
}


def test_the_funnel_on_the_laptop_and_in_the_commissioner_set(tmp_path: Path) -> None:
    with _store(tmp_path, "coordinator") as store:
        for data in [*CONTACTS, *OUTCOMES]:
            store.add_new(data)
        run = lambda sql, params: store.conn.execute(sql, params).fetchall()  # noqa: E731
        assert read_funnel(run, *NOVEMBER) == EXPECTED
        assert read_funnel(run, *NOVEMBER, site="pharmacy") == {}
        counts = local_counts(store.conn, *NOVEMBER)
        assert counts.headline("referrals") == 4
        assert counts.headline("referrals_attended") == 2
        assert counts.headline("referrals_started_treatment") == 1
        table = dict(counts.table("referral_funnel_by_area").rows)
        assert table == {(a, m, s): n for (a, m, s), n in EXPECTED.items()} | {
            ("LS7", "2026-11", "started_treatment"): 0
        }


def test_the_funnel_on_a_real_hub_after_sync(
    store: Store, hub: Hub, hub_url: str, tmp_path: Path
) -> None:
    """A worker's contacts and a coordinator's outcomes reach the hub from two devices; the
    hub's tables give the same funnel (SQLite and PostgreSQL)."""
    worker = _store(tmp_path, "worker")
    with worker:
        enrol(worker, hub.new_enrolment(hub_url).text())
        for data in CONTACTS:
            worker.add_new(data)
        assert sync_now(worker).accepted == 3
    enrol(store, hub.new_enrolment(hub_url).text())  # the coordinator's device
    for data in OUTCOMES:
        store.add_new(data)
    assert sync_now(store).accepted == 4
    by_outcome = hub.counts(["outcome"], *NOVEMBER, kind="referral_outcome")
    assert {r["outcome"]: r["count"] for r in by_outcome} == {
        "attended": 1,
        "started_treatment": 1,
        "did_not_attend": 1,
        "assessed": 1,
    }
    layout = "arrays" if hub.engine.dialect.name == "postgresql" else "json"
    with hub.engine.connect() as conn:

        def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
            return conn.execute(sa.text(sql), params).all()

        assert read_funnel(run, *NOVEMBER, layout=layout) == EXPECTED


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("R-7K2M-Q9XD", "R-7K2M-Q9XD"),
        (" r-7k2m-q9xd ", "R-7K2M-Q9XD"),
        ("R 7K2M Q9XD", "R-7K2M-Q9XD"),
        ("r7k2mq9xd", "R-7K2M-Q9XD"),
        ("R-AAAA-OOIL", "R-AAAA-0011"),  # O, I, L are not in the code's alphabet
        ("R-12", "R-12"),  # left for validation to refuse
    ],
)
def test_codes_as_people_write_them(typed: str, stored: str) -> None:
    from outreach.records.referral_csv import referral_code

    assert referral_code(typed) == stored


def test_an_upgraded_store_joins_its_older_contacts_referral_codes(tmp_path: Path) -> None:
    """Migration 7 writes the referral-code item rows of contacts stored before it: a store
    made by older code (schema 3) gives the same funnel as a fresh one with the same records."""
    import json
    import shutil

    from outreach.store.session import unlock_store

    fixtures = Path(__file__).parents[1] / "store" / "fixtures"
    sample = Path(__file__).parents[2] / "examples" / "sample.jsonl"
    shutil.copytree(fixtures / "store_v3", tmp_path / "old")
    fresh, _ = create_store(tmp_path / "fresh", "alice", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    old = unlock_store(tmp_path / "old", "alice", "fixture passphrase 4 old stores")
    every = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    found = []
    with fresh, old:
        for line in sample.read_text().splitlines():
            if line.strip():
                fresh.add_new(json.loads(line))
        for store in (fresh, old):
            store.add_new(outcome(referral_code="R-7K2M-Q9XD", outcome_on="2026-01-20"))
            run = lambda sql, params, s=store: s.conn.execute(sql, params).fetchall()  # noqa: E731
            found.append(read_funnel(run, *every))
    assert found[0] == found[1]
    assert sum(n for (_, _, stage), n in found[0].items() if stage == "attended") == 1
