"""The client panel's view of one code: the hub's summary plus this device's own newer records.

The hub's `ClientSummary` is as of the device's last pull. Records this device made since (not
yet synced, or synced after that pull) are not in it, so a worker who saw someone an hour ago
would otherwise not see that contact. `merge_history` folds those records into the summary;
`supply_suggestion` and `carried_factors` read the result. Pure: no store, no Qt, no clock
(`today` is always passed in), so the rules are tested with hand-worked cases.

Rules (docs/decisions.md, "Client panel"):

* counts add up (contacts, contacts in the last 12 months, kits); dates take the later one, and
  the area, product and expiry go with the later contact or kit; first seen takes the earlier;
* the latest risk level is the hub's unless this device has a later contact, whose level it then
  is (an own contact on the same day as the hub's latest wins: it is at least as new);
* each sticky factor keeps the later of the hub's date and this device's last report of it;
  referral codes given in the last 12 months join the open ones (as `summarise` keeps them);
* a naloxone use reported here takes one held kit out (the first to expire, the one most likely
  handed out earliest) before the kit it came with is counted;
* a record the summary counts but this device has voided since (the void not yet synced) comes
  out of the counts and the held kits; dates it set stay until the next pull (the hub alone knows
  the one before it), which the panel's "as of" already says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from outreach.domain.risk import assess_recorded
from outreach.errors import InvalidRecord
from outreach.records.client_summary import STICKY_FACTORS, ClientSummary, StickyFactor
from outreach.records.contact import Contact
from outreach.records.kit_issue import KitIssue
from outreach.records.naloxone_use import NaloxoneUse

__all__ = [
    "STICKY_WINDOWS",
    "YEAR_DAYS",
    "CarriedFactor",
    "ServiceHistory",
    "carried_factors",
    "merge_history",
    "supply_suggestion",
]

YEAR_DAYS = 365
"""'In the last 12 months': after `today - 365 days` (as `outreach.records.summarise` counts)."""

STICKY_WINDOWS: Mapping[str, int | None] = MappingProxyType(
    {
        "previous_overdose": None,
        "prison_release_2w": 14,
        "hospital_discharge_4w": 28,
        "lost_tolerance": 28,
        "left_treatment": 28,
    }
)
"""Days after its last report that a sticky factor is still carried into a new form (None: for
good). The two with a window in their name keep it, counted from the report: the release or
discharge was on or before that day, so the window cannot end later. Lost tolerance and leaving
treatment are risks of the first weeks (tolerance comes back with regular use; the ONS and OHID
figures put the excess deaths after leaving treatment in the first four weeks): four weeks.
A previous overdose stays the strongest predictor for life: always carried."""


@dataclass(frozen=True)
class CarriedFactor:
    """A sticky factor to pre-tick on a new contact, the day it was last reported, and the last
    day it is carried (None: no window)."""

    code: str
    last_reported: dt.date
    until: dt.date | None


@dataclass(frozen=True)
class ServiceHistory:
    """What the client panel shows for one code (counts exclude voided records)."""

    client_code: str
    as_of: dt.datetime | None = None
    """When this device last pulled the service's summaries (hub time); None: never."""
    from_service: bool = False
    """The hub's summary knew the code (else only this device's records, if any)."""
    unsynced: int = 0
    """This device's records folded in on top of the summary."""
    first_seen: dt.date | None = None
    contacts_total: int = 0
    contacts_12m: int = 0
    last_contact: dt.date | None = None
    last_contact_area: str | None = None
    kits_total: int = 0
    last_kit: dt.date | None = None
    last_kit_product: str | None = None
    last_kit_expiry: dt.date | None = None
    held_kit_expiries: tuple[dt.date, ...] = ()
    risk_level: str | None = None
    risk_reasons: tuple[str, ...] = ()
    sticky: tuple[StickyFactor, ...] = ()
    last_naloxone_use: dt.date | None = None
    open_referrals: tuple[str, ...] = ()

    @property
    def is_new(self) -> bool:
        """Nothing known anywhere: no contact and no kit."""
        return self.contacts_total == 0 and self.kits_total == 0

    def kits_held(self, today: dt.date) -> int:
        return sum(1 for expiry in self.held_kit_expiries if expiry >= today)

    def sticky_date(self, code: str) -> dt.date | None:
        return next((f.last_reported for f in self.sticky if f.code == code), None)


def _later(a: dt.date | None, b: dt.date | None) -> bool:
    """Whether b is at least as late as a (None is earliest)."""
    return b is not None and (a is None or b >= a)


def _risk(contact: Contact) -> tuple[str | None, tuple[str, ...]]:
    """The level and the factor codes behind it, heaviest first, as the hub keeps them and the
    facts projection scores them (`assess_recorded`: a factor a hub added counts weight 1)."""
    try:
        assessment = assess_recorded(
            contact.risk_factors, contact.substances, contact.injecting, contact.age_band
        )
    except InvalidRecord:  # e.g. synthetic_opioids ticked (derived only): no level
        return None, ()
    return assessment.level.value, assessment.codes


def _in_year(day: dt.date, today: dt.date) -> bool:
    return today - dt.timedelta(days=YEAR_DAYS) < day <= today


class _Fold:
    """The summary's fields, mutable while the device's records are folded in."""

    def __init__(self, code: str, summary: ClientSummary | None) -> None:
        s = summary or ClientSummary(client_code=code, first_seen=dt.date.max)
        self.first_seen: dt.date | None = s.first_seen if summary is not None else None
        self.contacts_total, self.contacts_12m = s.contacts_total, s.contacts_12m
        self.last_contact, self.last_contact_area = s.last_contact, s.last_contact_area
        self.kits_total, self.last_kit = s.kits_total, s.last_kit
        self.last_kit_product, self.last_kit_expiry = s.last_kit_product, s.last_kit_expiry
        self.held = sorted(s.held_kit_expiries)
        self.risk_level, self.risk_reasons = s.risk_level, s.risk_reasons
        self.sticky = {f.code: f.last_reported for f in s.sticky}
        self.last_use = s.last_naloxone_use
        self.referrals = list(s.open_referrals)

    def seen(self, day: dt.date) -> None:
        if self.first_seen is None or day < self.first_seen:
            self.first_seen = day

    def contact(self, record: Contact, today: dt.date) -> None:
        day = record.occurred_at.date()
        self.seen(day)
        self.contacts_total += 1
        self.contacts_12m += _in_year(day, today)
        if _later(self.last_contact, day):
            self.last_contact, self.last_contact_area = day, record.area
            self.risk_level, self.risk_reasons = _risk(record)
        for code in record.risk_factors:
            if code in STICKY_FACTORS and _later(self.sticky.get(code), day):
                self.sticky[code] = day
        if _in_year(day, today):
            for referral in record.referrals:
                name = referral.referral_code
                if name is not None and name not in self.referrals:
                    self.referrals.append(name)

    def kit(self, record: KitIssue) -> None:
        day = record.occurred_at.date()
        self.seen(day)
        self.kits_total += 1
        if _later(self.last_kit, day):
            self.last_kit, self.last_kit_product = day, record.product
            self.last_kit_expiry = record.expiry
        self.held = sorted([*self.held, record.expiry])

    def use(self, record: NaloxoneUse) -> None:
        if self.held:
            self.held.pop(0)  # the first to expire: most likely the kit handed out earliest
        if _later(self.last_use, record.occurred_on):
            self.last_use = record.occurred_on

    def retract(self, record: Contact | KitIssue, today: dt.date) -> None:
        """Take out a record the summary counts and this device has voided since."""
        day = record.occurred_at.date()
        if isinstance(record, Contact):
            self.contacts_total = max(0, self.contacts_total - 1)
            if _in_year(day, today):
                self.contacts_12m = max(0, self.contacts_12m - 1)
        else:
            self.kits_total = max(0, self.kits_total - 1)
            if record.expiry in self.held:
                self.held.remove(record.expiry)


def merge_history(
    code: str,
    summary: ClientSummary | None,
    own: Sequence[Contact | KitIssue | NaloxoneUse],
    today: dt.date,
    *,
    as_of: dt.datetime | None = None,
    retracted: Sequence[Contact | KitIssue] = (),
) -> ServiceHistory:
    """The panel's view of `code`: `summary` (the hub's, from the summaries pulled at `as_of`,
    which is None if never pulled; `summary` is None if the hub has none) with `own` folded in —
    this device's active records for the code that the summary does not reflect, oldest first
    (a naloxone use right after the kit it was reported with) — and `retracted`, records the
    summary counts that this device has voided since."""
    fold = _Fold(code, summary)
    kit_ids = {record.id for record in own if isinstance(record, KitIssue)}
    with_kit: dict[str, list[NaloxoneUse]] = {}
    for record in own:
        if isinstance(record, NaloxoneUse) and record.kit_issue_id in kit_ids:
            with_kit.setdefault(record.kit_issue_id, []).append(record)
    for record in own:
        if isinstance(record, Contact):
            fold.contact(record, today)
        elif isinstance(record, KitIssue):
            for use in with_kit.get(record.id, ()):  # the kit used goes out before this one comes
                fold.use(use)
            fold.kit(record)
        elif isinstance(record, NaloxoneUse) and record.kit_issue_id not in kit_ids:
            fold.use(record)
    for gone in retracted:
        fold.retract(gone, today)
    return ServiceHistory(
        client_code=code,
        as_of=as_of,
        from_service=summary is not None,
        unsynced=len(own),
        first_seen=fold.first_seen,
        contacts_total=fold.contacts_total,
        contacts_12m=fold.contacts_12m,
        last_contact=fold.last_contact,
        last_contact_area=fold.last_contact_area,
        kits_total=fold.kits_total,
        last_kit=fold.last_kit,
        last_kit_product=fold.last_kit_product,
        last_kit_expiry=fold.last_kit_expiry,
        held_kit_expiries=tuple(fold.held),
        risk_level=fold.risk_level,
        risk_reasons=fold.risk_reasons,
        sticky=tuple(StickyFactor(c, fold.sticky[c]) for c in STICKY_FACTORS if c in fold.sticky),
        last_naloxone_use=fold.last_use,
        open_referrals=tuple(fold.referrals),
    )


def supply_suggestion(history: ServiceHistory | None) -> str:
    """'repeat' once the service (or this device) has supplied this code a kit, else 'first'."""
    return "repeat" if history is not None and history.kits_total > 0 else "first"


def carried_factors(
    history: ServiceHistory | None, today: dt.date, known: Iterable[str] | None = None
) -> tuple[CarriedFactor, ...]:
    """Sticky factors to pre-tick on a new contact for this code: each still inside its window
    (`STICKY_WINDOWS`) on `today`, and, when `known` is given, only codes the form offers."""
    if history is None:
        return ()
    offered = None if known is None else frozenset(known)
    carried = []
    for factor in history.sticky:
        if offered is not None and factor.code not in offered:
            continue
        window = STICKY_WINDOWS.get(factor.code)
        until = None if window is None else factor.last_reported + dt.timedelta(days=window)
        if until is None or today <= until:
            carried.append(CarriedFactor(factor.code, factor.last_reported, until))
    return tuple(carried)
