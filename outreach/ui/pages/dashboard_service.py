"""The dashboard's whole-service scope and the quarterly return (a mixin of `DashboardPage`).

"Whole service" asks the hub for the commissioner set of every device's records (a coordinator
device only): on the store thread, never the UI thread, with a quick retry; when the hub cannot
be reached, the copy kept in the encrypted store is shown with its date. Any failure is a message
on the page and the figures are cleared, so a laptop's numbers never stand for the service's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QLabel, QRadioButton

from outreach.reports.countset import CountSet
from outreach.reports.naloxone_return import return_quarter
from outreach.ui.context import AppContext
from outreach.ui.messages import explain

if TYPE_CHECKING:
    from outreach.reports.naloxone_return import NaloxoneReturn
    from outreach.reports.periods import Period
    from outreach.store.store import Store
    from outreach.sync.service_copy import ServiceView

SERVICE = "Whole service"
LAPTOP = "This laptop"


def service_period(start: dt.date, end: dt.date) -> str:
    """The hub's period text for the dashboard's dates."""
    return f"{start.isoformat()}..{end.isoformat()}"


def fetch_service_set(
    store: Store, period: str, site: str | None, *, exact: bool
) -> tuple[CountSet, ServiceView]:
    """On the store thread: the hub's set (or the kept copy) as a CountSet."""
    import msgspec

    from outreach.sync.service_copy import service_view

    view = service_view(store, period, site, exact=exact)
    return CountSet.from_wire(msgspec.to_builtins(view.answer)), view


class ServiceScopeMixin:
    """Needs the page's widgets, `counts`, `_show`, `_say_what_is_shown` and `period`."""

    ctx: AppContext
    scope_service: QRadioButton
    exact: QCheckBox
    site: QComboBox
    message: QLabel
    counts: CountSet | None
    headline_labels: dict[str, QLabel]

    def _show(self, counts: CountSet | None) -> None:
        raise NotImplementedError

    def period(self) -> tuple[dt.date, dt.date]:
        raise NotImplementedError

    def _init_service_scope(self) -> None:
        self.service_as_of: dt.datetime | None = None  # local time of the hub answer shown
        self.service_error = ""  # why the hub did not answer (a kept copy is shown)
        self._request = 0  # answers to an older request are dropped

    def scope_name(self) -> str:
        return SERVICE if self.scope_service.isChecked() else LAPTOP

    def service_when(self) -> str:
        """How fresh the service figures are, for the message line ("" for the laptop)."""
        if self.service_as_of is None:
            return ""
        if not self.service_error:
            return f"from the hub, as of {self.service_as_of:%H:%M}"
        return (
            f"hub not reachable: the copy fetched {self.service_as_of:%d %b %Y %H:%M}"
            f" — {self.service_error}"
        )

    def fetch_service(self, start: dt.date, end: dt.date, site: str | None) -> None:
        self._request += 1
        request, exact = self._request, self.exact.isChecked()
        self.message.setText("Whole service: asking the hub…")

        def fetch(store: Store) -> tuple[CountSet, ServiceView]:
            return fetch_service_set(store, service_period(start, end), site, exact=exact)

        self.ctx.ops.store(fetch).success(lambda got: self._fetched(request, *got)).failure(
            lambda exc: self._fetch_failed(request, exc)
        ).owner(self).run()  # type: ignore[arg-type]

    def _fetched(self, request: int, counts: CountSet, view: ServiceView) -> None:
        if request != self._request or not self.scope_service.isChecked():
            return
        self.service_as_of = view.fetched_at.astimezone()
        self.service_error = view.error
        self.scope_service.setText(f"Whole ser&vice (as of {self.service_as_of:%H:%M})")
        self._show(counts)

    def _fetch_failed(self, request: int, exc: BaseException) -> None:
        if request != self._request or not self.scope_service.isChecked():
            return
        self.service_as_of, self.counts = None, None
        for label in self.headline_labels.values():
            label.setText(f"<b style='font-size:16pt'>–</b><br>{label.accessibleName()}")
        self._clear_figures()
        said = explain(exc)
        self.message.setText(
            f"Whole service not shown: {said.title} — {said.message}. {said.action}"
        )

    def _clear_figures(self) -> None:
        """No figures drawn (the chart and the at-risk list)."""
        at_risk = getattr(self, "at_risk", None)
        if at_risk is not None:
            at_risk.setRowCount(0)
        draw = getattr(self, "_draw_chart", None)
        if draw is not None:
            draw()

    # -- the quarterly return --------------------------------------------------------------

    def _ask_and_export_return(self) -> None:
        year, quarter = return_quarter(self.period()[1])
        from outreach.reports.periods import fy_label

        suggested = f"naloxone-return-{fy_label(year)}-Q{quarter}.pdf"
        path, _ = QFileDialog.getSaveFileName(
            self,  # type: ignore[arg-type]
            "Export the quarterly return",
            suggested,
            "PDF (*.pdf);;CSV (*.csv)",
        )
        if path:
            self.export_return(Path(path))

    def export_return(self, path: Path) -> None:
        """The take-home naloxone return for the FY quarter the period ends in, in this scope,
        published unless exact is ticked; PDF or CSV by the file's suffix."""
        year, quarter = return_quarter(self.period()[1])
        site, exact, service = (
            self.site.currentData(),
            self.exact.isChecked(),
            self.scope_service.isChecked(),
        )
        scope, vocab, site_label = self.scope_name(), self.ctx.vocab, self.site.currentText()

        def build(store: Store) -> Path:
            from outreach.reports.commissioner import local_counts
            from outreach.reports.naloxone_return import build_return

            def count(period: Period) -> CountSet:
                if service:
                    return fetch_service_set(store, period.label, site, exact=exact)[0]
                counts = local_counts(store.conn, period.start, period.end, site)
                return counts if exact else counts.for_publication()

            made = build_return(count, year, quarter, vocab=vocab, scope=scope, site=site)
            write_return(made, path, site_label)
            return path

        self.message.setText(f"Writing the return to {path.name}…")
        self.ctx.ops.store(build).success(
            lambda written: self.message.setText(f"Return written to {written}.")
        ).failure(lambda exc: self.message.setText(f"Return not written: {exc}")).owner(
            self  # type: ignore[arg-type]
        ).run()


def write_return(made: NaloxoneReturn, path: Path, site_label: str) -> None:
    if path.suffix.lower() == ".csv":
        from outreach.reports.naloxone_return import write_return_csv

        write_return_csv(made, path)
    else:
        from outreach.reports.naloxone_return_pdf import write_return_pdf

        write_return_pdf(made, path, site_label)
