"""Device settings: read with defaults, written atomically and only when they change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach import config, paths


@pytest.fixture
def settings_dir(tmp_path: Path) -> Iterator[Path]:
    paths.set_data_dir(tmp_path)
    try:
        yield tmp_path
    finally:
        paths.set_data_dir(None)


def test_an_update_that_changes_nothing_writes_nothing(settings_dir: Path) -> None:
    """Remembering the same user again leaves the file alone; a new value rewrites it."""
    config.update_settings(last_user="alice")
    written = paths.settings_path().stat().st_ino
    assert config.update_settings(last_user="alice").last_user == "alice"
    assert paths.settings_path().stat().st_ino == written
    config.update_settings(last_user="bob")
    assert paths.settings_path().stat().st_ino != written
    assert config.load_settings().last_user == "bob"
