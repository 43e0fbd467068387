"""One unlocked user's role, applied by the store to every write and read (records.permissions).

Kept apart from `Store` so the store module stays about storing: `Store` asks the guard before a
write and filters reads through it. A void is read under its target's type, so the guard keeps
the types of targets it has looked up (a record's type never changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from outreach.domain.roles import Action
from outreach.records import Record, Void, facts, permissions
from outreach.store.connection import Connection

TYPE_CACHE = 100_000  # target types kept for reading voids (~10 MB at most)
LOOKUP_CHUNK = 500  # ids per `IN (...)` look-up


class RoleGuard:
    def __init__(self, role: str) -> None:
        self.role = role
        self._types: dict[str, str] = {}  # record id -> type

    @property
    def reads_everything(self) -> bool:
        return permissions.types_for(self.role, Action.READ) == permissions.granted_types()

    def require(self, action: Action, *record_types: str) -> None:
        """NotPermitted unless this role may do `action` on each type."""
        for record_type in record_types:
            permissions.require(self.role, action, record_type)

    def check_writes(self, conn: Connection, records: Sequence[Record]) -> None:
        """The caller's own records: a record needs RECORD on its type, a void or correction
        VOID on its target's. Companions the ledger adds for a permitted write are not the
        caller's and never come here."""
        in_batch = {record.id: record.type for record in records}
        for record in records:
            if not isinstance(record, Void):
                self.require(Action.RECORD, record.type)
            target = facts.retired_id(record)
            if target is None:
                continue
            found = conn.execute("SELECT type FROM records WHERE id = ?", (target,)).fetchone()
            target_type = str(found[0]) if found else in_batch.get(target)
            if target_type is not None and target_type != "void":  # else the store explains
                self.require(Action.VOID, target_type)

    def learn_types(self, conn: Connection, records: Iterable[Record]) -> None:
        """Look up, in one query per chunk, the target types of the voids among `records`."""
        wanted = list({r.target for r in records if isinstance(r, Void)} - self._types.keys())
        if len(self._types) + len(wanted) > TYPE_CACHE:
            self._types.clear()
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            part = wanted[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(part))
            rows = conn.execute(f"SELECT id, type FROM records WHERE id IN ({marks})", part)
            self._types.update(rows.fetchall())

    def _read_type(self, conn: Connection, record: Record) -> str | None:
        """The type whose read grant covers `record`: its own, or for a void its target's
        (None when the target was purged after sync)."""
        if not isinstance(record, Void):
            return record.type
        if record.target not in self._types:
            self.learn_types(conn, [record])
        return self._types.get(record.target)

    def may_read(self, conn: Connection, record: Record) -> bool:
        kind = self._read_type(conn, record)
        if kind is None:  # a void of a purged record: for roles that read every type
            return self.reads_everything
        return permissions.permitted(self.role, Action.READ, kind)

    def require_read(self, conn: Connection, record: Record) -> None:
        if not self.may_read(conn, record):
            self.require(Action.READ, self._read_type(conn, record) or "void")

    def read_filter(self) -> tuple[str, ...] | None:
        """The record types a read may return before voids are checked; None for all."""
        if self.reads_everything:
            return None
        return (*permissions.types_for(self.role, Action.READ), "void")
