"""Overdose events (issue 15, item 1): validation, storage, projection, roll-up, counts, roles,
History, the fatal review list, sync and hub ingest on both backends. Counts are worked out by
hand from the records written here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from outreach.domain.roles import Action
from outreach.domain.vocab import base_vocabulary
from outreach.errors import InvalidRecord, NotPermitted
from outreach.hub.service import Hub
from outreach.records import OverdoseEvent, facts, permissions
from outreach.records.validation import build_entered, build_record
from outreach.reports.commissioner import local_counts
from outreach.reports.overdoses import fatal_events
from outreach.store import migrations
from outreach.store.commands import record_help
from outreach.store.counts import count_query
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync.client import sync_now
from tests.cli.conftest import quiet_cli
from tests.cli.helpers import outreach, record_line
from tests.samples import FAST_KDF, PASSPHRASE

__all__ = ["quiet_cli"]  # the CLI's fixture, used by one test here

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def event(**changes: Any) -> dict[str, Any]:
    data = {
        "type": "overdose_event",
        "site": "outreach_van",
        "area": "LS6",
        "occurred_on": "2026-11-02",
        "occurred_time": "21:40",
        "location_type": "street",
        "source": "witnessed",
        "substances": ["heroin", "benzodiazepines"],
        "naloxone_given": "yes",
        "administered_by": "peer",
        "doses": 2,
        "kit_owner": "person_own",
        "ambulance_called": "yes",
        "taken_to_hospital": "yes",
        "outcome": "survived",
    }
    return {**data, **changes}


# Five events: three in LS6, one in LS7, one NFA; two died; one voided below (the LS7 death).
EVENTS = [
    event(),
    event(occurred_on="2026-11-05", outcome="died", client_code=None, location_type="home"),
    event(
        occurred_on="2026-11-06",
        naloxone_given="no",
        administered_by=None,
        doses=None,
        kit_owner=None,
        substances=["synthetic_opioids"],
        ambulance_called="no",
        outcome="unknown",
    ),
    event(area="LS7", occurred_on="2026-11-09", outcome="died", location_type="hostel"),
    event(area="NFA", occurred_on="2026-11-10", outcome="survived", substances=[]),
]


def refusal(data: dict[str, Any]) -> InvalidRecord:
    with pytest.raises(InvalidRecord) as caught:
        build_entered(data, recorded_by="alice", now=NOW)
    return caught.value


def test_a_full_event_validates_and_keeps_every_field() -> None:
    record = build_entered(event(client_code=None), recorded_by="alice", now=NOW)
    assert isinstance(record, OverdoseEvent)
    assert (record.occurred_on, record.occurred_time) == (dt.date(2026, 11, 2), "21:40")
    assert (record.naloxone_given, record.administered_by, record.doses) == ("yes", "peer", 2)
    assert (record.kit_owner, record.taken_to_hospital, record.source) == (
        "person_own",
        "yes",
        "witnessed",
    )
    minimal = build_entered(
        {k: event()[k] for k in ("type", "site", "area", "occurred_on", "location_type")},
        recorded_by="alice",
        now=NOW,
    )
    assert (minimal.naloxone_given, minimal.outcome, minimal.doses) == ("unknown", "unknown", None)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"area": "LS6 1AB"}, "area", "full postcode"),
        ({"occurred_on": "2026-12-25"}, "occurred_on", "future"),
        ({"occurred_time": "9pm"}, "occurred_time", "hour and minute"),
        ({"occurred_time": "24:00"}, "occurred_time", "hour and minute"),
        ({"location_type": "pub"}, "location_type", "unknown code 'pub'"),
        ({"substances": ["heroin", "heroin"]}, "substances", "twice"),
        ({"naloxone_given": "maybe"}, "naloxone_given", "unknown code"),
        ({"doses": 0}, "doses", "between 1 and 20"),
        ({"doses": 21}, "doses", "between 1 and 20"),
        ({"naloxone_given": "no"}, "administered_by", "only when naloxone was given"),
        (
            {"naloxone_given": "unknown", "administered_by": None, "doses": 1},
            "doses",
            "only when naloxone was given",
        ),
        ({"kit_owner": "neighbour"}, "kit_owner", "unknown code"),
        ({"taken_to_hospital": "y"}, "taken_to_hospital", "unknown code"),
        ({"outcome": "recovered"}, "outcome", "unknown code"),
        ({"client_code": "nonsense"}, "client_code", "not a valid client code"),
        ({"notes": "found by John"}, "notes", "free text about people is never stored"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, Any], field: str, words: str) -> None:
    error = refusal(event(**changes))
    assert error.field == field and words in str(error)


def test_a_client_code_is_for_a_survivor_only() -> None:
    from outreach.domain.client_code import make_client_code

    code = make_client_code(b"k" * 32, "JS", dt.date(1990, 1, 1), "m")
    assert build_entered(event(client_code=code), recorded_by="alice", now=NOW).client_code == code
    error = refusal(event(client_code=code, outcome="died"))
    assert error.field == "client_code" and "survivor" in str(error)


def test_projection_counts_the_day_of_the_overdose() -> None:
    record = build_record(event(), recorded_by="alice", now=NOW)
    fact = facts.project(record)
    assert fact is not None
    assert fact.row["day"] == "2026-11-02" and fact.row["month"] == "2026-11"
    assert {
        k: fact.row[k]
        for k in ("area", "location_type", "outcome", "doses", "naloxone_given", "kit_owner")
    } == {
        "area": "LS6",
        "location_type": "street",
        "outcome": "survived",
        "doses": 2,
        "naloxone_given": "yes",
        "kit_owner": "person_own",
    }
    assert fact.row["taken_to_hospital"] == "yes"
    assert fact.items == [("substances", "heroin"), ("substances", "benzodiazepines")]
    assert facts.compact_row(record) == {
        **{k: v for k, v in fact.row.items() if v is not None},
        "substances": ["heroin", "benzodiazepines"],
    }
    assert "overdose_event" in record_help()


def _store(tmp_path: Path, role: str = "worker") -> Store:
    store, _ = create_store(tmp_path / role, f"{role[:4]}x", role, PASSPHRASE, kdf=FAST_KDF)
    return store


def _fill(store: Store) -> list[str]:
    ids = [store.add_new(dict(data))[0].id for data in EVENTS]
    store.void(ids[3], "entered_in_error")  # the LS7 death
    return ids


def test_stored_counted_from_the_roll_up_and_the_rows(tmp_path: Path) -> None:
    """Four active events: outcomes survived 2, died 1, unknown 1; areas LS6 3, NFA 1;
    substances heroin 2 (events 1, 2), benzodiazepines 2, synthetic opioids 1."""
    with _store(tmp_path) as store:
        ids = _fill(store)
        assert store.get(ids[0]).record == build_record(  # type: ignore[union-attr]
            {**EVENTS[0], "id": ids[0], "occurred_at": store.get(ids[0]).record.occurred_at},  # type: ignore[union-attr]
            recorded_by=store.user,
        )

        def by(field: str) -> dict[str, int]:
            rows = store.counts([field], *NOVEMBER, kind="overdose_event")
            return {row[field]: row["count"] for row in rows}

        assert by("outcome") == {"survived": 2, "died": 1, "unknown": 1}
        assert by("area") == {"LS6": 3, "NFA": 1}
        assert by("substances") == {"heroin": 2, "benzodiazepines": 2, "synthetic_opioids": 1}
        assert by("administered_by") == {"peer": 3, None: 1}
        assert by("ambulance_called") == {"yes": 3, "no": 1}
        assert by("naloxone_given") == {"yes": 3, "no": 1}
        assert by("kit_owner") == {"person_own": 3, None: 1}
        assert by("taken_to_hospital") == {"yes": 4}
        # the roll-up (migration 7) answers these, and agrees with the fact rows
        assert "overdose_event" in migrations.ROLLUP.counted
        for field in ("outcome", "area", "substances", "naloxone_given", "taken_to_hospital"):
            rolled, rolled_params, _ = count_query(
                [field], *NOVEMBER, "overdose_event", layout="rollup"
            )
            assert "fact_rollup" in rolled
            rows, row_params, _ = count_query([field], *NOVEMBER, "overdose_event", layout="coded")
            assert (
                store.conn.execute(rolled, rolled_params).fetchall()
                == store.conn.execute(rows, row_params).fetchall()
            )


def test_commissioner_set_and_fatal_review_list(tmp_path: Path) -> None:
    """Events 4 (1 died), LS6 3 / NFA 1; the review list shows the one active death."""
    with _store(tmp_path, "coordinator") as store:
        ids = _fill(store)
        counts = local_counts(store.conn, *NOVEMBER)
        assert counts.headline("overdose_events") == 4
        assert counts.headline("overdose_deaths") == 1
        assert dict(counts.table("overdose_events_by_area").rows) == {("LS6",): 3, ("NFA",): 1}
        assert dict(counts.table("overdose_events_by_outcome").rows) == {
            ("survived",): 2,
            ("died",): 1,
            ("unknown",): 1,
        }
        review = fatal_events(store)
        assert [(e.record_id, e.area, e.location_type) for e in review] == [(ids[1], "LS6", "home")]
        assert review[0].occurred_on == dt.date(2026, 11, 5)
        assert fatal_events(store, since=dt.date(2026, 11, 6)) == []


def test_roles_and_history(tmp_path: Path) -> None:
    """Workers and coordinators record, read and void; pharmacy users none of it."""
    for role in ("worker", "coordinator"):
        for action in Action:
            assert permissions.permitted(role, action, "overdose_event")
    assert not any(permissions.permitted("pharmacy", a, "overdose_event") for a in Action)
    with _store(tmp_path, "pharmacy") as store:
        with pytest.raises(NotPermitted):
            store.add_new(event())
        with pytest.raises(NotPermitted):
            fatal_events(store)

    from outreach.ui.models.records_model import RecordsModel

    with _store(tmp_path / "w") as store:
        made, _ = store.add_new(event())
        store.add_new(event(naloxone_given="no", administered_by=None, doses=None, kit_owner=None))
        store.void(made.id, "duplicate")
        model = RecordsModel(base_vocabulary())
        model.set_rows(store.recent(types=["overdose_event"]))
        shown = [[model.data(model.index(row, col)) for col in (1, 2, 4)] for row in range(2)]
    assert shown == [
        ["Overdose", "Survived · LS6 · no naloxone", "active"],
        ["Overdose", "Survived · LS6 · naloxone given", "voided"],
    ]


def test_the_cli_names_the_line_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, quiet_cli: None
) -> None:
    data = tmp_path / "cli"
    code, _, _ = outreach(capsys, data, "init", "--user", "wes", "--role", "worker")
    assert code == 0
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps(event()) + "\n" + json.dumps(event(doses=40)) + "\n", encoding="utf-8"
    )
    code, _, err = outreach(capsys, data, "record", "--file", str(path))
    assert code == 1
    assert "line 2, field 'doses': must be between 1 and 20" in err
    assert "nothing was saved" in err and "Traceback" not in err
    code, out, _ = outreach(capsys, data, "record", "--file", record_line(tmp_path, event()))
    assert code == 0 and '"saved": 1' in out


def test_synced_and_counted_by_the_hub(enrolled: Store, hub: Hub) -> None:
    """Both backends store and count them: outcomes survived 2, died 1, unknown 1."""
    _fill(enrolled)
    result = sync_now(enrolled)
    assert (result.accepted, result.quarantined) == (6, 0)  # five events and a void
    outcomes = hub.counts(["outcome"], *NOVEMBER, kind="overdose_event")
    assert {row["outcome"]: row["count"] for row in outcomes} == {
        "survived": 2,
        "died": 1,
        "unknown": 1,
    }
    substances = hub.counts(["substances"], *NOVEMBER, kind="overdose_event")
    assert {row["substances"]: row["count"] for row in substances} == {
        "heroin": 2,
        "benzodiazepines": 2,
        "synthetic_opioids": 1,
    }
    given = hub.counts(["naloxone_given", "kit_owner"], *NOVEMBER, kind="overdose_event")
    assert {(r["naloxone_given"], r["kit_owner"]): r["count"] for r in given} == {
        ("yes", "person_own"): 3,
        ("no", None): 1,
    }
    hospital = hub.counts(["taken_to_hospital"], *NOVEMBER, kind="overdose_event")
    assert [(r["taken_to_hospital"], r["count"]) for r in hospital] == [("yes", 4)]
    by_area = hub.counts(["area", "month"], *NOVEMBER, kind="overdose_event")
    assert {(r["area"], r["month"]): r["count"] for r in by_area} == {
        ("LS6", "2026-11"): 3,
        ("NFA", "2026-11"): 1,
    }


def test_a_survivors_code_syncs_beside_client_summaries(enrolled: Store, hub: Hub) -> None:
    """An event with a client code is accepted by a hub that keeps client summaries."""
    from outreach.domain.client_code import make_client_code

    code = make_client_code(b"k" * 32, "JS", dt.date(1990, 1, 1), "m")
    enrolled.add_new(event(client_code=code))
    result = sync_now(enrolled)
    assert (result.accepted, result.quarantined) == (1, 0)
    assert hub.counts(["outcome"], *NOVEMBER, kind="overdose_event") == [
        {"outcome": "survived", "count": 1}
    ]
