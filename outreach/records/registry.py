"""The record types, collected: what validation, projection, counts, CLI help, History, the
commissioner set, the store's roles and the hub all read instead of keeping their own lists.

Each type's module declares a `TYPE` (`RecordType`); `BUILT_IN` lists those modules and
`register` adds one more (an extension, or a test's toy type). A registered type's scalar counted
fields must be facts columns the stores already have (`facts.FACT_COLUMNS`), because those tables
change only through migrations (docs/extending.md).
"""

from __future__ import annotations

import functools
import importlib
import operator
from collections.abc import Callable
from typing import Any

import msgspec

from outreach.records.base import BaseRecord, RecordType

BUILT_IN = (
    "contact",
    "kit_issue",
    "naloxone_use",
    "stock_movement",
    "void",
    "overdose_event",
    "referral_outcome",
    "follow_up",
)

_types: dict[str, RecordType] = {}
_by_struct: dict[type, RecordType] = {}
_listeners: list[Callable[[], None]] = []


def register(spec: RecordType) -> RecordType:
    """Add a record type (idempotent for the same declaration). Raises ValueError for a name
    taken by another declaration or counted fields the stores have no column for."""
    found = _types.get(spec.name)
    if found is spec:
        return spec
    if found is not None:
        raise ValueError(f"record type '{spec.name}' is already registered")
    _check_columns(spec)
    _types[spec.name] = spec
    _by_struct[spec.struct] = spec
    _changed()
    return spec


def unregister(name: str) -> None:
    """Take a type out again (tests: a hub that predates it)."""
    spec = _types.pop(name)
    del _by_struct[spec.struct]
    _changed()


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` whenever the set of types changes (caches made from it are cleared)."""
    _listeners.append(listener)


def _changed() -> None:
    for cached in (union, count_fields, decoder):
        cached.cache_clear()
    for listener in _listeners:
        listener()


def _check_columns(spec: RecordType) -> None:
    from outreach.records.columns import FACT_COLUMNS, ITEM_FIELDS

    for field in spec.counted:
        known = ITEM_FIELDS if field in spec.lists else (*FACT_COLUMNS, *spec.derived_columns)
        if field not in known:
            raise ValueError(
                f"'{spec.name}' counts '{field}', which has no facts column yet: "
                "add it with a store and a hub migration (docs/extending.md)"
            )


def get(name: str) -> RecordType | None:
    return _types.get(name)


def names() -> tuple[str, ...]:
    """Every registered type, in registration order (built-in types first)."""
    return tuple(_types)


def types() -> tuple[RecordType, ...]:
    return tuple(_types.values())


def of(kind: type) -> RecordType:
    """The declaration of a record's struct class (KeyError for an unregistered one)."""
    return _by_struct[kind]


@functools.cache
def union() -> Any:
    """The tagged union of every registered struct, for msgspec to decode into."""
    return functools.reduce(operator.or_, (spec.struct for spec in _types.values()))


@functools.cache
def decoder() -> msgspec.msgpack.Decoder[Any]:
    return msgspec.msgpack.Decoder(union())


@functools.cache
def count_fields() -> dict[str, tuple[str, ...]]:
    """Fields per countable type that `counts --by` accepts (besides the period fields)."""
    return {spec.name: spec.counted for spec in _types.values() if spec.countable}


def struct_of(name: str) -> type[BaseRecord] | None:
    spec = _types.get(name)
    return None if spec is None else spec.struct


for _module in BUILT_IN:
    register(importlib.import_module(f"outreach.records.{_module}").TYPE)
