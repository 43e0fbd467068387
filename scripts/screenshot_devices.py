"""Write docs/screenshots/devices.png and devices-1366x768.png: the coordinator's Devices page
against a throw-away hub served by uvicorn on this machine (`make screenshots` runs it).

A separate script because the page talks to a hub, and the app's own screenshot tool
(outreach.ui.screenshots) must not import the hub (import-linter layers).

python scripts/screenshot_devices.py [OUT_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402
from PySide6.QtCore import QRect  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from outreach import paths  # noqa: E402
from outreach.stock import companion  # noqa: E402
from outreach.store.session import create_store  # noqa: E402
from outreach.sync.client import sync_now  # noqa: E402
from outreach.sync.enrolment import enrol  # noqa: E402
from outreach.ui.screenshots import QUICK_KDF, settle, wait_for  # noqa: E402
from tests.hub.harness import contacts, make_hub, serve_in_thread  # noqa: E402

PASSPHRASE = "correct horse battery staple"
DEVICES = (("worker", "van 1", 12), ("worker", "van 2", 30), ("pharmacy", "Boots Kirkgate", 7))


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    companion.register()  # the stock ledger's companion writer, as the app registers at start-up
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hub = make_hub(root / "hub")
        with serve_in_thread(hub) as url:
            data = root / "coordinator"
            store, _ = create_store(data, "cora", "coordinator", PASSPHRASE, kdf=QUICK_KDF)
            enrol(
                store, hub.new_enrolment(url, label="coordinator laptop", role="coordinator").text()
            )
            store.close()
            for number, (role, label, records) in enumerate(DEVICES):
                device, _ = create_store(root / f"d{number}", "u", role, PASSPHRASE, kdf=QUICK_KDF)
                enrol(device, hub.new_enrolment(url, label=label, role=role).text())
                device.add(contacts(records) if role == "worker" else [])
                if label == "van 2":  # two records the hub sets aside: a site it does not know
                    bad = contacts(2)
                    device.add([msgspec.structs.replace(r, site="old_site_code") for r in bad])
                sync_now(device)
                device.close()
            _shoot(data, out)
    del app
    return 0


def _shoot(data: Path, out: Path) -> None:
    """The page with van 1 revoked (as stolen) through it, and a new code made for a pharmacy."""
    from outreach.ui.main_window import ASSUMED_FRAME, MainWindow, fitted_geometry
    from outreach.ui.pages.devices_page import DevicesPage

    paths.set_data_dir(data)
    window = MainWindow(data, kdf=QUICK_KDF)
    window.resize(1100, 800)
    window.show()
    unlock = window.stack.currentWidget()
    unlock.passphrase.setText(PASSPHRASE)  # type: ignore[attr-defined]
    unlock.try_unlock()  # type: ignore[attr-defined]
    wait_for(lambda: window.workspace is not None)
    assert window.workspace is not None
    page = window.workspace.show_page("DevicesPage")
    assert isinstance(page, DevicesPage)
    wait_for(lambda: len(page.rows) == 4)
    page.table.setCurrentCell([row.label for row in page.rows].index("van 1"), 0)
    dialog = page.revoke_selected()
    assert dialog is not None
    dialog.reason.setCurrentIndex(dialog.reason.findData("stolen"))
    settle(200)
    dialog.grab().save(str(out / "devices-revoke.png"))
    dialog.accept()
    wait_for(lambda: "Revoked" in page.message.text() and "enrolled" in page.message.text())
    page.role.setCurrentIndex(page.role.findData("pharmacy"))
    page.label.setText("Boots Briggate")
    page.make_code()
    wait_for(
        lambda: page.made is not None and len(page.rows) == 4 and "enrolled" in page.message.text()
    )
    page.table.setCurrentCell([row.label for row in page.rows].index("van 2"), 0)
    settle(300)
    window.grab().save(str(out / "devices.png"))
    window.setGeometry(fitted_geometry(QRect(0, 0, 1366, 768), ASSUMED_FRAME))
    settle(300)
    window.grab().save(str(out / "devices-1366x768.png"))
    page.tabs.setCurrentIndex(1)
    settle(300)
    page.tabs.grab().save(str(out / "devices-quarantine.png"))
    window.close()
    window.ops.shutdown()
    paths.set_data_dir(None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
