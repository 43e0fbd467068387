"""referral_outcome — what became of a referral, by its code (issue 15, item 3).

A contact's referral carries a printed code (R-XXXX-XXXX); the receiving service tells the
coordinator what happened (attended, assessed, started treatment, did not attend, not known) and
on what day. Recorded by a coordinator in the app, or imported from the service's CSV
(`outreach.reports.referral_import`). The referral itself is not looked up: the coordinator's
device need not hold the contact that made it, and the funnel (`referral_funnel`) joins the
two by code wherever both are counted.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from outreach.domain import ids
from outreach.domain.roles import COORDINATORS, FIELD_STAFF, Access
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType


class ReferralOutcome(BaseRecord, frozen=True, tag="referral_outcome"):
    site: str  # the site the coordinator records at (every counted record has one)
    referral_code: str
    outcome: str
    outcome_on: dt.date
    source: str = "recorded"

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "outcome": "referral_outcome",
        "source": "outcome_source",
    }
    # coordinators record and correct outcomes; workers may read how their referrals went
    ACCESS: ClassVar[Access] = Access(record=COORDINATORS, read=FIELD_STAFF, void=COORDINATORS)


def check_referral_code(code: str) -> None:
    if not ids.is_referral_code(code):
        raise InvalidRecord(
            "must be a referral code like R-7K2M-Q9XD (letters and digits as printed)",
            field="referral_code",
        )


def check(record: ReferralOutcome, vocab: Vocabulary, now: dt.datetime) -> None:
    check_referral_code(record.referral_code)
    checks.check_day(record.outcome_on, now, "outcome_on")


def summary(record: ReferralOutcome, vocab: Vocabulary) -> str:
    return f"{record.referral_code} · {vocab.label('referral_outcome', record.outcome)}"


def day(record: ReferralOutcome) -> dt.date:
    """Counted on the day of the outcome (the funnel counts by the referral's day)."""
    return record.outcome_on


TYPE = RecordType(
    struct=ReferralOutcome,
    label="Referral outcome",
    summary=summary,
    check=check,
    counted=("site", "outcome"),
    day=day,
    help="what became of a referral: referral_code, outcome, outcome_on (coordinators)",
)
