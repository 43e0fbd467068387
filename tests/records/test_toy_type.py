"""A record type added through the registry alone works end to end (issue 14, docs/extending.md).

The toy (`tests/records/toy_type.py`) is one module; registering it is the only other step.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from outreach.domain.roles import Action
from outreach.domain.vocab import base_vocabulary
from outreach.errors import InvalidRecord, NotPermitted
from outreach.hub import db
from outreach.hub.service import Hub
from outreach.records import facts, permissions, registry
from outreach.records.validation import build_record
from outreach.store.commands import record_help
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync.client import sync_now
from tests.records import toy_type
from tests.samples import FAST_KDF, PASSPHRASE

ROOT = Path(__file__).parents[2]
WHEN = dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)
DAYS = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def session(**changes: Any) -> dict[str, Any]:
    data = {
        "type": "training_session",
        "site": "outreach_van",
        "area": "LS6",
        "training": "full",
        "recipient": "family_friend",
        "people": 3,
        "occurred_at": WHEN.isoformat(),
    }
    return {**data, **changes}


def test_the_toy_type_needs_no_line_anywhere_else() -> None:
    """No file of the app or its resources names the toy type: its module is the whole type."""
    named = [
        path.relative_to(ROOT)
        for folder in ("outreach", "resources")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and b"training_session" in path.read_bytes()
    ]
    assert named == []


def test_the_toy_type_validates(toy: str) -> None:
    """Its own rule, its code lists and the common rules all apply to it."""
    record = build_record(session(), recorded_by="alice")
    assert isinstance(record, toy_type.TrainingSession) and record.type == toy
    with pytest.raises(InvalidRecord) as caught:
        build_record(session(people=0), recorded_by="alice")
    assert caught.value.field == "people"
    with pytest.raises(InvalidRecord) as caught:
        build_record(session(training="juggling"), recorded_by="alice")
    assert caught.value.field == "training" and "juggling" in str(caught.value)
    with pytest.raises(InvalidRecord) as caught:
        build_record(session(area="LS6 1AB"), recorded_by="alice")
    assert caught.value.field == "area"


def test_an_unregistered_type_is_refused_with_a_clear_error() -> None:
    """Without its module registered the same input is an unknown record type."""
    with pytest.raises(InvalidRecord) as caught:
        build_record(session(), recorded_by="alice")
    assert caught.value.field == "type"


def test_the_toy_type_projects_and_is_listed(toy: str) -> None:
    """The facts row, the hub's compact row, counts --by, CLI help and roles come from it."""
    record = build_record(session(), recorded_by="alice")
    fact = facts.project(record)
    assert fact is not None and fact.items == []
    assert {k: fact.row[k] for k in ("type", "site", "area", "training", "recipient")} == {
        "type": toy,
        "site": "outreach_van",
        "area": "LS6",
        "training": "full",
        "recipient": "family_friend",
    }
    assert fact.row["day"] == "2026-11-02" and fact.row["product"] is None
    assert facts.compact_row(record) == {k: v for k, v in fact.row.items() if v is not None}
    assert facts.count_fields()[toy] == ("site", "area", "training", "recipient")
    assert toy in record_help()
    assert permissions.permitted("worker", Action.RECORD, toy)
    assert not permissions.permitted("pharmacy", Action.READ, toy)


def test_the_toy_type_is_stored_counted_voided_and_shown_in_history(toy: str, store: Store) -> None:
    """A store keeps it, counts it (from the fact rows: no roll-up migration has it) and
    History shows it with its own label and summary."""
    made, _ = store.add_new(session())
    store.add_new(session(training="brief", people=1))
    assert store.get(made.id).record == made  # type: ignore[union-attr]
    by_training = store.counts(["training"], *DAYS, kind=toy)
    assert {row["training"]: row["count"] for row in by_training} == {"full": 1, "brief": 1}
    store.void(made.id, "duplicate")
    assert store.counts(["site"], *DAYS, kind=toy) == [{"site": "outreach_van", "count": 1}]

    from outreach.ui.models.records_model import RecordsModel

    model = RecordsModel(base_vocabulary())
    model.set_rows(store.recent(types=[toy]))
    shown = [[model.data(model.index(row, col)) for col in (1, 2, 4)] for row in range(2)]
    assert shown == [
        ["Naloxone training", "Brief training · 1 trained", "active"],
        ["Naloxone training", "Full training · 3 trained", "voided"],
    ]


def test_a_pharmacy_user_may_not_record_the_toy_type(toy: str, tmp_path: Path) -> None:
    """Its ACCESS declaration is what the store checks."""
    store, _ = create_store(tmp_path / "p", "pat", "pharmacy", PASSPHRASE, kdf=FAST_KDF)
    with store, pytest.raises(NotPermitted):
        store.add_new(session())


def test_the_toy_type_syncs_and_the_hub_counts_it(toy: str, enrolled: Store, hub: Hub) -> None:
    """A hub that knows the type accepts, stores and counts it like any other."""
    enrolled.add_new(session())
    enrolled.add_new(session(recipient="carer"))
    result = sync_now(enrolled)
    assert (result.accepted, result.quarantined) == (2, 0)
    by_recipient = hub.counts(["recipient"], *DAYS, kind=toy)
    assert {row["recipient"]: row["count"] for row in by_recipient} == {
        "family_friend": 1,
        "carer": 1,
    }


def test_a_hub_that_predates_the_toy_type_quarantines_it(
    toy: str, enrolled: Store, hub: Hub
) -> None:
    """An older hub keeps the record aside (not the batch) and the device's watermark moves on."""
    enrolled.add_new(session())
    enrolled.add_new(_contact())
    registry.unregister(toy)  # the hub (same process) no longer knows the type
    try:
        result = sync_now(enrolled)
    finally:
        registry.register(toy_type.TYPE)
    assert (result.accepted, result.quarantined, result.acked_through) == (1, 1, 2)
    with hub.engine.connect() as conn:
        errors = conn.execute(sa.select(db.quarantine.c.error)).scalars().all()
    assert len(errors) == 1 and "training_session" in errors[0]


def _contact() -> dict[str, Any]:
    return {
        "type": "contact",
        "site": "outreach_van",
        "area": "LS6",
        "setting": "street",
        "age_band": "25_34",
        "occurred_at": WHEN.isoformat(),
    }
