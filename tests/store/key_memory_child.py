"""A child process for the key-in-memory test: unlock, use, then lock a store on command.

Driven over stdin/stdout so that the parent can read this process's memory at each stage:
prints `unlocked` once the store is open and used, `locked` once it is closed, then waits for EOF.

While unlocked it also holds the key on purpose, raw (a KeyBuffer from a second unlock) and as
hex (the bytearray the keying code builds): the scanner's positive control. SQLCipher itself keeps
no plain copy that a scan finds. Both are wiped by their own code before the store is closed.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from outreach.records.validation import build_record
from outreach.stock.companion import register
from outreach.store.connection import _key_statement
from outreach.store.secret import wipe
from outreach.store.session import load_vault, unlock_store
from tests.samples import CONTACT, KIT

register()  # what the composition roots do at start-up (outreach.store.companions)


def main(data_dir: str, user: str, passphrase: str) -> None:
    store = unlock_store(Path(data_dir), user, passphrase)
    for index in range(50):
        store.add([build_record(KIT if index % 2 else CONTACT, recorded_by=user)])
    assert store.record_count() >= 50 and len(store.recent(limit=20)) == 20
    planted = load_vault(Path(data_dir)).unlock(user, passphrase).key
    planted_hex = _key_statement(planted.view)
    sys.stdout.write("unlocked\n")
    sys.stdout.flush()
    sys.stdin.readline()
    wipe(planted_hex)
    planted.wipe()
    store.close()
    del store
    gc.collect()
    sys.stdout.write("locked\n")
    sys.stdout.flush()
    sys.stdin.readline()


if __name__ == "__main__":
    main(*sys.argv[1:4])
