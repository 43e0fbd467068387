"""Key material in memory: one mutable buffer per key, zeroed when it is no longer needed.

Python's `bytes` and `str` are immutable and their memory is reused without being cleared, so a
key kept in one lingers (a core dump after lock held the hex key twice). The database key lives in
a `KeyBuffer` (a `bytearray`) instead. Where a library hands us, or needs from us, an immutable
copy (AES-GCM's output, the SQL text that keys SQLCipher) `wipe` overwrites that object's own
buffer in place before it is freed: CPython-specific, and only for objects nothing else shares.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_BYTES_DATA = sys.getsizeof(b"") - 1  # offset of a bytes object's data (ob_sval)


def wipe(value: bytes | bytearray | str) -> None:
    """Overwrite `value`'s buffer with zeros, in place.

    For `bytes` and ASCII `str` this writes into an object Python treats as immutable: call it only
    on an object made for the secret and about to be dropped (never an interned or shared one).
    Objects of length 0 or 1 are shared singletons in CPython and are left alone.
    """
    if isinstance(value, bytearray):
        value[:] = bytes(len(value))  # same length: the buffer is overwritten, not reallocated
        return
    if len(value) <= 1:
        return
    if isinstance(value, bytes):
        ctypes.memset(id(value) + _BYTES_DATA, 0, len(value))
        return
    if not value.isascii():  # compact ASCII is the only layout whose data offset we know
        raise ValueError("only ASCII text can be wiped")
    ctypes.memset(id(value) + sys.getsizeof(value) - len(value) - 1, 0, len(value))


class KeyBuffer:
    """A raw key held in one `bytearray`; `wipe()` zeroes it (the store does so at lock)."""

    __slots__ = ("_buffer",)

    def __init__(self, source: bytes | bytearray) -> None:
        """Copy `source` in and zero it: the buffer is then the only copy this side of the call."""
        self._buffer = bytearray(source)
        wipe(source)

    @property
    def view(self) -> memoryview:
        """The key bytes without a copy (AES-GCM and the keying code accept any buffer)."""
        return memoryview(self._buffer)

    def __len__(self) -> int:
        return len(self._buffer)

    @property
    def wiped(self) -> bool:
        return not any(self._buffer)

    def wipe(self) -> None:
        wipe(self._buffer)

    def __repr__(self) -> str:  # never print the key, even by accident
        return f"KeyBuffer({len(self._buffer)} bytes{', wiped' if self.wiped else ''})"


@contextmanager
def wiped_after(key: KeyBuffer) -> Iterator[KeyBuffer]:
    """Use `key` inside the block; it is zeroed on the way out, whatever happens."""
    try:
        yield key
    finally:
        key.wipe()
