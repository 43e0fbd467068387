"""Sealed sync envelopes: every bit flip, a forged signature, a wrong hub key and arbitrary bytes
are all refused with EnvelopeError, never opened and never another exception.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

envelope = pytest.importorskip("outreach.sync.envelope")
EnvelopeError = envelope.EnvelopeError

DEVICE = Ed25519PrivateKey.generate()
HUB = X25519PrivateKey.generate()
RECORDS = [(seq, f"record {seq}".encode() * 5) for seq in range(41, 61)]


def sealed() -> bytes:
    return envelope.seal("d" * 32, RECORDS, HUB.public_key(), DEVICE)


def refused(data: bytes, device: Any = None, hub: Any = None) -> bool:
    try:
        envelope.open_envelope(data, (device or DEVICE).public_key(), hub or HUB)
    except EnvelopeError:
        return True
    return False


def flip_trials(trials: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    pristine = sealed()
    assert not refused(pristine)
    found = 0
    for _ in range(trials):
        damaged = bytearray(pristine)
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        found += refused(bytes(damaged))
    return {"flips": trials, "detected": found, "percent": round(100 * found / trials, 1)}


def test_envelope_bit_flips_are_refused(figures: dict[str, Any]) -> None:
    """200 single-bit flips anywhere in an envelope: every one refused."""
    totals = flip_trials(200, seed=31)
    figures["tamper envelope (fast)"] = totals
    assert totals["percent"] == 100.0, totals


@pytest.mark.soak
def test_soak_envelope_bit_flips(figures: dict[str, Any]) -> None:
    """5,000 single-bit flips: every one refused."""
    totals = flip_trials(5000, seed=32)
    figures["tamper envelope (soak)"] = totals
    assert totals["percent"] == 100.0, totals


def test_forged_and_misaddressed_envelopes_are_refused() -> None:
    """Signed by another device, or opened with another hub key: refused."""
    data = sealed()
    assert refused(data, device=Ed25519PrivateKey.generate())
    assert refused(data, hub=X25519PrivateKey.generate())
    forged = envelope.seal("d" * 32, RECORDS, HUB.public_key(), Ed25519PrivateKey.generate())
    assert refused(forged)


def check_garbage(data: bytes) -> None:
    assert refused(data)


prefix = sealed()[:60]
garbage = st.binary(max_size=400) | st.binary(max_size=300).map(lambda tail: prefix + tail)


@settings(max_examples=200, deadline=None)
@given(garbage)
def test_envelope_decoder_refuses_garbage_cleanly(data: bytes) -> None:
    """Arbitrary bytes, and a real header followed by garbage: EnvelopeError only."""
    check_garbage(data)


@pytest.mark.soak
@settings(max_examples=5000, deadline=None)
@given(garbage)
def test_soak_envelope_decoder(data: bytes) -> None:
    """5,000 arbitrary envelopes: EnvelopeError only."""
    check_garbage(data)
