"""The unlocked store: append records (all-or-nothing), void them, and read them back.

Writes return `Changes` so that a UI can refresh from one signal (STYLE 3). One `Store` belongs to
one thread: the connection refuses use from any other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from outreach.domain.roles import Action
from outreach.errors import InvalidRecord, VaultLocked
from outreach.records import Record, Void, decode_record, encode_record, facts, permissions
from outreach.records.validation import build_record
from outreach.store.changes import Changes
from outreach.store.companions import companion_writers
from outreach.store.connection import (
    Connection,
    DatabaseError,
    store_error,
    verify_integrity,
)
from outreach.store.fact_table import FactWriter
from outreach.store.guard import RoleGuard
from outreach.store.vocabulary import current_vocabulary

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


def _corruption_is_an_error(method: Callable[P, T]) -> Callable[P, T]:
    """A page that fails its HMAC surfaces as StoreCorrupt, which the UI and CLI explain."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except DatabaseError as exc:
            error = store_error(exc)
            if error is None:  # integrity errors are not damage
                raise
            # No traceback: the log's stderr handler would print it before the clear message.
            log.info("store access failed (%s): %s", type(error).__name__, exc)
            raise error from None

    return guarded


@dataclasses.dataclass(frozen=True)
class StoredRecord:
    device_seq: int
    record: Record
    active: bool


class Store:
    def __init__(self, conn: Connection, path: Path | None, user: str, role: str) -> None:
        self._conn: Connection | None = conn
        self.path = path
        self.user = user
        self.role = role
        self.fact_writer = FactWriter()
        self.guard = RoleGuard(role)

    # -- lifecycle -------------------------------------------------------------------------

    @functools.cached_property
    def db(self) -> Any:
        """sqlite-utils over this connection, for ad hoc queries; imported on first use because
        it costs a sixth of the app's start-up time."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise VaultLocked("the store is locked")
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        """Close the connection; the key goes with it."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (disk error) must also forget codes cached during the transaction.
            with contextlib.suppress(DatabaseError):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            self.fact_writer.forget()
            raise

    # -- meta --------------------------------------------------------------------------------

    @_corruption_is_an_error
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @_corruption_is_an_error
    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def device_id(self) -> str:
        return self.meta("device_id") or ""

    # -- roles -------------------------------------------------------------------------------

    def require(self, action: Action, *record_types: str) -> None:
        """NotPermitted unless this role may do `action` on each type (records.permissions)."""
        self.guard.require(action, *record_types)

    # -- writes ------------------------------------------------------------------------------

    @_corruption_is_an_error
    def add(self, records: Sequence[Record]) -> Changes:
        """Append records in one transaction: all are stored with consecutive seqs, or none.
        Raises NotPermitted if the user's role may not record (or void) one of them."""
        with self.transaction() as conn:
            self.guard.check_writes(conn, records)
            self._insert(conn, records)
            companions = self._companions(conn, records)
            if companions:
                self._insert(conn, companions)
        written = [*records, *companions]
        return Changes(
            added=tuple(r.id for r in written),
            types=frozenset(r.type for r in written),
            retired=tuple(rid for r in written if (rid := facts.retired_id(r))),
        )

    def _companions(self, conn: Connection, records: Sequence[Record]) -> list[Record]:
        """Records the registered writers (the stock ledger) add to the same transaction, or
        their error, e.g. StockError (DESIGN §3; outreach.store.companions)."""
        extras: list[Record] = []
        for writer in companion_writers():
            extras.extend(writer(conn, records))
        return extras

    def add_new(self, data: dict[str, Any]) -> tuple[Record, Changes]:
        """Build a record from form values (id, time and user filled in), validate and save it."""
        record = build_record(data, recorded_by=self.user, vocab=current_vocabulary(self))
        return record, self.add([record])

    def _insert(self, conn: Connection, records: Sequence[Record]) -> None:
        row = conn.execute("SELECT coalesce(max(device_seq), 0) FROM records").fetchone()
        seq = max(int(row[0]), int(self.meta("purged_through", "0") or 0))
        for index, record in enumerate(records, start=1):
            self._check_references(conn, record, index)
            seq += 1
            try:
                conn.execute(
                    "INSERT INTO records (device_seq, id, type, occurred_at, recorded_by, body) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        seq,
                        record.id,
                        record.type,
                        record.occurred_at.isoformat(),
                        record.recorded_by,
                        encode_record(record),
                    ),
                )
            except Exception as exc:
                if "UNIQUE" in str(exc):
                    raise InvalidRecord(
                        f"record {record.id} is already stored", field="id", line=index
                    ) from None
                raise
            self._write_fact(conn, seq, record)

    def _write_fact(self, conn: Connection, seq: int, record: Record) -> None:
        """Project one record for counting and retire what it voids or corrects."""
        retired = facts.retired_id(record)
        if retired is not None:
            reason = record.reason if isinstance(record, Void) else "superseded"
            conn.execute(
                "INSERT OR IGNORE INTO retired (id, by_id, reason) VALUES (?, ?, ?)",
                (retired, record.id, reason),
            )
            conn.execute(
                "UPDATE fact_data SET active = 0 "
                "WHERE seq = (SELECT device_seq FROM records WHERE id = ?)",
                (retired,),
            )
        active = conn.execute("SELECT 1 FROM retired WHERE id = ?", (record.id,)).fetchone()
        self.fact_writer.write(conn, seq, record, active is None)

    def _check_references(self, conn: Connection, record: Record, index: int) -> None:
        target = facts.retired_id(record)
        if target is None:
            return
        field = "target" if isinstance(record, Void) else "supersedes"
        found = conn.execute("SELECT type FROM records WHERE id = ?", (target,)).fetchone()
        if found is None:
            raise InvalidRecord(f"no record {target} on this device", field=field, line=index)
        if found[0] == "void":
            raise InvalidRecord("a void cannot be voided or corrected", field=field, line=index)
        if not isinstance(record, Void) and found[0] != record.type:
            raise InvalidRecord(
                f"a {record.type} cannot correct a {found[0]}", field=field, line=index
            )
        if conn.execute("SELECT 1 FROM retired WHERE id = ?", (target,)).fetchone():
            raise InvalidRecord("that record was already voided or corrected", field=field)

    def void(self, target: str, reason: str) -> Changes:
        """Take a record out of the counts with a reason; the original stays for the audit."""
        record = build_record(
            {"type": "void", "target": target, "reason": reason}, recorded_by=self.user
        )
        return self.add([record])

    # -- reads -------------------------------------------------------------------------------

    @_corruption_is_an_error
    def get(self, record_id: str) -> StoredRecord | None:
        """One record by id; NotPermitted if this role may not read its type (a void: its
        target's type)."""
        row = self.conn.execute(
            "SELECT device_seq, body, id NOT IN (SELECT id FROM retired) FROM records WHERE id = ?",
            (record_id,),
        ).fetchone()
        if row is None:
            return None
        stored = StoredRecord(row[0], decode_record(row[1]), bool(row[2]))
        self.guard.require_read(self.conn, stored.record)
        return stored

    @_corruption_is_an_error
    def recent(
        self,
        *,
        limit: int = 200,
        types: Sequence[str] = (),
        client_code: str | None = None,
        since: dt.date | None = None,
    ) -> list[StoredRecord]:
        """Newest first; filter by type, client code (via the facts) or date.

        Only the types this role may read are returned; asking for another type, or for a
        client's history without the right to see all of it, raises NotPermitted."""
        for record_type in types:
            if record_type != "void":
                self.require(Action.READ, record_type)
        if client_code:
            permissions.require_client_history(self.role)
        where: list[str] = []
        params: list[Any] = []
        allowed = self.guard.read_filter()
        if allowed is not None:  # its types and voids; a void of another type is dropped below
            where.append(f"r.type IN ({','.join('?' * len(allowed))})")
            params.extend(allowed)
        if types:
            where.append(f"r.type IN ({','.join('?' * len(types))})")
            params.extend(types)
        if client_code:
            where.append("r.device_seq IN (SELECT seq FROM fact_data WHERE client_code = ?)")
            params.append(self.fact_writer.lookup(self.conn, client_code))
        if since:
            where.append("r.occurred_at >= ?")
            params.append(since.isoformat())
        sql = (
            "SELECT r.device_seq, r.body, r.id NOT IN (SELECT id FROM retired) FROM records r"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + " ORDER BY r.device_seq DESC"
        )
        if allowed is None:
            rows = self.conn.execute(sql + " LIMIT ?", [*params, limit]).fetchall()
            return [StoredRecord(s, decode_record(body), bool(a)) for s, body, a in rows]
        found: list[StoredRecord] = []
        cursor = self.conn.execute(sql, params)  # walks down from the newest; stops at `limit`
        try:
            while len(found) < limit and (rows := cursor.fetchmany(max(limit - len(found), 64))):
                chunk = [StoredRecord(seq, decode_record(body), bool(a)) for seq, body, a in rows]
                self.guard.learn_types(self.conn, (s.record for s in chunk))
                found.extend(s for s in chunk if self.guard.may_read(self.conn, s.record))
        finally:
            cursor.close()
        return found[:limit]

    @_corruption_is_an_error
    def serial_issued(self, serial: str) -> StoredRecord | None:
        """The active kit issue that already handed out this pack serial, if any."""
        row = self.conn.execute(
            "SELECT r.id FROM fact_data f JOIN records r ON r.device_seq = f.seq "
            "WHERE f.serial = ? AND f.type = ? AND f.active ORDER BY f.seq DESC LIMIT 1",
            (
                self.fact_writer.lookup(self.conn, serial),
                self.fact_writer.lookup(self.conn, "kit_issue"),
            ),
        ).fetchone()
        return self.get(row[0]) if row else None

    @_corruption_is_an_error
    def counts(
        self,
        by: Sequence[str],
        start: dt.date,
        end: dt.date,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of {field: value, ..., "count": n} for `kind` (inferred from `by` when None);
        NotPermitted if this role may not read that type."""
        from outreach.store.counts import count_query, counts

        kind = count_query(by, start, end, kind)[2]  # the type, inferred from the fields if None
        self.require(Action.READ, kind)
        return counts(self.conn, by, start, end, kind)

    @_corruption_is_an_error
    def record_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM records").fetchone()[0])

    @_corruption_is_an_error
    def last_seq(self) -> int:
        row = self.conn.execute("SELECT coalesce(max(device_seq), 0) FROM records").fetchone()
        return max(int(row[0]), int(self.meta("purged_through", "0") or 0))

    def verify(self) -> list[str]:
        return verify_integrity(self.conn)
