"""What every CLI command shares: unlocking the store from arguments and environment."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys

from outreach import config, paths
from outreach.domain import user_names
from outreach.errors import OutreachError, UnknownUser
from outreach.store.session import load_vault, unlock_store
from outreach.store.store import Store

PASSPHRASE_ENV = "OUTREACH_PASSPHRASE"
USER_ENV = "OUTREACH_USER"


class CommandError(OutreachError):
    """A command was used wrongly (bad dates, missing input)."""


def read_passphrase(
    prompt: str = "Passphrase: ", *, confirm: bool = False, env: str = PASSPHRASE_ENV
) -> str:
    """From the environment variable `env` (scripts), else an interactive prompt (not echoed)."""
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise CommandError(f"no passphrase: set {env} or run in a terminal")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise CommandError("the two passphrases differ")
    return first


def choose_user(requested: str | None) -> str:
    """--user, OUTREACH_USER, the last user, or the only user on the device."""
    users = [name for name, _ in load_vault(paths.data_dir()).users()]
    user = requested or os.environ.get(USER_ENV) or config.load_settings().last_user
    if user is not None:
        user = user_names.normalise(user)
    if user is None and len(users) == 1:
        user = users[0]
    if user is None:
        raise CommandError(f"several users on this device: pass --user ({', '.join(users)})")
    if user not in users:
        raise UnknownUser(f"no user '{user}' on this device")
    return user


def open_store_from_args(args: argparse.Namespace) -> Store:
    """Unlock the store for the user named by the arguments (or the only one)."""
    user = choose_user(getattr(args, "user", None))
    return unlock_store(paths.data_dir(), user, read_passphrase(f"Passphrase for {user}: "))


def parse_date(text: str) -> dt.date:
    """An argparse type: a YYYY-MM-DD date, or a usage error saying what is wrong."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None
