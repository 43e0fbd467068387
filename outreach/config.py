"""Plain (non-secret) device settings kept as JSON beside the store.

Only preferences live here: never record content or anything about people.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from outreach import paths

log = logging.getLogger(__name__)
AUTO_LOCK_DEFAULT = 5
# A day at most: beyond ~35,791 minutes Qt's millisecond timer overflows (the GUI crashed at
# start), and 0 or less re-locked right after every unlock.
AUTO_LOCK_BOUNDS = (1, 24 * 60)


class Settings(msgspec.Struct, kw_only=True):
    auto_lock_minutes: int = AUTO_LOCK_DEFAULT
    default_site: str | None = None
    default_area: str | None = None
    default_setting: str | None = None
    follow_up_areas: str | None = None  # areas this device covers, e.g. "LS6, LS7" (issue 15)
    last_user: str | None = None
    retention_days: int = 30


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing or damaged file falls back to defaults (and says so in the log)."""
    path = path or paths.settings_path()
    try:
        return _checked(msgspec.json.decode(path.read_bytes(), type=Settings))
    except FileNotFoundError:
        return Settings()
    except (msgspec.DecodeError, msgspec.ValidationError, OSError) as exc:
        log.warning("settings file unreadable, using defaults: %s", exc)
        return Settings()


def _checked(settings: Settings) -> Settings:
    """Values outside their sane range fall back to the default, one by one, with a warning
    (the rest of the file still counts)."""
    low, high = AUTO_LOCK_BOUNDS
    if not low <= settings.auto_lock_minutes <= high:
        log.warning(
            "settings: auto_lock_minutes must be %d to %d, not %d: using %d",
            low,
            high,
            settings.auto_lock_minutes,
            AUTO_LOCK_DEFAULT,
        )
        settings = msgspec.structs.replace(settings, auto_lock_minutes=AUTO_LOCK_DEFAULT)
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically so a crash never leaves half a file."""
    path = path or paths.settings_path()
    write_atomic(path, msgspec.json.format(msgspec.json.encode(settings)))


def update_settings(**changes: Any) -> Settings:
    """Apply `changes`; the file is rewritten only if they change it. Every unlock remembers the
    user, and a write is two fsyncs, on the desktop app's UI thread."""
    current = load_settings()
    settings = msgspec.structs.replace(current, **changes)
    if settings != current:
        try:
            save_settings(settings)
        except OSError as exc:  # a read-only data dir: preferences are not worth failing for
            log.warning("settings not saved: %s", exc.strerror)
    return settings


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file, fsync, rename: readers see the old or the new file, never a mix.

    The temp name is unique (two writers once shared `<name>.tmp`, and one renamed the other's
    file away), and the file is private (0600) from its creation.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def dump_json(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True).encode()
