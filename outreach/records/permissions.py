"""The role rules, read from each record type's `ACCESS` declaration (its module in
outreach.records).

The store API asks these before a write or a read, so the CLI, the desktop app and any script get
the same answer: `NotPermitted`, with a one-line reason. Derived rules, so nothing is said twice:

* a void (or correction) needs the VOID grant of its target's type; a correction also RECORD;
* a client history (records looked up by client code) needs READ on every type that carries a
  client code, so no role sees half a person's history;
* a user may add a user whose grants are a subset of their own ("own role or lower"): a worker
  adds workers, a pharmacy user adds pharmacy users, a coordinator anyone (docs/decisions.md).
"""

from __future__ import annotations

import functools

from outreach.domain.roles import ROLE_LABELS, ROLES, Action
from outreach.errors import NotPermitted
from outreach.records import registry

_VERBS = {Action.RECORD: "record", Action.READ: "see", Action.VOID: "void or correct"}


def _plural(record_type: str) -> str:
    return record_type.replace("_", " ") + "s"


def _a_role(role: str) -> str:
    """'an outreach worker', 'a pharmacy user'."""
    label = ROLE_LABELS.get(role, f"'{role}' user")
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


def granted_types() -> tuple[str, ...]:
    """Record types with their own grants: a void follows the type of the record it voids."""
    return tuple(name for name in registry.names() if name != "void")


@functools.cache  # cleared when a type is registered; the store asks per record read
def permitted(role: str, action: Action, record_type: str) -> bool:
    """Whether `role` may do `action` on records of `record_type` (never for unknown types)."""
    kind = registry.struct_of(record_type)
    if kind is None or record_type == "void":
        return False
    return role in kind.ACCESS.roles_for(action)


def require(role: str, action: Action, record_type: str) -> None:
    """Raise NotPermitted unless `role` may do `action` on `record_type`."""
    if not permitted(role, action, record_type):
        raise NotPermitted(
            f"{_a_role(role)} may not {_VERBS[action]} {_plural(record_type)}",
            role=role,
            action=action.value,
            record_type=record_type,
        )


@functools.cache
def types_for(role: str, action: Action) -> tuple[str, ...]:
    """The record types `role` may do `action` on, in registry order."""
    return tuple(name for name in granted_types() if permitted(role, action, name))


@functools.cache
def client_code_types() -> tuple[str, ...]:
    """The record types that carry a client code: together they make a client's history."""
    return tuple(
        name
        for name in granted_types()
        if "client_code" in getattr(registry.struct_of(name), "__struct_fields__", ())
    )


def may_look_up_clients(role: str) -> bool:
    """Whether `role` may see a client's history (every type that carries a client code)."""
    return all(permitted(role, Action.READ, name) for name in client_code_types())


def require_client_history(role: str) -> None:
    if not may_look_up_clients(role):
        raise NotPermitted(
            f"{_a_role(role)} may not look up a client's history",
            role=role,
            action=Action.READ.value,
        )


@functools.cache
def grants(role: str) -> frozenset[tuple[Action, str]]:
    """Every (action, record type) pair `role` is granted."""
    return frozenset((action, name) for action in Action for name in types_for(role, action))


def may_add_user(adder: str, new_role: str) -> bool:
    """Own role or lower: the new user may do nothing the adding user may not."""
    return adder in ROLES and new_role in ROLES and grants(new_role) <= grants(adder)


def require_add_user(adder: str, new_role: str) -> None:
    if not may_add_user(adder, new_role):
        raise NotPermitted(
            f"{_a_role(adder)} may not add {_a_role(new_role)}: ask a coordinator",
            role=adder,
            action="add_user",
        )


def addable_roles(adder: str) -> tuple[str, ...]:
    """The roles `adder` may give a new user, in the usual order (for the add-user forms)."""
    return tuple(role for role in ROLES if may_add_user(adder, role))


def _forget() -> None:
    for cached in (permitted, types_for, client_code_types, grants):
        cached.cache_clear()


registry.on_change(_forget)
