"""A canary batch number and a client code go into the store through the real CLI, a writer is
killed mid-save and the passphrase changed; then no file under the data dir (logs included), the
temp dir the processes used, or any export holds either value in the clear.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from outreach.domain.client_code import format_client_code, make_client_code, new_service_key

from .crash_child import CONTACT, KIT, PASSPHRASES

CANARY = "CANARYQZX9"
ROOT = Path(__file__).resolve().parents[2]
CRASH_WRITER = """
import os, sys
from pathlib import Path
from outreach.records.validation import build_record
from outreach.stock.companion import register
from outreach.store.session import unlock_store
register()
store = unlock_store(Path(sys.argv[1]), "alice", os.environ["OUTREACH_PASSPHRASE"])
kit = {**__import__("json").loads(sys.argv[2])}
while True:
    store.add([build_record(kit, recorded_by="alice")])
    os.write(1, b"ack\\n")
"""


def cli(env: dict[str, str], data_dir: Path, *args: str, stdin: str = "") -> str:
    command = [sys.executable, "-m", "outreach", "-v", "--data-dir", str(data_dir), *args]
    result = subprocess.run(
        command, input=stdin, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert CANARY not in result.stdout + result.stderr
    return result.stdout


def crash_mid_write(env: dict[str, str], data_dir: Path, kit: dict[str, Any]) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASH_WRITER, str(data_dir), json.dumps(kit)],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert writer.stdout is not None
    writer.stdout.readline()  # it has saved at least once
    time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)


def texts_of(path: Path) -> list[bytes]:
    """The file's bytes, plus what is inside it: zip members, PDF text."""
    data = path.read_bytes()
    found = [data]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            found += [archive.read(name) for name in archive.namelist()]
    if data.startswith(b"%PDF") and shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        found.append(text.stdout)
    return found


def hits(roots: list[Path], needles: list[str]) -> list[str]:
    """Every file under `roots` whose content shows a needle (any case, UTF-8 or UTF-16)."""
    forms = [
        form
        for needle in needles
        for text in (needle, needle.lower())
        for form in (text.encode(), text.encode("utf-16-le"))
    ]
    found = []
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and any(f in b for b in texts_of(path) for f in forms):
                found.append(str(path))
    return found


def workflow(tmp_path: Path, rounds: int) -> dict[str, Any]:
    data_dir, temp, exports = tmp_path / "data", tmp_path / "tmp", tmp_path / "exports"
    temp.mkdir()
    exports.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "OUTREACH_PASSPHRASE": PASSPHRASES[0]}
    env["PYTHONPATH"] = str(ROOT)
    code = make_client_code(new_service_key(), "JS", dt.date(1980, 2, 29), "male")
    kit = {**KIT, "batch": CANARY, "client_code": code}
    contact = {**CONTACT, "client_code": code}
    cli(env, data_dir, "init", "--user", "alice", "--role", "worker")
    for _ in range(rounds):
        lines = [json.dumps(r) for r in (kit, contact, kit)]
        cli(env, data_dir, "record", stdin="\n".join(lines) + "\n")
        crash_mid_write(env, data_dir, kit)
        cli(env, data_dir, "counts", "--by", "product,recipient")
        cli(env, data_dir, "status", "--check")
    for kind, name in (("csv", "counts.zip"), ("csv", "folder"), ("pdf", "report.pdf")):
        period = ("--from", "2000-01-01", "--to", "2099-12-31")
        cli(env, data_dir, "export", kind, *period, "--out", str(exports / name))
    new_env = {**env, "OUTREACH_NEW_PASSPHRASE": PASSPHRASES[1]}
    cli(new_env, data_dir, "passphrase")
    cli({**env, "OUTREACH_PASSPHRASE": PASSPHRASES[1]}, data_dir, "status", "--check")
    needles = [CANARY, code, format_client_code(code)]
    probe = tmp_path / "probe.txt"  # the scanner itself finds what it looks for
    probe.write_bytes(f"x{format_client_code(code).lower()}x".encode("utf-16-le"))
    assert hits([probe], needles) == [str(probe)]
    files = sum(1 for root in (data_dir, temp, exports) for p in root.rglob("*") if p.is_file())
    return {
        "files_scanned": files,
        "canary_hits": len(hits([data_dir, temp], needles)),
        "export_hits": len(hits([exports], needles)),
        "log_lines": sum(
            len(p.read_text().splitlines()) for p in (data_dir / "logs").glob("*.log*")
        ),
    }


@pytest.mark.parametrize(
    "rounds", [pytest.param(1, id="fast"), pytest.param(4, marks=pytest.mark.soak, id="soak")]
)
def test_canary_and_client_code_leak_nowhere(
    tmp_path: Path, rounds: int, figures: dict[str, Any]
) -> None:
    """After init, record, crash, counts, exports and a passphrase change: 0 canary hits."""
    totals = workflow(tmp_path, rounds)
    figures[f"leak scan ({'soak' if rounds > 1 else 'fast'})"] = totals
    assert totals["log_lines"] > 0  # the logs were written, so scanning them means something
    assert totals["canary_hits"] == 0 and totals["export_hits"] == 0, totals
