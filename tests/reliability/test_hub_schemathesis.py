"""schemathesis against the hub's own OpenAPI spec: generated requests never get a 5xx.

The app runs in-process (ASGI) over a real SQLite hub; every operation in the spec is fuzzed
with schemathesis' hypothesis strategies (its pytest plugin does not run under our pytest).
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from outreach.hub.app import create_app
from tests.hub.harness import make_hub

ROUTES = {"/v1/health", "/v1/enrol", "/v1/batches", "/v1/reference", "/v1/counts"}


@pytest.fixture
def hub_schema(tmp_path: Path) -> Iterator[Any]:
    hub = make_hub(tmp_path / "hub")
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(hub, rate=0))
    hub.engine.dispose()


def fuzz(schema: Any, examples: int, figures: dict[str, Any], name: str) -> None:
    calls: collections.Counter[str] = collections.Counter()
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            label = f"{case.method} {case.path}"
            calls[label] += 1
            try:
                response = case.call()
                case.validate_response(response, checks=[not_a_server_error])
            except Exception as exc:  # noqa: BLE001 - every escape is a server error to report
                errors.append(f"{label} body={case.body!r} query={case.query!r}: {exc!r}")

        run()
    figures[name] = {
        "operations": len(calls),
        "requests": sum(calls.values()),
        "server_errors": len(errors),
    }
    assert set(calls) == {f"{m} {p}" for m, p in _routes(schema)}
    assert not errors, errors


def _routes(schema: Any) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in schema.raw_schema["paths"].items()
        for method in item
    ]


def test_no_server_errors(hub_schema: Any, figures: dict[str, Any]) -> None:
    """Every operation in the spec, 20 generated requests each: no 5xx answer."""
    fuzz(hub_schema, 20, figures, "schemathesis")


@pytest.mark.soak
def test_no_server_errors_soak(hub_schema: Any, figures: dict[str, Any]) -> None:
    """Every operation in the spec, 500 generated requests each: no 5xx answer."""
    fuzz(hub_schema, 500, figures, "schemathesis (soak)")


def test_spec_lists_every_route(hub_schema: Any) -> None:
    """The fuzzed spec covers the hub's whole API, so no route escapes the fuzzing."""
    assert {path for _, path in _routes(hub_schema)} >= ROUTES


def test_enrol_with_a_bad_device_key_is_a_clear_400(tmp_path: Path) -> None:
    """A malformed device key in an enrolment request is a 400 with a reason, not a 500."""
    from starlette.testclient import TestClient

    client = TestClient(
        create_app(make_hub(tmp_path / "hub"), rate=0), raise_server_exceptions=False
    )
    answer = client.post(
        "/v1/enrol", json={"token": "t", "device_id": "d", "device_key": "é", "role": "worker"}
    )
    assert answer.status_code == 400, answer.text
