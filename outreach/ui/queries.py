"""Store reads the forms need, run on the store thread (Qt-free: plain functions of a Store)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from outreach.domain.risk import RiskLevel, risk_level
from outreach.records import Contact, KitIssue
from outreach.store.store import Store


@dataclass(frozen=True)
class ClientSummary:
    code: str
    contacts: int
    last_contact: dt.datetime | None
    last_kit: tuple[dt.datetime, str] | None  # when, product
    last_risk: RiskLevel | None


def client_summary(store: Store, code: str) -> ClientSummary:
    """Previous contacts, last kit and last risk level for one pseudonymous code."""
    records = [s.record for s in store.recent(client_code=code, limit=500) if s.active]
    contacts = [r for r in records if isinstance(r, Contact)]
    kits = [r for r in records if isinstance(r, KitIssue)]
    last_risk = None
    if contacts:
        c = contacts[0]
        last_risk = RiskLevel(risk_level(c.risk_factors, c.substances, c.injecting, c.age_band))
    return ClientSummary(
        code=code,
        contacts=len(contacts),
        last_contact=contacts[0].occurred_at if contacts else None,
        last_kit=(kits[0].occurred_at, kits[0].product) if kits else None,
        last_risk=last_risk,
    )
