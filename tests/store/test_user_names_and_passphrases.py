"""One policy for passphrases (zxcvbn) and user names (NFC, one script, no look-alikes), applied
by the store whoever calls it; the CLI says the same (tests/cli/test_policy_cli.py)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from outreach.domain import user_names
from outreach.errors import InvalidUserName, WeakPassphrase
from outreach.store import passphrases
from outreach.store.session import (
    add_user,
    change_passphrase,
    create_store,
    load_vault,
    unlock_store,
)
from outreach.store.store import Store
from tests.samples import CONTACT, FAST_KDF, KIT, PASSPHRASE

WEAK = ["password123", "aaaaaaaaaa", "qwertyuiop", "1234567890", "naloxone2024"]
SHORT = ["", "abc", "Tr0ub4d&3"]


@pytest.mark.parametrize("weak", WEAK + SHORT)
def test_weak_passphrases_are_refused_with_feedback(weak: str) -> None:
    """Common, repeated, keyboard-walk and short passphrases fail the policy, saying why."""
    verdict = passphrases.assess(weak)
    assert not verdict.acceptable
    assert verdict.feedback
    with pytest.raises(WeakPassphrase) as raised:
        passphrases.check(weak)
    assert raised.value.feedback


@pytest.mark.parametrize("good", [PASSPHRASE, "my kettle sings at dawn", "Tr0ub4d&3-hostel-Van"])
def test_good_passphrases_pass(good: str) -> None:
    """Sentences and long mixed passphrases are accepted."""
    assert passphrases.assess(good).acceptable
    passphrases.check(good)


def test_the_user_name_counts_against_the_passphrase() -> None:
    """A passphrase built from the user's own name is refused for that user only."""
    assert passphrases.assess("wojciechowska7").acceptable
    assert not passphrases.assess("wojciechowska7", ["wojciechowska"]).acceptable
    assert not passphrases.assess("wojciechowska7", ["wójciechowska"]).acceptable  # accents


def test_very_long_passphrases_are_estimated_not_refused() -> None:
    """zxcvbn's 72-character limit never turns a long passphrase into an error."""
    assert passphrases.assess("a fairly long sentence about the van " * 5).acceptable


@pytest.mark.parametrize("weak", ["password123", "aaaaaaaaaa"])
def test_the_store_refuses_weak_passphrases_everywhere(
    store: Store, data_dir: Path, tmp_path: Path, weak: str
) -> None:
    """Set-up, adding a user and changing a passphrase all apply the policy; nothing is made."""
    with pytest.raises(WeakPassphrase):
        create_store(tmp_path / "new", "sam", "worker", weak, FAST_KDF)
    assert not (tmp_path / "new" / "keyslots.json").exists()
    with pytest.raises(WeakPassphrase):
        add_user(data_dir, "alice", PASSPHRASE, "bob", "worker", weak, FAST_KDF)
    with pytest.raises(WeakPassphrase):
        change_passphrase(data_dir, "alice", PASSPHRASE, weak, FAST_KDF)
    assert load_vault(data_dir).users() == [("alice", "coordinator")]


def test_a_non_ascii_user_records_saves_and_unlocks(tmp_path: Path) -> None:
    """`jürgen` (typed decomposed or composed) makes a store that saves contacts and kits."""
    decomposed = unicodedata.normalize("NFD", "jürgen")
    store, _ = create_store(tmp_path, decomposed, "worker", PASSPHRASE, FAST_KDF)
    with store:
        assert store.user == "jürgen" and unicodedata.is_normalized("NFC", store.user)
        contact, _ = store.add_new(dict(CONTACT))
        kit, _ = store.add_new(dict(KIT))
    with unlock_store(tmp_path, "jürgen", PASSPHRASE) as again:
        assert again.get(contact.id).record.recorded_by == "jürgen"  # type: ignore[union-attr]
        assert again.record_count() == 2
    with unlock_store(tmp_path, decomposed, PASSPHRASE) as again:
        assert again.get(kit.id) is not None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("\u0430lice", "mixes letters"),  # Cyrillic а + Latin lice
        ("bob\u0430", "mixes letters"),
        ("\u0430\u0441\u0435", "looks too much like"),  # all Cyrillic асе beside Latin ace
        ("aIice", "looks too much like"),  # capital I for l
        ("Alice", "looks too much like"),  # case only
        ("ace", "already exists"),
        ("a lice", "letters, digits"),
        ("x" * 41, "letters, digits"),
        ("alice²", "letters, digits"),
    ],
)
def test_confusable_and_malformed_names_are_refused(
    store: Store, data_dir: Path, name: str, why: str
) -> None:
    """A new user whose name mixes scripts, looks like another's or breaks the rule is refused."""
    add_user(data_dir, "alice", PASSPHRASE, "ace", "worker", PASSPHRASE, FAST_KDF)
    with pytest.raises(InvalidUserName, match=why):
        add_user(data_dir, "alice", PASSPHRASE, name, "worker", PASSPHRASE, FAST_KDF)
    assert [user for user, _ in load_vault(data_dir).users()] == ["alice", "ace"]


@pytest.mark.parametrize("name", ["jürgen", "Δημήτρης", "pat.o-1", "zoë_2", "मीरा"])
def test_single_script_names_are_accepted(name: str) -> None:
    """Names in one script (any script), with digits and `._-`, pass."""
    assert user_names.check_new(name, ["alice"]) == name
