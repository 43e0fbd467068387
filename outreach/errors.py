"""Typed errors: the UI and CLI choose what to say by type, never by matching message text."""

from __future__ import annotations

import enum


class OutreachError(Exception):
    """Base for every error that is meant to be shown to a person."""


class InvalidRecord(OutreachError):
    """A record, field or typed value failed validation; says which field and input line."""

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.line = line

    def at_line(self, line: int) -> InvalidRecord:
        """Return a copy that also names the input line it came from."""
        return InvalidRecord(self.message, field=self.field, line=line)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class RepeatSerial(InvalidRecord):
    """A kit's pack serial was issued before: flagged, and issued only when confirmed."""


class StoreError(OutreachError):
    """The encrypted store cannot be opened or used."""


class NoStore(StoreError):
    """No store exists yet in the data directory: run set-up first."""


class StoreExists(StoreError):
    """Set-up was asked for where a store already exists."""


class VaultLocked(StoreError):
    """The store is locked: the key has been dropped and must be unlocked again."""


class WrongPassphrase(StoreError):
    """The passphrase or recovery key does not open any key slot."""


class LockedOut(StoreError):
    """Too many failed unlocks: wait before the next attempt."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreCorrupt(StoreError):
    """The store file failed its integrity or authentication check."""


class StoreMissing(StoreCorrupt):
    """Key slots exist but the store file is missing or empty: never replaced by a new store."""

    def __init__(self, file_name: str) -> None:
        super().__init__(
            f"the store is missing or damaged ({file_name} is missing or empty): restore it "
            "from a backup, or recover (docs/security.md)"
        )


class UnknownUser(StoreError):
    """No key slot exists for the named user."""


class NotPermitted(OutreachError):
    """The user's role may not do this (outreach.records.permissions); nothing was done."""

    def __init__(
        self, message: str, *, role: str, action: str, record_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.role = role
        self.action = action
        self.record_type = record_type


class WeakPassphrase(StoreError):
    """A new passphrase fails the policy (outreach.store.passphrases); `feedback` says why."""

    def __init__(self, message: str, *, feedback: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.feedback = feedback


class InvalidUserName(StoreError):
    """A new user name is malformed, mixes scripts or looks like an existing user's."""


class StockError(OutreachError):
    """A stock movement would break the ledger (e.g. stock going negative)."""


class SyncErrorKind(enum.Enum):
    NETWORK = "network"
    AUTH = "auth"
    REVOKED = "revoked"
    CONFLICT = "conflict"
    PROTOCOL = "protocol"
    NOT_ENROLLED = "not_enrolled"


class SyncError(OutreachError):
    """Sync failed; `kind` tells the UI what to do about it."""

    def __init__(self, message: str, *, kind: SyncErrorKind) -> None:
        super().__init__(message)
        self.kind = kind
