"""Every path the app uses, in one place, computed on demand (never at import)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from outreach import APP_NAME

DATA_DIR_ENV = "OUTREACH_DATA_DIR"
_data_dir_override: Path | None = None


def set_data_dir(path: str | os.PathLike[str] | None) -> None:
    """Use `path` instead of the platform default (from `--data-dir`)."""
    global _data_dir_override
    _data_dir_override = Path(path).expanduser().resolve() if path else None


def data_dir_path() -> Path:
    """Where the data directory is, without creating it (commands that only read ask this)."""
    if _data_dir_override is not None:
        return _data_dir_override
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Where the store, key slots and settings live; created on first use."""
    path = data_dir_path()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def log_dir() -> Path:
    """Logs sit beside the data so that `--data-dir` keeps a test run self-contained."""
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store_path() -> Path:
    return data_dir() / "outreach.db"


def slots_path() -> Path:
    return data_dir() / "keyslots.json"


def settings_path() -> Path:
    return data_dir() / "settings.json"


def resources_dir() -> Path:
    """The `resources/` folder: beside the package in a checkout, inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
