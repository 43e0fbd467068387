"""Device settings: read with defaults, written atomically and only when they change."""

from __future__ import annotations

from pathlib import Path

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
