"""Who may ask the hub for coordinator answers: roles signed into enrolment codes, and the admin
token, which is never empty and only accepted on the server itself (issue 13)."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.hub import db
from outreach.hub.app import create_app
from outreach.hub.errors import BadToken, HubError
from outreach.hub.keys import ADMIN_FILE, load_keys
from outreach.hub.service import Hub
from outreach.sync.envelope import raw_public
from outreach.sync.protocol import EnrolmentCode, EnrolRequest, ProtocolError, b64e
from tests.hub.harness import BACKENDS, free_port, hub_on

PATH = "/v1/service/commissioner?period=2026-08"
COUNTS = "/v1/counts?by=site&start=2026-01-01&end=2026-12-31"


def _ask(
    hub: Hub, path: str, headers: dict[str, str], client: str = "127.0.0.1", **app: bool
) -> int:
    """The status the hub's app answers for a request from `client` (an ASGI client address)."""

    async def go() -> int:
        transport = httpx.ASGITransport(create_app(hub, rate=0, **app), client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            return (await http.get(path, headers=headers)).status_code

    return asyncio.run(go())


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_or_missing_admin_token_never_opens_anything(backend: str, tmp_path: Path) -> None:
    """A hub whose admin-token file is empty (or gone) refuses every bearer, empty ones too."""
    with hub_on(backend, tmp_path / "hub") as hub:
        assert _ask(hub, PATH, {"Authorization": f"Bearer {hub.keys.admin_token}"}) == 200
        (tmp_path / "hub" / ADMIN_FILE).write_text("")
        emptied = Hub(hub.engine, load_keys(tmp_path / "hub"))
        assert emptied.keys.admin_token == ""
        for bearer in ("Bearer ", "Bearer", "Bearer  ", f"Bearer {hub.keys.admin_token}", ""):
            for path in (PATH, COUNTS):
                headers = {"Authorization": bearer} if bearer else {}
                assert _ask(emptied, path, headers) == 401, (bearer, path)
        (tmp_path / "hub" / ADMIN_FILE).unlink()
        missing = Hub(hub.engine, load_keys(tmp_path / "hub"))
        assert missing.keys.admin_token == ""
        assert _ask(missing, COUNTS, {"Authorization": "Bearer "}) == 401
        assert _ask(missing, COUNTS, {}) == 401


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_admin_token_is_for_the_server_itself(backend: str, tmp_path: Path) -> None:
    """From another address, or through a proxy on this one, the right token gets 403, unless
    the operator serves with --admin-remote; a wrong token is 401 everywhere."""
    with hub_on(backend, tmp_path / "hub") as hub:
        good = {"Authorization": f"Bearer {hub.keys.admin_token}"}
        assert _ask(hub, COUNTS, good) == 200
        assert _ask(hub, COUNTS, good, client="10.1.2.3") == 403
        assert _ask(hub, COUNTS, {**good, "X-Forwarded-For": "10.1.2.3"}) == 403
        assert _ask(hub, COUNTS, good, client="10.1.2.3", admin_remote=True) == 200
        assert _ask(hub, COUNTS, {"Authorization": "Bearer nope"}) == 401
        with hub.engine.connect() as conn:
            who = conn.exec_driver_sql("SELECT device_id, action FROM coordinator_audit").all()
        assert who == [("admin-token@server", "counts"), ("admin-token@server", "counts")]


def _enrol(hub: Hub, code: EnrolmentCode, role: str) -> str:
    key = Ed25519PrivateKey.generate()
    device_id = f"dev-{role}-{os.urandom(3).hex()}"
    hub.enrol(EnrolRequest(code.token, device_id, b64e(raw_public(key.public_key())), role))
    return device_id


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_role_is_the_operators_signed_into_the_code(backend: str, tmp_path: Path) -> None:
    """The code carries the role and the hub's signature over it; a changed role fails the
    device's check, and a device asking for another role than its code's is refused."""
    with hub_on(backend, tmp_path / "hub") as hub:
        code = hub.new_enrolment("http://127.0.0.1:1", role="coordinator")
        parsed = EnrolmentCode.parse(code.text())
        assert parsed.role == "coordinator"
        parsed.verify(hub.keys.sign_public)
        forged = EnrolmentCode(
            parsed.url, parsed.token, parsed.hub, None, "worker", parsed.signature
        )
        with pytest.raises(ProtocolError, match="does not verify"):
            forged.verify(hub.keys.sign_public)
        unsigned = EnrolmentCode(parsed.url, parsed.token, parsed.hub, None, "coordinator")
        with pytest.raises(ProtocolError, match="not signed"):
            unsigned.verify(hub.keys.sign_public)
        with pytest.raises(BadToken, match="for a coordinator device"):
            _enrol(hub, code, "worker")
        device = _enrol(hub, code, "coordinator")
        assert {d["device_id"]: d["role"] for d in hub.list_devices()} == {device: "coordinator"}
        with pytest.raises(HubError, match="unknown role"):
            hub.new_enrolment("http://127.0.0.1:1", role="admin")


def test_the_sqlite_hub_file_and_folder_are_private(tmp_path: Path) -> None:
    """0600 for the database (and its WAL files), 0700 for its folder, even if made looser."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    engine = db.make_engine(f"sqlite:///{folder / 'hub.db'}")
    try:
        db.create_schema(engine)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for name in ("hub.db", "hub.db-wal", "hub.db-shm"):
            if (folder / name).exists():
                assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
        assert (folder / "hub.db").exists()
    finally:
        engine.dispose()
    (folder / "hub.db").chmod(0o644)
    db.make_engine(f"sqlite:///{folder / 'hub.db'}").dispose()
    assert stat.S_IMODE((folder / "hub.db").stat().st_mode) == 0o600


def test_serve_prints_where_it_listens(tmp_path: Path) -> None:
    """`outreach-hub serve` says its address on stdout before serving."""
    home = tmp_path / "hub"
    run = [sys.executable, "-c", "from outreach.hub.cli import main; raise SystemExit(main())"]
    subprocess.run([*run, "--home", str(home), "init"], check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [*run, "--home", str(home), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert line.strip() == f"outreach-hub: listening on http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
