"""The roles people have on a device, the actions a role may be granted, and the shape in which
each record type declares its grants (`Access`, read by `outreach.records.permissions`).

This module holds no rule about any record type: each type states its own `ACCESS` beside its
fields, so the declaration moves with the type.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

ROLES = ("worker", "pharmacy", "coordinator")
Role = Literal["worker", "pharmacy", "coordinator"]
ROLE_LABELS = {
    "worker": "outreach worker",
    "pharmacy": "pharmacy user",
    "coordinator": "coordinator",
}


class Action(enum.Enum):
    RECORD = "record"  # add a record of the type (a correction also needs VOID)
    READ = "read"  # list, look up or count records of the type
    VOID = "void"  # void a record of the type, or correct it (retire it for a new one)


@dataclass(frozen=True)
class Access:
    """Which roles may record, read and void one record type. The default grants nobody, so a
    type that forgets to declare is refused rather than open to all."""

    record: frozenset[str] = frozenset()
    read: frozenset[str] = frozenset()
    void: frozenset[str] = frozenset()

    @classmethod
    def same(cls, roles: frozenset[str]) -> Access:
        """The same roles for every action."""
        return cls(record=roles, read=roles, void=roles)

    def roles_for(self, action: Action) -> frozenset[str]:
        roles: frozenset[str] = getattr(self, action.value)  # the fields are named as the actions
        return roles


EVERYONE = frozenset(ROLES)
FIELD_STAFF = frozenset({"worker", "coordinator"})
STOCK_KEEPERS = frozenset({"pharmacy", "coordinator"})
COORDINATORS = frozenset({"coordinator"})
