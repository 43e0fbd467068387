"""The client panel: what the service knows of the code on the form, in a box that never moves.

"Seen 4 times by the service, last 12 Nov 2026 (LS6) · last kit 03 Oct 2026, Nyxoid, expires
31 Mar 2028 · previous overdose reported 20 Sep 2026", then where that comes from ("as of the
last sync, 01 Dec 2026 14:02; with 2 records on this device not yet in it"). The text comes from
`outreach.ui.client_history` (the hub's summary merged with this device's newer records); the
box keeps a fixed height (STYLE 19: nothing below it moves as it fills), and scrolls nothing:
the lines are written to fit.

Sticky risk factors a form pre-ticks from it are marked on their chips (`mark_carried`): a
dashed amber border of the same width (the chip's size, and so the form, is unchanged), a tooltip
and an accessible description saying "from earlier contact" and when it was reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from outreach.domain.risk import FACTORS, RiskAssessment
from outreach.domain.roles import Action
from outreach.domain.vocab import Vocabulary
from outreach.records import permissions
from outreach.records.service_history import CarriedFactor, ServiceHistory
from outreach.ui.client_history import load_client_history
from outreach.ui.dates import format_date, format_datetime
from outreach.ui.ops import Ops
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.client_code import ClientCodeBox

__all__ = [
    "LINES",
    "CarriedFactors",
    "ClientPanel",
    "carried_note",
    "history_lines",
    "is_marked",
    "kit_lines",
    "kits_only_for",
    "look_up",
    "mark_carried",
    "tab_past_when_known",
    "unmark",
]

LINES = 4
CARRIED_STYLE = (
    "QPushButton { border: 2px dashed #d97706; }"
    "QPushButton:focus { border: 2px solid palette(highlight); }"
)
CARRIED = "from earlier contact"
_PROPERTY = "carried_from"
_TOOLTIP = "plain_tooltip"


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def carried_note(factor: CarriedFactor) -> str:
    """'from earlier contact, reported 20 Sep 2026' (and the window's end, when it has one)."""
    note = f"{CARRIED}, reported {format_date(factor.last_reported)}"
    if factor.until is not None:
        note += f"; carried until {format_date(factor.until)}"
    return note


def _seen(history: ServiceHistory, kits_only: bool) -> str:
    if kits_only or history.contacts_total == 0:
        since = history.first_seen
        return (
            f"Known to the service since {format_date(since)}" if since else "Known to the service"
        )
    where = "by the service" if history.as_of is not None else "on this device"
    seen = f"Seen {_times(history.contacts_total)} {where}"
    if history.last_contact is not None:
        seen += f", last {format_date(history.last_contact)}"
        if history.last_contact_area:
            seen += f" ({history.last_contact_area})"
    return seen


def _kits(history: ServiceHistory, vocab: Vocabulary, today: dt.date) -> str:
    if history.kits_total == 0 or history.last_kit is None:
        return "No kit supplied yet"
    kit = f"Last kit {format_date(history.last_kit)}"
    if history.last_kit_product:
        kit += f", {vocab.label('product', history.last_kit_product)}"
    if history.last_kit_expiry:
        kit += f", expires {format_date(history.last_kit_expiry)}"
    held = history.kits_held(today)
    return kit + f" · {history.kits_total} supplied, {held} held in date"


def _risk(history: ServiceHistory, vocab: Vocabulary, carried: Iterable[str]) -> str:
    ticked = set(carried)
    parts = []
    for factor in history.sticky:
        if vocab.has("risk_factor", factor.code):
            label = vocab.label("risk_factor", factor.code)
            part = f"{label} reported {format_date(factor.last_reported)}"
            parts.append(part + (" (ticked below)" if factor.code in ticked else ""))
    if history.last_naloxone_use is not None:
        parts.append(f"naloxone last used {format_date(history.last_naloxone_use)}")
    if history.risk_level:
        parts.append(f"last risk {history.risk_level.replace('_', ' ')}")
    if history.open_referrals:
        parts.append(f"{len(history.open_referrals)} open referral(s)")
    return " · ".join(parts)


def _source(history: ServiceHistory) -> str:
    if history.as_of is None:
        return (
            "This device's records only: the service's history comes with the first sync."
            if not history.is_new
            else "The service's history comes with the first sync."
        )
    source = f"As of the last sync ({format_datetime(history.as_of)})"
    if history.unsynced:
        source += f", plus {history.unsynced} record(s) made on this device since"
    return source + "."


def kits_only_for(role: str) -> bool:
    """Whether `role` sees the kit side only (it may not read contacts: a pharmacy)."""
    return not permissions.permitted(role, Action.READ, "contact")


NOT_SHOWN = "The service's history of clients is not shown to this role."
NEW = "New to the service: no earlier contact or kit anywhere in the service, nor on this device."
NEW_HERE = "New client code: no earlier records on this device."


def history_lines(
    history: ServiceHistory | None,
    vocab: Vocabulary,
    today: dt.date,
    *,
    kits_only: bool,
    carried: Iterable[str] = (),
) -> list[str]:
    """The panel's text, a line per topic: seen, kits, sticky factors and risk (not for
    `kits_only` roles, which may not see contacts: a pharmacy sees kits and uses, never risk),
    and where it comes from. `carried`: factor codes the form pre-ticked."""
    if history is None:
        return [NOT_SHOWN]
    if history.is_new:
        return [NEW if history.as_of else NEW_HERE, _source(history)]
    lines = [_seen(history, kits_only), _kits(history, vocab, today)]
    if kits_only:
        if history.last_naloxone_use is not None:
            lines.append(f"Naloxone last used {format_date(history.last_naloxone_use)}")
    else:
        risk = _risk(history, vocab, carried)
        if risk:
            lines.append(risk[0].upper() + risk[1:])
    return [*lines, _source(history)]


def kit_lines(
    history: ServiceHistory | None,
    vocab: Vocabulary,
    today: dt.date,
    suggested: str,
    *,
    kits_only: bool,
) -> list[str]:
    """The kit form's panel: seen (contacts only for roles that may read them), kits, the supply
    it suggests, and where it comes from."""
    if history is None:
        return [NOT_SHOWN]
    if suggested == "repeat":
        why = (
            f"Suggested: repeat supply ({_times(history.kits_total)} supplied before in the "
            "service): choose the resupply reason."
        )
    else:
        why = "Suggested: first supply (no kit supplied to this client before in the service)."
    if history.is_new:
        return [NEW if history.as_of else NEW_HERE, why, _source(history)]
    return [_seen(history, kits_only), _kits(history, vocab, today), why, _source(history)]


class ClientPanel(QScrollArea):
    """A fixed-height box of `LINES` lines for the client's service-wide history; text that
    wraps past them (a narrow window, 200 % scaling) scrolls inside it, never pushing the form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Client history")
        self.label = QLabel()
        self.label.setAccessibleName("Client history")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        inner = QWidget()
        box = QVBoxLayout(inner)
        box.setContentsMargins(2, 0, 2, 0)
        box.addWidget(self.label)
        box.addStretch(1)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Its text never widens or heightens the form: the summary arriving moves nothing.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * LINES + 4)
        self._plain = ""

    def show_lines(self, lines: list[str]) -> None:
        self._plain = "\n".join(lines)
        self.label.setText("<br>".join(escape(line) for line in lines))
        self.setToolTip(self._plain)
        self.setAccessibleDescription(self._plain)
        self.label.setAccessibleDescription(self._plain)

    def show_history(
        self,
        history: ServiceHistory | None,
        vocab: Vocabulary,
        today: dt.date,
        *,
        kits_only: bool,
        carried: Iterable[str] = (),
    ) -> None:
        self.show_lines(history_lines(history, vocab, today, kits_only=kits_only, carried=carried))

    def text(self) -> str:
        return self.label.text()

    def plain_text(self) -> str:
        return self._plain

    def clear(self) -> None:
        self._plain = ""
        self.label.clear()
        self.setToolTip("")
        self.setAccessibleDescription("")
        self.label.setAccessibleDescription("")


def look_up(
    ops: Ops,
    owner: QWidget,
    box: ClientCodeBox,
    show: Callable[[ServiceHistory | None, dt.date], None],
) -> None:
    """Look the box's code up on the store thread (`load_client_history`) and `show` it, unless
    the code changed meanwhile (or `owner` went, e.g. on lock)."""
    code = box.value()
    if not code:
        return

    def got(result: tuple[str, ServiceHistory | None]) -> None:
        if result[0] == box.value():
            show(result[1], dt.date.today())

    ops.store(lambda store: (code, load_client_history(store, code))).success(got).owner(
        owner
    ).run()


def tab_past_when_known(box: ClientCodeBox) -> None:
    """Once the box holds a code (carried from the contact, or made), its fields are no Tab stops:
    Tab and Enter from the fields before it go on past it, as before the box was there. A click
    still reaches them to change the code."""

    def update(code: str | None) -> None:
        policy = Qt.FocusPolicy.ClickFocus if code else Qt.FocusPolicy.StrongFocus
        for field in (box.initials, box.dob, box.sex, box.code):
            field.setFocusPolicy(policy)

    box.code_changed.connect(update)


def mark_carried(chip: QPushButton, factor: CarriedFactor) -> None:
    """Mark a chip pre-ticked from earlier contact (same border width: no size change)."""
    note = carried_note(factor)
    if chip.property(_PROPERTY) is None:
        chip.setProperty(_TOOLTIP, chip.toolTip())
    chip.setProperty(_PROPERTY, factor.last_reported.isoformat())
    chip.setStyleSheet(CARRIED_STYLE)
    chip.setToolTip(f"Pre-ticked {note}: untick it if it no longer applies")
    chip.setAccessibleDescription(f"Pre-ticked {note}")


def unmark(chip: QPushButton) -> None:
    if chip.property(_PROPERTY) is None:
        return
    chip.setProperty(_PROPERTY, None)
    chip.setStyleSheet("")
    chip.setToolTip(str(chip.property(_TOOLTIP) or ""))
    chip.setAccessibleDescription("")


def is_marked(chip: QPushButton) -> bool:
    return chip.property(_PROPERTY) is not None


class CarriedFactors:
    """The sticky factors a contact form pre-ticked for its client code: ticks and marks them,
    forgets one the worker unticks (removed: not ticked again for this code), and notes them in
    the risk reasons. Only factors the form offers, each within its window (`carried_factors`)."""

    def __init__(self, group: ChipGroup) -> None:
        self.group = group
        self.carried: dict[str, CarriedFactor] = {}
        self.removed: set[str] = set()

    def carry(self, factors: Iterable[CarriedFactor]) -> None:
        """Tick and mark `factors` (those the worker has not removed for this code)."""
        new = {f.code: f for f in factors if f.code not in self.removed}
        if not new:
            return
        self.carried.update(new)
        for code, factor in new.items():
            mark_carried(self.group.chip(code), factor)
        self.group.set_selected([*self.group.selected(), *new])

    def check(self) -> None:
        """After a change of the group: a carried factor the worker unticked is removed."""
        ticked = set(self.group.selected())
        for code in [c for c in self.carried if c not in ticked]:
            unmark(self.group.chip(code))
            del self.carried[code]
            self.removed.add(code)

    def drop(self) -> None:
        """The code changed or the form was cleared: untick and unmark what was carried."""
        carried, self.carried = self.carried, {}
        self.removed = set()
        for code in carried:
            unmark(self.group.chip(code))
        if carried:
            self.group.set_selected([c for c in self.group.selected() if c not in carried])

    def annotate(self, assessment: RiskAssessment) -> RiskAssessment:
        """The same assessment, each carried factor's reason saying where it came from."""
        if not self.carried:
            return assessment
        by_text = {FACTORS[code].explanation: code for code in self.carried}
        reasons = []
        for reason in assessment.reasons:
            code = by_text.get(reason.rsplit(" (weight", 1)[0])
            reasons.append(
                reason if code is None else f"{reason} — {carried_note(self.carried[code])}"
            )
        return dataclasses.replace(assessment, reasons=tuple(reasons))

    def state(self) -> dict[str, Any]:
        """For a draft kept over a lock."""
        return {
            "carried": {c: (f.last_reported, f.until) for c, f in self.carried.items()},
            "removed": sorted(self.removed),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.removed = set(state["removed"])
        self.carried = {
            code: CarriedFactor(code, reported, until)
            for code, (reported, until) in state["carried"].items()
        }
        for code, factor in self.carried.items():
            mark_carried(self.group.chip(code), factor)
