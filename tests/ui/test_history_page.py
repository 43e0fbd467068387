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
