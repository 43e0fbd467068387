"""Versioned code lists, loaded from data (resources/vocab), extensible by hub reference data.

The UI builds its choices from here; nothing else hard-codes a list of codes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import msgspec

from outreach.paths import resources_dir

VOCAB_VERSION = 1
# The kit issue's `resupply_reason` codes meaning the last kit was used: the desktop form asks for
# the naloxone-use report with them, and the commissioner set counts them (one home, issue 14).
USE_REASONS = ("used_on_self", "used_on_other")
_NO_CODES: frozenset[str] = frozenset()
CodeChecks = tuple[tuple[str, str, frozenset[str]], ...]


class Code(msgspec.Struct, frozen=True):
    code: str
    label: str


class Product(msgspec.Struct, frozen=True):
    code: str
    gtins: list[str] = []
    route: str = "other"


class _VocabularyFile(msgspec.Struct, frozen=True):
    version: int
    lists: dict[str, list[Code]]
    products: list[Product] = []


class Vocabulary:
    """Read-only code lists. Membership checks are set lookups: validation asks one per field of
    every record, on the laptop and for every record a hub ingests."""

    __slots__ = ("_checks", "_gtins", "_sets", "lists", "products", "version")

    def __init__(
        self, version: int, lists: Mapping[str, Iterable[Code]], products: Iterable[Product] = ()
    ) -> None:
        self.version = version
        self.lists = {name: list(entries) for name, entries in lists.items()}
        self.products = list(products)
        self._sets = {
            name: frozenset(e.code for e in entries) for name, entries in self.lists.items()
        }
        self._gtins = {gtin: product.code for product in self.products for gtin in product.gtins}
        self._checks: dict[type, tuple[CodeChecks, CodeChecks]] = {}

    def codes(self, list_name: str) -> list[str]:
        """The codes of one list, in display order."""
        return [entry.code for entry in self.lists[list_name]]

    def has(self, list_name: str, code: str) -> bool:
        return code in self._sets.get(list_name, ())

    def code_set(self, list_name: str) -> frozenset[str]:
        """All codes of one list (empty if unknown), for checks that test many values."""
        return self._sets.get(list_name, _NO_CODES)

    def checks(self, kind: type) -> tuple[CodeChecks, CodeChecks]:
        """A record type's coded fields and coded list fields, each with its list's codes:
        (field, list name, codes). Made once per type; validation runs per record."""
        found = self._checks.get(kind)
        if found is None:
            coded: dict[str, str] = getattr(kind, "CODED", {})
            lists: dict[str, str] = getattr(kind, "CODED_LISTS", {})
            found = self._checks[kind] = (
                tuple((f, name, self.code_set(name)) for f, name in coded.items()),
                tuple((f, name, self.code_set(name)) for f, name in lists.items()),
            )
        return found

    def label(self, list_name: str, code: str) -> str:
        """Human label for a code; the code itself when the list does not know it."""
        for entry in self.lists.get(list_name, ()):
            if entry.code == code:
                return entry.label
        return code

    def product_for_gtin(self, gtin: str) -> str | None:
        return self._gtins.get(gtin)

    def merged(
        self, extra: Mapping[str, Iterable[Code]], products: Iterable[Product] = ()
    ) -> Vocabulary:
        """Add the hub's reference entries; codes are only ever added, never removed or renamed."""
        lists = {name: list(entries) for name, entries in self.lists.items()}
        for name, entries in extra.items():
            known = {entry.code for entry in lists.setdefault(name, [])}
            lists[name].extend(entry for entry in entries if entry.code not in known)
        by_code = {product.code: product for product in self.products}
        for product in products:
            old = by_code.get(product.code)
            gtins = sorted({*(old.gtins if old else ()), *product.gtins})
            by_code[product.code] = Product(product.code, gtins, product.route)
        return Vocabulary(self.version, lists, list(by_code.values()))


@functools.cache
def base_vocabulary() -> Vocabulary:
    """The code lists shipped with this version of the app."""
    path = resources_dir() / "vocab" / f"v{VOCAB_VERSION}.json"
    data = msgspec.json.decode(path.read_bytes(), type=_VocabularyFile)
    return Vocabulary(data.version, data.lists, data.products)
