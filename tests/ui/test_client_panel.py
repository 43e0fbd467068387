"""The client panel on real encrypted stores holding the service's summaries (issue 12, item 3).

Summaries are put in the store as a verified pull would (`put_summaries`); the window then reads
them through the store thread like any other query.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from outreach.records import Contact, KitIssue
from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.store.session import create_store
from outreach.store.summaries import SummaryChange, put_summaries
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.history import HistoryPage
from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.widgets.client_panel import is_marked
from tests.samples import CONTACT, FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock

LEFT = Qt.MouseButton.LeftButton
KNOWN = "S6G9H6E4G19"  # a valid code (check character) the service knows
OTHER = "S6G9H7B0C14"
HUB = "b" * 64
TODAY = dt.date.today()
AS_OF = dt.datetime(2026, 12, 1, 14, 2, tzinfo=dt.UTC)


def _summary(code: str) -> ClientSummary:
    return ClientSummary(
        client_code=code,
        first_seen=TODAY - dt.timedelta(days=300),
        contacts_total=4,
        contacts_12m=4,
        last_contact=TODAY - dt.timedelta(days=20),
        last_contact_area="LS6",
        kits_total=1,
        last_kit=TODAY - dt.timedelta(days=60),
        last_kit_product="nyxoid_1_8mg_nasal",
        last_kit_expiry=dt.date(2028, 3, 31),
        held_kit_expiries=(dt.date(2028, 3, 31),),
        risk_level="high",
        risk_reasons=("previous_overdose",),
        sticky=(
            StickyFactor("previous_overdose", TODAY - dt.timedelta(days=73)),
            StickyFactor("prison_release_2w", TODAY - dt.timedelta(days=20)),  # window over
        ),
    )


def make_store(data_dir: Path, role: str = "worker", *, own_contact: bool = False) -> None:
    """A store for `role` holding the service's summaries of KNOWN (and of OTHER, for search)."""
    user = "pat" if role == "pharmacy" else "alice"
    store, _ = create_store(data_dir, user, role, PASSPHRASE, kdf=FAST_KDF)
    changes = [
        SummaryChange(KNOWN, 1, _summary(KNOWN)),
        SummaryChange(OTHER, 2, _summary(OTHER)),
    ]
    put_summaries(store, changes, hub=HUB, after=0, through=2, as_of=AS_OF)
    if own_contact:  # made here after the pull: not in the summary
        store.add_new({**CONTACT, "client_code": KNOWN, "risk_factors": ["using_alone"]})
    store.close()


def last_contact(window: MainWindow) -> Contact:
    rows = window.ops.store(lambda s: s.recent(limit=1, types=["contact"])).run().result(5)
    record = rows[0].record
    assert isinstance(record, Contact)
    return record


def open_window(qtbot: QtBot, make_window: type[MainWindow]) -> MainWindow:
    window = make_window()
    unlock(qtbot, window)
    return window


def type_code(qtbot: QtBot, box, code: str) -> None:  # type: ignore[no-untyped-def]
    box.code.clear()
    qtbot.keyClicks(box.code, code)
    qtbot.keyClick(box.code, Qt.Key.Key_Return)


def test_contact_form_shows_the_service_history_and_carries_previous_overdose(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    make_store(ui_data_dir, own_contact=True)
    window = open_window(qtbot, make_window)
    page = window.workspace.show_page("RecordContactPage")
    assert isinstance(page, RecordContactPage)
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: "by the service" in page.client_history.plain_text(), timeout=5000)
    text = page.client_history.plain_text()
    # 4 in the summary + 1 made here since; the latest is today's own contact (LS6, using alone).
    assert "Seen 5 times by the service" in text
    assert "Nyxoid" in text and "expires 31 Mar 2028" in text
    assert "Previous overdose reported" in text and "(ticked below)" in text
    assert "As of the last sync" in text and "1 record(s) made on this device since" in text
    # Previous overdose pre-ticked and marked; the prison release (20 days ago) is not carried.
    assert page.risk_factors.selected() == ["previous_overdose"]
    chip = page.risk_factors.chip("previous_overdose")
    assert is_marked(chip) and "from earlier contact" in chip.accessibleDescription()
    assert not is_marked(page.risk_factors.chip("prison_release_2w"))
    assert "HIGH" in page.risk.text() and "from earlier contact" in page.risk.text()
    # Removable: unticked, it is unmarked, leaves the risk, and the save does not carry it.
    qtbot.mouseClick(chip, LEFT)
    assert not is_marked(chip) and page.risk_factors.selected() == []
    assert "LOW" in page.risk.text()
    qtbot.mouseClick(page.interventions.chip("harm_reduction_advice"), LEFT)
    page.area.setText("LS6")
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        page.save()
    contact = last_contact(window)
    assert contact.client_code == KNOWN and contact.risk_factors == ()


def test_a_carried_factor_left_ticked_is_saved_and_a_new_code_drops_it(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    make_store(ui_data_dir)
    window = open_window(qtbot, make_window)
    page = window.workspace.show_page("RecordContactPage")
    assert isinstance(page, RecordContactPage)
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: page.risk_factors.selected() == ["previous_overdose"], timeout=5000)
    assert "Seen 4 times by the service" in page.client_history.plain_text()
    # Another code: the first one's carried factor goes with it.
    type_code(qtbot, page.client, "ABCDEFGHJKM")  # not a valid code: message, nothing carried
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: page.risk_factors.selected() == ["previous_overdose"], timeout=5000)
    page.client.reset()
    assert page.risk_factors.selected() == [] and page.client_history.plain_text() == ""
    assert not is_marked(page.risk_factors.chip("previous_overdose"))
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: page.risk_factors.selected() == ["previous_overdose"], timeout=5000)
    page.area.setText("LS6")
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        page.save()
    contact = last_contact(window)
    assert contact.risk_factors == ("previous_overdose",)


def test_kit_form_suggests_repeat_for_a_code_the_service_supplied(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    make_store(ui_data_dir)
    window = open_window(qtbot, make_window)
    page = window.workspace.show_page("IssueKitPage")
    assert isinstance(page, IssueKitPage)
    qtbot.waitUntil(lambda: page.client.service_key is not None, timeout=5000)
    assert page.supply.value() == "first"
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: page.supply.value() == "repeat", timeout=5000)
    text = page.client_history.plain_text()
    assert "Suggested: repeat supply" in text and "Last kit" in text
    assert "Seen 4 times by the service" in text
    assert "overdose" not in text  # the kit form's panel is about kits
    # A person's choice stands: choosing first, then a lookup again, leaves it.
    qtbot.mouseClick(page.supply.chip("first"), LEFT)
    page.show_history(page.history, TODAY)
    assert page.supply.value() == "first"
    # A code new to the service: first supply.
    page.reset()
    type_code(qtbot, page.client, _new_code())
    qtbot.waitUntil(lambda: "New to the service" in page.client_history.plain_text(), timeout=5000)
    assert page.supply.value() == "first"


def _new_code() -> str:
    from outreach.domain.client_code import make_client_code

    return make_client_code(b"k" * 32, "ZZ", dt.date(1970, 1, 1), "X")


def test_pharmacy_sees_kits_but_no_contact_or_risk(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    make_store(ui_data_dir, role="pharmacy")
    window = open_window(qtbot, make_window)
    page = window.workspace.show_page("IssueKitPage")
    assert isinstance(page, IssueKitPage)
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: page.supply.value() == "repeat", timeout=5000)
    text = page.client_history.plain_text()
    assert "Known to the service since" in text and "Nyxoid" in text
    assert "Seen" not in text and "risk" not in text and "overdose" not in text
    assert page.history is not None and page.history.contacts_total == 0  # not even in memory
    kit_data, _ = page.form_data()
    assert kit_data["client_code"] == KNOWN


def test_history_finds_service_wide_codes(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    make_store(ui_data_dir)
    window = open_window(qtbot, make_window)
    page = window.workspace.show_page("HistoryPage")
    assert isinstance(page, HistoryPage)
    page.search.setText("s6g9h")  # a part of a code, as typed: two codes start like it
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Service-wide codes" in page.message.text(), timeout=5000)
    assert "S6G9H-6E4G1-9" in page.message.text() and "S6G9H-7B0C1-4" in page.message.text()
    page.search.setText("S6G9H-6E")  # one code: searched at once
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Service-wide: Seen 4 times" in page.message.text(), timeout=5000)
    assert "0 record(s) for this client code on this device" in page.message.text()
    page.search.setText("ZZZZ")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "No client code in the service" in page.message.text(), timeout=5000)


def test_a_kit_saved_here_counts_before_the_next_sync(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    """The kit is not in the summary yet: the next look-up adds it (2 supplied, held 2)."""
    make_store(ui_data_dir)
    window = open_window(qtbot, make_window)
    page = window.workspace.show_page("IssueKitPage")
    assert isinstance(page, IssueKitPage)
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: page.supply.value() == "repeat", timeout=5000)
    result = window.ops.store(
        lambda s: s.add_new(
            {
                "type": "kit_issue",
                "site": "outreach_van",
                "product": "prenoxad_2mg_syringe",
                "batch": "ZX9",
                "expiry": "2029-01-31",
                "recipient": "person_at_risk",
                "supply": "repeat",
                "resupply_reason": "lost",
                "training": "full",
                "client_code": KNOWN,
            }
        )
    ).run()
    record, _ = result.result(timeout=5)
    assert isinstance(record, KitIssue)
    page.reset()
    type_code(qtbot, page.client, KNOWN)
    qtbot.waitUntil(lambda: "twice supplied" in page.client_history.plain_text(), timeout=5000)
    assert "2 supplied, 2 held in date" in page.client_history.plain_text()
    assert "Prenoxad" in page.client_history.plain_text()


def test_kit_keyboard_flow_code_first_on_its_own_and_skipped_when_carried(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    """A kit on its own (a pharmacy's): after the scan the code comes first, then the recipient.
    A code carried from the contact is no Tab stop: Enter on the serial goes to the recipient."""
    from PySide6.QtWidgets import QApplication

    from tests.ui.test_flow import SCAN, type_scan

    make_store(ui_data_dir, role="pharmacy")
    window = open_window(qtbot, make_window)
    page = window.workspace.show_page("IssueKitPage")
    assert isinstance(page, IssueKitPage)
    qtbot.waitUntil(lambda: page.client.service_key is not None, timeout=5000)
    page.scan.setFocus()
    type_scan(qtbot, page.scan, SCAN)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.client.initials
    qtbot.keyClicks(page.client.initials, "AB")  # each part moves on; the code made, on again
    qtbot.keyClicks(page.client.dob, "01011980")
    qtbot.keyClicks(page.client.sex, "M")
    assert page.client.value() is not None
    assert QApplication.focusWidget() is page.recipient.entry()
    page.reset()  # a typed code and Enter moves on too
    page.client.code.setFocus()
    qtbot.keyClicks(page.client.code, KNOWN)
    qtbot.keyClick(page.client.code, Qt.Key.Key_Return)
    assert page.client.value() == KNOWN
    assert QApplication.focusWidget() is page.recipient.entry()
    page.prefill(None, KNOWN)
    page.serial.setFocus()
    qtbot.keyClick(page.serial, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.recipient.entry()
