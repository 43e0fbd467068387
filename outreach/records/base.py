"""What every record type is made of: the common fields (`BaseRecord`) and the declaration
(`RecordType`) a type's module gives the registry.

Every record is an event: corrections are new records that `supersede` an earlier id and deletions
are `Void` records. Codes are plain strings checked against the versioned code lists by
`outreach.records.validation`, because the lists are data that the hub can extend.
No field may hold a name, date of birth, address or free text about a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec

from outreach.domain.roles import Access
from outreach.domain.vocab import Vocabulary

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


Check = Callable[[Any, Vocabulary, dt.datetime], None]
EnteredCheck = Callable[[Any, Vocabulary], None]
Summary = Callable[[Any, Vocabulary], str]


def _no_check(record: Any, vocab: Vocabulary, now: dt.datetime) -> None:
    """A type whose fields' types and code lists say everything."""


def _occurred_day(record: Any) -> dt.date:
    day: dt.date = record.occurred_at.date()
    return day


@dataclass(frozen=True)
class RecordType:
    """Everything the rest of the app needs to know about one record type, in one place.

    `struct` carries the fields, code lists (`CODED`, `CODED_LISTS`) and roles (`ACCESS`);
    `check` the rules beyond types and codes, run on every record (laptop and hub) — rules only
    for what a person enters now go in `check_entered`, so an old record is never quarantined by
    a rule that came later. `counted` are the fields `counts --by` accepts, in roll-up order
    (a scalar one must be a facts column: `facts.FACT_COLUMNS`); those also in `lists` are list
    fields (`list_values` gives their codes, default the field itself), `day` is the day it
    counts on, `derived` extra facts columns (`derived_columns`) made from the record (a
    contact's risk level). `label` and `summary` are what a person reads in History (the type
    column and the summary column); `countable=False` keeps a type out of the counts (a void
    only retires others); `help` is its line in `outreach record --help`.
    """

    struct: type[BaseRecord]
    label: str
    summary: Summary
    check: Check = _no_check
    check_entered: EnteredCheck | None = None
    counted: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    list_values: Callable[[Any, str], Iterable[str]] | None = None
    day: Callable[[Any], dt.date] = _occurred_day
    derived: Callable[[Any], dict[str, Any]] | None = None
    derived_columns: tuple[str, ...] = ()
    countable: bool = True
    help: str = ""
    # (field, value) pairs the laptop keeps as item rows beside the counted ones, for joins
    # between types (a contact's referral codes); never counted, and hubs do not keep them
    join_items: Callable[[Any], Iterable[tuple[str, str]]] | None = None

    @property
    def name(self) -> str:
        return str(self.struct.__struct_config__.tag)
