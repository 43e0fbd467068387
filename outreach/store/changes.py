"""What a write changed; its own module so that the UI knows it without the store stack."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Changes:
    """What a write changed, so views refresh only what they show."""

    added: tuple[str, ...] = ()
    types: frozenset[str] = frozenset()
    retired: tuple[str, ...] = ()

    def touches(self, *types: str) -> bool:
        return bool(self.types.intersection(types))
