"""Rules for what a person enters now: an empty contact is refused; stored records stay valid."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from outreach.errors import InvalidRecord
from outreach.records.validation import build_entered, build_record, parse_record
from tests.samples import CONTACT

SOMETHING = [
    {"age_band": "25_34"},
    {"gender": "female"},
    {"in_treatment": "no"},
    {"injecting": "never"},
    {"substances": ["crack"]},
    {"risk_factors": ["homeless"]},
    {"interventions": ["harm_reduction_advice"]},
    {"referrals": [{"to": "gp"}]},
    {"client_code": None},  # placeholder: replaced by a real code below
]


def test_an_empty_contact_is_refused_with_a_clear_message() -> None:
    """Only site, area, setting and 'unknown'/'not stated' answers: refused, saying what to do."""
    empty = {**CONTACT, "age_band": "unknown", "gender": "not_stated", "interventions": []}
    with pytest.raises(InvalidRecord, match="nothing was recorded about this contact"):
        build_entered(empty, recorded_by="alice")


@pytest.mark.parametrize("extra", SOMETHING[:-1])
def test_any_one_answer_makes_a_contact(extra: dict[str, object]) -> None:
    """One answer beyond the defaults is enough for a contact to be entered."""
    assert build_entered({**CONTACT, **extra}, recorded_by="alice").type == "contact"


def test_a_client_code_alone_makes_a_contact() -> None:
    """A contact with a repeat client's code says who was met, so it is not empty."""
    from outreach.domain.client_code import make_client_code

    code = make_client_code(b"k" * 32, "JS", dt.date(1990, 2, 17), "F")
    assert build_entered({**CONTACT, "client_code": code}, recorded_by="alice").client_code


def test_records_already_made_stay_valid() -> None:
    """The rule is for new entries: an empty contact made earlier (stored, synced) still parses."""
    record = build_record(CONTACT, recorded_by="alice")
    again = parse_record(msgspec.to_builtins(record))
    assert again.id == record.id
