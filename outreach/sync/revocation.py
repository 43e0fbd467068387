"""Deciding whether a "revoked" answer may wipe this device.

Only a revocation signed with the hub key pinned at enrolment and naming this device's id, its
enrolled public key and the pinned hub's fingerprint wipes the store (docs/sync-protocol.md,
"Revocation"). Anything else — unsigned, forged, for another device, from another hub — is an
AUTH error shown to the person, and every record stays.
"""

from __future__ import annotations

import logging

import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.sync.envelope import raw_public
from outreach.sync.protocol import ProtocolError, Revocation, RevokedBody, b64e
from outreach.sync.state import Identity

log = logging.getLogger(__name__)


def _unverified(why: str) -> SyncError:
    log.warning("ignored a revocation answer: %s", why)
    return SyncError(
        f"the hub answered that this device is revoked, but {why}. Nothing was deleted; tell "
        "your coordinator (someone may be impersonating the hub)",
        kind=SyncErrorKind.AUTH,
    )


def verify(body: bytes, ident: Identity) -> Revocation:
    """The revocation in a 403 `revoked` answer, if this device must obey it; else SyncError."""
    try:
        signed = msgspec.json.decode(body, type=RevokedBody)
    except msgspec.DecodeError:
        raise _unverified("the answer carries no signed revocation") from None
    try:
        revocation = signed.verify(ident.hub.sign_public())
    except ProtocolError:
        raise _unverified("its signature is not the enrolled hub's") from None
    if revocation.hub != ident.hub.fingerprint:
        raise _unverified("it names another hub")
    own_key = b64e(raw_public(ident.key.public_key()))
    if revocation.device_id != ident.device_id or revocation.device_key != own_key:
        raise _unverified("it is for another device")
    return revocation
