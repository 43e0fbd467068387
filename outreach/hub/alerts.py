"""Alerts for the coordinator (`outreach-hub alerts`): refused batches, a full quarantine,
records released after a reference change."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from outreach.hub import db
from outreach.hub.ingest import now

log = logging.getLogger(__name__)
ALERT_EVERY = dt.timedelta(hours=1)  # the same alert for the same device, at most this often


def record(engine: sa.Engine, kind: str, device_id: str | None, detail: str) -> None:
    """Record an alert: one per device and kind an hour, so that a device repeating a refused
    batch cannot fill the table."""
    log.warning("hub alert %s: %s", kind, detail)
    since = (dt.datetime.now(dt.UTC) - ALERT_EVERY).isoformat(timespec="seconds")
    alerts = db.alerts.c
    with engine.begin() as conn:
        recent = conn.execute(
            sa.select(alerts.alert)
            .where(alerts.kind == kind, alerts.device_id == device_id, alerts.at >= since)
            .limit(1)
        ).first()
        if recent is None:
            conn.execute(
                sa.insert(db.alerts).values(at=now(), kind=kind, device_id=device_id, detail=detail)
            )
