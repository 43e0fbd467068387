"""History shows labels and one date format: a void says what it voided, never a record id."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from outreach.store.session import create_store
from outreach.ui.dates import format_date, format_datetime
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.history import HistoryPage
from tests.samples import CONTACT, FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock

ONE_FORMAT = re.compile(r"^\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d$")


def test_dates_have_one_format() -> None:
    """Dates read "12 Nov 2026", times "12 Nov 2026 14:02" (local time for zoned moments)."""
    assert format_date(dt.date(2026, 11, 12)) == "12 Nov 2026"
    assert format_datetime(dt.datetime(2026, 11, 12, 14, 2)) == "12 Nov 2026 14:02"
    moment = dt.datetime(2026, 11, 12, 14, 2, tzinfo=dt.UTC)
    assert format_datetime(moment) == f"{moment.astimezone():%d %b %Y %H:%M}"


def test_a_void_names_the_record_it_voided(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    """The void's row reads "Void of contact <when> (Entered in error)": no record id shown,
    even when the voided record is beyond the rows listed."""
    store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    contact, _ = store.add_new(CONTACT)
    store.void(contact.id, "entered_in_error")
    store.close()
    window = make_window()
    unlock(qtbot, window)
    page = window.workspace.show_page("HistoryPage")
    assert isinstance(page, HistoryPage)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    cells = [
        [page.model.index(row, column).data(Qt.ItemDataRole.DisplayRole) for column in range(5)]
        for row in range(2)
    ]
    void_row = next(row for row in cells if row[1] == "Void")
    when = format_datetime(contact.occurred_at)
    assert void_row[2] == f"Void of contact {when} (Entered in error)"
    assert all(ONE_FORMAT.match(row[0]) for row in cells)
    shown = " ".join(str(cell) for row in cells for cell in row)
    assert contact.id[:8] not in shown
    # The voided contact listed no more (a short list): the void still says what it was.
    from outreach.ui.pages import history

    rows, targets = (
        window.ops.store(lambda s: history.load_history(s, None, limit=1)).run().result(timeout=5)
    )
    assert [r.record.type for r in rows] == ["void"] and contact.id in targets


def test_after_a_purge_history_says_older_records_left_the_laptop(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    """Records purged after sync are not listed, and History says where they went."""
    from outreach.records.validation import build_record
    from outreach.sync.client import sync_now
    from outreach.sync.enrolment import enrol
    from tests.hub.harness import make_hub, serve_in_thread

    store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    store.add([build_record({**CONTACT, "occurred_at": old.isoformat()}, recorded_by="alice")])
    store.add_new(CONTACT)
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        enrol(store, hub.new_enrolment(url).text())
        assert sync_now(store).purged == 1
    store.close()
    window = make_window()
    unlock(qtbot, window)
    page = window.workspace.show_page("HistoryPage")
    assert isinstance(page, HistoryPage)
    qtbot.waitUntil(lambda: "left this laptop" in page.message.text(), timeout=5000)
    assert page.model.rowCount() == 1
    today = format_date(dt.datetime.now(dt.UTC).date())
    assert (
        f"1 record(s) on this device (newest first). Older records left this laptop on {today}"
        in (page.message.text())
    )
