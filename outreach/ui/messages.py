"""What to tell a person about an error, chosen by its type and kind (never by message text)."""

from __future__ import annotations

from dataclasses import dataclass

from outreach.errors import (
    InvalidRecord,
    LockedOut,
    NoStore,
    OutreachError,
    StockError,
    StoreCorrupt,
    StoreMissing,
    SyncError,
    SyncErrorKind,
    UnknownUser,
    VaultLocked,
    WrongPassphrase,
)


@dataclass(frozen=True)
class Explained:
    title: str
    message: str
    action: str


SYNC_ACTIONS = {
    SyncErrorKind.NETWORK: (
        "The hub cannot be reached",
        "Your records are safe on this device and will be sent when the hub is reachable.",
    ),
    SyncErrorKind.AUTH: (
        "The hub did not accept this device",
        "Ask your coordinator for a new enrolment code and enrol again (Sync page).",
    ),
    SyncErrorKind.REVOKED: (
        "This device was revoked",
        "Your coordinator has withdrawn this device. Speak to them before using it again.",
    ),
    SyncErrorKind.CONFLICT: (
        "The hub saw a conflicting batch",
        "Nothing was lost. Tell your coordinator; they can see the alert on the hub.",
    ),
    SyncErrorKind.PROTOCOL: (
        "The hub answered something unexpected",
        "Check that the app is up to date; the details below help support.",
    ),
    SyncErrorKind.NOT_ENROLLED: (
        "This device is not enrolled",
        "Enrol it with a code from your coordinator (Sync page → Enrol).",
    ),
}


def explain(error: BaseException) -> Explained:
    """Title, message and the action to take for any error."""
    text = str(error)
    if isinstance(error, SyncError):
        title, action = SYNC_ACTIONS.get(error.kind, ("Sync failed", "Try again later."))
        return Explained(title, text, action)
    if isinstance(error, WrongPassphrase):
        return Explained("Wrong passphrase", text, "Check the user and try again, or use recovery.")
    if isinstance(error, LockedOut):
        return Explained("Too many attempts", text, "Wait, then try again.")
    if isinstance(error, UnknownUser):
        return Explained("Unknown user", text, "Pick a user from the list.")
    if isinstance(error, VaultLocked):
        return Explained("Locked", text, "Unlock again to carry on.")
    if isinstance(error, StoreMissing):
        return Explained(
            "The store is missing or damaged",
            text,
            "Nothing was changed. Restore the store from a backup, or recover: re-enrol this "
            "device with your coordinator (synced records are safe on the hub).",
        )
    if isinstance(error, StoreCorrupt):
        return Explained(
            "The store is damaged",
            text,
            "Stop using this device and contact your coordinator; synced records are safe on "
            "the hub.",
        )
    if isinstance(error, NoStore):
        return Explained("Not set up", text, "Run the set-up first.")
    if isinstance(error, InvalidRecord):
        field = f" ({error.field.replace('_', ' ')})" if error.field else ""
        return Explained(f"Please check the form{field}", error.message, "Correct it and save.")
    if isinstance(error, StockError):
        return Explained("Stock problem", text, "Check the stock on hand.")
    if isinstance(error, OutreachError):
        return Explained("Could not do that", text, "")
    return Explained(
        "Something went wrong",
        f"An unexpected error happened ({type(error).__name__}). It has been logged.",
        "Try again; if it keeps happening, copy the details for support.",
    )
