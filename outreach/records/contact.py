"""contact — one outreach encounter (DESIGN §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

from outreach.domain import ids
from outreach.domain.risk import risk_level
from outreach.domain.roles import FIELD_STAFF, Access
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType, Referral


class Contact(BaseRecord, frozen=True, tag="contact"):
    site: str
    area: str
    setting: str
    age_band: str = "unknown"
    gender: str = "not_stated"
    in_treatment: str = "unknown"
    injecting: str = "unknown"
    client_code: str | None = None
    substances: tuple[str, ...] = ()
    risk_factors: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    referrals: tuple[Referral, ...] = ()

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "setting": "setting",
        "age_band": "age_band",
        "gender": "gender",
        "in_treatment": "in_treatment",
        "injecting": "injecting",
    }
    CODED_LISTS: ClassVar[dict[str, str]] = {
        "substances": "substance",
        "risk_factors": "risk_factor",
        "interventions": "intervention",
    }
    # contacts carry client codes and risk: the people who work with clients, not pharmacies
    ACCESS: ClassVar[Access] = Access.same(FIELD_STAFF)


def check(record: Contact, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_area(record.area)
    if record.client_code is not None:
        checks.check_client_code(record.client_code)
    seen = set()
    for referral in record.referrals:
        if not vocab.has("referral_to", referral.to):
            raise InvalidRecord(f"unknown referral destination '{referral.to}'", field="referrals")
        if referral.to in seen:
            raise InvalidRecord(f"refers to '{referral.to}' twice", field="referrals")
        seen.add(referral.to)
        if referral.referral_code is not None and not ids.is_referral_code(referral.referral_code):
            raise InvalidRecord("referral code must look like R-XXXX-XXXX", field="referrals")


EMPTY_CONTACT = (
    "nothing was recorded about this contact: choose at least one of age band, gender, "
    "in treatment, injecting, substances, risk factors, interventions or referrals, "
    "or add a client code"
)


def says_nothing(record: Contact) -> bool:
    """Only the place and defaults: a stray Ctrl+S, not an encounter (site, area and setting
    are remembered from the last contact, so they say nothing on their own)."""
    return (
        record.client_code is None
        and record.age_band in (None, "unknown")
        and record.gender in (None, "not_stated")
        and record.in_treatment in (None, "unknown")
        and record.injecting in (None, "unknown")
        and not record.substances
        and not record.risk_factors
        and not record.interventions
        and not record.referrals
    )


def check_entered(record: Contact, vocab: Vocabulary) -> None:
    if says_nothing(record):
        raise InvalidRecord(EMPTY_CONTACT)


def list_values(record: Contact, field: str) -> Iterable[str]:
    if field == "referrals":
        return [referral.to for referral in record.referrals]
    values: tuple[str, ...] = getattr(record, field)
    return values


def join_items(record: Contact) -> Iterable[tuple[str, str]]:
    """Its referral codes, which the referral funnel joins outcomes on (issue 15)."""
    return [("referral_code", r.referral_code) for r in record.referrals if r.referral_code]


def derived(record: Contact) -> dict[str, Any]:
    level = risk_level(record.risk_factors, record.substances, record.injecting, record.age_band)
    return {"risk_level": level}


def summary(record: Contact, vocab: Vocabulary) -> str:
    parts = [vocab.label("setting", record.setting), record.area]
    if record.interventions:
        parts.append(", ".join(vocab.label("intervention", i) for i in record.interventions))
    return " · ".join(parts)


TYPE = RecordType(
    struct=Contact,
    label="Contact",
    summary=summary,
    check=check,
    check_entered=check_entered,
    counted=(
        "site",
        "area",
        "setting",
        "age_band",
        "gender",
        "in_treatment",
        "injecting",
        "risk_level",
        "substances",
        "risk_factors",
        "interventions",
        "referrals",
    ),
    lists=("substances", "risk_factors", "interventions", "referrals"),
    list_values=list_values,
    derived=derived,
    derived_columns=("risk_level",),
    join_items=join_items,
    help="one outreach encounter: site, area, setting, age_band, gender, … (no names)",
)
