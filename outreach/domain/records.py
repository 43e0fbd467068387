"""The record types of the data dictionary (DESIGN §3), as immutable msgspec Structs.

Every record is an event: corrections are new records that `supersede` an earlier id and deletions
are `Void` records. Codes are plain strings checked against the versioned code lists by
`outreach.domain.validation`, because the lists are data that the hub can extend.
No field may hold a name, date of birth, address or free text about a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import msgspec

from outreach.domain.roles import EVERYONE, FIELD_STAFF, STOCK_KEEPERS, Access

SCHEMA_VERSION = 1


class Referral(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    to: str
    referral_code: str | None = None


class BaseRecord(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True
):
    id: str
    occurred_at: dt.datetime
    recorded_by: str
    schema: int = SCHEMA_VERSION
    supersedes: str | None = None

    # field name -> code list name, for validation, counts and the UI
    CODED: ClassVar[dict[str, str]] = {}
    CODED_LISTS: ClassVar[dict[str, str]] = {}
    # which roles may record, read and void this type (checked by the store API); none by default
    ACCESS: ClassVar[Access] = Access()

    @property
    def type(self) -> str:
        return str(self.__struct_config__.tag)


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


class KitIssue(BaseRecord, frozen=True, tag="kit_issue"):
    site: str
    product: str
    batch: str
    expiry: dt.date
    recipient: str
    supply: str
    training: str
    in_treatment: str = "unknown"
    gtin: str | None = None
    serial: str | None = None
    resupply_reason: str | None = None
    client_code: str | None = None
    contact_id: str | None = None

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "product": "product",
        "recipient": "recipient",
        "supply": "supply",
        "training": "training",
        "in_treatment": "in_treatment",
        "resupply_reason": "resupply_reason",
    }
    # every role supplies kits (pharmacies too) and must be able to correct its mistakes
    ACCESS: ClassVar[Access] = Access.same(EVERYONE)


class NaloxoneUse(BaseRecord, frozen=True, tag="naloxone_use"):
    site: str
    occurred_on: dt.date
    location_type: str
    administered_by: str
    product: str
    doses: int = 1
    ambulance_called: str = "unknown"
    stayed_with_person: str = "unknown"
    outcome: str = "unknown"
    kit_issue_id: str | None = None

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "location_type": "location_type",
        "administered_by": "administered_by",
        "product": "product",
        "ambulance_called": "yes_no_unknown",
        "stayed_with_person": "yes_no_unknown",
        "outcome": "outcome",
    }
    # reported with a resupply wherever the kit is handed out; no client code
    ACCESS: ClassVar[Access] = Access.same(EVERYONE)


class StockMovement(BaseRecord, frozen=True, tag="stock_movement"):
    site: str
    product: str
    batch: str
    expiry: dt.date
    quantity: int
    movement: str
    gtin: str | None = None
    reason: str | None = None
    kit_issue_id: str | None = None

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "product": "product",
        "movement": "movement",
        "reason": "stock_reason",
    }
    # the ledger is kept by pharmacies and the office; a worker's kit issue writes its `issued`
    # movement as a companion (outreach.stock.companion), which is not the worker's own write
    ACCESS: ClassVar[Access] = Access.same(STOCK_KEEPERS)


class Void(BaseRecord, frozen=True, tag="void"):
    target: str
    reason: str

    CODED: ClassVar[dict[str, str]] = {"reason": "void_reason"}
    # no ACCESS of its own: a void is allowed to whoever may void its target's type, and read by
    # whoever may read that type (outreach.domain.permissions)


Record = Contact | KitIssue | NaloxoneUse | StockMovement | Void
RECORD_TYPES: dict[str, type[BaseRecord]] = {
    "contact": Contact,
    "kit_issue": KitIssue,
    "naloxone_use": NaloxoneUse,
    "stock_movement": StockMovement,
    "void": Void,
}
# Types whose fields can be counted (a void only removes another record from counts).
COUNTABLE_TYPES = ("contact", "kit_issue", "naloxone_use", "stock_movement")

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Record] = msgspec.msgpack.Decoder(Record)
_json_encoder = msgspec.json.Encoder()


def encode_record(record: Record) -> bytes:
    """Compact binary form kept in the store and sent in batches."""
    return _encoder.encode(record)


def decode_record(data: bytes) -> Record:
    return _decoder.decode(data)


def record_to_json(record: Record) -> bytes:
    return _json_encoder.encode(record)


def record_to_dict(record: Record) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(record)
    return data
