"""The store's hooks for the layer above: writers that add records to the same transaction as
`Store.add`, and keepers that carry what a retention purge deletes (`outreach.store.purge`).

The stock ledger (a layer above the store) registers its writer here at start-up (the composition
roots: the CLI, the desktop app, the tests), so the store never imports upward (issue 14). A store
with no writer registered refuses to write, and one with no purge keeper refuses to purge: silently
skipping the ledger's rules would let stock on hand drift, which is worse than a loud start-up
mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from outreach.records import Record
from outreach.store.connection import Connection

# (connection inside the open transaction, records just inserted) -> records to add; may raise.
CompanionWriter = Callable[[Connection, Sequence[Record]], list[Record]]

# (connection inside the purge's transaction, last device_seq being purged) -> None; runs before
# the records through that seq are deleted, in the same transaction.
PurgeKeeper = Callable[[Connection, int], None]

_writers: list[CompanionWriter] = []
_keepers: list[PurgeKeeper] = []


def register_companion_writer(writer: CompanionWriter) -> None:
    """Add `writer` to every later `Store.add` (registering the same writer twice is a no-op)."""
    if writer not in _writers:
        _writers.append(writer)


def companion_writers() -> tuple[CompanionWriter, ...]:
    """The registered writers; RuntimeError when none was registered (a composition mistake)."""
    if not _writers:
        raise RuntimeError(
            "no companion writer registered with the store: "
            "call outreach.stock.companion.register() at start-up"
        )
    return tuple(_writers)


def register_purge_keeper(keeper: PurgeKeeper) -> None:
    """Run `keeper` in every later purge, before its delete (registering twice is a no-op)."""
    if keeper not in _keepers:
        _keepers.append(keeper)


def purge_keepers() -> tuple[PurgeKeeper, ...]:
    """The registered keepers; RuntimeError when none was registered (a composition mistake)."""
    if not _keepers:
        raise RuntimeError(
            "no purge keeper registered with the store: "
            "call outreach.stock.companion.register() at start-up"
        )
    return tuple(_keepers)
