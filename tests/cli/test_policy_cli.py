"""The CLI applies the store's passphrase and user-name policy and prints why it refused."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from outreach.store.session import create_store, load_vault
from tests.cli.helpers import outreach, record_line, refused
from tests.samples import FAST_KDF, PASSPHRASE
from tests.store.test_roles import SAMPLES
from tests.store.test_user_names_and_passphrases import WEAK


@pytest.mark.parametrize("weak", WEAK)
def test_init_refuses_a_weak_passphrase_with_feedback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    """`outreach init` refuses what the desktop set-up refuses, printing zxcvbn's reason."""
    monkeypatch.setenv("OUTREACH_PASSPHRASE", weak)
    code, out, err = outreach(capsys, tmp_path, "init", "--user", "sam", "--role", "worker")
    assert refused(code, err, "passphrase is too easy to guess"), err
    assert len(err.split(":", 2)[-1].strip()) > 10  # the feedback follows
    assert out == "" and not (tmp_path / "keyslots.json").exists()


def test_passphrase_change_refuses_a_weak_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`outreach passphrase` refuses `password123` and the old passphrase still opens."""
    create_store(tmp_path, "sam", "worker", PASSPHRASE, FAST_KDF)[0].close()
    monkeypatch.setenv("OUTREACH_NEW_PASSPHRASE", "password123")
    code, _, err = outreach(capsys, tmp_path, "passphrase", "--user", "sam")
    assert refused(code, err, "very common password"), err
    code, _, err = outreach(capsys, tmp_path, "status", "--user", "sam")
    assert code == 0, err


def test_a_non_ascii_user_can_init_and_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`init --user jürgen` (decomposed) stores the NFC name, and `record` saves."""
    decomposed = unicodedata.normalize("NFD", "jürgen")
    code, out, err = outreach(capsys, tmp_path, "init", "--user", decomposed, "--role", "worker")
    assert code == 0, err
    assert json.loads(out)["user"] == "jürgen"
    contact = record_line(tmp_path, SAMPLES["contact"])
    code, out, err = outreach(capsys, tmp_path, "record", "--user", decomposed, "--file", contact)
    assert code == 0, err
    assert json.loads(out)["saved"] == 1


@pytest.mark.parametrize(
    ("name", "why"), [("\u0430lice", "mixes letters"), ("ALICE", "looks too much like")]
)
def test_add_user_refuses_look_alike_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, why: str
) -> None:
    """`add-user` with a mixed-script or look-alike name is refused in one line."""
    create_store(tmp_path, "alice", "coordinator", PASSPHRASE, FAST_KDF)[0].close()
    code, _, err = outreach(
        capsys, tmp_path, "add-user", name, "--role", "worker", "--user", "alice"
    )
    assert refused(code, err, why), err
    assert load_vault(tmp_path).users() == [("alice", "coordinator")]
