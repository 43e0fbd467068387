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


class ReferenceWatch:
    """The reference and vocabulary of one hub process, kept in step with the database."""

    def __init__(self, engine: sa.Engine, check_seconds: float = CHECK_SECONDS) -> None:
        self.engine = engine
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._checked = float("-inf")
        self._reference: Reference | None = None
        self._vocab: Vocabulary | None = None

    def reference(self, *, fresh: bool = False) -> Reference:
        """The reference data; `fresh` looks at the revision now rather than within the
        interval (a device's reference request)."""
        self._refresh(force=fresh)
        assert self._reference is not None
        return self._reference

    def vocabulary(self, *, fresh: bool = False) -> Vocabulary:
        """The shipped code lists merged with the hub's additions."""
        self._refresh(force=fresh)
        vocab = self._vocab
        if vocab is None:
            ref = self.reference()
            vocab = self._vocab = base_vocabulary().merged(ref.lists, ref.products)
        return vocab

    def changed(self) -> bool:
        """Look at the revision now; whether the reference changed since it was last read."""
        before = self._revision
        self._refresh(force=True)
        return self._revision != before

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
        self._checked = float("-inf")
        self._refresh()
        return revision

    def _refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and self._reference is not None and now - self._checked < self.check_seconds:
            return
        with self._lock:
            with self.engine.connect() as conn:
                revision = str(_revision(conn))
                if self._reference is not None and revision == self._revision:
                    self._checked = now
                    return
                value = conn.execute(_READ, {"key": REFERENCE_KEY}).scalar_one_or_none()
            if value is None:
                raise HubError("the hub database is not initialised: run 'outreach-hub init'")
            self._reference = msgspec.json.decode(value, type=Reference)
            self._vocab = None
            self._revision, self._checked = revision, now


def _revision(conn: sa.Connection) -> int:
    value = conn.execute(_READ, {"key": REVISION_KEY}).scalar_one_or_none()
    return int(value) if value else 0
