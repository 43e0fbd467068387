"""The one rule that turns a client code's records into its `ClientSummary` (hub and device).

Pure: no database. The caller hands over every record that bears on the code — its contacts and
kit issues (voided or corrected ones too), the voids and corrections of those, and the naloxone
uses that name one of its kits — and gets the summary, or None when nothing about the code still
counts (every record voided).

Rules, in the order a reader asks about them:

* A record retired by a void or a correction (`supersedes`) does not count; its correction does,
  under the correction's own client code.
* Contacts: total, those in the 365 days up to `today`, the last one's day and area, its risk
  level and the factor codes behind it (`outreach.domain.risk`, heaviest first), the referral
  codes given in the last 12 months (no referral outcome exists yet, so each is open; see
  `referral_closed`), and each sticky factor (`STICKY_FACTORS`) with the last day a contact
  reported it.
* Kits: total, the last one's day, product and expiry, and the expiries of the kits still held.
* A naloxone use names the kit handed out *with* it (the resupply), not the kit that was used,
  so it is linked to the client through that kit, and it uses up the oldest kit the client held
  before that resupply (first in, first out; none held: nothing is used up). A use whose kit was
  corrected follows the correction; one whose kit is voided, or not this client's, is not this
  client's.
* Overdoses (issue 15, item 2): the code's non-fatal overdose events of the last 365 days, oldest
  first, each with the earliest `follow_up` that names it (or its correction). A code known
  only from an overdose has a summary too, so its follow-up reaches every device.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, Protocol

import msgspec

from outreach.domain.risk import assess_recorded
from outreach.domain.roles import Action
from outreach.errors import InvalidRecord
from outreach.records import (
    Contact,
    FollowUp,
    KitIssue,
    NaloxoneUse,
    OverdoseEvent,
    Record,
    Void,
    facts,
    permissions,
)
from outreach.records.client_summary import (
    STICKY_FACTORS,
    ClientSummary,
    OverdoseFollowUp,
    StickyFactor,
)

__all__ = ["CONTACT_FIELDS", "last_active", "summarise", "visible_to"]

YEAR = dt.timedelta(days=365)
CONTACT_FIELDS: tuple[str, ...] = (
    "contacts_total",
    "contacts_12m",
    "last_contact",
    "last_contact_area",
    "risk_level",
    "risk_reasons",
    "sticky",
    "open_referrals",
)
"""Fields made from contacts: only roles that may read contacts see them (`visible_to`)."""


def referral_closed(code: str) -> bool:
    """Whether a referral has an outcome. There is no outcome record yet, so none is: the hook
    for a `referral_outcome` type (its records would be gathered with the contacts)."""
    return False


def _risk_codes(contact: Contact) -> tuple[str | None, tuple[str, ...]]:
    """The level and the counted factor codes, heaviest first, as the facts projection scores
    them (`assess_recorded`): a factor code the risk table does not know (one a hub added)
    counts weight 1, an injecting or age band code it does not know counts nothing."""
    return _risk_of(contact.risk_factors, contact.substances, contact.injecting, contact.age_band)


@functools.lru_cache(maxsize=4096)
def _risk_of(
    factors: tuple[str, ...], substances: tuple[str, ...], injecting: str, age_band: str
) -> tuple[str | None, tuple[str, ...]]:
    """Cached: a few hundred combinations of answers cover nearly every contact, and the hub
    recomputes a summary for every code a batch touches."""
    try:
        assessed = assess_recorded(factors, substances, injecting, age_band)
    except InvalidRecord:  # e.g. synthetic_opioids ticked (derived only): no level
        return None, ()
    return assessed.level.value, assessed.codes


def _active(
    code: str, records: Iterable[Record]
) -> tuple[list[Contact], list[KitIssue], list[NaloxoneUse]]:
    """This code's counted contacts and kits (oldest first) and the uses that name its kits.
    Two passes over the records: the hub runs this for every code a batch touches."""
    records = records if isinstance(records, list) else list(records)
    retired: set[str] = set()
    successor: dict[str, str] = {}
    for record in records:
        if isinstance(record, Void):
            retired.add(record.target)  # what `facts.retired_id` says, inlined
        elif record.supersedes is not None:
            retired.add(record.supersedes)
        if record.supersedes is not None:
            successor[record.supersedes] = record.id
    contacts: list[Contact] = []
    kits: list[KitIssue] = []
    named: list[NaloxoneUse] = []
    for record in records:
        if record.id in retired:
            continue
        if isinstance(record, Contact):
            if record.client_code == code:
                contacts.append(record)
        elif isinstance(record, KitIssue):
            if record.client_code == code:
                kits.append(record)
        elif isinstance(record, NaloxoneUse) and record.kit_issue_id is not None:
            named.append(record)
    uses: list[NaloxoneUse] = []
    if named and kits:
        kit_ids = {kit.id for kit in kits}
        for use in named:
            kit_id = _latest(use.kit_issue_id or "", successor)
            if kit_id in kit_ids:
                uses.append(msgspec.structs.replace(use, kit_issue_id=kit_id))
    order = lambda r: (r.occurred_at, r.id)  # noqa: E731 - one sort key, three lists
    for found in (contacts, kits, uses):
        if len(found) > 1:
            found.sort(key=order)
    return contacts, kits, uses


def _latest(record_id: str, successor: dict[str, str]) -> str:
    """The record that now stands for `record_id`: its correction's, or theirs (a chain)."""
    seen = {record_id}
    while record_id in successor and successor[record_id] not in seen:
        record_id = successor[record_id]
        seen.add(record_id)
    return record_id


def _held(kits: list[KitIssue], uses: list[NaloxoneUse]) -> tuple[dt.date, ...]:
    """Expiries of the kits not used up: each use takes the oldest kit handed out before the
    resupply it was reported with."""
    by_id = {kit.id: kit for kit in kits}
    used: set[str] = set()
    for use in uses:
        resupply = by_id[use.kit_issue_id or ""]
        for kit in kits:  # oldest first
            if kit.id in used or kit.id == resupply.id:
                continue
            if (kit.occurred_at, kit.id) < (resupply.occurred_at, resupply.id):
                used.add(kit.id)
            break
    return tuple(sorted(kit.expiry for kit in kits if kit.id not in used))


def summarise(code: str, records: Iterable[Record], today: dt.date) -> ClientSummary | None:
    """The summary of `code` from the records that bear on it (see the module docstring)."""
    records = list(records)
    contacts, kits, uses = _active(code, records)
    overdoses = overdose_follow_ups(code, records, today)
    if not contacts and not kits and not overdoses:
        return None
    days = [r.occurred_at.date() for r in (*contacts, *kits)]
    days += [event.occurred_on for event in overdoses]
    fields: dict[str, Any] = {
        "first_seen": min(days),
        "kits_total": len(kits),
        "held_kit_expiries": _held(kits, uses) if kits else (),
        "last_naloxone_use": max((use.occurred_on for use in uses), default=None),
    }
    if overdoses:
        fields["overdoses"] = overdoses
        fields["last_overdose"] = max(
            max(e.occurred_on, e.followed_up_at.date() if e.followed_up_at else e.occurred_on)
            for e in overdoses
        )
    if kits:
        last = kits[-1]
        fields["last_kit"] = last.occurred_at.date()
        fields["last_kit_product"] = last.product
        fields["last_kit_expiry"] = last.expiry
    if contacts:
        fields.update(_contact_fields(contacts, today))
    return ClientSummary(client_code=code, **fields)


def overdose_follow_ups(
    code: str, records: Iterable[Record], today: dt.date
) -> tuple[OverdoseFollowUp, ...]:
    """The code's active non-fatal overdoses of the last 365 days (oldest first), each with the
    earliest active follow-up naming it or an event it corrected."""
    records = list(records)
    retired = {rid for r in records if (rid := facts.retired_id(r)) is not None}
    live = [r for r in records if r.id not in retired and not isinstance(r, Void)]
    successor = {r.supersedes: r.id for r in records if r.supersedes is not None}
    done: dict[str, FollowUp] = {}
    for follow_up in sorted(
        (r for r in live if isinstance(r, FollowUp) and r.client_code == code),
        key=lambda r: (r.occurred_at, r.id),
    ):
        done.setdefault(_latest(follow_up.overdose_event_id, successor), follow_up)
    events = sorted(
        (
            r
            for r in live
            if isinstance(r, OverdoseEvent)
            and r.client_code == code
            and r.outcome != "died"
            and today - YEAR < r.occurred_on
        ),
        key=lambda r: (r.occurred_on, r.occurred_time or "", r.id),
    )
    found = []
    for event in events:
        closing = done.get(event.id)
        found.append(
            OverdoseFollowUp(
                event_id=event.id,
                occurred_on=event.occurred_on,
                occurred_time=event.occurred_time,
                area=event.area,
                followed_up_at=None if closing is None else closing.occurred_at,
                follow_up_outcome=None if closing is None else closing.outcome,
            )
        )
    return tuple(found)


def _contact_fields(contacts: list[Contact], today: dt.date) -> dict[str, object]:
    last = contacts[-1]
    level, reasons = _risk_codes(last)
    sticky: dict[str, dt.date] = {}
    referrals: list[str] = []
    for contact in contacts:
        day = contact.occurred_at.date()
        for factor in contact.risk_factors:
            if factor in STICKY_FACTORS:
                sticky[factor] = max(day, sticky.get(factor, day))
        if day > today - YEAR:
            referrals += [
                r.referral_code
                for r in contact.referrals
                if r.referral_code and not referral_closed(r.referral_code)
            ]
    return {
        "contacts_total": len(contacts),
        "contacts_12m": sum(1 for c in contacts if today - YEAR < c.occurred_at.date() <= today),
        "last_contact": last.occurred_at.date(),
        "last_contact_area": last.area,
        "risk_level": level,
        "risk_reasons": reasons,
        "sticky": tuple(
            StickyFactor(code, sticky[code]) for code in STICKY_FACTORS if code in sticky
        ),
        "open_referrals": tuple(dict.fromkeys(referrals)),
    }


def _replace(summary: ClientSummary, fields: dict[str, object]) -> ClientSummary:
    return msgspec.structs.replace(summary, **fields)


class Dated(Protocol):
    """What `last_active` reads: a `ClientSummary`, or the device's `SummaryHead` of one."""

    @property
    def first_seen(self) -> dt.date: ...
    @property
    def last_contact(self) -> dt.date | None: ...
    @property
    def last_kit(self) -> dt.date | None: ...
    @property
    def last_naloxone_use(self) -> dt.date | None: ...
    @property
    def last_overdose(self) -> dt.date | None: ...


def last_active(summary: Dated) -> dt.date:
    """The last day anything happened for the code: what the pull's scope (N months) reads."""
    latest = summary.first_seen
    days = (
        summary.last_contact,
        summary.last_kit,
        summary.last_naloxone_use,
        summary.last_overdose,
    )
    for day in days:
        if day is not None and day > latest:
            latest = day
    return latest


def visible_to(summary: ClientSummary, role: str) -> ClientSummary | None:
    """What `role` may see of a summary: contact-made fields only with the right to read
    contacts (a pharmacy sees kits and uses), nothing without the right to read kit issues."""
    if not permissions.permitted(role, Action.READ, "kit_issue"):
        return None
    if summary.overdoses and not permissions.permitted(role, Action.READ, "overdose_event"):
        summary = _replace(summary, {"overdoses": (), "last_overdose": None})
    if permissions.permitted(role, Action.READ, "contact"):
        return summary
    blank = ClientSummary(client_code=summary.client_code, first_seen=summary.first_seen)
    return _replace(summary, {name: getattr(blank, name) for name in CONTACT_FIELDS})
