"""Turn untrusted input (CLI JSON lines, form values, synced batches) into valid records.

Errors are `InvalidRecord` naming the field, in words a person can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec

from outreach.domain import ids, user_names
from outreach.domain.client_code import is_valid_client_code
from outreach.domain.records import (
    SCHEMA_VERSION,
    BaseRecord,
    Contact,
    KitIssue,
    NaloxoneUse,
    Record,
    StockMovement,
    Void,
)
from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.errors import InvalidRecord

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(days=1)  # device clocks drift; anything further ahead is a typo
MAX_CODE_TEXT = 20  # GS1 batch and serial are at most 20 characters
MAX_DOSES = 20
MAX_QUANTITY = 100_000

_POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
_FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}$")
# GS1 AI encodable character set 82, the only characters of batch (10) and serial (21) in a pack
# code: letters, digits and ! " % & ' ( ) * + , - . / : ; < = > ? _ (no spaces, no # $ @ [ \ ]
# ^ ` { | } ~).
_GS1_TEXT = re.compile(r'^[!"%-?A-Z_a-z]{1,20}$')
# What records made before set 82 was enforced hold: printable ASCII without spaces.
_PRINTABLE_TEXT = re.compile(r"^[!-~]{1,20}$")
NO_FIXED_ABODE = "NFA"
_NFA_SPELLINGS = {"NFA", "NO FIXED ABODE", "NO_FIXED_ABODE"}
_MSGSPEC_PATH = re.compile(r"at `\$\.?([A-Za-z_][A-Za-z0-9_]*)")


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
    """Rules for what a person enters now, beyond what makes a record valid.

    Not part of `validate`: records already made (stored, synced, on the hub) stay valid as they
    are, so an old record is never quarantined by a rule that came later.
    """
    if isinstance(record, Contact) and contact_says_nothing(record):
        raise InvalidRecord(EMPTY_CONTACT)
    if isinstance(record, KitIssue | StockMovement):
        check_batch_or_serial(record.batch, "batch")
        serial = record.serial if isinstance(record, KitIssue) else None
        if serial is not None:
            check_batch_or_serial(serial, "serial")
        if record.gtin is not None:
            check_gtin_product(record.gtin, record.product, vocab or base_vocabulary())


EMPTY_CONTACT = (
    "nothing was recorded about this contact: choose at least one of age band, gender, "
    "in treatment, injecting, substances, risk factors, interventions or referrals, "
    "or add a client code"
)


def contact_says_nothing(record: Contact) -> bool:
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
        record: Record = msgspec.convert(data, type=Record, strict=False)
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
    """Check codes against the code lists and the rules of each record type."""
    vocab = vocab or base_vocabulary()
    now = now or dt.datetime.now().astimezone()
    _check_common(record, now)
    _check_codes(record, vocab)
    match record:
        case Contact():
            _check_contact(record, vocab)
        case KitIssue():
            _check_kit_issue(record, vocab)
        case NaloxoneUse():
            _check_naloxone_use(record, now)
        case StockMovement():
            _check_stock_movement(record)
        case Void():
            _check_uuid(record.target, "target")
            if record.supersedes:
                raise InvalidRecord("a void cannot supersede a record", field="supersedes")


def _check_common(record: BaseRecord, now: dt.datetime) -> None:
    _check_uuid(record.id, "id")
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
        _check_uuid(record.supersedes, "supersedes")
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


def _check_contact(record: Contact, vocab: Vocabulary) -> None:
    check_area(record.area)
    if record.client_code is not None:
        _check_client_code(record.client_code)
    seen = set()
    for referral in record.referrals:
        if not vocab.has("referral_to", referral.to):
            raise InvalidRecord(f"unknown referral destination '{referral.to}'", field="referrals")
        if referral.to in seen:
            raise InvalidRecord(f"refers to '{referral.to}' twice", field="referrals")
        seen.add(referral.to)
        if referral.referral_code is not None and not ids.is_referral_code(referral.referral_code):
            raise InvalidRecord("referral code must look like R-XXXX-XXXX", field="referrals")


def _check_kit_issue(record: KitIssue, vocab: Vocabulary) -> None:
    _check_printable(record.batch, "batch")
    if record.serial is not None:
        _check_printable(record.serial, "serial")
    if record.gtin is not None:
        check_gtin(record.gtin)
        known = vocab.product_for_gtin(record.gtin)
        if known is not None and known != record.product:
            raise InvalidRecord(  # labels: a person reads this, never a code
                f"this pack (GTIN {record.gtin}) is {vocab.label('product', known)}, "
                f"not {vocab.label('product', record.product)}: choose the product it is",
                field="gtin",
            )
    if record.expiry < record.occurred_at.date():
        raise InvalidRecord(
            f"this kit expired on {record.expiry:%d %b %Y}: do not hand it out", field="expiry"
        )
    if record.supply == "repeat" and record.resupply_reason is None:
        raise InvalidRecord("a repeat supply needs a resupply reason", field="resupply_reason")
    if record.supply == "first" and record.resupply_reason is not None:
        raise InvalidRecord("a first supply has no resupply reason", field="resupply_reason")
    if record.client_code is not None:
        _check_client_code(record.client_code)
    if record.contact_id is not None:
        _check_uuid(record.contact_id, "contact_id")


def _check_naloxone_use(record: NaloxoneUse, now: dt.datetime) -> None:
    if record.occurred_on > now.date() + CLOCK_SKEW:
        raise InvalidRecord("is in the future", field="occurred_on")
    if record.occurred_on < EARLIEST.date():
        raise InvalidRecord("is before the year 2000", field="occurred_on")
    if not 1 <= record.doses <= MAX_DOSES:
        raise InvalidRecord(f"must be between 1 and {MAX_DOSES}", field="doses")
    if record.kit_issue_id is not None:
        _check_uuid(record.kit_issue_id, "kit_issue_id")


def _check_stock_movement(record: StockMovement) -> None:
    _check_printable(record.batch, "batch")
    if record.gtin is not None:
        check_gtin(record.gtin)
    if record.movement == "count_adjustment":
        if record.quantity == 0 or abs(record.quantity) > MAX_QUANTITY:
            raise InvalidRecord("an adjustment must change the count", field="quantity")
    elif not 0 < record.quantity <= MAX_QUANTITY:
        raise InvalidRecord(
            "must be a positive number of packs (only a count adjustment can be negative)",
            field="quantity",
        )
    if record.kit_issue_id is not None:
        _check_uuid(record.kit_issue_id, "kit_issue_id")


def check_area(area: str) -> None:
    """Areas are coarse on purpose: a postcode district (LS6) or NFA, never a full postcode."""
    if area in _NFA_SPELLINGS:
        return
    if _FULL_POSTCODE.match(area.upper()) and not _POSTCODE_DISTRICT.match(area.upper()):
        raise InvalidRecord(
            "looks like a full postcode: record only the district (e.g. 'LS6')", field="area"
        )
    if not _POSTCODE_DISTRICT.match(area):
        raise InvalidRecord(
            "must be a postcode district in capitals (e.g. 'LS6') or 'NFA'", field="area"
        )


def normalise_area(text: str) -> str:
    """What a person types → the stored form (upper case, NFA for no fixed abode)."""
    cleaned = " ".join(text.strip().upper().split())
    return NO_FIXED_ABODE if cleaned in _NFA_SPELLINGS else cleaned


def check_gtin(gtin: str) -> None:
    if not (len(gtin) == 14 and gtin.isdigit()):
        raise InvalidRecord("a GTIN has 14 digits", field="gtin")
    digits = [int(c) for c in gtin]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    if (10 - total % 10) % 10 != digits[-1]:
        raise InvalidRecord("GTIN check digit is wrong (mistyped or misread)", field="gtin")


def check_gtin_product(gtin: str, product: str, vocab: Vocabulary) -> None:
    """A GTIN names its product: a listed GTIN must be the chosen product's, and an unlisted one
    is accepted only under a product with no GTINs of its own (the "other" entries). Otherwise a
    pack nobody knows would be counted, recalled and stocked as whatever product was selected."""
    check_gtin(gtin)
    known = vocab.product_for_gtin(gtin)
    if known is not None:
        if known != product:
            raise InvalidRecord(  # labels: a person reads this, never a code
                f"this pack (GTIN {gtin}) is {vocab.label('product', known)}, "
                f"not {vocab.label('product', product)}: choose the product it is",
                field="gtin",
            )
        return
    if any(entry.code == product and entry.gtins for entry in vocab.products):
        raise InvalidRecord(
            f"GTIN {gtin} is not {vocab.label('product', product)} nor any product on the "
            "list: check the number, or record the pack as an 'Other' product",
            field="gtin",
        )


def _check_printable(value: str, field: str) -> None:
    if not _PRINTABLE_TEXT.fullmatch(value):
        raise InvalidRecord(
            f"must be 1–{MAX_CODE_TEXT} printable characters with no spaces", field=field
        )


def check_batch_or_serial(value: str, field: str) -> None:
    """The one rule for batch and serial, typed or scanned (`gs1` calls it too): what a scan of
    the pack could hold, so a typed value matches the pack and a recall finds it."""
    if not _GS1_TEXT.fullmatch(value):
        raise InvalidRecord(
            f"must be 1–{MAX_CODE_TEXT} letters, digits or GS1 punctuation "
            "(no spaces, and none of # $ @ [ \\ ] ^ ` { | } ~)",
            field=field,
        )


def _check_uuid(value: str, field: str) -> None:
    if not ids.is_uuid(value):
        raise InvalidRecord("must be a record id (UUID)", field=field)


def _check_client_code(code: str) -> None:
    if not is_valid_client_code(code):
        raise InvalidRecord(
            "is not a valid client code (a character was mistyped)", field="client_code"
        )
