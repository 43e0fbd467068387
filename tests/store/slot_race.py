"""Real processes racing on one key-slot file: the writers the concurrency tests and soak share.

Each worker is a forked process released by one barrier, so the writes overlap as closely as the
machine allows. Workers report what they saw (ok, or the error's type) through a queue.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from outreach.errors import OutreachError
from outreach.store.session import add_user, change_passphrase, load_vault, unlock_store
from tests.samples import FAST_KDF, PASSPHRASE

CTX = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class Outcome:
    worker: int
    result: str  # "ok" or the error's type name
    detail: str = ""


def _run(
    index: int,
    job: Callable[[int], None],
    barrier: multiprocessing.synchronize.Barrier,
    results: Any,
) -> None:
    barrier.wait(timeout=60)
    try:
        job(index)
    except OutreachError as exc:
        results.put(Outcome(index, type(exc).__name__, str(exc)))
    except BaseException as exc:  # noqa: BLE001 - a traceback in a worker is the finding
        results.put(Outcome(index, f"crash:{type(exc).__name__}", repr(exc)))
    else:
        results.put(Outcome(index, "ok"))


def race(jobs: Sequence[Callable[[int], None]]) -> list[Outcome]:
    """Start one process per job, release them together, wait for all; outcomes by worker."""
    barrier = CTX.Barrier(len(jobs))
    results = CTX.Queue()
    procs = [
        CTX.Process(target=_run, args=(index, job, barrier, results))
        for index, job in enumerate(jobs)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=300) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    return sorted(outcomes, key=lambda o: o.worker)


BOB = "bob's long passphrase"


def new_user(data_dir: Path, name: str) -> Callable[[int], None]:
    """Bob vouches for `name` (so that alice may change her passphrase meanwhile)."""

    def job(_: int) -> None:
        add_user(data_dir, "bob", BOB, name, "worker", passphrase_of(name), FAST_KDF)

    return job


def passphrase_of(name: str) -> str:
    return f"{name} passphrase!"


def with_bob(data_dir: Path) -> None:
    add_user(data_dir, "alice", PASSPHRASE, "bob", "worker", BOB, FAST_KDF)


def new_passphrase(data_dir: Path, old: str, new: str) -> Callable[[int], None]:
    def job(_: int) -> None:
        change_passphrase(data_dir, "alice", old, new, FAST_KDF)

    return job


def wrong_guess(data_dir: Path) -> Callable[[int], None]:
    def job(index: int) -> None:
        unlock_store(data_dir, "alice", f"wrong guess number {index}")

    return job


def opens(data_dir: Path, user: str, passphrase: str) -> bool:
    try:
        unlock_store(data_dir, user, passphrase).close()
    except OutreachError:
        return False
    return True


def users(data_dir: Path) -> set[str]:
    return {name for name, _ in load_vault(data_dir).users()}


def failures(data_dir: Path) -> int:
    return load_vault(data_dir)._data.failures
