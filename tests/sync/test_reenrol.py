"""A store restored from an old backup: the hub refuses it (409) with a message saying what to
do, and `re_enrol` / `outreach sync --re-enrol CODE` sends its unreceipted records under a new
device id, none counted twice (real hub, both backends)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.errors import SyncError, SyncErrorKind
from outreach.hub.service import Hub
from outreach.store.session import unlock_store
from outreach.store.store import Store
from outreach.sync import enrolment, outbox, state
from outreach.sync.client import sync_now
from outreach.sync.reenrol import re_enrol
from tests.hub.harness import contacts
from tests.samples import PASSPHRASE


def backup(store: Store, to: Path) -> Path:
    """Copy the store's files as a backup would (closed, so the copy is whole)."""
    assert store.path is not None
    data_dir = store.path.parent
    store.close()
    shutil.copytree(data_dir, to)
    return data_dir


def restore(data_dir: Path, copy: Path, user: str) -> Store:
    shutil.rmtree(data_dir)
    shutil.copytree(copy, data_dir)
    return unlock_store(data_dir, user, PASSPHRASE)


def hub_counts(hub: Hub) -> tuple[int, int, int]:
    """Records stored, active fact rows, quarantined records."""
    with hub.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(sa.text(sql)).scalar_one())
            for sql in (
                "SELECT count(*) FROM records",
                "SELECT count(*) FROM facts WHERE active = 1",
                "SELECT count(*) FROM quarantine",
            )
        )


def restored_device(enrolled: Store, tmp_path: Path) -> tuple[Store, list[str]]:
    """5 records synced, 2 more saved, then a backup; the original syncs those 2 and 1 more;
    the backup comes back and gets 3 new records. Returns it and the new records' ids."""
    enrolled.add(contacts(5))
    sync_now(enrolled)
    enrolled.add(contacts(2))
    user = enrolled.user
    data_dir = backup(enrolled, tmp_path / "backup")
    original = unlock_store(data_dir, user, PASSPHRASE)
    original.add(contacts(1))
    sync_now(original)
    original.close()
    store = restore(data_dir, tmp_path / "backup", user)
    new = contacts(3)
    store.add(new)
    return store, [record.id for record in new]


def test_restored_store_is_refused_then_re_enrols_without_double_counting(
    enrolled: Store, hub: Hub, hub_url: str, tmp_path: Path
) -> None:
    """The restored copy's sync is a CONFLICT naming the recovery; after re-enrolment its 5
    unreceipted records go up under a new id: 3 accepted, 2 duplicates, 0 quarantined, and
    the hub counts 11 records once each."""
    old_id = enrolled.device_id
    store, new_ids = restored_device(enrolled, tmp_path)
    try:
        assert hub_counts(hub) == (8, 8, 0)
        with pytest.raises(SyncError) as caught:
            sync_now(store)
        assert caught.value.kind is SyncErrorKind.CONFLICT
        assert "outreach sync --re-enrol CODE" in str(caught.value)
        assert store.meta(state.OUT_OF_STEP) == "1"
        assert hub_counts(hub) == (8, 8, 0) and store.record_count() == 10

        info = re_enrol(store, hub.new_enrolment(hub_url).text())
        assert info.device_id == store.device_id != old_id
        assert store.meta(state.PREVIOUS_IDS) == old_id
        result = sync_now(store)
        assert (result.sent, result.accepted, result.duplicates, result.quarantined) == (
            5,
            3,
            2,
            0,
        )
        assert result.pending == 0 and result.acked_through == 10
        assert hub_counts(hub) == (11, 11, 0)
        with hub.engine.connect() as conn:
            owners = dict(conn.execute(sa.text("SELECT id, device_id FROM records")).all())
        assert {owners[record_id] for record_id in new_ids} == {store.device_id}
        store.add(contacts(2))
        assert sync_now(store).accepted == 2 and hub_counts(hub) == (13, 13, 0)
        assert state.acked_through(store) == 12 and outbox.pending_count(store) == 0
    finally:
        store.close()


def test_re_enrol_with_a_bad_code_changes_nothing(enrolled: Store) -> None:
    """A code that does not parse leaves the identity and enrolment as they were."""
    before = (enrolled.device_id, state.hub_pins(enrolled))
    with pytest.raises(SyncError):
        re_enrol(enrolled, "OUTREACH-ENROL-1:garbage")
    assert (enrolled.device_id, state.hub_pins(enrolled)) == before
    assert enrolment.is_enrolled(enrolled)


def cli(data_dir: Path, *args: str, user: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE}
    return subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), *args, "--user", user],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_cli_says_what_to_do_and_re_enrols(
    enrolled: Store, hub: Hub, hub_url: str, tmp_path: Path
) -> None:
    """`outreach sync` on a restored copy: exit 1, no traceback, the recovery command named,
    `status` flags it; `outreach sync --re-enrol CODE` then sends the records."""
    old_id = enrolled.device_id
    store, _ = restored_device(enrolled, tmp_path)
    assert store.path is not None
    data_dir, user = store.path.parent, store.user
    store.close()
    refused = cli(data_dir, "sync", user=user)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "outreach sync --re-enrol CODE" in refused.stderr
    status = json.loads(cli(data_dir, "status", user=user).stdout)
    assert status["sync"]["needs_re_enrol"] is True
    code = hub.new_enrolment(hub_url).text()
    done = cli(data_dir, "sync", "--re-enrol", code, user=user)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["accepted"], result["duplicates"], result["pending"]) == (3, 2, 0)
    assert result["re_enrolled"]["device_id"] != old_id
    assert hub_counts(hub) == (11, 11, 0)
    status = json.loads(cli(data_dir, "status", user=user).stdout)
    assert status["sync"]["needs_re_enrol"] is False
