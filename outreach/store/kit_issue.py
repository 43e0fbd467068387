"""Issuing a kit: the rules both the desktop form and `outreach record` apply (issue 14).

A pack serial handed out before is refused unless the person confirms it (the desktop app asks;
the CLI takes `--allow-repeat-serial`): the same pack twice is usually a scan of the wrong box.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from outreach.errors import InvalidRecord, RepeatSerial
from outreach.records import KitIssue, Record
from outreach.records.validation import build_entered
from outreach.store.changes import Changes
from outreach.store.purge import purged_serial_day
from outreach.store.store import Store
from outreach.store.vocabulary import current_vocabulary


def serial_issued_on(store: Store, serial: str) -> dt.date | None:
    """The day an active kit issue on this device handed out this pack serial, if one did;
    a kit issue the retention purge deleted still counts (`outreach.store.purge`)."""
    found = store.serial_issued(serial)
    if found is not None:
        return found.record.occurred_at.date()
    return purged_serial_day(store.conn, serial)


def refuse_repeat_serials(store: Store, records: Sequence[Record]) -> None:
    """RepeatSerial for the first kit issue whose pack serial was issued before: on this device
    (an active kit issue that this record does not correct, or one purged after sync) or earlier
    in the same batch."""
    seen: set[str] = set()
    for record in records:
        if not isinstance(record, KitIssue) or not record.serial:
            continue
        earlier = record.serial in seen
        if not earlier:
            found = store.serial_issued(record.serial)
            earlier = found is not None and found.record.id != record.supersedes
            earlier = earlier or purged_serial_day(store.conn, record.serial) is not None
        if earlier:
            raise RepeatSerial(
                f"pack serial {record.serial} was already issued on this device", field="serial"
            )
        seen.add(record.serial)


def save_kit(
    store: Store, kit: dict[str, Any], use: dict[str, Any] | None, *, allow_repeat_serial: bool
) -> tuple[Record, Changes]:
    """Validate with the core's rules (an expired kit is refused there), refuse a serial issued
    before unless confirmed, and save the kit and its use report in one transaction."""
    now = dt.datetime.now().astimezone()
    vocab = current_vocabulary(store)  # the shipped lists and the hub's additions
    record = build_entered(kit, recorded_by=store.user, now=now, vocab=vocab)
    if not isinstance(record, KitIssue):
        raise InvalidRecord("expected a kit issue", field="type")
    if not allow_repeat_serial:
        refuse_repeat_serials(store, [record])
    records: list[Record] = [record]
    if use is not None:
        records.append(
            build_entered(
                {**use, "kit_issue_id": record.id}, recorded_by=store.user, now=now, vocab=vocab
            )
        )
    return record, store.add(records)
