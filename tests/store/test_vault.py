"""Key slots: unlock, wrong passphrase, recovery, passphrase change, lockout."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from outreach.errors import LockedOut, StoreExists, UnknownUser, WrongPassphrase
from outreach.store.session import (
    add_user,
    change_passphrase,
    create_store,
    load_vault,
    recover_store,
    unlock_store,
)
from outreach.store.store import Store
from tests.samples import FAST_KDF, PASSPHRASE


def test_wrong_passphrase_fails_cleanly(store: Store, data_dir: Path) -> None:
    """A wrong passphrase raises WrongPassphrase, not a database error."""
    store.close()
    with pytest.raises(WrongPassphrase):
        unlock_store(data_dir, "alice", "not the passphrase")


def test_unknown_user_is_named(store: Store, data_dir: Path) -> None:
    """Unlocking as a user with no slot says so."""
    with pytest.raises(UnknownUser):
        unlock_store(data_dir, "mallory", PASSPHRASE)


def test_change_passphrase_rewrites_only_that_slot(store: Store, data_dir: Path) -> None:
    """After a change the new passphrase opens the store, the old does not, others are untouched."""
    add_user(data_dir, "alice", PASSPHRASE, "bob", "pharmacy", "bob's long passphrase", FAST_KDF)
    before = load_vault(data_dir)._data.slots
    change_passphrase(data_dir, "alice", PASSPHRASE, "a brand new passphrase", FAST_KDF)
    after = load_vault(data_dir)._data.slots
    assert before[1:] == after[1:] and before[0] != after[0]
    with pytest.raises(WrongPassphrase):
        unlock_store(data_dir, "alice", PASSPHRASE)
    unlock_store(data_dir, "alice", "a brand new passphrase").close()
    bob = unlock_store(data_dir, "bob", "bob's long passphrase")
    assert bob.role == "pharmacy"
    bob.close()


def test_recovery_key_opens_and_resets_a_forgotten_passphrase(
    store_and_recovery: tuple[Store, str], data_dir: Path
) -> None:
    """The recovery key shown at set-up opens the store and sets a new passphrase."""
    store, recovery = store_and_recovery
    store.add_new({"type": "contact", "site": "outreach_van", "area": "LS6", "setting": "street"})
    store.close()
    recovered = recover_store(data_dir, recovery.lower(), "alice", "remembered this one", FAST_KDF)
    assert recovered.record_count() == 1
    recovered.close()
    unlock_store(data_dir, "alice", "remembered this one").close()
    with pytest.raises(WrongPassphrase):
        recover_store(data_dir, "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", "alice", "x" * 12)


def test_repeated_failures_impose_a_delay(store: Store, data_dir: Path) -> None:
    """After three wrong attempts the next one must wait, even with the right passphrase."""
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            unlock_store(data_dir, "alice", "wrong wrong wrong")
    with pytest.raises(LockedOut) as caught:
        unlock_store(data_dir, "alice", PASSPHRASE)
    assert caught.value.retry_after > 0


def test_slots_are_bound_to_their_user(store: Store, data_dir: Path) -> None:
    """A slot copied to another user's name does not open: the owner is authenticated."""
    add_user(data_dir, "alice", PASSPHRASE, "bob", "worker", "bob's long passphrase", FAST_KDF)
    vault = load_vault(data_dir)
    slots = vault._data.slots
    slots[1] = msgspec.structs.replace(slots[0], user="bob")
    vault.save()
    with pytest.raises(WrongPassphrase):
        unlock_store(data_dir, "bob", PASSPHRASE)


def test_slot_file_holds_no_key_material_in_clear(store: Store, data_dir: Path) -> None:
    """The database key does not appear in the slot file."""
    key_hex = None
    for row in store.conn.execute("PRAGMA key"):  # sqlcipher does not reveal the key
        key_hex = row
    assert key_hex is None
    text = (data_dir / "keyslots.json").read_text()
    assert "alice" in text and "wrapped" in text


def test_create_refuses_to_overwrite(store: Store, data_dir: Path) -> None:
    """Set-up never replaces an existing store."""
    with pytest.raises(StoreExists):
        create_store(data_dir, "eve", "worker", PASSPHRASE, FAST_KDF)
