"""Concurrent key-slot writers, 100 rounds (soak): no lost slot, no reverted passphrase, no crash.

Each round releases five real processes at once on one slot file: alice changes her passphrase
while bob vouches for three new users and one process guesses wrongly
(that every parallel guess is counted is `tests/store/test_vault_concurrency.py`'s job: a
successful unlock in the same round resets the count).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from outreach.store.session import create_store
from tests.samples import FAST_KDF, PASSPHRASE
from tests.store import slot_race
from tests.store.slot_race import new_passphrase, new_user, opens, race, users

ROUNDS = 100


@pytest.mark.soak
def test_soak_concurrent_key_slot_writers(tmp_path: Path, figures: dict[str, Any]) -> None:
    """100 rounds of 5 racing writers: every added slot kept, every passphrase change kept."""
    totals = {"rounds": 0, "writers": 0, "slots added": 0, "lost slots": 0, "reverted": 0}
    totals |= {"crashes": 0, "wrong guesses refused": 0}
    started = time.perf_counter()
    data_dir, current, expected = tmp_path, PASSPHRASE, {"alice", "bob"}
    for round_no in range(ROUNDS):
        if round_no % 25 == 0:  # a fresh store now and then keeps each round's file small
            data_dir = tmp_path / f"store{round_no}"
            create_store(data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)[0].close()
            slot_race.with_bob(data_dir)
            current, expected = PASSPHRASE, {"alice", "bob"}
        new = f"passphrase of round {round_no}"
        names = [f"r{round_no}u{i}" for i in range(3)]
        jobs = [new_passphrase(data_dir, current, new), *(new_user(data_dir, n) for n in names)]
        jobs.append(slot_race.wrong_guess(data_dir))
        outcomes = race(jobs)
        totals["crashes"] += sum(o.result.startswith("crash") for o in outcomes)
        totals["wrong guesses refused"] += outcomes[4].result == "WrongPassphrase"
        expected |= {n for n, o in zip(names, outcomes[1:4], strict=True) if o.result == "ok"}
        totals["slots added"] += sum(o.result == "ok" for o in outcomes[1:4])
        totals["lost slots"] += len(expected - users(data_dir))
        if outcomes[0].result == "ok":
            current = new
        if not opens(data_dir, "alice", current):
            totals["reverted"] += 1
        totals["rounds"] += 1
        totals["writers"] += len(jobs)
    totals["seconds"] = round(time.perf_counter() - started, 1)
    figures["key-slot writers (soak)"] = totals
    assert totals["lost slots"] == totals["reverted"] == totals["crashes"] == 0, totals
    assert totals["slots added"] == 3 * ROUNDS and totals["wrong guesses refused"] == ROUNDS, totals
