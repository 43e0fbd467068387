"""Code lists: shipped data, additions from the hub, lookups used by validation."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.domain.vocab import Code, Product, base_vocabulary
from outreach.errors import InvalidRecord
from outreach.records.validation import build_record

CONTACT = {"type": "contact", "site": "outreach_van", "area": "LS6", "setting": "street"}
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def test_shipped_lists_keep_their_order_and_labels() -> None:
    """Codes come back in display order with their labels; unknown codes show as themselves."""
    vocab = base_vocabulary()
    assert vocab.codes("supply") == ["first", "repeat"]
    assert vocab.label("product", "nyxoid_1_8mg_nasal") == "Nyxoid 1.8 mg nasal spray"
    assert vocab.label("product", "mystery") == "mystery"
    assert vocab.has("gender", "non_binary") and not vocab.has("gender", "unknown_code")
    assert vocab.product_for_gtin("05000456031288") == "nyxoid_1_8mg_nasal"


def test_hub_additions_extend_but_never_remove() -> None:
    """Merged reference data adds codes and GTINs; the shipped ones stay."""
    base = base_vocabulary()
    merged = base.merged(
        {"site": [Code("night_shelter", "Night shelter"), Code("outreach_van", "Renamed")]},
        [Product("nyxoid_1_8mg_nasal", ["05000456099998"])],
    )
    assert merged.codes("site")[-1] == "night_shelter"
    assert merged.label("site", "outreach_van") == "Outreach van"
    assert merged.product_for_gtin("05000456099998") == "nyxoid_1_8mg_nasal"
    assert merged.product_for_gtin("05000456031288") == "nyxoid_1_8mg_nasal"
    assert not base.has("site", "night_shelter")


def test_validation_uses_the_vocabulary_it_is_given() -> None:
    """A code the hub added (here a referral destination) is accepted only with that vocabulary."""
    extended = base_vocabulary().merged({"referral_to": [Code("peer_support", "Peer support")]})
    data = {**CONTACT, "referrals": [{"to": "peer_support"}]}
    record = build_record(data, recorded_by="alice", now=NOW, vocab=extended)
    assert record.referrals[0].to == "peer_support"
    with pytest.raises(InvalidRecord):
        build_record(data, recorded_by="alice", now=NOW)
