"""libfiu makes the store's writes and syncs fail under `outreach record`: a clear error, never a
traceback, never a damaged store, never a lost acknowledged record, and each batch all-or-nothing.

Faults hit `pwrite` (SQLite's page writes), `fsync`/`fdatasync` and `ftruncate`; plain `write` is
left alone because it also carries the command's own stdout, which is not the disk under test.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from outreach.domain.ids import uuid7

from .crash_child import KIT, PASSPHRASES
from .test_crash import examine, new_store

FIU_RUN = shutil.which("fiu-run")
FAULTS = ("posix/io/rw/pwrite", "posix/io/sync/fsync", "posix/io/sync/fdatasync")
PROBABILITIES = (0.005, 0.02, 0.1, 0.3)

pytestmark = pytest.mark.skipif(
    FIU_RUN is None, reason="fiu-run (Debian fiu-utils) is not installed: run `make system-deps`"
)


def record_under_faults(data_dir: Path, batch_file: Path, probability: float) -> Any:
    assert FIU_RUN is not None
    options = [
        arg
        for name in (*FAULTS, "posix/io/rw/ftruncate")
        for arg in ("-c", f"enable_random name={name},probability={probability}")
    ]
    command = [sys.executable, "-m", "outreach", "--data-dir", str(data_dir)]
    return subprocess.run(
        [FIU_RUN, "-x", *options, *command, "record", "--file", str(batch_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASES[0], "PYTHONDONTWRITEBYTECODE": "1"},
    )


def fault_runs(tmp_path: Path, runs: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    data_dir = new_store(tmp_path / "store")
    totals = {"runs": 0, "saved": 0, "refused": 0, "tracebacks": 0, "unclear": 0}
    totals |= {"lost": 0, "corrupt": 0, "partial_batches": 0}
    acked: set[str] = set()
    batches: list[list[str]] = []
    for index in range(runs):
        ids = [uuid7() for _ in range(rng.randint(1, 5))]
        batch_file = tmp_path / f"batch{index}.jsonl"
        batch_file.write_text("".join(json.dumps({**KIT, "id": i}) + "\n" for i in ids))
        batches.append(ids)
        result = record_under_faults(data_dir, batch_file, PROBABILITIES[index % 4])
        totals["runs"] += 1
        totals["tracebacks"] += "Traceback" in result.stderr
        if result.returncode == 0:
            assert json.loads(result.stdout)["saved"] == len(ids)
            acked.update(ids)
            totals["saved"] += 1
        else:
            totals["refused"] += 1
            if not result.stderr.startswith("outreach: error: "):
                totals["unclear"] += 1
                totals["last_unclear"] = result.stderr[-300:]
        lost, problems = examine(data_dir, acked)
        totals["lost"] += lost
        totals["corrupt"] += problems > 0
        totals["partial_batches"] += partial_batches(data_dir, batches)
    return totals


def partial_batches(data_dir: Path, batches: list[list[str]]) -> int:
    """Batches of which some but not all records are stored (0 when saves are all-or-nothing)."""
    from outreach.store.session import unlock_store

    with unlock_store(data_dir, "alice", PASSPHRASES[0]) as store:
        stored = {row[0] for row in store.conn.execute("SELECT id FROM records")}
    return sum(0 < len(stored.intersection(ids)) < len(ids) for ids in batches)


def check(totals: dict[str, Any]) -> None:
    assert totals["saved"] > 0 and totals["refused"] > 0, totals  # faults fired, and not always
    for key in ("tracebacks", "unclear", "lost", "corrupt", "partial_batches"):
        assert totals[key] == 0, totals


def test_disk_faults_give_a_clear_error_and_lose_nothing(
    tmp_path: Path, figures: dict[str, Any]
) -> None:
    """16 `outreach record` runs under random write/fsync faults: clean errors, sound store."""
    totals = fault_runs(tmp_path, 16, seed=11)
    figures["io faults (fast)"] = totals
    check(totals)


@pytest.mark.soak
def test_soak_disk_faults(tmp_path: Path, figures: dict[str, Any]) -> None:
    """300 fault-injected `outreach record` runs: 0 tracebacks, 0 lost, 0 corrupt, 0 partial."""
    totals = fault_runs(tmp_path, 300, seed=12)
    figures["io faults (soak)"] = totals
    check(totals)
