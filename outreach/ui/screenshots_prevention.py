"""Screenshots of the issue 15 pages (Record overdose, Referral outcomes, Overdose review) from a
throw-away coordinator's store, offscreen; at the usual size and on a 1366x768 screen.

python -m outreach.ui.screenshots_prevention [OUT_DIR]   (`make screenshots` runs it)
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
from outreach.store.session import create_store  # noqa: E402
from outreach.ui.screenshots import (  # noqa: E402
    QUICK_KDF,
    both_sizes,
    unlocked_workspace,
    wait_for,
)

log = logging.getLogger(__name__)
PASSPHRASE = "correct horse battery staple"
BAD_CSV = (
    "referral_code,outcome,date\n"
    "R-7K2M-Q9XD,attended,2026-11-03\n"
    "R-7K2M-Q9XE,cured,2026-11-04\n"
    "R-AAAA-0001,Started treatment,31/11/2026\n"
)


def _seed(data: Path) -> None:
    """A coordinator with two overdoses already recorded (one fatal) for the review list."""
    from outreach.stock.companion import register

    register()  # the stock ledger joins every store write, as at start-up
    store, _ = create_store(data, "cora", "coordinator", PASSPHRASE, kdf=QUICK_KDF)
    with store:
        base = {"type": "overdose_event", "site": "outreach_van", "location_type": "home"}
        store.add_new(
            {
                **base,
                "area": "LS7",
                "occurred_on": (dt.date.today() - dt.timedelta(days=9)).isoformat(),
                "occurred_time": "03:15",
                "substances": ["heroin", "benzodiazepines"],
                "naloxone_given": "no",
                "ambulance_called": "yes",
                "outcome": "died",
            }
        )
        store.add_new(
            {
                **base,
                "area": "LS6",
                "occurred_on": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
                "substances": ["synthetic_opioids"],
                "naloxone_given": "yes",
                "administered_by": "peer",
                "doses": 2,
                "kit_owner": "person_own",
                "ambulance_called": "yes",
                "outcome": "survived",
            }
        )
    config.update_settings(last_user="cora", default_area="LS6", default_site="outreach_van")


def capture(out: Path) -> None:
    from outreach.ui.pages.overdose_review import OverdoseReviewPage
    from outreach.ui.pages.record_overdose import RecordOverdosePage
    from outreach.ui.pages.referral_outcomes import ReferralOutcomesPage

    out.mkdir(parents=True, exist_ok=True)
    with unlocked_workspace(_seed, PASSPHRASE) as (window, workspace, data):
        page = workspace.show_page("RecordOverdosePage")
        assert isinstance(page, RecordOverdosePage)
        page.occurred_time.setText("21:40")
        for group, codes in (
            (page.source, ["witnessed"]),
            (page.location, ["street"]),
            (page.substances, ["heroin", "crack"]),
            (page.naloxone, ["yes"]),
            (page.administered_by, ["service_worker"]),
            (page.kit_owner, ["service"]),
            (page.ambulance, ["yes"]),
            (page.hospital, ["no"]),
            (page.outcome, ["survived"]),
        ):
            group.set_selected(codes)
        page.doses.setValue(2)
        both_sizes(window, out, "record-overdose")

        outcomes = workspace.show_page("ReferralOutcomesPage")
        assert isinstance(outcomes, ReferralOutcomesPage)
        bad = data / "outcomes.csv"
        bad.write_text(BAD_CSV, encoding="utf-8")
        outcomes.import_file(bad)
        wait_for(lambda: outcomes.problems.count() > 0)
        outcomes.code.setText("R-7K2M-Q9XD")
        outcomes.outcome.set_selected(["started_treatment"])
        both_sizes(window, out, "referral-outcomes")

        review = workspace.show_page("OverdoseReviewPage")
        assert isinstance(review, OverdoseReviewPage)
        wait_for(lambda: review.table.rowCount() > 0)
        both_sizes(window, out, "overdose-review")


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
