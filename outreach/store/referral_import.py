"""Import a receiving service's referral outcomes into the store: all lines or none.

Used by `outreach referrals import FILE` and the coordinator's import in the desktop app. A file
with any bad line saves nothing, and every bad line is named with its field
(`OutcomeFileRefused.errors`). Lines already recorded (the same code, outcome and day, active)
are skipped, so a service's cumulative file can be imported again each month.
"""

from __future__ import annotations

from dataclasses import dataclass

from outreach.domain.roles import Action
from outreach.errors import InvalidRecord
from outreach.records import ReferralOutcome, decode_record
from outreach.records.referral_csv import parse_outcomes
from outreach.store.changes import Changes
from outreach.store.store import Store

MAX_SHOWN = 20


class OutcomeFileRefused(InvalidRecord):
    """Bad lines in an outcome file: nothing was saved. `errors` names each line and field."""

    def __init__(self, errors: list[InvalidRecord]) -> None:
        shown = "; ".join(str(error) for error in errors[:MAX_SHOWN])
        more = f"; … and {len(errors) - MAX_SHOWN} more" if len(errors) > MAX_SHOWN else ""
        super().__init__(f"nothing was saved: {shown}{more}")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    saved: int
    already: int  # lines skipped: the same outcome was already recorded
    changes: Changes | None = None  # what was written (None when nothing new)


def recorded_outcomes(store: Store) -> set[tuple[str, str, str]]:
    """(code, outcome, ISO day) of every active outcome on this device."""
    store.require(Action.READ, "referral_outcome")
    rows = store.conn.execute(
        "SELECT r.body FROM fact_data f JOIN records r ON r.device_seq = f.seq "
        "WHERE f.type = (SELECT id FROM codes WHERE value = 'referral_outcome') "
        "AND f.active = 1"
    ).fetchall()
    found: set[tuple[str, str, str]] = set()
    for (body,) in rows:
        record = decode_record(body)
        if isinstance(record, ReferralOutcome):
            found.add((record.referral_code, record.outcome, record.outcome_on.isoformat()))
    return found


def import_outcomes(store: Store, data: bytes, site: str) -> ImportResult:
    """Parse and save the file's outcomes in one transaction. Raises OutcomeFileRefused (every
    bad line), InvalidRecord (the file as a whole) or NotPermitted (not a coordinator)."""
    store.require(Action.RECORD, "referral_outcome")
    records, errors = parse_outcomes(data, user=store.user, site=site)
    if errors:
        raise OutcomeFileRefused(errors)
    if not records:
        raise InvalidRecord("the file has no outcome lines")
    held = recorded_outcomes(store)
    new = [
        record
        for record in records
        if (record.referral_code, record.outcome, record.outcome_on.isoformat()) not in held
    ]
    changes = store.add(new) if new else None
    return ImportResult(saved=len(new), already=len(records) - len(new), changes=changes)
