"""The hub's reference data as this process knows it, re-read when any process changes it.

`outreach-hub reference` writes the reference into `hub_meta` and, in the same transaction, adds
one to the `reference_revision` row. Every hub process (each `serve --workers` worker, the CLI)
keeps the reference and the merged vocabulary it last read with that revision, and re-reads them
when the revision moved: it looks at that one row (a primary-key read) at most once every
CHECK_SECONDS when validating batches, at once when a batch holds a record that fails validation
(so a record using a code added a moment ago is not quarantined by a stale copy), and on every
reference request from a device. So a change reaches every worker of a running hub without a
restart, within CHECK_SECONDS for records that pass either way, at once for the rest.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

import msgspec
import sqlalchemy as sa

from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.hub import db
from outreach.hub.errors import HubError
from outreach.sync.protocol import Reference

CHECK_SECONDS = 1.0
REFERENCE_KEY = "reference"
REVISION_KEY = "reference_revision"
_READ = sa.select(db.hub_meta.c.value).where(db.hub_meta.c.key == sa.bindparam("key"))


class Snapshot(NamedTuple):
    """The reference as one process read it, with the revision it was read at."""

    revision: int
    reference: Reference
    vocabulary: Vocabulary


class ReferenceWatch:
    """The reference and vocabulary of one hub process, kept in step with the database. The
    three are swapped together (one snapshot), so a batch knows which revision checked it."""

    def __init__(self, engine: sa.Engine, check_seconds: float = CHECK_SECONDS) -> None:
        self.engine = engine
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = float("-inf")

    def snapshot(self, *, fresh: bool = False) -> Snapshot:
        """The current snapshot: the revision looked at within the interval, or now if `fresh`
        (a device's reference request, a batch with invalid records)."""
        now = time.monotonic()
        found = self._snapshot
        if found is not None and not fresh and now - self._checked < self.check_seconds:
            return found
        with self._lock:
            with self.engine.connect() as conn:
                revision = _revision(conn)
                found = self._snapshot
                if found is None or found.revision != revision:
                    value = conn.execute(_READ, {"key": REFERENCE_KEY}).scalar_one_or_none()
                    if value is None:
                        raise HubError(
                            "the hub database is not initialised: run 'outreach-hub init'"
                        )
                    reference = msgspec.json.decode(value, type=Reference)
                    vocab = base_vocabulary().merged(reference.lists, reference.products)
                    found = self._snapshot = Snapshot(revision, reference, vocab)
            self._checked = now
        return found

    def reference(self, *, fresh: bool = False) -> Reference:
        return self.snapshot(fresh=fresh).reference

    def vocabulary(self, *, fresh: bool = False) -> Vocabulary:
        """The shipped code lists merged with the hub's additions."""
        return self.snapshot(fresh=fresh).vocabulary

    def changed_since(self, revision: int) -> bool:
        """Look at the revision now; whether it moved past `revision`."""
        return self.snapshot(fresh=True).revision != revision

    def write(self, reference: Reference) -> int:
        """Store new reference data and move the revision on, in one transaction; returns the
        new revision. The caller's process sees it at once, the others at their next look."""
        meta = db.hub_meta
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(meta)
                .where(meta.c.key == REFERENCE_KEY)
                .values(value=msgspec.json.encode(reference).decode())
            )
            revision = _revision(conn) + 1
            done = conn.execute(
                sa.update(meta).where(meta.c.key == REVISION_KEY).values(value=str(revision))
            )
            if done.rowcount == 0:
                conn.execute(sa.insert(meta).values(key=REVISION_KEY, value=str(revision)))
        self.snapshot(fresh=True)
        return revision


def _revision(conn: sa.Connection) -> int:
    value = conn.execute(_READ, {"key": REVISION_KEY}).scalar_one_or_none()
    return int(value) if value else 0
