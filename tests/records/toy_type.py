"""The toy record type of docs/extending.md: one module is the whole type.

training_session — naloxone training given on its own, with no kit handed out. It uses code
lists that exist (site, training, recipient) and counts only fields the counting tables already
have columns for, so nothing else changes: see docs/extending.md for what a new code list or a
new counted column adds.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from outreach.domain.roles import FIELD_STAFF, Access
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType

MAX_PEOPLE = 50


class TrainingSession(BaseRecord, frozen=True, tag="training_session"):
    site: str
    area: str
    training: str
    recipient: str
    people: int = 1

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "training": "training",
        "recipient": "recipient",
    }
    ACCESS: ClassVar[Access] = Access.same(FIELD_STAFF)


def check(record: TrainingSession, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_area(record.area)
    if not 1 <= record.people <= MAX_PEOPLE:
        raise InvalidRecord(f"must be between 1 and {MAX_PEOPLE}", field="people")


def summary(record: TrainingSession, vocab: Vocabulary) -> str:
    return f"{vocab.label('training', record.training)} · {record.people} trained"


TYPE = RecordType(
    struct=TrainingSession,
    label="Naloxone training",
    summary=summary,
    check=check,
    counted=("site", "area", "training", "recipient"),
    help="naloxone training without a kit: site, area, training, recipient, people",
)
