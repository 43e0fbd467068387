"""Issue 12 acceptance, the app's side: three devices (two workers, one pharmacy) on one real hub
(uvicorn on 127.0.0.1; SQLite and PostgreSQL), real encrypted stores, the real windows.

A client seen by worker A shows on worker B's and the pharmacy's client panel after both sync; a
kit issued at the pharmacy makes B's next kit for that code a "repeat" suggestion; "previous
overdose" reported to A is pre-ticked (marked "from earlier contact") on B's form. Each device
makes the client code itself from the same initials, date of birth and sex: enrolled with one
hub, they share its service key, so the codes match without being sent anywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from outreach import paths
from outreach.domain.client_code import make_client_code
from outreach.hub.service import Hub
from outreach.store.kit_issue import save_kit
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.store.summaries import service_summary
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.ui import sync_api
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.widgets.client_panel import is_marked
from tests.samples import FAST_KDF, PASSPHRASE
from tests.sync.conftest import hub, hub_url
from tests.ui.conftest import unlock

__all__ = ["hub", "hub_url"]

INITIALS, DOB, SEX = "JS", dt.date(1990, 2, 17), "F"


@pytest.fixture
def devices(
    hub: Hub, hub_url: str, tmp_path: Path
) -> Iterator[Callable[[str, str], tuple[Store, Path]]]:
    made: list[Store] = []

    def make(name: str, role: str) -> tuple[Store, Path]:
        data = tmp_path / name
        store, _ = create_store(data, name, role, PASSPHRASE, kdf=FAST_KDF)
        enrol(store, hub.new_enrolment(hub_url).text())
        made.append(store)
        return store, data

    yield make
    for store in made:
        if store.is_open:
            store.close()


@pytest.fixture
def window_on(qtbot: QtBot) -> Iterator[Callable[[Path], MainWindow]]:
    """The desktop app on one device's data directory, unlocked (one at a time)."""
    opened: list[MainWindow] = []

    def open_on(data: Path) -> MainWindow:
        paths.set_data_dir(data)
        window = MainWindow(data, kdf=FAST_KDF)
        qtbot.addWidget(window)
        window.show()
        opened.append(window)
        unlock(qtbot, window)
        return window

    yield open_on
    for window in opened:
        window.close()
        window.ops.shutdown()
    paths.set_data_dir(None)


def code_on(store: Store) -> str:
    return make_client_code(sync_api.service_key(store), INITIALS, DOB, SEX)


def type_person(qtbot: QtBot, box) -> None:  # type: ignore[no-untyped-def]
    """Initials, date of birth and sex typed into a client code box: the code is made here."""
    qtbot.waitUntil(lambda: box.service_key is not None, timeout=5000)
    qtbot.keyClicks(box.initials, INITIALS)
    qtbot.keyClicks(box.dob, DOB.strftime("%d%m%Y"))
    qtbot.keyClicks(box.sex, SEX)


def test_a_client_seen_by_a_shows_on_b_and_the_pharmacy(
    devices: Callable[[str, str], tuple[Store, Path]],
    window_on: Callable[[Path], MainWindow],
    qtbot: QtBot,
) -> None:
    a, _ = devices("alice", "worker")
    b, b_data = devices("bob", "worker")
    pharmacy, pharmacy_data = devices("pat", "pharmacy")
    code = code_on(a)
    assert code_on(b) == code == code_on(pharmacy)  # one service key from the hub

    # A sees the client, who has overdosed before; the pharmacy later hands them a kit.
    a.add_new(
        {
            "type": "contact",
            "site": "outreach_van",
            "area": "LS6",
            "setting": "street",
            "client_code": code,
            "risk_factors": ["previous_overdose"],
        }
    )
    sync_now(a)
    kit = {
        "type": "kit_issue",
        "site": "pharmacy",
        "product": "nyxoid_1_8mg_nasal",
        "batch": "PH01",
        "expiry": "2029-03-31",
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "brief",
        "client_code": code,
    }
    save_kit(pharmacy, kit, None, allow_repeat_serial=False)
    assert sync_now(pharmacy).summaries >= 1
    assert sync_now(b).summaries >= 1
    summary = service_summary(b, code)
    assert summary is not None and (summary.contacts_total, summary.kits_total) == (1, 1)
    b.close()
    pharmacy.close()

    # B's Record contact: the service's history, and the previous overdose carried and marked.
    window = window_on(b_data)
    contact_page = window.workspace.show_page("RecordContactPage")
    assert isinstance(contact_page, RecordContactPage)
    type_person(qtbot, contact_page.client)
    assert contact_page.client.value() == code
    panel = contact_page.client_history
    qtbot.waitUntil(lambda: "Seen once by the service" in panel.plain_text(), timeout=5000)
    text = panel.plain_text()
    assert "Previous overdose reported" in text and "As of the last sync" in text
    assert "Nyxoid" in text and "1 supplied, 1 held in date" in text
    assert "made on this device since" not in text  # B has made nothing for this code
    chip = contact_page.risk_factors.chip("previous_overdose")
    assert contact_page.risk_factors.selected() == ["previous_overdose"]
    assert chip.isChecked() and is_marked(chip)
    assert "from earlier contact" in chip.accessibleDescription()
    assert "HIGH" in contact_page.risk.text() and "from earlier contact" in contact_page.risk.text()

    # B's next kit for the code: "repeat" suggested, from the pharmacy's kit.
    kit_page = window.workspace.show_page("IssueKitPage")
    assert isinstance(kit_page, IssueKitPage)
    type_person(qtbot, kit_page.client)
    qtbot.waitUntil(lambda: kit_page.supply.value() == "repeat", timeout=5000)
    assert "Suggested: repeat supply" in kit_page.client_history.plain_text()
    window.close()
    window.ops.shutdown()

    # The pharmacy's panel: the client is known (kits only: no contacts, no risk, no overdose).
    window = window_on(pharmacy_data)
    kit_page = window.workspace.show_page("IssueKitPage")
    assert isinstance(kit_page, IssueKitPage)
    type_person(qtbot, kit_page.client)
    assert kit_page.client.value() == code
    panel = kit_page.client_history
    qtbot.waitUntil(lambda: "Known to the service since" in panel.plain_text(), timeout=5000)
    text = panel.plain_text()
    assert "Nyxoid" in text and "1 supplied" in text  # its own kit, counted once
    assert "overdose" not in text.lower() and "risk" not in text.lower()
    assert kit_page.supply.value() == "repeat"
    assert kit_page.history is not None and kit_page.history.sticky == ()
