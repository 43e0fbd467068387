"""After lock, no copy of the database key is left in the process's memory (raw or hex).

A real child process unlocks, uses and locks a store; this process reads the child's memory
through /proc/<pid>/mem (every readable region in /proc/<pid>/maps) at each stage. While the store
is open the child also holds the key on purpose, raw and as hex, in the buffers the app uses; the
scan must find both then, which proves it would see a leaked copy. (Before the fix the same scan
found the hex key twice after `Store.close()`: the f-string `PRAGMA key` and `key.hex()`.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from outreach.store.session import load_vault
from outreach.store.store import Store
from tests.samples import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")


def key_copies(pid: int, needles: list[bytes]) -> dict[str, int]:
    """How many times each needle appears in the readable memory of process `pid`."""
    found = {str(index): 0 for index in range(len(needles))}
    regions = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        name = fields[5] if len(fields) > 5 else ""
        if fields[1].startswith("r") and name not in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
            regions.append((start, end))
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    try:
        for start, end in regions:
            try:
                chunk = os.pread(fd, end - start, start)
            except OSError:  # a mapping that cannot be read (device memory, guard pages)
                continue
            for needle in needles:
                found[str(needles.index(needle))] += chunk.count(needle)
    finally:
        os.close(fd)
    return found


def test_the_key_is_gone_from_memory_after_lock(store: Store, data_dir: Path) -> None:
    """A scan sees planted key copies while unlocked; after Store.close() no copy is left."""
    store.close()
    unlocked = load_vault(data_dir).unlock("alice", PASSPHRASE)
    raw = bytes(unlocked.key.view)
    unlocked.key.wipe()
    needles = [raw, raw.hex().encode(), raw.hex().upper().encode()]
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.key_memory_child", str(data_dir), "alice", PASSPHRASE],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "unlocked"
        while_open = key_copies(child.pid, needles)
        child.stdin.write("lock\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "locked"
        after_lock = key_copies(child.pid, needles)
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    # raw, hex, HEX: the planted raw and hex copies are seen (the scanner works) ...
    assert while_open["0"] >= 1 and while_open["1"] >= 1, while_open
    # ... and once they are wiped and the store is closed, no copy of any form is left.
    assert after_lock == {"0": 0, "1": 0, "2": 0}, (while_open, after_lock)
