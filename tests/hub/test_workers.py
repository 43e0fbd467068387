"""`serve --workers N`: each process listens on the port itself, and they stop together; the
SQLite write lock holds writers in other processes back until it is released."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from outreach.hub.write_lock import WriteLock
from tests.hub.harness import hub_process, make_hub

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on `port` (state 0A in /proc/net/tcp)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
            inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _listeners(process: subprocess.Popen[bytes], url: str) -> tuple[list[int], set[str]]:
    """The supervisor's children listening on the hub's port, once both are up."""
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 20
    while True:
        listening = _listening_inodes(port)
        listeners = [pid for pid in _children(process.pid) if _socket_inodes(pid) & listening]
        if len(listeners) == 2 or time.monotonic() > deadline:
            return listeners, listening
        time.sleep(0.1)


def _gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_each_worker_listens_on_the_port_and_all_stop_together(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    make_hub(home).engine.dispose()
    with hub_process(home, f"sqlite:///{home / 'hub.db'}", workers=2) as (process, url):
        listeners, listening = _listeners(process, url)
        assert len(listeners) == 2 and len(listening) == 2  # a socket each, not one shared
        for _ in range(8):
            with httpx.Client(base_url=url) as client:  # a new connection each time
                assert client.get("/v1/health").status_code == 200
    assert process.returncode == 0
    assert _gone(listeners)


def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    make_hub(home).engine.dispose()
    with hub_process(home, f"sqlite:///{home / 'hub.db'}", workers=2) as (process, url):
        listeners, _ = _listeners(process, url)
        assert len(listeners) == 2
        process.kill()  # no chance to stop them itself
        process.wait()
        assert _gone(listeners)


def _hold(path: str, held: multiprocessing.synchronize.Event, seconds: float) -> None:
    with WriteLock(path).held():
        held.set()
        time.sleep(seconds)


def test_write_lock_waits_for_a_writer_in_another_process(tmp_path: Path) -> None:
    database = str(tmp_path / "hub.db")
    context = multiprocessing.get_context("spawn")
    held = context.Event()
    other = context.Process(target=_hold, args=(database, held, 0.6))
    other.start()
    assert held.wait(20)
    started = time.monotonic()
    with WriteLock(database).held():
        waited = time.monotonic() - started
    other.join(10)
    assert waited > 0.3
