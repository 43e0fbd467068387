"""SIGKILL writers at random moments: nothing acknowledged is lost and the store stays sound.

Fast subsets run in `make test`; the `soak` marked runs (`make soak`) do over a thousand kills.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outreach.errors import WrongPassphrase
from outreach.store import migrations
from outreach.store.session import create_store, store_exists, unlock_store

from .crash_child import KDF, PASSPHRASES, USER
from .crash_harness import ForkServer, random_delay, random_kill
from .slow_migration import _slow

STORES_EVERY = 50  # a fresh store after this many kills keeps each check quick


@pytest.fixture
def server() -> Iterator[ForkServer]:
    fork_server = ForkServer()
    yield fork_server
    fork_server.close()


def new_store(path: Path) -> Path:
    store, _ = create_store(path, USER, "worker", PASSPHRASES[0], kdf=KDF)
    store.close()
    return path


# Every countable record has one site cell in the daily roll-up (same transaction as its row).
ROLLUP_AGREES = """
SELECT
  (SELECT coalesce(sum(n), 0) FROM fact_rollup
   WHERE field = (SELECT id FROM codes WHERE value = 'site')),
  (SELECT count(*) FROM fact_data WHERE active = 1 AND type IN
   (SELECT id FROM codes WHERE value IN ('contact', 'kit_issue', 'naloxone_use', 'stock_movement')))
"""


def examine(data_dir: Path, acked: set[str], passphrase: str = PASSPHRASES[0]) -> tuple[int, int]:
    """(acknowledged ids missing, problems found): pages, b-trees, seqs and facts all checked."""
    store = unlock_store(data_dir, USER, passphrase)
    try:
        problems = list(store.verify())
        seqs = [row[0] for row in store.conn.execute("SELECT device_seq FROM records ORDER BY 1")]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append("device_seq has gaps")
        facts = store.conn.execute("SELECT count(*) FROM fact_data").fetchone()[0]
        if facts != len(seqs):
            problems.append(f"{len(seqs)} records but {facts} fact rows")
        rolled, counted = store.conn.execute(ROLLUP_AGREES).fetchone()
        if rolled != counted:
            problems.append(f"roll-up holds {rolled} records, the facts {counted}")
        stored = {row[0] for row in store.conn.execute("SELECT id FROM records")}
    finally:
        store.close()
    return len(acked - stored), len(problems)


def crash_records(tmp_path: Path, server: ForkServer, kills: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    totals = {"kills": 0, "acked": 0, "lost": 0, "corrupt": 0, "stores": 0}
    acked: set[str] = set()
    data_dir = tmp_path
    for index in range(kills):
        if index % STORES_EVERY == 0:
            data_dir = new_store(tmp_path / f"store{index}")
            acked = set()
            totals["stores"] += 1
        kill = random_kill(server, rng, "records", data_dir, 0.05)
        assert kill.killed, f"writer ended on its own (status {kill.status})"
        acked.update(kill.ids)
        totals["kills"] += 1
        totals["acked"] += len(kill.ids)
        lost, problems = examine(data_dir, acked)
        totals["lost"] += lost
        totals["corrupt"] += problems > 0
    return totals


def test_killed_writers_lose_no_acknowledged_record(
    tmp_path: Path, server: ForkServer, figures: dict[str, Any]
) -> None:
    """30 SIGKILLs mid-write: every acked record is stored, pages verify, seqs gap-free."""
    totals = crash_records(tmp_path, server, 30, seed=1)
    figures["crash (fast)"] = totals
    # The kills really landed among writes (~135 acked in the window here with
    # connection.MEMORY_SECURITY off, ~80 with it on).
    assert totals["acked"] > 50
    assert totals["lost"] == 0 and totals["corrupt"] == 0, totals


@pytest.mark.soak
def test_soak_a_thousand_kills_lose_nothing(
    tmp_path: Path, server: ForkServer, figures: dict[str, Any]
) -> None:
    """1,000 SIGKILLs mid-write: 0 acknowledged records lost, 0 corrupt stores."""
    totals = crash_records(tmp_path, server, 1000, seed=2)
    figures["crash (soak)"] = totals
    assert totals["kills"] >= 1000
    assert totals["lost"] == 0 and totals["corrupt"] == 0, totals


def opens_with(data_dir: Path) -> list[int]:
    """Which of the two passphrases open the store now."""
    opened = []
    for index, passphrase in enumerate(PASSPHRASES):
        try:
            unlock_store(data_dir, USER, passphrase).close()
            opened.append(index)
        except WrongPassphrase:
            pass
    return opened


def crash_passphrase_change(
    tmp_path: Path, server: ForkServer, kills: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    data_dir = new_store(tmp_path / "store")
    totals = {"kills": 0, "changes": 0, "locked_out_of_store": 0, "stale": 0}
    for _ in range(kills):
        kill = random_kill(server, rng, "passphrase", data_dir, 0.06)
        assert kill.killed
        opened = opens_with(data_dir)
        totals["kills"] += 1
        totals["changes"] += len(kill.acks)
        totals["locked_out_of_store"] += not opened
        # The last acknowledged change holds unless a later (unacknowledged) one completed.
        if kill.acks and int(kill.acks[-1][2]) not in opened and len(opened) != 1:
            totals["stale"] += 1
    return totals


def test_killed_passphrase_change_leaves_old_or_new(
    tmp_path: Path, server: ForkServer, figures: dict[str, Any]
) -> None:
    """SIGKILL during passphrase changes: the store opens with the old or the new one, always."""
    totals = crash_passphrase_change(tmp_path, server, 12, seed=3)
    figures["crash passphrase (fast)"] = totals
    assert totals["changes"] > 0
    assert totals["locked_out_of_store"] == 0 and totals["stale"] == 0, totals


@pytest.mark.soak
def test_soak_passphrase_change_kills(
    tmp_path: Path, server: ForkServer, figures: dict[str, Any]
) -> None:
    """200 SIGKILLs during passphrase changes: never a store that no passphrase opens."""
    totals = crash_passphrase_change(tmp_path, server, 200, seed=4)
    figures["crash passphrase (soak)"] = totals
    assert totals["locked_out_of_store"] == 0 and totals["stale"] == 0, totals


def crash_create(tmp_path: Path, server: ForkServer, kills: int, seed: int) -> dict[str, Any]:
    """Kill `create_store`; then the folder either holds a working store or accepts a new one."""
    rng = random.Random(seed)
    totals = {"kills": 0, "created": 0, "half_made": 0}
    for index in range(kills):
        data_dir = tmp_path / f"new{index}"
        kill = server.kill_writer("create", data_dir, random_delay(rng, 0.05))
        assert kill.killed
        totals["kills"] += 1
        if store_exists(data_dir):
            lost, problems = examine(data_dir, set(kill.ids))
            totals["created"] += 1
            totals["half_made"] += bool(lost or problems)
        else:
            assert not kill.acks, "creation was acknowledged but no store exists"
            new_store(data_dir).joinpath("keyslots.json").stat()
    return totals


def test_killed_store_creation_is_all_or_nothing(
    tmp_path: Path, server: ForkServer, figures: dict[str, Any]
) -> None:
    """SIGKILL during create_store: a whole store, or a folder where set-up can start again."""
    totals = crash_create(tmp_path, server, 15, seed=5)
    figures["crash create (fast)"] = totals
    assert totals["half_made"] == 0, totals


@pytest.mark.soak
def test_soak_store_creation_kills(
    tmp_path: Path, server: ForkServer, figures: dict[str, Any]
) -> None:
    """150 SIGKILLs during create_store: never a half-made store."""
    totals = crash_create(tmp_path, server, 150, seed=6)
    figures["crash create (soak)"] = totals
    assert totals["half_made"] == 0, totals


@pytest.fixture
def slow_migration(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForkServer]:
    """Both sides know one extra slow migration; the fork server runs it when a store opens."""
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, _slow])
    monkeypatch.setattr(migrations, "LATEST", len(migrations.MIGRATIONS))
    fork_server = ForkServer({"OUTREACH_TEST_MIGRATION": "1"})
    yield fork_server
    fork_server.close()


def crash_migration(
    tmp_path: Path, server: ForkServer, template: Path, kills: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    totals = {"kills": 0, "migrated_before_kill": 0, "lost": 0, "corrupt": 0}
    for index in range(kills):
        data_dir = tmp_path / f"migrate{index}"
        shutil.copytree(template, data_dir)
        kill = server.kill_writer("migrate", data_dir, random_delay(rng, 0.12))
        assert kill.killed
        totals["kills"] += 1
        totals["migrated_before_kill"] += any(words[0] == "migrated" for words in kill.acks)
        lost, problems = examine(data_dir, TEMPLATE_IDS | set(kill.ids))
        store = unlock_store(data_dir, USER, PASSPHRASES[0])
        try:
            assert migrations.schema_version(store.conn) == migrations.LATEST
        finally:
            store.close()
        totals["lost"] += lost
        totals["corrupt"] += problems > 0
    return totals


TEMPLATE_IDS: set[str] = set()


def migration_template(tmp_path: Path) -> Path:
    """A store at the previous schema version holding 200 records."""
    from outreach.records.validation import build_record

    from .crash_child import KIT

    template = tmp_path / "template"
    real = migrations.MIGRATIONS[:-1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", real)
        patch.setattr(migrations, "LATEST", len(real))
        store, _ = create_store(template, USER, "worker", PASSPHRASES[0], kdf=KDF)
        records = [build_record(KIT, recorded_by=USER) for _ in range(200)]
        store.add(records)
        store.close()
    TEMPLATE_IDS.clear()
    TEMPLATE_IDS.update(r.id for r in records)
    return template


def test_killed_migration_opens_old_or_new(
    tmp_path: Path, slow_migration: ForkServer, figures: dict[str, Any]
) -> None:
    """SIGKILL during a schema migration: the next open finishes it; no record lost."""
    template = migration_template(tmp_path)
    totals = crash_migration(tmp_path, slow_migration, template, 10, seed=7)
    figures["crash migration (fast)"] = totals
    assert totals["lost"] == 0 and totals["corrupt"] == 0, totals


@pytest.mark.soak
def test_soak_migration_kills(
    tmp_path: Path, slow_migration: ForkServer, figures: dict[str, Any]
) -> None:
    """150 SIGKILLs during a schema migration: every store opens migrated, nothing lost."""
    template = migration_template(tmp_path)
    totals = crash_migration(tmp_path, slow_migration, template, 150, seed=8)
    figures["crash migration (soak)"] = totals
    assert totals["lost"] == 0 and totals["corrupt"] == 0, totals


def test_creation_killed_before_the_rename_is_finished_on_unlock(tmp_path: Path) -> None:
    """Slots saved but the database not yet renamed into place: unlock finishes the creation."""
    data_dir = new_store(tmp_path / "store")
    (data_dir / "outreach.db").rename(data_dir / "outreach.db.new")
    with unlock_store(data_dir, USER, PASSPHRASES[0]) as store:
        assert store.verify() == []
        assert store.meta("store_id")
