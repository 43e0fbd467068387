"""Write docs/screenshots/*.png from a throw-away store, offscreen (`make screenshots`).

python -m outreach.ui.screenshots [OUT_DIR] [--suffix @2x]   # QT_SCALE_FACTOR=2 for 200%
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QRect, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from outreach import paths  # noqa: E402
from outreach.domain.gs1_text import GS, GS_SHOWN  # noqa: E402
from outreach.store.vault import KdfParams  # noqa: E402

if TYPE_CHECKING:
    from outreach.ui.main_window import MainWindow
    from outreach.ui.workspace import Workspace

log = logging.getLogger(__name__)
SCAN = "0105060097930012" + "17281231" + "10AB12" + GS + "21SN0001"
QUICK_KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)  # throw-away store only


def settle(ms: int = 150) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(predicate: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    waited = 0
    while not predicate() and waited < timeout_ms:
        settle(20)
        waited += 20


ONLY: set[str] = set()


def shot(widget: QWidget, out: Path, name: str, suffix: str) -> None:
    settle()
    if ONLY and name not in ONLY:
        return
    path = out / f"{name}{suffix}.png"
    widget.grab().save(str(path))
    log.info("wrote %s", path)


def window_on_laptop(window: QWidget, out: Path, suffix: str) -> None:
    """The whole window (status bar and "Sync now" included) as it opens on a 1366x768 screen."""
    from PySide6.QtCore import QRect

    from outreach.ui.main_window import ASSUMED_FRAME, fitted_geometry

    before = window.geometry()
    window.setGeometry(fitted_geometry(QRect(0, 0, 1366, 768), ASSUMED_FRAME))
    shot(window, out, "window-1366x768", suffix)
    window.setGeometry(before)


def capture(out: Path, suffix: str) -> None:
    from outreach.ui.main_window import MainWindow

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        paths.set_data_dir(data)
        window = MainWindow(data, kdf=QUICK_KDF)
        window.resize(1100, 800)
        window.show()
        _set_up(window, out, suffix)
        _unlock(window, out, suffix)
        workspace = window.workspace
        assert workspace is not None
        _record_contact(window, workspace, out, suffix)
        _issue_kit(window, workspace, out, suffix)
        from outreach.ui.pages.history import HistoryPage

        history = workspace.show_page("HistoryPage")
        assert isinstance(history, HistoryPage)
        history.search.setText(_SHOWN_CODE[0][:8])  # a part of the code: found service-wide
        history.refresh()
        settle(300)
        shot(window, out, "history", suffix)
        workspace.show_page("SyncPage")
        settle(300)
        shot(window, out, "sync", suffix)
        window.close()
        paths.set_data_dir(None)


def _set_up(window: MainWindow, out: Path, suffix: str) -> None:
    from outreach.ui.screens.setup import SetupScreen

    setup = window.stack.currentWidget()
    assert isinstance(setup, SetupScreen)
    setup.user.setText("alice")
    setup.area.setText("LS6")
    shot(window, out, "setup", suffix)
    setup._about_done()
    for field in (setup.new.first, setup.new.second):
        field.setText("correct horse battery staple")
    setup._create()
    wait_for(lambda: setup.steps.currentIndex() == 2)
    shot(window, out, "recovery-key", suffix)
    setup.saved.setChecked(True)
    setup._recovery_done()
    settle()
    shot(window, out, "enrol", suffix)
    setup._finish()
    window.lock()
    settle()
    shot(window, out, "unlock", suffix)


def _unlock(window: MainWindow, out: Path, suffix: str) -> None:
    from outreach.ui.screens.unlock import UnlockScreen

    unlock = window.stack.currentWidget()
    assert isinstance(unlock, UnlockScreen)
    unlock.passphrase.setText("correct horse battery staple")
    unlock.try_unlock()
    wait_for(lambda: window.workspace is not None)


_SHOWN_CODE: list[str] = []


def _service_knows(window: MainWindow, code: str) -> None:
    """The summary a sync would have pulled for the shown client (seen 4 times, a kit, a
    previous overdose): the panel then shows the service's history and carries the factor."""
    import datetime as dt

    from outreach.records.client_summary import ClientSummary, StickyFactor
    from outreach.store.summaries import SummaryChange, put_summaries

    today = dt.date.today()
    summary = ClientSummary(
        client_code=code,
        first_seen=today - dt.timedelta(days=200),
        contacts_total=4,
        contacts_12m=4,
        last_contact=today - dt.timedelta(days=20),
        last_contact_area="LS6",
        kits_total=1,
        last_kit=today - dt.timedelta(days=60),
        last_kit_product="nyxoid_1_8mg_nasal",
        last_kit_expiry=dt.date(today.year + 2, 3, 31),
        held_kit_expiries=(dt.date(today.year + 2, 3, 31),),
        risk_level="high",
        risk_reasons=("previous_overdose",),
        sticky=(StickyFactor("previous_overdose", today - dt.timedelta(days=73)),),
    )
    pulled = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    change = [SummaryChange(code, 1, summary)]
    window.ops.store(
        lambda store: put_summaries(store, change, hub="0" * 64, after=0, through=1, as_of=pulled)
    ).run().result(10)
    _SHOWN_CODE.append(code)


def _record_contact(window: MainWindow, workspace: Workspace, out: Path, suffix: str) -> None:
    from outreach.ui.pages.issue_kit import IssueKitPage
    from outreach.ui.pages.record_contact import RecordContactPage

    page = workspace.show_page("RecordContactPage")
    assert isinstance(page, RecordContactPage)
    wait_for(lambda: page.client.service_key is not None)
    page.client.initials.setText("JS")
    page.client.dob.setText("17/02/1990")
    page.client.sex.setText("F")
    page.client._maybe_make()
    code = page.client.value()
    assert code is not None
    _service_knows(window, code)
    page.client.set_code(None)
    page.client.set_code(code)  # looked up again, now with the service's summary
    wait_for(lambda: "by the service" in page.client_history.plain_text())
    for group, codes in (
        (page.age_band, ["35_44"]),
        (page.gender, ["female"]),
        (page.substances, ["heroin", "benzodiazepines"]),
        (page.risk_factors, ["previous_overdose", "using_alone"]),
        (page.interventions, ["harm_reduction_advice", "naloxone_supplied"]),
        (page.referrals, ["drug_treatment"]),
    ):
        group.set_selected(codes)
    wait_for(lambda: bool(page.client_history.text()))
    shot(window, out, "record-contact", suffix)
    window_on_laptop(window, out, suffix)
    page.save()
    wait_for(lambda: isinstance(workspace.stack.currentWidget(), IssueKitPage))


def _issue_kit(window: MainWindow, workspace: Workspace, out: Path, suffix: str) -> None:
    from outreach.ui.pages.issue_kit import IssueKitPage

    kit = workspace.stack.currentWidget()
    assert isinstance(kit, IssueKitPage)
    kit.scan.setText(SCAN.replace(GS, GS_SHOWN))
    kit.read_scan()
    wait_for(lambda: kit.supply.value() == "repeat")
    shot(window, out, "issue-naloxone", suffix)
    kit.reason.set_selected(["lost"])
    kit.save()
    wait_for(lambda: "Saved" in kit.banner.label.text())


def both_sizes(window: QWidget, out: Path, name: str) -> None:
    """The window as it is (1100x800), then as it opens on a 1366x768 screen: NAME.png and
    NAME-1366x768.png."""
    from outreach.ui.main_window import ASSUMED_FRAME, fitted_geometry

    for shown_as, geometry in ((name, None), (f"{name}-1366x768", QRect(0, 0, 1366, 768))):
        before = window.geometry()
        if geometry is not None:
            window.setGeometry(fitted_geometry(geometry, ASSUMED_FRAME))
        settle(200)
        window.grab().save(str(out / f"{shown_as}.png"))
        log.info("wrote %s", out / f"{shown_as}.png")
        window.setGeometry(before)
    settle()


@contextlib.contextmanager
def unlocked_workspace(
    seed: Callable[[Path], None], passphrase: str
) -> Iterator[tuple[MainWindow, Workspace, Path]]:
    """A window unlocked on a throw-away data folder that `seed` filled (a store and settings);
    closed, and the folder gone, afterwards."""
    from outreach.ui.main_window import MainWindow
    from outreach.ui.screens.unlock import UnlockScreen

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        paths.set_data_dir(data)
        seed(data)
        window = MainWindow(data, kdf=QUICK_KDF)
        window.resize(1100, 800)
        window.show()
        unlock = window.stack.currentWidget()
        assert isinstance(unlock, UnlockScreen)
        unlock.passphrase.setText(passphrase)
        unlock.try_unlock()
        wait_for(lambda: window.workspace is not None)
        assert window.workspace is not None
        try:
            yield window, window.workspace, data
        finally:
            window.close()
            window.ops.shutdown()
            paths.set_data_dir(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="docs/screenshots")
    parser.add_argument("--suffix", default="")
    parser.add_argument("--only", action="append", default=[], help="shot name (repeatable)")
    args = parser.parse_args(argv)
    ONLY.update(args.only)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    capture(Path(args.out), args.suffix)
    QCoreApplication.processEvents()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
