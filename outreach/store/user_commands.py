"""CLI commands for the people on a device: add a user, change a passphrase, recover."""

from __future__ import annotations

import argparse
import os
import sys

from outreach import paths
from outreach.cli_support import CommandError, choose_user, read_passphrase
from outreach.domain.roles import ROLES
from outreach.store.session import add_user, change_passphrase, recover_store

NEW_PASSPHRASE_ENV = "OUTREACH_NEW_PASSPHRASE"
RECOVERY_KEY_ENV = "OUTREACH_RECOVERY_KEY"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    new_user = commands.add_parser("add-user", help="add a user (an existing user unlocks)")
    new_user.add_argument("name", help="the new user's id")
    new_user.add_argument("--role", required=True, choices=ROLES)
    new_user.add_argument("--user", help="the existing user who vouches")
    new_user.set_defaults(func=cmd_add_user)

    passphrase = commands.add_parser("passphrase", help="change your passphrase")
    passphrase.add_argument("--user")
    passphrase.set_defaults(func=cmd_passphrase)

    recover = commands.add_parser(
        "recover", help="set a new passphrase with the recovery key (forgotten passphrase)"
    )
    recover.add_argument("--user")
    recover.set_defaults(func=cmd_recover)


def _new_passphrase(prompt: str) -> str:
    return read_passphrase(prompt, confirm=True, env=NEW_PASSPHRASE_ENV)


def cmd_add_user(args: argparse.Namespace) -> int:
    admin = choose_user(args.user)
    admin_passphrase = read_passphrase(f"Passphrase for {admin}: ")
    new = _new_passphrase(f"Passphrase for the new user {args.name}: ")
    add_user(paths.data_dir(), admin, admin_passphrase, args.name, args.role, new)
    sys.stderr.write(f"user {args.name} ({args.role}) added\n")
    return 0


def cmd_passphrase(args: argparse.Namespace) -> int:
    user = choose_user(args.user)
    old = read_passphrase(f"Current passphrase for {user}: ")
    change_passphrase(paths.data_dir(), user, old, _new_passphrase("New passphrase: "))
    sys.stderr.write(f"passphrase changed for {user}\n")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    user = choose_user(args.user)
    key = os.environ.get(RECOVERY_KEY_ENV)
    if not key:
        if not sys.stdin.isatty():
            raise CommandError(f"no recovery key: set {RECOVERY_KEY_ENV} or run in a terminal")
        key = input("Recovery key: ")
    store = recover_store(paths.data_dir(), key, user, _new_passphrase("New passphrase: "))
    store.close()
    sys.stderr.write(f"store opened with the recovery key; new passphrase set for {user}\n")
    return 0
