"""Parent side of the crash tests: start writers, SIGKILL them at random moments, check the store.

A kill is only counted once the writer is dead and reaped; acks are read up to the reap, so every
ack the writer managed to print is known before the store is examined.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class Kill:
    """What one writer acknowledged before it was killed."""

    pid: int
    acks: list[list[str]]
    status: int

    @property
    def ids(self) -> list[str]:
        """Record ids from `ack PID ID...` lines."""
        return [word for words in self.acks if words[0] == "ack" for word in words[2:]]

    @property
    def killed(self) -> bool:
        return os.WIFSIGNALED(self.status) and os.WTERMSIG(self.status) == signal.SIGKILL


class ForkServer:
    """The `crash_child.py` process; each `kill_writer` forks a writer and kills it."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(b"")

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def _next(self) -> list[str]:
        line = self.lines.get(timeout=60)
        if not line:
            stderr = self.proc.stderr.read().decode() if self.proc.stderr else ""
            raise RuntimeError(f"the fork server stopped: {stderr}")
        return line.decode().split()

    def kill_writer(
        self, mode: str, data_dir: Path, delay: float, *, after_first_ack: bool = False
    ) -> Kill:
        """Fork a writer, let it run `delay` seconds (counted from its first ack if asked, so a
        busy machine still gets kills among the writes), SIGKILL it, reap it, return its acks."""
        self._send(f"go {mode} {data_dir}")
        words = self._next()
        assert words[0] == "start", words
        pid = int(words[1])
        acks: list[list[str]] = []
        if after_first_ack:
            acks.append(self._next())
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)  # still ours: the pid is not reaped until we say so
        self._send(f"reap {pid}")
        while True:
            words = self._next()
            if words[0] == "end":
                return Kill(pid, acks, int(words[2]))
            acks.append(words)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def random_kill(
    server: ForkServer, rng: random.Random, mode: str, data_dir: Path, longest: float
) -> Kill:
    """One kill in five lands in the writer's first milliseconds (open, unlock); the rest at an
    even spread within `longest` seconds after its first acknowledged write."""
    if rng.random() < 0.2:
        return server.kill_writer(mode, data_dir, rng.uniform(0, 0.01))
    return server.kill_writer(mode, data_dir, rng.uniform(0, longest), after_first_ack=True)


def random_delay(rng: random.Random, longest: float) -> float:
    """Evenly spread: for writers whose interesting moment is before any ack (creation)."""
    return rng.uniform(0, longest)
