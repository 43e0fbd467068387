"""Key slots under real parallel processes: no lost slot, no reverted passphrase, every guess
counted, no temp-file clashes."""

from __future__ import annotations

from pathlib import Path

from outreach.store.store import Store
from tests.samples import PASSPHRASE
from tests.store import slot_race
from tests.store.slot_race import failures, new_passphrase, new_user, opens, race, users


def test_parallel_add_user_keeps_every_new_slot(store: Store, data_dir: Path) -> None:
    """Six processes adding six users at once: all six slots are kept and each one opens."""
    store.close()
    slot_race.with_bob(data_dir)
    names = [f"user{i}" for i in range(6)]
    outcomes = race([new_user(data_dir, name) for name in names])
    assert [o.result for o in outcomes] == ["ok"] * 6, outcomes
    assert users(data_dir) == {"alice", "bob", *names}
    assert all(opens(data_dir, name, slot_race.passphrase_of(name)) for name in names)


def test_passphrase_change_racing_add_user_is_not_reverted(store: Store, data_dir: Path) -> None:
    """Alice's new passphrase survives four users being added at the same moment."""
    store.close()
    slot_race.with_bob(data_dir)
    new = "alice's brand new passphrase"
    names = [f"user{i}" for i in range(4)]
    jobs = [new_passphrase(data_dir, PASSPHRASE, new), *(new_user(data_dir, n) for n in names)]
    outcomes = race(jobs)
    assert [o.result for o in outcomes] == ["ok"] * 5, outcomes
    assert opens(data_dir, "alice", new) and not opens(data_dir, "alice", PASSPHRASE)
    assert users(data_dir) == {"alice", "bob", *names}


def test_parallel_wrong_guesses_each_count(store: Store, data_dir: Path) -> None:
    """Six wrong guesses at once: each is a counted failure or refused by the lockout, never lost;
    afterwards even the right passphrase must wait."""
    store.close()
    outcomes = race([slot_race.wrong_guess(data_dir) for _ in range(6)])
    results = [o.result for o in outcomes]
    assert set(results) <= {"WrongPassphrase", "LockedOut"}, outcomes
    assert failures(data_dir) == results.count("WrongPassphrase") >= 3
    assert not opens(data_dir, "alice", PASSPHRASE)


def test_slot_writes_leave_no_temp_files(store: Store, data_dir: Path) -> None:
    """Writers use unique temp names and remove them: nothing but the slots and their lock."""
    store.close()
    slot_race.with_bob(data_dir)
    race([new_user(data_dir, f"user{i}") for i in range(4)])
    assert sorted(p.name for p in data_dir.glob("keyslots*")) == [
        "keyslots.json",
        "keyslots.json.lock",
    ]
    assert not list(data_dir.glob(".*tmp"))


def test_a_killed_writers_temp_file_is_cleared_by_the_next_change(
    store: Store, data_dir: Path
) -> None:
    """A temp file left by a writer killed mid-write is removed by the next slot change."""
    store.close()
    leftover = data_dir / ".keyslots.json.abc123.tmp"
    leftover.write_bytes(b'{"half": ')
    slot_race.with_bob(data_dir)
    assert not leftover.exists() and users(data_dir) == {"alice", "bob"}
