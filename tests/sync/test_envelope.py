"""The sealed envelope on its own: round trip, binding, tamper evidence, malformed input."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from outreach.sync import envelope as env

HUB = X25519PrivateKey.generate()
DEVICE = Ed25519PrivateKey.generate()
PAIRS = [(7, b"first record"), (8, b"second"), (9, b"\x00" * 300)]


def sealed() -> bytes:
    return env.seal("device-a", PAIRS, HUB.public_key(), DEVICE)


def test_round_trip_and_deterministic_batch_id() -> None:
    """The hub gets back exactly the pairs; the batch id depends only on device and range."""
    opened = env.open_envelope(sealed(), DEVICE.public_key(), HUB)
    assert opened.records == PAIRS
    assert opened.header.batch_id == env.batch_id("device-a", 7, 9)
    assert env.read_header(sealed()).batch_id == opened.header.batch_id
    assert env.batch_id("device-a", 7, 9) != env.batch_id("device-b", 7, 9)


def test_every_single_byte_change_is_detected() -> None:
    """Flipping any one byte of the envelope makes it fail to open."""
    good = sealed()
    for position in range(len(good)):
        tampered = bytearray(good)
        tampered[position] ^= 0x40
        with pytest.raises(env.EnvelopeError):
            env.open_envelope(bytes(tampered), DEVICE.public_key(), HUB)


def test_wrong_device_or_hub_key_is_refused() -> None:
    """Another device's key fails the signature; another hub's key cannot open it."""
    with pytest.raises(env.EnvelopeError, match="signature"):
        env.open_envelope(sealed(), Ed25519PrivateKey.generate().public_key(), HUB)
    with pytest.raises(env.EnvelopeError, match="different hub key"):
        env.open_envelope(sealed(), DEVICE.public_key(), X25519PrivateKey.generate())


@pytest.mark.parametrize("data", [b"", b"OXB", b"OXB\x02" + b"\0" * 80, b"nonsense" * 20])
def test_malformed_envelopes_are_clear_errors(data: bytes) -> None:
    """Truncated, foreign or future-version bytes raise EnvelopeError, not something else."""
    with pytest.raises(env.EnvelopeError):
        env.read_header(data)


def test_seal_refuses_gaps_and_empty_batches() -> None:
    """A batch is a consecutive seq range with at least one record."""
    with pytest.raises(ValueError, match="consecutive"):
        env.seal("d", [(1, b"a"), (3, b"b")], HUB.public_key(), DEVICE)
    with pytest.raises(ValueError, match="at least one"):
        env.seal("d", [], HUB.public_key(), DEVICE)
