"""docs/security.md is enough to open a store: the steps it gives, followed by independent code
(argon2-cffi, cryptography, sqlcipher3; nothing from Outreach's store), open a real store."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import sqlcipher3
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from outreach.store.store import Store
from tests.samples import CONTACT, PASSPHRASE

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def open_as_documented(
    data_dir: Path, wrapping_key: bytes, slot: dict[str, str], store_id: str
) -> Any:
    """Steps 3 and 4: unwrap the database key with the slot's AAD, key SQLCipher raw."""
    aad = f"outreach-slot-v1|{store_id}|{slot['kind']}|{slot['user']}|{slot['role']}".encode()
    db_key = AESGCM(wrapping_key).decrypt(
        base64.b64decode(slot["nonce"]), base64.b64decode(slot["wrapped"]), aad
    )
    assert len(db_key) == 32
    conn = sqlcipher3.connect(str(data_dir / "outreach.db"))
    conn.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
    return conn


def test_a_store_opens_from_the_documented_steps_alone(
    store_and_recovery: tuple[Store, str], data_dir: Path
) -> None:
    """Passphrase (Argon2id) and recovery key (HKDF) each unwrap the key; SQLCipher opens it."""
    store, recovery = store_and_recovery
    store.add_new(dict(CONTACT))
    device_id = store.device_id
    store.close()
    doc = DOC.read_text()
    for constant in ("outreach-slot-v1|<store_id>|<kind>|<user>|<role>", "outreach-recovery-v1"):
        assert constant in doc, f"docs/security.md no longer gives {constant}"
    slots = json.loads((data_dir / "keyslots.json").read_text())
    store_id = slots["store_id"]
    user = next(s for s in slots["slots"] if s["kind"] == "user")
    recovery_slot = next(s for s in slots["slots"] if s["kind"] == "recovery")

    kdf = user["kdf"]
    assert kdf["alg"] == "argon2id"
    by_passphrase = hash_secret_raw(
        PASSPHRASE.encode(),
        base64.b64decode(kdf["salt"]),
        time_cost=kdf["time_cost"],
        memory_cost=kdf["memory_kib"],
        parallelism=kdf["parallelism"],
        hash_len=32,
        type=Type.ID,
    )
    typed = recovery.lower().replace("0", "o").replace("1", "l")  # as a person might type it
    normalised = typed.upper().replace("-", "").replace(" ", "")
    normalised = normalised.replace("O", "0").replace("I", "1").replace("L", "1")
    assert len(normalised) == 30
    by_recovery = HKDF(hashes.SHA256(), 32, store_id.encode(), b"outreach-recovery-v1").derive(
        normalised.encode()
    )

    for wrapping_key, slot in ((by_passphrase, user), (by_recovery, recovery_slot)):
        conn = open_as_documented(data_dir, wrapping_key, slot, store_id)
        try:
            assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 1
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            assert meta["device_id"] == device_id and meta["store_id"] == store_id
        finally:
            conn.close()
