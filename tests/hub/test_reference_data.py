"""Hub-added codes on the hub, both backends: they validate and project, every hub process sees
a change without a restart, and quarantined records that now pass are released and counted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from outreach.domain.vocab import Code
from outreach.hub import cli as hub_cli
from outreach.hub import db, reference_watch
from outreach.hub.keys import load_keys
from outreach.hub.service import Hub
from outreach.records import Record, encode_record
from outreach.sync.envelope import seal
from outreach.sync.protocol import Reference
from tests.hub.harness import NOW, Device, contact, void
from tests.hub.test_batch_store import receipt, table_count

CHEMSEX = Reference(version=2, lists={"risk_factor": [Code("chemsex", "Chemsex")]})
DAY = (NOW.date() - dt.timedelta(days=1), NOW.date() + dt.timedelta(days=1))


def added_factor_contact(n: int = 0, *factors: str) -> Record:
    """A contact ticking the hub-added "chemsex" (made as a device with newer lists would)."""
    return msgspec.structs.replace(contact(n), risk_factors=("chemsex", *factors))


def counted(hub: Hub, field: str = "risk_factors") -> dict[str, int]:
    return {row[field]: row["count"] for row in hub.counts([field], *DAY, "contact")}


def alerts(hub: Hub) -> list[tuple[str, str]]:
    with hub.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(db.alerts.c.kind, db.alerts.c.detail))]


def test_a_hub_added_risk_factor_validates_projects_and_counts(hub: Hub) -> None:
    hub.set_reference(CHEMSEX)
    device = Device(hub, "dev-a")
    result = receipt(hub.ingest(device.batch([added_factor_contact(0, "previous_overdose")])))
    assert (result.accepted, result.quarantined) == (1, 0)
    assert counted(hub)["chemsex"] == 1
    assert counted(hub, "risk_level") == {"high": 1}  # 4 + the added factor's 1


def test_quarantined_records_are_released_after_the_reference_change(hub: Hub) -> None:
    """Quarantined before the code existed; released, stored and counted once it does. A record
    that still fails stays, its bytes still on the device's quarantine count."""
    device = Device(hub, "dev-a")
    waiting, broken = added_factor_contact(0), contact(1)
    bad = encode_record(msgspec.structs.replace(broken, age_band="not_a_band"))
    pairs = [(1, encode_record(waiting)), (2, bad)]
    result = receipt(hub.ingest(seal(device.name, pairs, hub.keys.kem.public_key(), device.key)))
    assert (result.accepted, result.quarantined) == (0, 2)
    assert "chemsex" not in counted(hub)

    released = hub.set_reference(CHEMSEX)

    assert (released.checked, released.released, released.still_quarantined) == (2, 1, 1)
    assert counted(hub)["chemsex"] == 1 and table_count(hub, db.quarantine) == 1
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(db.records.c.device_id, db.records.c.device_seq)).one()
        held = conn.execute(sa.select(db.devices.c.quarantine_bytes)).scalar_one()
        error = conn.execute(sa.select(db.quarantine.c.error, db.quarantine.c.body)).one()
    assert tuple(row) == ("dev-a", 1)
    assert held == len(bad) + len(error[0].encode())  # the released record's bytes came off
    assert [kind for kind, _ in alerts(hub)] == ["quarantine_released"]
    assert "1 of 2" in alerts(hub)[0][1]
    assert hub.recheck_quarantine().released == 0  # released once: the next re-check finds none
    device.seq = 2
    assert receipt(hub.ingest(device.batch([contact(2)]))).acked_through == 3


def test_a_released_record_already_voided_stays_uncounted(hub: Hub) -> None:
    """The void arrived while its target waited in quarantine: released, the target is
    retired, as it would have been had it arrived first."""
    device = Device(hub, "dev-a")
    target = added_factor_contact(0)
    assert receipt(hub.ingest(device.batch([target]))).quarantined == 1
    assert receipt(hub.ingest(device.batch([void(target.id)]))).accepted == 1
    assert hub.set_reference(CHEMSEX).released == 1
    assert "chemsex" not in counted(hub) and table_count(hub, db.records) == 2


def test_another_hub_process_sees_the_change_without_a_restart(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second Hub on the same database stands for another worker: its cached lists are
    re-read when a batch fails with them, and within CHECK_SECONDS otherwise."""
    worker = Hub(hub.engine, hub.keys)
    assert not worker.vocabulary().has("risk_factor", "chemsex")  # read and cached
    hub.set_reference(CHEMSEX)
    device = Device(hub, "dev-a")
    result = receipt(worker.ingest(device.batch([added_factor_contact(0)])))
    assert (result.accepted, result.quarantined) == (1, 0)
    assert worker.reference().version == 2

    other = Hub(hub.engine, hub.keys)
    assert other.vocabulary().has("risk_factor", "chemsex")
    hub.set_reference(Reference(version=3))
    assert other.vocabulary().has("risk_factor", "chemsex")  # within the interval: cached
    monkeypatch.setattr(other.references, "check_seconds", 0.0)
    assert not other.vocabulary().has("risk_factor", "chemsex")


def test_the_revision_is_one_row_read_per_interval(hub: Hub) -> None:
    """Validating batches looks at the revision at most once per CHECK_SECONDS."""
    watch = reference_watch.ReferenceWatch(hub.engine, check_seconds=3600)
    watch.vocabulary()
    statements: list[str] = []
    sa.event.listen(hub.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for _ in range(50):
        watch.vocabulary()
    assert statements == []
    watch.vocabulary(fresh=True)
    assert len(statements) == 1  # the revision row only: unchanged, nothing re-read


def test_the_reference_command_reports_what_it_released(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = Device(hub, "dev-a")
    assert receipt(hub.ingest(device.batch([added_factor_contact(0)]))).quarantined == 1
    path = tmp_path / "ref.json"
    path.write_bytes(msgspec.json.encode(CHEMSEX))
    url = hub.engine.url.render_as_string(hide_password=False)
    home = str(tmp_path / "hub")
    assert load_keys(Path(home)).fingerprint == hub.keys.fingerprint
    assert hub_cli.main(["--home", home, "--db", url, "reference", str(path)]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert answer["quarantine"] == {"checked": 1, "released": 1, "still_quarantined": 0}
    assert "1 of 1 quarantined records now pass" in err
    assert counted(hub)["chemsex"] == 1
    assert hub_cli.main(["--home", home, "--db", url, "recheck"]) == 0
    assert json.loads(capsys.readouterr().out)["quarantine"]["checked"] == 0


def test_a_batch_checked_before_the_change_and_stored_after_it_is_released(hub: Hub) -> None:
    """The race a running hub has: a worker checks a batch with the old lists, the coordinator
    changes them and re-checks the quarantine, then the worker stores the batch. The worker
    sees the revision moved and re-checks itself: nothing waits for the next change."""
    worker = Hub(hub.engine, hub.keys)
    device = Device(hub, "dev-a")
    checked = worker.check(device.batch([added_factor_contact(0)]))
    assert len(checked.bad) == 1
    assert hub.set_reference(CHEMSEX).checked == 0  # the batch is not in quarantine yet
    worker.references.vocabulary(
        fresh=True
    )  # another request on the worker has seen the change meanwhile
    assert checked.revision == 0
    assert receipt(worker.store(checked)).quarantined == 1  # as checked, the receipt says so
    assert table_count(hub, db.quarantine) == 0 and counted(hub)["chemsex"] == 1
    assert [kind for kind, _ in alerts(hub)] == ["quarantine_released"]


def test_any_list_the_hub_extends_projects(hub: Hub) -> None:
    """Not only risk factors: an added age band and injecting value validate and count too."""
    hub.set_reference(
        Reference(
            version=2,
            lists={"age_band": [Code("85_plus", "85+")], "injecting": [Code("weekly", "Weekly")]},
        )
    )
    device = Device(hub, "dev-a")
    added = msgspec.structs.replace(contact(0), age_band="85_plus", injecting="weekly")
    assert receipt(hub.ingest(device.batch([added]))).accepted == 1
    assert counted(hub, "age_band") == {"85_plus": 1}
    assert counted(hub, "injecting") == {"weekly": 1}


@pytest.mark.postgres
def test_both_backends_release_alike(tmp_path: Path) -> None:
    """The same quarantine released by SQLite's statements and PostgreSQL's: the same records,
    facts, retirements, quarantine left, device bytes and alerts."""
    from tests.hub.harness import hub_on
    from tests.hub.test_backend_parity import rows

    waiting, voided, other = (added_factor_contact(n) for n in range(3))
    broken = msgspec.structs.replace(contact(3), age_band="not_a_band")
    voids = void(voided.id)  # made once: both hubs get the same ids and bytes
    results = []
    for backend in ("sqlite", "postgresql"):
        with hub_on(backend, tmp_path / backend) as hub:
            device = Device(hub, "dev-a")
            hub.ingest(device.batch([waiting, voided]))
            hub.ingest(device.batch([voids, other]))
            pairs = [(device.seq + 1, encode_record(broken))]
            hub.ingest(seal(device.name, pairs, hub.keys.kem.public_key(), device.key))
            released = hub.set_reference(CHEMSEX)
            results.append((released, rows(hub), counted(hub)))
    (released, lite, lite_counts), (pg_released, pg, pg_counts) = results
    assert released == pg_released and (released.checked, released.released) == (4, 3)
    assert lite_counts == pg_counts and lite_counts["chemsex"] == 2  # the voided one not counted
    for table in lite:
        assert lite[table] == pg[table], table


def test_a_released_record_the_hub_already_holds_is_not_counted_twice(hub: Hub) -> None:
    """The same record quarantined from one device and stored from another (after the change,
    before the re-check): released as a duplicate, counted once."""
    same = added_factor_contact(0)
    first, second = Device(hub, "dev-a"), Device(hub, "dev-b")
    assert receipt(hub.ingest(first.batch([same]))).quarantined == 1
    hub.references.write(CHEMSEX)  # the lists changed, the re-check not run yet
    assert receipt(hub.ingest(second.batch([same]))).accepted == 1
    assert hub.recheck_quarantine().released == 1
    assert counted(hub)["chemsex"] == 1 and table_count(hub, db.quarantine) == 0
    assert table_count(hub, db.records) == 1 and table_count(hub, db.facts) == 1


def test_a_released_record_updates_its_client_summary(hub: Hub) -> None:
    """Released from quarantine, a contact counts in its client's service-wide summary as if it
    had passed on arrival, scored as the facts score it (the added factor weighs 1)."""
    from tests.hub.test_summaries import X, summaries

    device = Device(hub, "dev-a")
    waiting = msgspec.structs.replace(
        contact(0), client_code=X, risk_factors=("chemsex", "previous_overdose")
    )
    assert receipt(hub.ingest(device.batch([waiting]))).quarantined == 1
    assert X not in summaries(hub)
    assert hub.set_reference(CHEMSEX).released == 1
    summary = summaries(hub)[X]
    assert summary is not None and summary.contacts_12m == 1
    assert summary.risk_level == "high" and counted(hub, "risk_level") == {"high": 1}
    assert set(summary.risk_reasons) == {"previous_overdose", "chemsex"}
