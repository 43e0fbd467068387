"""Record decoding and validation: clear, field-named errors for bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.domain import ids
from outreach.errors import InvalidRecord
from outreach.records import Contact, KitIssue, decode_record, encode_record
from outreach.records.validation import build_entered, build_record, normalise_area

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
KIT = {
    "type": "kit_issue",
    "site": "outreach_van",
    "product": "nyxoid_1_8mg_nasal",
    "batch": "AB12",
    "expiry": "2027-05-31",
    "recipient": "person_at_risk",
    "supply": "first",
    "training": "full",
}
CONTACT = {"type": "contact", "site": "outreach_van", "area": "LS6", "setting": "street"}


def build(data: dict[str, object]) -> object:
    return build_record(data, recorded_by="alice", now=NOW)


def error_for(data: dict[str, object]) -> InvalidRecord:
    with pytest.raises(InvalidRecord) as caught:
        build(data)
    return caught.value


def test_builds_a_kit_issue_with_id_time_and_user_filled_in() -> None:
    """Fields a person never types are filled: UUIDv7 id, time with offset, recording user."""
    record = build(KIT)
    assert isinstance(record, KitIssue)
    assert ids.is_uuid(record.id) and record.id[14] == "7"
    assert record.occurred_at == NOW
    assert record.recorded_by == "alice"
    assert record.expiry == dt.date(2027, 5, 31)


def test_records_round_trip_through_the_binary_form() -> None:
    """What the store keeps decodes back to the same record."""
    record = build({**CONTACT, "substances": ["heroin"], "referrals": [{"to": "gp"}]})
    assert decode_record(encode_record(record)) == record


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"product": "aspirin"}, "product", "unknown code 'aspirin'"),
        ({"batch": None}, "batch", "Expected `str`"),
        ({"expiry": "2026-01-01"}, "expiry", "expired"),
        ({"expiry": "31/05/2027"}, "expiry", "date"),
        ({"supply": "repeat"}, "resupply_reason", "needs a resupply reason"),
        ({"occurred_at": "2031-01-01T00:00:00+00:00"}, "occurred_at", "future"),
        ({"occurred_at": "2026-11-20T10:00:00"}, "occurred_at", "time-zone"),
        ({"gtin": "05000456031289"}, "gtin", "check digit"),
        ({"client_code": "NOTACODE123"}, "client_code", "client code"),
        ({"name": "John Smith"}, "name", "unknown field"),
        ({"type": "lunch"}, "type", "unknown record type"),
    ],
)
def test_bad_kit_issue_names_the_field(change: dict[str, object], field: str, words: str) -> None:
    """Each kind of bad input is refused with the field named and a readable reason."""
    error = error_for({**KIT, **change})
    assert error.field == field
    assert words in str(error)


def test_missing_field_is_named() -> None:
    """A missing required field is reported by name."""
    data = dict(KIT)
    del data["recipient"]
    error = error_for(data)
    assert error.field == "recipient"
    assert "required" in str(error)


def test_negative_stock_quantity_is_refused_but_an_adjustment_may_be_negative() -> None:
    """Only a count adjustment can take stock down by a negative quantity."""
    movement = {
        "type": "stock_movement",
        "site": "pharmacy",
        "product": "prenoxad_2mg_syringe",
        "batch": "B1",
        "expiry": "2027-01-31",
        "movement": "received",
        "quantity": -3,
    }
    assert error_for(movement).field == "quantity"
    adjusted = build({**movement, "movement": "count_adjustment", "reason": "stock_count"})
    assert adjusted.quantity == -3


def test_list_fields_refuse_unknown_and_repeated_codes() -> None:
    """Substances and the like are checked against the code lists, each code once."""
    assert error_for({**CONTACT, "substances": ["heroin", "tea"]}).field == "substances"
    assert error_for({**CONTACT, "substances": ["heroin", "heroin"]}).field == "substances"


@pytest.mark.parametrize("area", ["LS6 1AB", "ls61ab", "Leeds", "12 High Street"])
def test_area_must_be_coarse(area: str) -> None:
    """Only a postcode district or NFA is accepted: nothing that could locate a person."""
    assert error_for({**CONTACT, "area": area}).field == "area"


def test_area_normalisation() -> None:
    """Typed areas become upper-case districts; 'no fixed abode' becomes NFA."""
    assert normalise_area(" ls6 ") == "LS6"
    assert normalise_area("no fixed abode") == "NFA"
    assert isinstance(build({**CONTACT, "area": "NFA"}), Contact)


def test_referral_codes_are_checked() -> None:
    """A referral carries a card code of the form R-XXXX-XXXX, each destination once."""
    code = ids.new_referral_code()
    record = build({**CONTACT, "referrals": [{"to": "gp", "referral_code": code}]})
    assert record.referrals[0].referral_code == code
    assert error_for({**CONTACT, "referrals": [{"to": "gp", "referral_code": "x"}]}).field
    assert error_for({**CONTACT, "referrals": [{"to": "gp"}, {"to": "gp"}]}).field == "referrals"


def test_uuid7_ids_are_time_ordered() -> None:
    """Ids made one after another sort in the order they were made."""
    made = [ids.uuid7() for _ in range(2000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)


NYXOID_GTIN = "05000456031288"  # the shipped code list's Nyxoid pack
UNLISTED_GTIN = "09501101020917"  # GS1's example: valid check digit, no product of ours


def entered(data: dict[str, object]) -> object:
    return build_entered(data, recorded_by="alice", now=NOW)


def entered_error(data: dict[str, object]) -> InvalidRecord:
    with pytest.raises(InvalidRecord) as caught:
        entered(data)
    return caught.value


def test_a_gtin_must_be_the_chosen_products() -> None:
    """A listed GTIN under another product, or an unlisted one under a listed product, is refused
    naming the GTIN; an unlisted GTIN is kept only under an 'other' product."""
    wrong = entered_error({**KIT, "product": "prenoxad_2mg_syringe", "gtin": NYXOID_GTIN})
    assert wrong.field == "gtin" and NYXOID_GTIN in str(wrong)
    unknown = entered_error({**KIT, "gtin": UNLISTED_GTIN})
    assert unknown.field == "gtin" and UNLISTED_GTIN in str(unknown)
    assert entered({**KIT, "gtin": NYXOID_GTIN})
    assert entered({**KIT, "product": "other_nasal", "gtin": UNLISTED_GTIN})
    movement = {
        "type": "stock_movement",
        "site": "pharmacy",
        "product": "prenoxad_2mg_syringe",
        "gtin": UNLISTED_GTIN,
        "batch": "AB12",
        "expiry": "2027-05-31",
        "quantity": 5,
        "movement": "received",
    }
    assert entered_error(movement).field == "gtin"


@pytest.mark.parametrize("value", ["AB 12", "AB#12", "A$", "@1", "x[1]", "a\\b", "^", "`", "{}",
                                   "A|B", "~", "AB12\n", "é1", "A" * 21, ""])  # fmt: skip
@pytest.mark.parametrize("field", ["batch", "serial"])
def test_typed_batch_and_serial_follow_the_gs1_character_set(value: str, field: str) -> None:
    """Characters a GS1 pack code cannot carry (space, # $ @ [ \\ ] ^ ` { | } ~, non-ASCII) and
    more than 20 characters are refused, as the scan parser refuses them."""
    assert entered_error({**KIT, field: value}).field == field


def test_gs1_punctuation_is_accepted_in_batch_and_serial() -> None:
    """Every character of GS1 set 82 is a valid batch or serial character."""
    for value in ["!\"%&'()*+,-./:;<=>?_", "Az09"]:
        record = entered({**KIT, "batch": value[:20], "serial": value[-20:]})
        assert isinstance(record, KitIssue) and record.batch == value[:20]


def test_records_made_before_the_entry_rules_stay_valid() -> None:
    """An old record with an unlisted GTIN under a listed product or a `#` in its batch still
    validates (the hub does not quarantine it); only new entries meet the stricter rules."""
    old = {**KIT, "gtin": UNLISTED_GTIN, "batch": "AB#12", "serial": "S~1"}
    assert isinstance(build(old), KitIssue)
    assert entered_error(old).field in ("batch", "serial", "gtin")
