"""Random byte flips in the store file and the key-slot file are always detected: the store refuses
to open, or `verify()` (every page's HMAC, then the b-trees) reports the damage.
"""

from __future__ import annotations

import random
from base64 import b64decode
from pathlib import Path
from typing import Any

import msgspec
import pytest

from outreach.errors import StoreError, WrongPassphrase
from outreach.records.validation import build_record
from outreach.store.session import create_store, load_vault, unlock_store
from outreach.store.vault import SlotFile

from .crash_child import CONTACT, KDF, KIT, PASSPHRASES, USER
from .test_crash import new_store

B64_FIELDS = ("nonce", "wrapped", "salt")


def filled_store(path: Path) -> tuple[Path, str]:
    """A store of 300 records, and its recovery key."""
    store, recovery = create_store(path, USER, "worker", PASSPHRASES[0], kdf=KDF)
    with store:
        for index in range(300):
            store.add([build_record(KIT if index % 2 else CONTACT, recorded_by=USER)])
    return path, recovery


def detected(data_dir: Path, recovery: str) -> bool:
    """True when opening (by passphrase and by recovery key), verifying or reading notices."""
    try:
        load_vault(data_dir).unlock_with_recovery(recovery)
        with unlock_store(data_dir, USER, PASSPHRASES[0]) as store:
            if store.verify():
                return True
            store.recent(limit=1_000_000)
    except StoreError:  # StoreCorrupt, a damaged slot file, WrongPassphrase are all StoreErrors
        return True
    return False


def inert(name: str, damaged: bytes, pristine: bytes) -> bool:
    """A slot-file flip that decodes to the same content (a renamed unknown key whose default
    equals the old value) changes nothing an attacker could use, so it need not be detected."""
    if name != "keyslots.json":
        return False
    try:
        return canonical(damaged) == canonical(pristine)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, ValueError):
        return False


def canonical(data: bytes) -> Any:
    """The slot file as decoded values: base64 as bytes (spare trailing bits do not count)."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: b64decode(v) if k in B64_FIELDS else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(msgspec.to_builtins(msgspec.json.decode(data, type=SlotFile)))


def flip_trials(tmp_path: Path, name: str, trials: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    data_dir, recovery = filled_store(tmp_path / "store")
    target = data_dir / name
    pristine = target.read_bytes()
    found = harmless = 0
    for _ in range(trials):
        damaged = bytearray(pristine)
        offset = rng.randrange(len(damaged))
        damaged[offset] ^= 1 << rng.randrange(8)
        target.write_bytes(damaged)
        if inert(name, damaged, pristine):
            harmless += 1
        else:
            found += detected(data_dir, recovery)
    target.write_bytes(pristine)
    assert not detected(data_dir, recovery)  # the check itself does not cry wolf
    meaningful = trials - harmless
    percent = round(100 * found / meaningful, 1)
    return {"flips": trials, "inert": harmless, "detected": found, "percent": percent}


@pytest.mark.parametrize(("name", "trials"), [("outreach.db", 60), ("keyslots.json", 30)])
def test_byte_flips_are_always_detected(
    tmp_path: Path, name: str, trials: int, figures: dict[str, Any]
) -> None:
    """Single-bit flips at random offsets of the store or slot file: 100% of the meaningful ones
    detected."""
    totals = flip_trials(tmp_path, name, trials, seed=21)
    figures[f"tamper {name} (fast)"] = totals
    assert totals["percent"] == 100.0, totals


@pytest.mark.soak
@pytest.mark.parametrize(("name", "trials"), [("outreach.db", 1000), ("keyslots.json", 300)])
def test_soak_byte_flips(tmp_path: Path, name: str, trials: int, figures: dict[str, Any]) -> None:
    """1,000 flips in the store and 300 in the slot file: every one detected."""
    totals = flip_trials(tmp_path, name, trials, seed=22)
    figures[f"tamper {name} (soak)"] = totals
    assert totals["percent"] == 100.0, totals


def test_editing_a_role_into_the_slot_file_is_refused(tmp_path: Path) -> None:
    """A worker who edits their slot's role to coordinator can no longer unlock with it."""
    data_dir = new_store(tmp_path / "store")
    slots = data_dir / "keyslots.json"
    slots.write_text(slots.read_text().replace('"role": "worker"', '"role": "coordinator"'))
    with pytest.raises(WrongPassphrase):
        unlock_store(data_dir, USER, PASSPHRASES[0])
