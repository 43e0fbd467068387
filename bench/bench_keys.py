"""Key presses for a contact with a client code and a kit from a scan (DESIGN §7: ≤ 25).

Runs the real window offscreen on a fresh store, unlocks it, and drives it with keys sent to
the focused widget (`bench.keyboard_entry`); a scan counts as one press (the trigger). Site,
area and setting are remembered from the previous contact, as they are in real use.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PASSPHRASE = "correct horse battery staple"


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bench.keyboard_entry import BUDGET, Keyboard, enter_contact_and_kit, wait_until
    from outreach import config, paths
    from outreach.store.session import create_store
    from outreach.store.vault import KdfParams
    from outreach.ui.app import create_app
    from outreach.ui.main_window import MainWindow

    kdf = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
    app = create_app()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        paths.set_data_dir(data)
        try:
            store, _ = create_store(data, "alice", "worker", PASSPHRASE, kdf=kdf)
            store.close()
            config.update_settings(default_area="LS6", default_setting="street")
            window = MainWindow(data, kdf=kdf)
            window.show()
            window.activateWindow()
            screen = window.stack.currentWidget()
            screen.passphrase.setText(PASSPHRASE)  # type: ignore[attr-defined]
            screen.try_unlock()  # type: ignore[attr-defined]
            wait_until(lambda: window.workspace is not None)
            keys = Keyboard()
            enter_contact_and_kit(window, keys)
            saved = window.workspace.page("IssueKitPage").banner.text()  # type: ignore[union-attr]
            window.close()
            window.ops.shutdown()
        finally:
            paths.set_data_dir(None)
    app.processEvents()
    verdict = "ok" if len(keys.presses) <= BUDGET and saved.startswith("Saved") else "OVER"
    print(
        f"keyboard-only contact with client code + kit: {len(keys.presses):3d} key presses  "
        f"(budget {BUDGET})  {verdict}"
    )
    print(f"  keys: {' '.join(keys.presses)}")
    print(f"  (the scanner typed {keys.scanner_keys} characters itself; the scan counts as 1)")
