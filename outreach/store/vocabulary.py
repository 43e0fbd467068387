"""The code lists this device validates against: the shipped ones plus the hub's additions.

The hub's reference data arrives at enrolment and with every sync (`outreach.sync`) and is kept in
the store's meta under `REFERENCE`; everything that enters records on this device — the forms and
`outreach record` — validates against `current_vocabulary`, so a code the hub added is accepted
here as it is on the hub. Read here, below the sync layer, because the store's own commands need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from outreach.domain.vocab import Code, Product, Vocabulary, base_vocabulary

if TYPE_CHECKING:
    from outreach.store.store import Store

REFERENCE = "sync.reference"  # the meta key `outreach.sync.state` keeps the hub's reference in


class _Additions(msgspec.Struct, frozen=True):
    """The part of the hub's `Reference` (outreach.sync.protocol) that adds codes."""

    lists: dict[str, list[Code]] = {}
    products: list[Product] = []


def current_vocabulary(store: Store) -> Vocabulary:
    """The shipped code lists plus whatever the hub has added (the shipped ones alone before
    enrolment, or if the stored reference cannot be read)."""
    stored = store.meta(REFERENCE)
    if not stored:
        return base_vocabulary()
    return _merged(stored)


_cache: dict[str, Vocabulary] = {}


def _merged(stored: str) -> Vocabulary:
    """The merged lists for one stored reference, made once (a form asks for every save)."""
    found = _cache.get(stored)
    if found is None:
        try:
            ref = msgspec.json.decode(stored, type=_Additions)
        except msgspec.DecodeError:
            return base_vocabulary()
        found = base_vocabulary()
        if ref.lists or ref.products:
            found = found.merged(ref.lists, ref.products)
        _cache.clear()  # one device holds one reference: keep only the latest
        _cache[stored] = found
    return found
