"""Saving a kit issue (and the naloxone-use report with it) on the store thread. Qt-free."""

from __future__ import annotations

import datetime as dt
from typing import Any

from outreach.domain.records import KitIssue, Record
from outreach.domain.validation import build_record
from outreach.errors import InvalidRecord
from outreach.store.store import Changes, Store

USE_REASONS = frozenset({"used_on_self", "used_on_other"})


def save_kit(
    store: Store, kit: dict[str, Any], use: dict[str, Any] | None, *, allow_repeat_serial: bool
) -> tuple[Record, Changes]:
    """Refuse an expired kit and (unless confirmed) a serial issued before; save in one go."""
    from outreach.domain.gs1 import is_expired  # slow import (biip): only when first needed

    now = dt.datetime.now().astimezone()
    record = build_record(kit, recorded_by=store.user, now=now)
    if not isinstance(record, KitIssue):
        raise InvalidRecord("expected a kit issue", field="type")
    if is_expired(record.expiry, now.date()):
        raise InvalidRecord(
            f"this kit expired on {record.expiry:%d %b %Y}: do not hand it out", field="expiry"
        )
    if record.serial and not allow_repeat_serial and store.serial_issued(record.serial):
        raise InvalidRecord(
            f"pack serial {record.serial} was already issued on this device", field="serial"
        )
    records: list[Record] = [record]
    if use is not None:
        records.append(
            build_record({**use, "kit_issue_id": record.id}, recorded_by=store.user, now=now)
        )
    return record, store.add(records)
