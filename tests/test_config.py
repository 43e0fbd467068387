"""Device settings: read with defaults, written atomically and only when they change."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from outreach import config, paths


def test_an_update_that_changes_nothing_writes_nothing(active_data_dir: Path) -> None:
    """Remembering the same user again leaves the file alone; a new value rewrites it."""
    config.update_settings(last_user="alice")
    written = paths.settings_path().stat().st_ino
    assert config.update_settings(last_user="alice").last_user == "alice"
    assert paths.settings_path().stat().st_ino == written
    config.update_settings(last_user="bob")
    assert paths.settings_path().stat().st_ino != written
    assert config.load_settings().last_user == "bob"


@pytest.mark.parametrize("minutes", [35_792, 10**9, 1441, 0, -5])
def test_auto_lock_out_of_bounds_falls_back_to_the_default(
    active_data_dir: Path, minutes: int, caplog: pytest.LogCaptureFixture
) -> None:
    """An auto-lock beyond a day or below a minute is replaced by 5 with a warning; the rest of
    the file still counts."""
    paths.settings_path().write_text(json.dumps({"auto_lock_minutes": minutes, "last_user": "x"}))
    with caplog.at_level(logging.WARNING, logger="outreach.config"):
        settings = config.load_settings()
    assert settings.auto_lock_minutes == config.AUTO_LOCK_DEFAULT and settings.last_user == "x"
    assert "auto_lock_minutes must be 1 to 1440" in caplog.text


@pytest.mark.parametrize("minutes", [1, 1440])
def test_auto_lock_at_its_bounds_is_kept(active_data_dir: Path, minutes: int) -> None:
    """The bounds themselves are valid settings."""
    paths.settings_path().write_text(json.dumps({"auto_lock_minutes": minutes}))
    assert config.load_settings().auto_lock_minutes == minutes
