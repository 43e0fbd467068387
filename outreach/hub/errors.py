"""Requests the hub refuses; each maps to an HTTP status and a short code."""

from __future__ import annotations

from outreach.errors import OutreachError


class HubError(OutreachError):
    """A request the hub refuses; `status` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadEnvelope(HubError):
    code = "bad_envelope"


class UnknownDevice(HubError):
    status = 403
    code = "unknown_device"


class DeviceRevoked(HubError):
    """The device is revoked; the app answers with a revocation signed for `device_id`."""

    status = 403
    code = "revoked"

    def __init__(self, message: str, device_id: str) -> None:
        super().__init__(message)
        self.device_id = device_id


class BatchConflict(HubError):
    status = 409
    code = "conflict"


class SeqReused(BatchConflict):
    """A batch reuses device seqs that already hold other records (an old store copy)."""

    alert = "seq_reused"  # the coordinator's alert kind


class BadToken(HubError):
    status = 403
    code = "bad_token"


class TooLarge(HubError):
    status = 413
    code = "too_large"


class RateLimited(HubError):
    status = 429
    code = "rate_limited"


class Unauthorised(HubError):
    status = 401
    code = "unauthorised"


class Forbidden(HubError):
    """An authenticated caller whose role may not do this (a worker asking coordinator counts)."""

    status = 403
    code = "forbidden"


class QuarantineFull(HubError):
    """A batch with invalid records from a device whose quarantine is at its cap."""

    status = 422
    code = "quarantine_full"
    alert = "quarantine_full"


class TooSlow(HubError):
    """A request body that did not arrive within its deadline (`limits.BODY_*`)."""

    status = 408
    code = "too_slow"
