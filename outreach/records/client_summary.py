"""What the service knows about one pseudonymous client code, across every device.

The hub keeps one `ClientSummary` per client code, brought up to date in the transaction that
stores a batch; devices pull the changes and merge them with their own unsynced records so a
worker sees the service-wide history ("seen 4 times by the service, last 12 Nov; last kit
3 Oct…"). One shape for hub, wire and device store. It holds codes and dates only: no names,
no free text.
"""

from __future__ import annotations

import datetime as dt

import msgspec

__all__ = ["STICKY_FACTORS", "ClientSummary", "OverdoseFollowUp", "StickyFactor", "SummaryHead"]

STICKY_FACTORS: tuple[str, ...] = (
    "previous_overdose",
    "prison_release_2w",
    "hospital_discharge_4w",
    "lost_tolerance",
    "left_treatment",
)
"""Risk factors that stay true of a person after the contact that reported them: carried into
later forms (pre-ticked, marked "from earlier contact") with the date each was last reported.
A code here that the vocabulary does not (yet) have is simply never reported."""


class StickyFactor(msgspec.Struct, frozen=True, array_like=True):
    """A sticky risk factor and the day a contact last reported it."""

    code: str
    last_reported: dt.date


class OverdoseFollowUp(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A non-fatal overdose of this code in the last year and its follow-up (issue 15, item 2):
    the event's day, time of day if known, and area; the follow-up's moment and outcome once a
    `follow_up` record names the event. The window is applied where it is read (reference
    data), so changing it needs no summary recomputed."""

    event_id: str
    occurred_on: dt.date
    occurred_time: str | None = None
    area: str = ""
    followed_up_at: dt.datetime | None = None
    follow_up_outcome: str | None = None


class ClientSummary(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The service's history of one client code (all counts exclude voided records)."""

    client_code: str
    first_seen: dt.date
    contacts_total: int = 0
    contacts_12m: int = 0
    last_contact: dt.date | None = None
    last_contact_area: str | None = None
    kits_total: int = 0
    last_kit: dt.date | None = None
    last_kit_product: str | None = None
    last_kit_expiry: dt.date | None = None
    held_kit_expiries: tuple[dt.date, ...] = ()
    """Expiry of each kit supplied and not reported used: those after today are held."""
    risk_level: str | None = None
    risk_reasons: tuple[str, ...] = ()
    """Factor codes behind the latest contact's level, heaviest first."""
    sticky: tuple[StickyFactor, ...] = ()
    last_naloxone_use: dt.date | None = None
    open_referrals: tuple[str, ...] = ()
    """Referral codes given to this client with no outcome recorded yet."""
    last_overdose: dt.date | None = None
    """The latest day of `overdoses` (an event or its follow-up): what `last_active` reads."""
    overdoses: tuple[OverdoseFollowUp, ...] = ()
    """Non-fatal overdoses recorded with this code in the last 365 days, oldest first, each
    with its follow-up if one was recorded (only roles that read overdose events see them)."""

    def kits_held(self, today: dt.date) -> int:
        """Kits supplied, not known used, and not expired on `today`."""
        return sum(1 for expiry in self.held_kit_expiries if expiry >= today)


class SummaryHead(msgspec.Struct, frozen=True, kw_only=True):
    """The fields of a `ClientSummary` a device reads when it stores one: its code (checked
    against the entry's) and the days `summarise.last_active` reads. Decoding only these from
    a hub-signed page is a fifth of the cost of the whole summary (docs/benchmarks.md); the
    rest is decoded, as a `ClientSummary`, when the client panel shows it."""

    client_code: str
    first_seen: dt.date
    last_contact: dt.date | None = None
    last_kit: dt.date | None = None
    last_naloxone_use: dt.date | None = None
    last_overdose: dt.date | None = None
