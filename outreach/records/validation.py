"""Turn untrusted input (CLI JSON lines, form values, synced batches) into valid records.

Errors are `InvalidRecord` naming the field, in words a person can act on. The rules common to
every record and the code-list checks are here; each type's own rules are in its module, found
through the registry.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec

from outreach.domain import ids, user_names
from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.errors import InvalidRecord
from outreach.records import SCHEMA_VERSION, BaseRecord, Record, registry
from outreach.records.checks import (
    CLOCK_SKEW,
    EARLIEST,
    MAX_CODE_TEXT,
    NO_FIXED_ABODE,
    check_area,
    check_batch_or_serial,
    check_gtin,
    check_gtin_product,
    check_uuid,
    normalise_area,
)
from outreach.records.contact import EMPTY_CONTACT, says_nothing
from outreach.records.naloxone_use import MAX_DOSES
from outreach.records.stock_movement import MAX_QUANTITY

__all__ = [
    "CLOCK_SKEW",
    "EARLIEST",
    "EMPTY_CONTACT",
    "MAX_CODE_TEXT",
    "MAX_DOSES",
    "MAX_QUANTITY",
    "NO_FIXED_ABODE",
    "build_entered",
    "build_record",
    "check_area",
    "check_batch_or_serial",
    "check_entered",
    "check_gtin",
    "check_gtin_product",
    "contact_says_nothing",
    "normalise_area",
    "parse_record",
    "validate",
]

_MSGSPEC_PATH = re.compile(r"at `\$\.?([A-Za-z_][A-Za-z0-9_]*)")
contact_says_nothing = says_nothing


def build_record(
    data: dict[str, Any],
    *,
    recorded_by: str,
    now: dt.datetime | None = None,
    vocab: Vocabulary | None = None,
) -> Record:
    """Fill the fields a person never types (id, time, user), then decode and validate."""
    if not isinstance(data, dict):
        raise InvalidRecord("expected a JSON object")
    now = now or dt.datetime.now().astimezone()
    filled = dict(data)
    filled.setdefault("id", ids.uuid7())
    filled.setdefault("occurred_at", now.isoformat())
    filled.setdefault("recorded_by", recorded_by)
    return parse_record(filled, now=now, vocab=vocab)


def build_entered(
    data: dict[str, Any],
    *,
    recorded_by: str,
    now: dt.datetime | None = None,
    vocab: Vocabulary | None = None,
) -> Record:
    """A record a person enters now (the forms, `outreach record`): `build_record`, then the
    rules for new entries (`check_entered`)."""
    record = build_record(data, recorded_by=recorded_by, now=now, vocab=vocab)
    check_entered(record, vocab)
    return record


def check_entered(record: Record, vocab: Vocabulary | None = None) -> None:
    """Rules for what a person enters now, beyond what makes a record valid (the type's
    `check_entered`).

    Not part of `validate`: records already made (stored, synced, on the hub) stay valid as they
    are, so an old record is never quarantined by a rule that came later.
    """
    rule = registry.of(type(record)).check_entered
    if rule is not None:
        rule(record, vocab or base_vocabulary())


def parse_record(
    data: Any, *, now: dt.datetime | None = None, vocab: Vocabulary | None = None
) -> Record:
    """Decode a complete record (all fields present) and validate it."""
    if not isinstance(data, dict):
        raise InvalidRecord("expected a JSON object")
    kind = data.get("type")
    if kind is None:
        raise InvalidRecord("missing record type", field="type")
    try:
        record: Record = msgspec.convert(data, type=registry.union(), strict=False)
    except msgspec.ValidationError as exc:
        raise _from_msgspec(exc) from None
    validate(record, now=now, vocab=vocab)
    return record


def _from_msgspec(exc: msgspec.ValidationError) -> InvalidRecord:
    text = str(exc)
    match = _MSGSPEC_PATH.search(text)
    field = match.group(1) if match else None
    if text.startswith("Object missing required field"):
        missing = re.search(r"`([^`]+)`", text)
        field = missing.group(1) if missing else field
        return InvalidRecord("this field is required", field=field)
    if text.startswith("Object contains unknown field"):
        unknown = re.search(r"`([^`]+)`", text)
        return InvalidRecord(
            "unknown field (free text about people is never stored)",
            field=unknown.group(1) if unknown else None,
        )
    if "Invalid value" in text and "type" in text and field in (None, "type"):
        return InvalidRecord("unknown record type", field="type")
    message = _MSGSPEC_PATH.sub("", text).replace(" - ", " ").strip(" -")
    return InvalidRecord(message or text, field=field)


def validate(
    record: Record, *, now: dt.datetime | None = None, vocab: Vocabulary | None = None
) -> None:
    """Check codes against the code lists and the rules of the record's type."""
    vocab = vocab or base_vocabulary()
    now = now or dt.datetime.now().astimezone()
    _check_common(record, now)
    _check_codes(record, vocab)
    registry.of(type(record)).check(record, vocab, now)


def _check_common(record: BaseRecord, now: dt.datetime) -> None:
    check_uuid(record.id, "id")
    if not 1 <= record.schema <= SCHEMA_VERSION:  # also keeps it inside msgpack's 64 bits
        raise InvalidRecord(
            f"must be a record schema version, 1 to {SCHEMA_VERSION}", field="schema"
        )
    if record.occurred_at.tzinfo is None:
        raise InvalidRecord("needs a time-zone offset, e.g. +01:00", field="occurred_at")
    if record.occurred_at < EARLIEST:
        raise InvalidRecord("is before the year 2000", field="occurred_at")
    if record.occurred_at > now + CLOCK_SKEW:
        raise InvalidRecord("is in the future", field="occurred_at")
    if not user_names.is_well_formed(record.recorded_by):
        raise InvalidRecord(f"must be a user id: {user_names.RULE}", field="recorded_by")
    if record.supersedes is not None:
        check_uuid(record.supersedes, "supersedes")
        if record.supersedes == record.id:
            raise InvalidRecord("a record cannot supersede itself", field="supersedes")


def _check_codes(record: BaseRecord, vocab: Vocabulary) -> None:
    # Sets made once per record type: the hub runs this for every field of every record.
    coded, coded_lists = vocab.checks(type(record))
    for field, list_name, known in coded:
        value = getattr(record, field)
        if value is not None and value not in known:
            raise InvalidRecord(f"unknown code '{value}' (not in list '{list_name}')", field=field)
    for field, list_name, known in coded_lists:
        values = getattr(record, field)
        if not values:
            continue
        for value in values:
            if value not in known:
                raise InvalidRecord(
                    f"unknown code '{value}' (not in list '{list_name}')", field=field
                )
        if len(values) > 1 and len(set(values)) != len(values):
            raise InvalidRecord("lists a code twice", field=field)
