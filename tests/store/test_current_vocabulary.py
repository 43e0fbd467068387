"""The device validates what it records against its current lists: the shipped ones plus the
hub's additions kept in the store (issue 12, item 6), for every way a record is entered."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from outreach.domain.vocab import Code, Product, base_vocabulary
from outreach.errors import InvalidRecord
from outreach.store import vocabulary
from outreach.store.kit_issue import save_kit
from outreach.store.store import Store
from outreach.sync import state
from outreach.sync.protocol import Reference
from tests.samples import CONTACT, KIT

ADDED = Reference(
    version=2,
    lists={
        "risk_factor": [Code("chemsex", "Chemsex")],
        "product": [Code("zimhi_5mg", "Zimhi 5 mg")],
    },
    products=[Product("zimhi_5mg", ["05012345678900"], "injectable")],
)


def test_before_enrolment_the_shipped_lists(store: Store) -> None:
    assert vocabulary.current_vocabulary(store) is base_vocabulary()
    with pytest.raises(InvalidRecord, match="chemsex"):
        store.add_new({**CONTACT, "risk_factors": ["chemsex"]})


def test_the_hubs_additions_are_accepted_by_every_entry_path(store: Store) -> None:
    with store.transaction():
        state.save_reference(store, ADDED)
    vocab = vocabulary.current_vocabulary(store)
    assert vocab.has("risk_factor", "chemsex") and vocab.product_for_gtin("05012345678900")
    assert vocabulary.current_vocabulary(store) is vocab  # made once per stored reference
    record, _ = store.add_new({**CONTACT, "risk_factors": ["chemsex"]})
    kit, _ = save_kit(store, {**KIT, "product": "zimhi_5mg"}, None, allow_repeat_serial=False)
    assert kit.product == "zimhi_5mg"
    today = dt.date.today()
    rows = store.counts(["risk_factors"], today - dt.timedelta(days=1), today, "contact")
    assert {r["risk_factors"]: r["count"] for r in rows} == {"chemsex": 1}
    assert store.get(record.id) is not None


def test_an_unreadable_stored_reference_falls_back_to_the_shipped_lists(store: Store) -> None:
    with store.transaction():
        store.set_meta(state.REFERENCE, "not json")
    assert vocabulary.current_vocabulary(store) is base_vocabulary()
    assert msgspec.json.decode(msgspec.json.encode(ADDED), type=Reference) == ADDED
