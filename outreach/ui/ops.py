"""The one way to run work off the UI thread (STYLE 2, 3, 4).

* Store work runs on ONE serial worker thread that owns the `Store`: the SQLCipher connection is
  single-thread, so the store is opened, used and closed there and never touched by the UI thread.
* Network work runs on a small parallel pool.
* Results come back to the UI thread through a queued signal; `success`/`failure` callbacks run
  there. A result that is (or contains) `Changes` is broadcast on `Ops.changes` so every view
  refreshes from one signal.
* `.with_progress(label)` hands the job a Qt-free `Task` (progress callback + cancel Event); a
  dialog appears only if the job is still running after ~600 ms.

    ops.store(lambda store: store.add_new(data)).success(saved).run()
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6 import QtCore
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget
from shiboken6 import isValid

from outreach.errors import VaultLocked
from outreach.store.changes import Changes
from outreach.ui.task import Task

if TYPE_CHECKING:  # the store stack loads when a store is opened, on the store thread
    from outreach.store.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
PROGRESS_DELAY_MS = 600


def changes_in(result: object) -> Changes | None:
    """The `Changes` a job returned, directly or as one element of a tuple."""
    if isinstance(result, Changes):
        return result
    if isinstance(result, tuple):
        for item in result:
            if isinstance(item, Changes):
                return item
    return None


class _Bridge(QObject):
    """Lives on the UI thread; a signal emitted from a worker is delivered there (queued)."""

    finished = Signal(object, object, object)  # op, result, error


class Op(Generic[T]):
    """Builder for one background job; call `.run()` last."""

    def __init__(self, ops: Ops, job: Callable[..., T], kind: str) -> None:
        self._ops = ops
        self._job = job
        self._kind = kind
        self._success: Callable[[T], Any] | None = None
        self._failure: Callable[[BaseException], Any] | None = None
        self.task: Task | None = None
        self._dialog: QProgressDialog | None = None
        self._timer: QTimer | None = None
        self._cancellable = False
        self.done = False

    def success(self, callback: Callable[[T], Any]) -> Op[T]:
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], Any]) -> Op[T]:
        self._failure = callback
        return self

    def with_progress(self, label: str, *, cancellable: bool = True) -> Op[T]:
        """Store/network jobs receive a `Task` as last argument; a dialog shows after 600 ms."""
        self.task = Task(label)
        self._cancellable = cancellable
        return self

    def run(self) -> concurrent.futures.Future[T]:
        return self._ops._submit(self)

    # -- called by Ops -------------------------------------------------------------------------

    def _call(self, *args: Any) -> T:
        if self.task is not None and self._kind in ("store", "network"):
            return self._job(*args, self.task)
        return self._job(*args)

    def _start_progress(self, parent: QWidget | None) -> None:
        if self.task is None:
            return
        self._timer = QTimer()
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        QTimer.singleShot(PROGRESS_DELAY_MS, lambda: self._show_dialog(parent))

    def _show_dialog(self, parent: QWidget | None) -> None:
        if self.done or self.task is None:
            return
        cancel_text = "Cancel" if self._cancellable else ""
        dialog = QProgressDialog(self.task.label, cancel_text, 0, 0, parent)
        dialog.setWindowTitle(self.task.label)
        dialog.setAccessibleName(f"Progress: {self.task.label}")
        dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        if self._cancellable:
            dialog.canceled.connect(self.task.cancel.set)
        else:
            dialog.setCancelButton(None)
        dialog.show()
        self._dialog = dialog
        self._poll()

    def _poll(self) -> None:
        if self._dialog is None or self.task is None:
            return
        state = self.task.state()
        self._dialog.setLabelText(state.text)
        if state.total:
            self._dialog.setMaximum(state.total)
            self._dialog.setValue(min(state.done, state.total))

    def _finish_progress(self) -> None:
        self.done = True
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
            self._timer = None
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.hide()
            self._dialog.deleteLater()
            self._dialog = None

    def owner(self, obj: QObject) -> Op[T]:
        """Drop the callbacks if `obj` was deleted meanwhile (e.g. the page went on lock)."""
        self._owner = obj
        return self

    def _alive(self) -> bool:
        owners = [getattr(self, "_owner", None)]
        owners += [getattr(cb, "__self__", None) for cb in (self._success, self._failure)]
        return all(isValid(o) for o in owners if isinstance(o, QObject))

    def _deliver(self, result: Any, error: BaseException | None) -> None:
        self._finish_progress()
        if not self._alive():
            log.debug("op result dropped: its widget is gone")
            changes = changes_in(result)
            if changes is not None:
                self._ops.changes.emit(changes)
            return
        if error is not None:
            if self._failure is not None:
                self._failure(error)
            else:
                self._ops.report_error(error)
            return
        if self._success is not None:
            self._success(result)
        changes = changes_in(result)
        if changes is not None:
            self._ops.changes.emit(changes)


class Ops(QObject):
    """Owns the store worker thread and the network pool for one window."""

    changes = Signal(object)  # outreach.store.store.Changes
    finished = Signal(object)  # the Op, after its callbacks ran (handy for tests)
    store_state = Signal(bool)  # True when a store is open

    def __init__(self, parent: QObject | None = None, *, network_workers: int = 3) -> None:
        super().__init__(parent)
        self._store_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="store")
        self._net_pool = concurrent.futures.ThreadPoolExecutor(
            network_workers, thread_name_prefix="network"
        )
        self._store: Store | None = None  # only ever touched on the store thread
        self._running: set[Op[Any]] = set()
        self._bridge = _Bridge()
        self._bridged = False
        self.error_handler: Callable[[BaseException], Any] | None = None
        self.progress_parent: QWidget | None = None
        self._closed = False

    # -- builders ------------------------------------------------------------------------------

    def store(self, job: Callable[..., T]) -> Op[T]:
        """`job(store)` (plus a `Task` with progress) on the store thread."""
        return Op(self, job, "store")

    def network(self, job: Callable[..., T]) -> Op[T]:
        """`job()` (plus a `Task` with progress) on the network pool; no store access here."""
        return Op(self, job, "network")

    def open_store(self, opener: Callable[[], T]) -> Op[T]:
        """Run `opener` (unlock/create) on the store thread and keep the store it returns there.

        `opener` returns a `Store` or a tuple whose first item is one (as `create_store` does).
        """
        return Op(self, opener, "open")

    def close_store(self) -> Op[None]:
        """Close the store on its thread: the connection goes and the key with it."""
        return Op(self, lambda: None, "close")

    @property
    def busy(self) -> bool:
        return bool(self._running)

    # -- running -------------------------------------------------------------------------------

    def _submit(self, op: Op[T]) -> concurrent.futures.Future[T]:
        if self._closed:
            raise RuntimeError("ops were shut down")
        if not self._bridged:
            self._connect_bridge()
        pool = self._net_pool if op._kind == "network" else self._store_pool
        self._running.add(op)
        op._start_progress(self.progress_parent)
        future = pool.submit(self._execute, op)

        def done(fut: concurrent.futures.Future[Any]) -> None:
            error = fut.exception()
            self._bridge.finished.emit(op, None if error else fut.result(), error)

        future.add_done_callback(done)
        return future

    def _connect_bridge(self) -> None:
        """On the first job: PySide takes ~15 ms to build `Qt` (the namespace, ~90 enums) on
        first use, and the unlock screen, which runs no job, need not wait for it to paint."""
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self._bridge.finished.connect(self._on_finished, queued)
        self._bridged = True

    def _execute(self, op: Op[T]) -> T:
        if op._kind == "network":
            return op._call()
        try:
            return self._execute_on_store(op)
        except Exception as exc:
            # A query a page runs on the connection can meet a damaged page too: say it as the
            # store's own methods do, never "Something went wrong (DatabaseError)".
            from outreach.store.connection import store_error

            error = store_error(exc)
            if error is None:
                raise
            log.warning("store job failed (%s): %s", type(error).__name__, exc)
            raise error from None

    def _execute_on_store(self, op: Op[T]) -> T:
        if op._kind == "open":
            self._close_on_thread()
            # The desktop app's composition point for the store (DESIGN §2): the ledger's rules
            # join every write. Here, not at start-up, so the first window paints no later.
            from outreach.stock.companion import register

            register()
            result: Any = op._call()  # a Store, or a tuple starting with one (create_store)
            self._store = result[0] if isinstance(result, tuple) else result
            return result
        if op._kind == "close":
            self._close_on_thread()
            return op._call()
        if self._store is None or not self._store.is_open:
            raise VaultLocked("the store is locked")
        return op._call(self._store)

    def _close_on_thread(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _on_finished(self, op: Op[Any], result: Any, error: BaseException | None) -> None:
        self._running.discard(op)
        if op._kind in ("open", "close") and error is None:
            self.store_state.emit(op._kind == "open")
        try:
            op._deliver(result, error)
        finally:
            self.finished.emit(op)

    def report_error(self, error: BaseException) -> None:
        log.info("op failed: %s", type(error).__name__, exc_info=error)
        if self.error_handler is not None:
            self.error_handler(error)

    @property
    def closed(self) -> bool:
        """True once shut down: timers that outlive their window check this before submitting."""
        return self._closed

    def shutdown(self, *, wait: bool = True) -> None:
        """Close the store on its own thread and stop both pools (window closing, tests)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._store_pool.submit(self._close_on_thread).result(timeout=30)
        except Exception:  # noqa: BLE001 - shutting down: log and carry on
            log.exception("closing the store failed")
        self._store_pool.shutdown(wait=wait, cancel_futures=True)
        self._net_pool.shutdown(wait=wait, cancel_futures=True)
        self._running.clear()


def on_store_thread() -> bool:
    """For assertions: the store thread is named by its pool."""
    return threading.current_thread().name.startswith("store")
