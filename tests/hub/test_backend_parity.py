"""One description of storing a batch, two writers: SQLite's statements (`ingest.py`,
`projection.py`) and PostgreSQL's function (`migrations/h0003_pg_functions.py`). The same
scenarios go through both and must leave the same rows and answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from outreach.hub import db
from outreach.hub.errors import HubError
from outreach.hub.service import Hub
from outreach.records.facts import ITEM_FIELDS
from outreach.sync.protocol import SignedReceipt
from tests.hub.harness import Device, contact, contacts, hub_on, list_items, void

# Per table: the columns compared (time stamps, signatures and envelope bytes differ by run).
COMPARED = {
    "devices": "device_id, role, revoked_at IS NULL, acked_through, quarantine_bytes",
    "batches": "batch_id, device_id, first_seq, last_seq, via",
    "records": "id, device_id, device_seq, type, occurred_at, batch_id, body",
    "quarantine": "batch_id, device_seq, device_id, error, body",
    "retired": "id, by_id",
    "alerts": "kind, device_id",
}


def outcome(hub: Hub, envelope: bytes) -> tuple[Any, ...]:
    """What the hub answered: the receipt's counts, or the refusal's type."""
    try:
        signed = msgspec.json.decode(hub.ingest(envelope), type=SignedReceipt)
    except HubError as exc:
        return (type(exc).__name__,)
    receipt = signed.verify(hub.keys.sign.public_key())
    return (receipt.accepted, receipt.quarantined, receipt.duplicates, receipt.acked_through)


def scenario() -> dict[str, Any]:
    """The records, made once so that both hubs get the same ids and bytes."""
    first = contacts(3)
    return {
        "first": first,
        "other": contacts(3),
        "fix": [void(first[0].id), msgspec.structs.replace(contact(7), supersedes=first[1].id)],
        "mixed": [contact(9), msgspec.structs.replace(contact(8), age_band="not_a_band")],
        "gap": [contact(10)],
        "later": [contact(11)],
        "reused": [contact(12)],
        "revoked": [contact(13)],
    }


def play(hub: Hub, records: dict[str, Any]) -> list[tuple[Any, ...]]:
    """A normal batch, a replay, a conflicting batch id, a void and a correction, quarantine,
    a seq gap filled later, a reused seq and a revoked device; returns each answer."""
    a, b, c = Device(hub, "dev-a"), Device(hub, "dev-b"), Device(hub, "dev-c")
    answers = [outcome(hub, envelope := a.batch(records["first"]))]
    answers.append(outcome(hub, envelope))  # replay: the same receipt
    a.seq = 0
    answers.append(outcome(hub, a.batch(records["other"])))  # same batch id, other bytes
    answers.append(outcome(hub, a.batch(records["fix"])))
    answers.append(outcome(hub, b.batch(records["mixed"])))  # one quarantined
    gap = b.batch(records["gap"])  # seq 3 arrives after seq 4
    answers += [outcome(hub, b.batch(records["later"])), outcome(hub, gap)]
    a.seq = 1
    answers.append(outcome(hub, a.batch(records["reused"])))  # seq 2 holds another record
    hub.revoke("dev-c")
    answers.append(outcome(hub, c.batch(records["revoked"])))
    return answers


def rows(hub: Hub) -> dict[str, Any]:
    """The hub's rows, normalised: sorted, bytes as bytes, list fields as (fact, field, value)."""
    found: dict[str, Any] = {}
    with hub.engine.connect() as conn:
        for table, columns in COMPARED.items():
            result = conn.exec_driver_sql(f"SELECT {columns} FROM {table}").all()
            found[table] = sorted(
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in result
            )
        scalars = ", ".join(c.name for c in db.facts.columns if c.name not in ITEM_FIELDS)
        found["facts"] = sorted(map(tuple, conn.exec_driver_sql(f"SELECT {scalars} FROM facts")))
    found["lists"] = list_items(hub)
    return found


@pytest.mark.postgres
def test_both_backends_store_every_batch_scenario_alike(tmp_path: Path) -> None:
    """Same answers, records, quarantine, retirements, facts, watermarks and alerts."""
    results = []
    records = scenario()
    for backend in ("sqlite", "postgresql"):
        with hub_on(backend, tmp_path / backend) as hub:
            answers = play(hub, records)
            results.append((answers, rows(hub)))
    (answers, lite), (_, pg) = results
    assert answers == results[1][0]
    assert answers[:2] == [(3, 0, 0, 3), (3, 0, 0, 3)] and answers[2] == ("BatchConflict",)
    assert ("SeqReused",) in answers and answers[-1] == ("DeviceRevoked",)
    assert lite["quarantine"] and lite["retired"] and lite["alerts"]
    for table in lite:
        assert lite[table] == pg[table], table
