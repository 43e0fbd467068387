"""Coordinator devices and the service-wide commissioner set (issue 13), on a real hub.

Three laptops (worker, pharmacy, coordinator) enrolled with codes whose role the operator set,
synced to a hub served by uvicorn on SQLite and PostgreSQL. The coordinator's service set equals
hand-computed values for a month, an FY quarter and a financial year, and the sum of what each
laptop counts of its own records; other roles get 403; the admin token is server-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from outreach.errors import SyncError, SyncErrorKind
from outreach.hub.service import Hub
from outreach.reports.commissioner import TABLES, local_counts
from outreach.reports.countset import CountSet
from outreach.reports.disclosure import EXACT
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync import state
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.protocol import sign_request
from outreach.sync.service_counts import fetch_service_counts, service_counts_path
from tests.hub.harness import BACKENDS, hub_on, serve_in_thread
from tests.reports.conftest import CODES, HIGH, VERY_HIGH, _contact, _kit
from tests.samples import FAST_KDF, PASSPHRASE

CODE_A, CODE_B, CODE_C = CODES


def _code_d() -> str:
    from outreach.domain.client_code import make_client_code

    return make_client_code(
        b"k" * 32, "GH", dt.date(1985, 7, 8), "female", today=dt.date(2026, 1, 1)
    )


def _seed(stores: dict[str, Store]) -> None:
    """The records of the module docstring's three laptops (expected values in the tests)."""
    code_d = _code_d()
    worker, pharmacy, coordinator = stores["worker"], stores["pharmacy"], stores["coordinator"]
    worker.add_new(_contact("2026-05-10", area="LS2", client_code=CODE_B))
    worker.add_new(_kit("2026-05-10", client_code=CODE_B))
    worker.add_new(_contact("2026-08-05", area="LS1", client_code=CODE_A, **VERY_HIGH))
    kit_a, _ = worker.add_new(_kit("2026-08-05", client_code=CODE_A))
    worker.add_new(_contact("2026-08-20", area="LS2", client_code=CODE_B, **HIGH))
    worker.add_new(_contact("2026-09-10", area="LS1", interventions=["naloxone_supplied"]))
    pharmacy.add_new(_kit("2026-08-12", site="pharmacy", client_code=CODE_C))
    pharmacy.add_new(
        {
            "type": "naloxone_use",
            "site": "pharmacy",
            "occurred_on": "2026-08-15",
            "location_type": "home",
            "administered_by": "family_friend",
            "product": "nyxoid_1_8mg_nasal",
            "outcome": "survived",
            "kit_issue_id": kit_a.id,  # A's kit, handed out by the worker's laptop
        }
    )
    pharmacy.add_new(
        _kit(
            "2026-10-01",
            site="pharmacy",
            client_code=CODE_A,
            supply="repeat",
            resupply_reason="used_on_self",
        )
    )
    coordinator.add_new(_contact("2026-08-25", area="LS1", client_code=CODE_C, **VERY_HIGH))
    voided, _ = coordinator.add_new(_kit("2026-08-26", client_code=code_d))
    coordinator.void(voided.id, "entered_in_error")
    coordinator.add_new(_contact("2026-09-30", area="LS3", client_code=code_d, **HIGH))


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    with hub_on(request.param, tmp_path / "hub") as hub, serve_in_thread(hub) as url:
        yield hub, url


@pytest.fixture
def laptops(served: tuple[Hub, str], tmp_path: Path) -> Iterator[dict[str, Store]]:
    """A laptop per role, each enrolled with a code for its role, its records synced."""
    hub, url = served
    stores: dict[str, Store] = {}
    try:
        for role in ("worker", "pharmacy", "coordinator"):
            store, _ = create_store(tmp_path / role, role, role, PASSPHRASE, kdf=FAST_KDF)
            stores[role] = store
            enrol(store, hub.new_enrolment(url, label=role, role=role).text())
        _seed(stores)
        for period, days in PERIODS.items():  # before syncing: a sync purges old records
            OWN[period] = [local_counts(store.conn, *days) for store in stores.values()]
        for store in stores.values():
            sync_now(store)
        yield stores
    finally:
        for store in stores.values():
            store.close()


def _service(store: Store, period: str, **options: Any) -> CountSet:
    answer = fetch_service_counts(store, period, **options)
    return CountSet.from_wire(msgspec.to_builtins(answer))


def _headlines(counts: CountSet, *names: str) -> dict[str, Any]:
    return {name: counts.headline(name) for name in names}


PEOPLE = ("people_reached", "reach_new", "reach_cumulative", "high_risk_without_kit")
EXPECTED = {
    # August: contacts A, B, C; kits A (worker) and C (pharmacy), D's voided; A's kit used on
    # the 15th (reported by the pharmacy), so A holds none on the 31st.
    "2026-08": {"contacts": 3, "kits": 2, "naloxone_uses": 1, "repeat_kits": 0},
    # July-September: + the codeless contact of 10 Sep and D's contact of 30 Sep (D's only
    # kit was voided: D holds none).
    "FY2026-27 Q2": {"contacts": 5, "kits": 2, "naloxone_uses": 1, "repeat_kits": 0},
    # April 2026 - March 2027: + B's contact and kit in May and A's repeat kit in October.
    "FY2026-27": {"contacts": 6, "kits": 4, "naloxone_uses": 1, "repeat_kits": 1},
}
EXPECTED_PEOPLE = {
    "2026-08": {
        "people_reached": 3,
        "reach_new": 2,
        "reach_cumulative": 3,
        "high_risk_without_kit": 1,
    },
    "FY2026-27 Q2": {
        "people_reached": 4,
        "reach_new": 2,
        "reach_cumulative": 3,
        "high_risk_without_kit": 2,
    },
    "FY2026-27": {
        "people_reached": 4,
        "reach_new": 3,
        "reach_cumulative": 3,
        "high_risk_without_kit": 1,
    },
}
OWN: dict[str, list[CountSet]] = {}  # each laptop's own set per period, before it synced
PERIODS = {
    "2026-08": (dt.date(2026, 8, 1), dt.date(2026, 8, 31)),
    "FY2026-27 Q2": (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
    "FY2026-27": (dt.date(2026, 4, 1), dt.date(2027, 3, 31)),
}


def test_the_service_set_is_every_devices_records(laptops: dict[str, Store]) -> None:
    """Month, FY quarter and financial year: hand-computed totals and people; every table is
    the sum of the three laptops' own tables; reach counts codes across devices once."""
    coordinator = laptops["coordinator"]
    for period, expected in EXPECTED.items():
        counts = _service(coordinator, period, exact=True)
        assert (counts.start, counts.end) == PERIODS[period]
        assert counts.status == EXACT and not counts.published
        assert _headlines(counts, *expected) == expected, period
        assert _headlines(counts, *PEOPLE) == EXPECTED_PEOPLE[period], period
        for spec in TABLES:
            summed: dict[Any, int] = {}
            for laptop in OWN[period]:
                for keys, n in laptop.table(spec.name).rows:
                    summed[keys] = summed.get(keys, 0) + int(n)
            assert dict(counts.table(spec.name).rows) == summed, (period, spec.name)
    area = _service(coordinator, "2026-08", area="LS1", exact=True)  # contacts of LS1 only
    assert _headlines(area, "contacts", "kits", "people_reached", "high_risk_without_kit") == {
        "contacts": 2,  # A and C; kits carry no area: all of August's
        "kits": 2,
        "people_reached": 2,
        "high_risk_without_kit": 1,
    }
    assert area.area == "LS1" and dict(area.table("contacts_by_setting").rows) == {("street",): 2}
    site = _service(coordinator, "FY2026-27", site="pharmacy", exact=True)
    assert _headlines(site, "contacts", "kits", "naloxone_uses", "people_reached") == {
        "contacts": 0,
        "kits": 2,
        "naloxone_uses": 1,
        "people_reached": 2,  # C and A, supplied at the pharmacy
    }
    august = _service(coordinator, "2026-08", exact=True)
    assert august.table("high_risk_without_kit_by_area").rows == ((("LS1", "very_high"), 1),)
    assert dict(august.table("kits_by_site").rows) == {("outreach_van",): 1, ("pharmacy",): 1}


def test_published_by_default_under_the_deployments_rule(
    served: tuple[Hub, str], laptops: dict[str, Store]
) -> None:
    """Without exact=1 the set is published: small counts are *, zeros stay 0, and it says so;
    a rule set in reference data (suppress up to 2, round to 1) is the one applied."""
    hub, _ = served
    counts = _service(laptops["coordinator"], "FY2026-27")
    assert counts.published and "1-7 shown as *" in counts.status
    assert counts.headline("contacts") == "*" and counts.headline("repeats_due_to_use") == "*"
    assert counts.headline("referrals") == 0
    reference = hub.reference()
    rule = msgspec.structs.replace(reference.disclosure, suppress_at_most=2, round_to=1)
    hub.set_reference(msgspec.structs.replace(reference, disclosure=rule))
    counts = _service(laptops["coordinator"], "FY2026-27")
    assert counts.headline("contacts") == 6 and counts.headline("repeat_kits") == "*"
    assert "1-2 shown as *" in counts.status


def test_other_roles_get_403_and_the_audit_names_the_coordinator(
    served: tuple[Hub, str], laptops: dict[str, Store]
) -> None:
    hub, url = served
    for role in ("worker", "pharmacy"):
        with pytest.raises(SyncError) as refused:
            fetch_service_counts(laptops[role], "2026-08")
        assert refused.value.kind is SyncErrorKind.AUTH and "coordinator role" in str(refused.value)
        ident = state.identity(laptops[role])
        for path in (
            service_counts_path("2026-08"),
            "/v1/counts?by=site&start=2026-01-01&end=2026-12-31",
        ):
            answer = httpx.get(
                url + path, headers=sign_request("GET", path, ident.device_id, ident.key)
            )
            assert answer.status_code == 403, (role, path)
    fetch_service_counts(laptops["coordinator"], "2026-08")
    from outreach.hub.coordinator import audit_log

    entries = audit_log(hub)
    assert [e["action"] for e in entries] == ["commissioner"]
    assert entries[0]["device_id"] == laptops["coordinator"].device_id
    # The signature covers the query: the same headers with another period are refused.
    ident = state.identity(laptops["coordinator"])
    path = service_counts_path("2026-08")
    headers = sign_request("GET", path, ident.device_id, ident.key)
    assert httpx.get(url + service_counts_path("FY2026-27"), headers=headers).status_code == 401


def test_a_bad_period_is_a_clear_400(served: tuple[Hub, str], laptops: dict[str, Store]) -> None:
    with pytest.raises(SyncError, match="not a period") as refused:
        fetch_service_counts(laptops["coordinator"], "last tuesday")
    assert refused.value.kind is SyncErrorKind.PROTOCOL
    with pytest.raises(SyncError, match="at most"):
        fetch_service_counts(laptops["coordinator"], "2000-01-01..2030-12-31")
