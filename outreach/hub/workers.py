"""`outreach-hub serve --workers N`: N server processes, each with its own listening socket on
the same port (SO_REUSEPORT), so that the kernel spreads connections across them.

uvicorn's own workers share one socket, and whichever process is awake accepts: with 8 devices
uploading at once one worker took ~90% of the batches and the second core sat idle. Where the
platform has no SO_REUSEPORT (Windows), uvicorn's workers are used as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)
APP = "outreach.hub.app:app_from_env"  # each process builds its hub from the environment


def serve_workers(count: int, options: dict[str, Any]) -> int:
    """Run `count` server processes until one ends or this process is asked to stop."""
    import uvicorn

    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, workers=count, **options)
        return 0
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_serve, args=(options,), daemon=True) for _ in range(count)]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.is_alive():
                worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.start()
    code = _wait_for_first_exit(workers)
    stop(signal.SIGTERM, None)
    for worker in workers:
        worker.join(10)
    if not stopping:
        log.error("a hub worker stopped (exit code %s); stopping the others", code)
    return 0 if stopping else 1


def _wait_for_first_exit(workers: Sequence[BaseProcess]) -> int | None:
    from multiprocessing.connection import wait

    sentinels = {worker.sentinel: worker for worker in workers}
    while True:
        try:
            ready = wait(list(sentinels))
        except InterruptedError:  # pragma: no cover - a signal; the handler decides
            continue
        if ready:
            return sentinels[ready[0]].exitcode  # type: ignore[index]


def _stop_with_parent() -> None:
    """Linux: this process gets SIGTERM when the supervisor dies, even by SIGKILL, so no
    orphaned worker keeps serving the port."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _serve(options: dict[str, Any]) -> None:
    import uvicorn

    _stop_with_parent()

    host, port = options["host"], options["port"]
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    config = uvicorn.Config(APP, factory=True, **options)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # pragma: no cover - the parent stops us with SIGTERM
        sys.exit(0)
