"""Record types: one module per type (struct, codes, rules, projection, labels, roles) and the
registry everything else reads (`outreach.records.registry`; docs/extending.md)."""

from __future__ import annotations

from typing import Any

import msgspec

from outreach.records import registry
from outreach.records.base import SCHEMA_VERSION, BaseRecord, RecordType, Referral
from outreach.records.contact import Contact
from outreach.records.follow_up import FollowUp
from outreach.records.kit_issue import KitIssue
from outreach.records.naloxone_use import NaloxoneUse
from outreach.records.overdose_event import OverdoseEvent
from outreach.records.referral_outcome import ReferralOutcome
from outreach.records.stock_movement import StockMovement
from outreach.records.void import Void

# The built-in types, for type checking; at run time a record may be of any registered type.
Record = (
    Contact
    | KitIssue
    | NaloxoneUse
    | StockMovement
    | Void
    | OverdoseEvent
    | ReferralOutcome
    | FollowUp
)

__all__ = [
    "SCHEMA_VERSION",
    "BaseRecord",
    "Contact",
    "FollowUp",
    "KitIssue",
    "NaloxoneUse",
    "OverdoseEvent",
    "Record",
    "RecordType",
    "Referral",
    "ReferralOutcome",
    "StockMovement",
    "Void",
    "decode_record",
    "encode_record",
    "record_to_dict",
    "record_to_json",
    "registry",
]

_encoder = msgspec.msgpack.Encoder()
_json_encoder = msgspec.json.Encoder()


def encode_record(record: Record) -> bytes:
    """Compact binary form kept in the store and sent in batches."""
    return _encoder.encode(record)


def decode_record(data: bytes) -> Record:
    """A stored or synced record, of any registered type (msgspec.DecodeError otherwise)."""
    record: Record = registry.decoder().decode(data)
    return record


def record_to_json(record: Record) -> bytes:
    return _json_encoder.encode(record)


def record_to_dict(record: Record) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(record)
    return data
