"""A fork server for crash tests: imports Outreach once, then forks one writer per request.

Forking after the imports makes a kill cycle cost milliseconds instead of an interpreter start, so
a soak can kill a thousand writers. Each writer is a real process killed with a real SIGKILL.

Protocol on stdin/stdout, one line each:
  go MODE DATA_DIR   ->  start PID        (the writer then prints `ack PID ...` lines)
  reap PID           ->  end PID STATUS   (after the parent killed it; never before)
Writers print an ack only after the call it confirms has returned, flushed with one write.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from outreach.errors import WrongPassphrase
from outreach.records.validation import build_record
from outreach.stock.companion import register
from outreach.store import session
from outreach.store.session import change_passphrase, create_store, unlock_store
from outreach.store.vault import KdfParams

register()  # what the composition roots do at start-up

KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
PASSPHRASES = ("correct horse battery staple", "another long passphrase 42")
USER = "alice"
KIT = {
    "type": "kit_issue",
    "site": "outreach_van",
    "product": "nyxoid_1_8mg_nasal",
    "batch": "AB12",
    "expiry": "2030-05-31",
    "recipient": "person_at_risk",
    "supply": "first",
    "training": "full",
}
CONTACT = {
    "type": "contact",
    "site": "outreach_van",
    "area": "LS6",
    "setting": "street",
    "age_band": "35_44",
    "gender": "male",
    "in_treatment": "no",
    "injecting": "current",
    "substances": ["heroin", "crack"],
    "risk_factors": ["using_alone"],
    "interventions": ["harm_reduction_advice"],
}


def say(line: str) -> None:
    """One write per line: a pipe write under PIPE_BUF is atomic, so a kill never splits it."""
    os.write(1, (line + "\n").encode())


def write_forever(data_dir: Path, store: session.Store | None = None) -> None:
    """Save batches of 1-3 records; ack every id once `add` has returned."""
    store = store or unlock_store(data_dir, USER, PASSPHRASES[0])
    pid = os.getpid()
    count = 0
    while True:
        count += 1
        batch = [
            build_record(CONTACT if (count + i) % 3 == 0 else KIT, recorded_by=USER)
            for i in range(1 + count % 3)
        ]
        store.add(batch)
        say(f"ack {pid} " + " ".join(r.id for r in batch))


def flip_passphrase_forever(data_dir: Path) -> None:
    """Change the passphrase back and forth; ack each new one once the change has returned."""
    pid = os.getpid()
    while True:
        try:
            change_passphrase(data_dir, USER, PASSPHRASES[0], PASSPHRASES[1], kdf=KDF)
            say(f"pass {pid} 1")
        except WrongPassphrase:
            change_passphrase(data_dir, USER, PASSPHRASES[1], PASSPHRASES[0], kdf=KDF)
            say(f"pass {pid} 0")


def run_writer(mode: str, data_dir: Path) -> None:
    if mode == "records":
        write_forever(data_dir)
    elif mode == "passphrase":
        flip_passphrase_forever(data_dir)
    elif mode == "create":
        store, _ = create_store(data_dir, USER, "worker", PASSPHRASES[0], kdf=KDF)
        say(f"created {os.getpid()}")
        write_forever(data_dir, store)
    elif mode == "migrate":
        store = unlock_store(data_dir, USER, PASSPHRASES[0])  # opening runs the migration
        say(f"migrated {os.getpid()}")
        write_forever(data_dir, store)
    else:
        raise SystemExit(f"unknown mode {mode}")


def install_test_migration() -> None:
    """`OUTREACH_TEST_MIGRATION=1`: one extra, slow migration, so kills land inside it."""
    from slow_migration import add_slow_migration

    add_slow_migration()


def warm_up() -> None:
    """One throwaway save first, so lazy imports happen here and not in every writer."""
    with tempfile.TemporaryDirectory() as scratch:
        store, _ = create_store(Path(scratch) / "warm", USER, "worker", PASSPHRASES[0], kdf=KDF)
        with store:
            store.add(
                [build_record(KIT, recorded_by=USER), build_record(CONTACT, recorded_by=USER)]
            )


def serve() -> None:
    if os.environ.get("OUTREACH_TEST_MIGRATION"):
        install_test_migration()
    warm_up()
    for line in sys.stdin:
        words = line.split()
        if words[0] == "go":
            pid = os.fork()
            if pid == 0:
                status = 0
                try:
                    run_writer(words[1], Path(words[2]))
                except Exception as exc:  # noqa: BLE001 (report it; the writer must never return)
                    sys.stderr.write(f"writer failed: {type(exc).__name__}: {exc}\n")
                    status = 3
                finally:
                    os._exit(status)
            say(f"start {pid}")
        elif words[0] == "reap":
            _, status = os.waitpid(int(words[1]), 0)
            say(f"end {words[1]} {status}")


if __name__ == "__main__":
    serve()
