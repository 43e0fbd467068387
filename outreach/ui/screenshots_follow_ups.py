"""Screenshots of the Follow-ups due page (issue 15, item 2) from a throw-away worker's store,
offscreen; at the usual size and on a 1366x768 screen: the list, then the form opened on the
first event with an outcome chosen.

python -m outreach.ui.screenshots_follow_ups [OUT_DIR]   (`make screenshots` runs it)
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from outreach import config  # noqa: E402
from outreach.domain.client_code import make_client_code  # noqa: E402
from outreach.records.follow_up import UK  # noqa: E402
from outreach.store.session import create_store  # noqa: E402
from outreach.ui.screenshots import (  # noqa: E402
    QUICK_KDF,
    both_sizes,
    unlocked_workspace,
    wait_for,
)

log = logging.getLogger(__name__)
PASSPHRASE = "correct horse battery staple"
# (hours ago, area, initials): due now, overdue, not yet due, and one in another area
EVENTS = ((30, "LS6", "AB"), (80, "LS6", "CD"), (6, "LS7", "EF"), (40, "M1", "GH"))


def _seed(data: Path) -> None:
    from outreach.stock.companion import register

    register()
    store, _ = create_store(data, "wendy", "worker", PASSPHRASE, kdf=QUICK_KDF)
    now = dt.datetime.now(UK)
    with store:
        for hours, area, initials in EVENTS:
            happened = now - dt.timedelta(hours=hours)
            code = make_client_code(b"k" * 32, initials, dt.date(1985, 3, 4), "f")
            store.add_new(
                {
                    "type": "overdose_event",
                    "site": "outreach_van",
                    "area": area,
                    "occurred_on": happened.date().isoformat(),
                    "occurred_time": f"{happened:%H:%M}",
                    "location_type": "street",
                    "naloxone_given": "yes",
                    "outcome": "survived",
                    "client_code": code,
                }
            )
    config.update_settings(
        last_user="wendy", default_area="LS6", default_site="outreach_van", follow_up_areas="LS"
    )


def capture(out: Path) -> None:
    from outreach.ui.pages.follow_ups import FollowUpsPage

    out.mkdir(parents=True, exist_ok=True)
    with unlocked_workspace(_seed, PASSPHRASE) as (window, workspace, _):
        page = workspace.show_page("FollowUpsPage")
        assert isinstance(page, FollowUpsPage)
        wait_for(lambda: page.table.rowCount() > 0)
        both_sizes(window, out, "follow-ups")
        page.table.setCurrentCell(0, 0)
        page.choose()
        page.outcome.set_selected(["kit_supplied"])
        both_sizes(window, out, "follow-up-form")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="docs/screenshots")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    capture(Path(args.out))
    QCoreApplication.processEvents()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
