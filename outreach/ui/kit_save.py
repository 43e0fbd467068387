"""Saving a kit issue (and the naloxone-use report with it) on the store thread. Qt-free."""

from __future__ import annotations

import datetime as dt
from typing import Any

from outreach.domain.records import KitIssue, Record
from outreach.domain.validation import build_entered
from outreach.errors import InvalidRecord
from outreach.store.store import Changes, Store

USE_REASONS = frozenset({"used_on_self", "used_on_other"})


class RepeatSerial(InvalidRecord):
    """The pack's serial was issued before: flagged, and issued only when confirmed."""


def save_kit(
    store: Store, kit: dict[str, Any], use: dict[str, Any] | None, *, allow_repeat_serial: bool
) -> tuple[Record, Changes]:
    """Validate with the core's rules (an expired kit is refused there), refuse a serial issued
    before unless confirmed, and save the kit and its use report in one transaction."""
    now = dt.datetime.now().astimezone()
    record = build_entered(kit, recorded_by=store.user, now=now)
    if not isinstance(record, KitIssue):
        raise InvalidRecord("expected a kit issue", field="type")
    if record.serial and not allow_repeat_serial and store.serial_issued(record.serial):
        raise RepeatSerial(
            f"pack serial {record.serial} was already issued on this device", field="serial"
        )
    records: list[Record] = [record]
    if use is not None:
        records.append(
            build_entered({**use, "kit_issue_id": record.id}, recorded_by=store.user, now=now)
        )
    return record, store.add(records)
