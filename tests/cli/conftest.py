"""Fixtures for the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from outreach import cli, paths
from tests.samples import PASSPHRASE


@pytest.fixture(autouse=True)
def quiet_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI as a script runs it: passphrases from the environment, no log handlers added to
    the test process, the data directory override undone afterwards."""
    monkeypatch.setenv("OUTREACH_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("OUTREACH_NEW_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(cli, "setup_logging", lambda verbose: None)
    yield
    paths.set_data_dir(None)
