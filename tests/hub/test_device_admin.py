"""The coordinator's device endpoints (issue 13 item 5) on a hub served by uvicorn, SQLite and
PostgreSQL: the list, enrolment codes for a chosen role (a new device enrols with one), revocation
with a reason code (the device wipes itself at its next sync), caps, 403 for other roles and the
audit of every action."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from outreach.errors import SyncError, SyncErrorKind
from outreach.hub import limits
from outreach.hub.coordinator import audit_log
from outreach.hub.service import Hub
from outreach.store.session import create_store, store_exists
from outreach.store.store import Store
from outreach.sync import state
from outreach.sync.client import sync_now
from outreach.sync.device_admin import (
    list_devices,
    list_quarantine,
    make_enrolment_code,
    revoke_device,
)
from outreach.sync.enrolment import enrol
from outreach.sync.protocol import EnrolmentCode, sign_request
from tests.hub.harness import BACKENDS, contacts, hub_on, serve_in_thread
from tests.samples import FAST_KDF, PASSPHRASE


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    with hub_on(request.param, tmp_path / "hub") as hub, serve_in_thread(hub) as url:
        yield hub, url


@pytest.fixture
def laptops(served: tuple[Hub, str], tmp_path: Path) -> Iterator[dict[str, Store]]:
    """A coordinator's laptop and a worker's, enrolled by the operator."""
    hub, url = served
    stores: dict[str, Store] = {}
    try:
        for role in ("coordinator", "worker"):
            store, _ = create_store(tmp_path / role, role, role, PASSPHRASE, kdf=FAST_KDF)
            stores[role] = store
            enrol(store, hub.new_enrolment(url, label=f"{role} laptop", role=role).text())
        yield stores
    finally:
        for store in stores.values():
            if store.is_open:
                store.close()


def test_a_code_enrols_a_new_device_which_the_list_shows_and_revoking_wipes_it(
    served: tuple[Hub, str], laptops: dict[str, Store], tmp_path: Path
) -> None:
    hub, url = served
    coordinator = laptops["coordinator"]
    made = make_enrolment_code(coordinator, "pharmacy", "Boots Kirkgate", 3)
    code = EnrolmentCode.parse(made.code)
    assert (code.role, code.url, code.hub) == ("pharmacy", url, hub.keys.fingerprint)
    new, _ = create_store(tmp_path / "new", "pat", "pharmacy", PASSPHRASE, kdf=FAST_KDF)
    enrol(new, made.code)
    rows = {row.device_id: row for row in list_devices(coordinator)}
    assert rows[new.device_id].label == "Boots Kirkgate"
    assert rows[new.device_id].role == "pharmacy"
    assert rows[new.device_id].revoked_at is None
    assert rows[coordinator.device_id].role == "coordinator"
    worker = laptops["worker"]
    worker.add(contacts(4))
    sync_now(worker)
    seen = {row.device_id: row for row in list_devices(coordinator)}[worker.device_id]
    assert seen.acked_through == 4 and seen.last_seen is not None and seen.quarantined == 0
    data_dir, new_id = tmp_path / "new", new.device_id
    revoke_device(coordinator, new_id, "lost")
    gone = {row.device_id: row for row in list_devices(coordinator)}[new_id]
    assert gone.revoked_at is not None and gone.revoke_reason == "lost"
    with pytest.raises(SyncError) as caught:
        sync_now(new)
    assert caught.value.kind is SyncErrorKind.REVOKED
    assert not new.is_open and not store_exists(data_dir)
    actions = [(e["action"], e["device_id"]) for e in reversed(audit_log(hub))]
    assert [a for a, _ in actions] == ["enrolment-code", "devices", "devices", "revoke", "devices"]
    assert {who for _, who in actions} == {coordinator.device_id}
    revoke = next(e for e in audit_log(hub) if e["action"] == "revoke")
    assert revoke["detail"] == f"device={new_id} reason=lost"
    assert (
        "role=pharmacy"
        in next(e for e in audit_log(hub) if e["action"] == "enrolment-code")["detail"]
    )


def test_bad_requests_are_clear_and_change_nothing(
    served: tuple[Hub, str], laptops: dict[str, Store]
) -> None:
    hub, _ = served
    coordinator, worker = laptops["coordinator"], laptops["worker"]
    for role, label, days, message in (
        ("admin", "", 7, "unknown role"),
        ("worker", "x" * (limits.DEVICE_LABEL_MAX + 1), 7, "label"),
        ("worker", "van\n2", 7, "label"),
        ("worker", "", 0, "valid for"),
        ("worker", "", limits.ENROLMENT_CODE_MAX_DAYS + 1, "valid for"),
    ):
        with pytest.raises(SyncError, match=message) as refused:
            make_enrolment_code(coordinator, role, label, days)
        assert refused.value.kind is SyncErrorKind.PROTOCOL
    with pytest.raises(SyncError, match="unknown reason"):
        revoke_device(coordinator, worker.device_id, "because")
    with pytest.raises(SyncError, match="cannot revoke itself"):
        revoke_device(coordinator, coordinator.device_id, "lost")
    with pytest.raises(SyncError, match="no device"):
        revoke_device(coordinator, "dev-nobody", "lost")
    revoke_device(coordinator, worker.device_id, "left_service")
    with pytest.raises(SyncError, match="already revoked"):
        revoke_device(coordinator, worker.device_id, "stolen")
    assert [e["action"] for e in audit_log(hub)] == ["revoke"]


def test_open_enrolment_codes_are_capped(
    served: tuple[Hub, str], laptops: dict[str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "OPEN_ENROLMENT_CODES_MAX", 3)
    coordinator = laptops["coordinator"]
    for _ in range(3):
        make_enrolment_code(coordinator, "worker")
    with pytest.raises(SyncError, match="already waiting to be used"):
        make_enrolment_code(coordinator, "worker")


def test_other_roles_get_403_and_the_signature_covers_the_parameters(
    served: tuple[Hub, str], laptops: dict[str, Store]
) -> None:
    hub, url = served
    worker, coordinator = laptops["worker"], laptops["coordinator"]
    with pytest.raises(SyncError) as refused:
        list_devices(worker)
    assert refused.value.kind is SyncErrorKind.AUTH
    with pytest.raises(SyncError) as refused:
        make_enrolment_code(worker, "coordinator")
    assert refused.value.kind is SyncErrorKind.AUTH
    with pytest.raises(SyncError) as refused:
        revoke_device(worker, coordinator.device_id, "stolen")
    assert refused.value.kind is SyncErrorKind.AUTH
    ident = state.identity(coordinator)
    signed = "/v1/service/enrolment-codes?role=worker&days=7&url=http%3A%2F%2Fx"
    headers = sign_request("POST", signed, ident.device_id, ident.key)
    changed = signed.replace("role=worker", "role=coordinator")
    assert httpx.post(url + changed, headers=headers).status_code == 401
    assert httpx.post(url + signed, headers=headers).status_code == 200
    assert [e["action"] for e in audit_log(hub)] == ["enrolment-code"]


def test_the_quarantine_by_device_and_reason(
    served: tuple[Hub, str], laptops: dict[str, Store]
) -> None:
    """Invalid records a device sent are listed by device and reason (no bodies); other roles
    get 403; the request is audited."""
    hub, _ = served
    coordinator, worker = laptops["coordinator"], laptops["worker"]
    assert list_quarantine(coordinator) == []
    bad = [msgspec.structs.replace(record, site="no_such_site") for record in contacts(3)]
    worker.add([*contacts(2), *bad])
    assert sync_now(worker).quarantined == 3
    groups = list_quarantine(coordinator)
    assert [(g.device_id, g.label, g.records) for g in groups] == [
        (worker.device_id, "worker laptop", 3)
    ]
    assert "site" in groups[0].error
    with pytest.raises(SyncError) as refused:
        list_quarantine(worker)
    assert refused.value.kind is SyncErrorKind.AUTH
    assert [e["action"] for e in audit_log(hub)] == ["quarantine", "quarantine"]
