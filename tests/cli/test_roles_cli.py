"""Roles through the `outreach` command: every role × record type × action gets the store's answer,
as a one-line message and a non-zero exit (in-process `main`, real encrypted stores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from outreach.store.session import create_store, load_vault, unlock_store
from tests.cli.helpers import outreach, record_line, refused
from tests.samples import FAST_KDF, PASSPHRASE
from tests.store.test_roles import GRANTED, MATRIX, SAMPLES, USERS, make_device


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a user of each role (fast key settings, so each command unlocks quickly)."""
    return make_device(tmp_path_factory.mktemp("cli-roles"))


def seed(device: Path, kind: str) -> str:
    with unlock_store(device, USERS["coordinator"], PASSPHRASE) as store:
        return store.add_new(dict(SAMPLES[kind]))[0].id


@pytest.mark.parametrize(("role", "kind"), MATRIX)
def test_record(
    device: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], role: str, kind: str
) -> None:
    """`outreach record` saves a type only for a granted role, else one line and exit 1."""
    code, out, err = outreach(
        capsys,
        device,
        "record",
        "--user",
        USERS[role],
        "--file",
        record_line(tmp_path, SAMPLES[kind]),
    )
    if kind in GRANTED[role]:
        assert code == 0, err
        assert json.loads(out)["saved"] == 1
    else:
        assert refused(code, err, "may not record"), err
        assert "nothing was saved" in err


@pytest.mark.parametrize(("role", "kind"), MATRIX)
def test_read(device: Path, capsys: pytest.CaptureFixture[str], role: str, kind: str) -> None:
    """`outreach counts --type` counts a type only for a role that may read it."""
    seed(device, kind)
    code, out, err = outreach(capsys, device, "counts", "--type", kind, "--user", USERS[role])
    if kind in GRANTED[role]:
        assert code == 0, err
        assert sum(row["count"] for row in json.loads(out)) >= 1
    else:
        assert refused(code, err, "may not see"), err
        assert out == ""


@pytest.mark.parametrize(("role", "kind"), MATRIX)
def test_void(
    device: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], role: str, kind: str
) -> None:
    """A void line in `outreach record` is saved only for a role that may void its target."""
    target = seed(device, kind)
    void = {"type": "void", "target": target, "reason": "entered_in_error"}
    code, _, err = outreach(
        capsys, device, "record", "--user", USERS[role], "--file", record_line(tmp_path, void)
    )
    if kind in GRANTED[role]:
        assert code == 0, err
    else:
        assert refused(code, err, "may not void"), err
    with unlock_store(device, USERS["coordinator"], PASSPHRASE) as store:
        assert store.get(target).active is (kind not in GRANTED[role])  # type: ignore[union-attr]


@pytest.mark.parametrize("role", list(USERS))
def test_export(
    device: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], role: str
) -> None:
    """`outreach export` (contact, kit and use counts) is refused to a pharmacy user."""
    out_file = tmp_path / "report.zip"
    code, _, err = outreach(
        capsys, device, "export", "csv", "--from", "2000-01-01", "--to", "2100-01-01",
        "--out", str(out_file), "--user", USERS[role],
    )  # fmt: skip
    if role == "pharmacy":
        assert refused(code, err, "may not see contacts"), err
        assert not out_file.exists()
    else:
        assert code == 0, err


# Who may add whom: own role or lower (a role with no more rights); a coordinator adds anyone.
MAY_ADD = {
    "worker": {"worker"},
    "pharmacy": {"pharmacy"},
    "coordinator": {"worker", "pharmacy", "coordinator"},
}


@pytest.mark.parametrize(("adder", "new_role"), [(a, n) for a in USERS for n in USERS])
def test_add_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], adder: str, new_role: str
) -> None:
    """`outreach add-user` adds a role only if the adding user's role covers it."""
    create_store(tmp_path, "first", adder, PASSPHRASE, FAST_KDF)[0].close()
    code, _, err = outreach(
        capsys, tmp_path, "add-user", "second", "--role", new_role, "--user", "first"
    )
    names = [name for name, _ in load_vault(tmp_path).users()]
    if new_role in MAY_ADD[adder]:
        assert code == 0, err
        assert names == ["first", "second"]
    else:
        assert refused(code, err, "may not add"), err
        assert names == ["first"]
