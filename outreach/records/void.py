"""void — takes an earlier record out of the counts (DESIGN §3)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType


class Void(BaseRecord, frozen=True, tag="void"):
    target: str
    reason: str

    CODED: ClassVar[dict[str, str]] = {"reason": "void_reason"}
    # no ACCESS of its own: a void is allowed to whoever may void its target's type, and read by
    # whoever may read that type (outreach.records.permissions)


def check(record: Void, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_uuid(record.target, "target")
    if record.supersedes:
        raise InvalidRecord("a void cannot supersede a record", field="supersedes")


def summary(record: Void, vocab: Vocabulary) -> str:
    return f"voids {record.target[:8]}… ({vocab.label('void_reason', record.reason)})"


TYPE = RecordType(
    struct=Void,
    label="Void",
    summary=summary,
    check=check,
    countable=False,
    help="takes a record out of the counts: target (its id), reason",
)
