"""Smoke-test the one-folder build (`make dist-check`): the frozen app works, and starts fast.

Against a temporary data dir, offscreen, the built binary must: print its version; `init` a store;
`record` one contact from stdin; `counts` it; pass `status --check`; start the GUI on the set-up
screen and on the unlock screen without dying. The bundle must hold every module of ours (pages
and sync parts are imported by name) and the code lists, and none of the hub or test tools.
Then it reports the folder size and start-up time against running from source (median of
interleaved runs); the budget is 1.2x. Exit status 0 only if every check passed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.first_window import WINDOW_UP, launch, offscreen_env  # noqa: E402
from outreach import APP_NAME, __version__  # noqa: E402

BUDGET = 1.2
PASSPHRASE = "dist check passphrase 1"
CONTACT = {
    "type": "contact",
    "site": "outreach_van",
    "area": "LS6",
    "setting": "street",
    "age_band": "35_44",
    "gender": "male",
    "in_treatment": "no",
    "injecting": "current",
    "substances": ["heroin"],
    "risk_factors": ["using_alone"],
    "interventions": ["harm_reduction_advice"],
}
# Never shipped: the hub's stack and the test tools (names of top-level bundle entries).
MUST_NOT_SHIP = (
    "outreach/hub",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "psycopg",
    "tests",
    "pytest",
    "_pytest",
    "hypothesis",
    "tkinter",
)
OWN_EXCLUDED = ("outreach/hub", "outreach/ui/screenshots.py")


class CheckFailed(Exception):
    """A smoke check failed; the message says which and why."""


@dataclass
class Layout:
    """Where the pieces of the build are on this OS."""

    shipped: Path  # what a user gets: the folder, or the .app on macOS
    gui: Path
    cli: Path
    bundle: Path  # sys._MEIPASS: modules, libraries, resources/


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)

    def say(self, text: str) -> None:
        self.lines.append(text)
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def layout(dist: Path) -> Layout:
    if sys.platform == "darwin":
        app = dist / f"{APP_NAME}.app"
        binary = app / "Contents" / "MacOS" / APP_NAME
        return Layout(app, binary, binary, app / "Contents" / "Frameworks")
    folder = dist / APP_NAME
    if sys.platform == "win32":
        gui = folder / f"{APP_NAME}.exe"
        return Layout(folder, gui, folder / "outreach-cli.exe", folder / "_internal")
    return Layout(folder, folder / APP_NAME, folder / APP_NAME, folder / "_internal")


def base_env() -> dict[str, str]:
    return offscreen_env(OUTREACH_PASSPHRASE=PASSPHRASE)


def run(cmd: Sequence[str | Path], *, stdin: str = "", expect: int = 0) -> str:
    """Run one CLI command; its stdout (stderr if it should fail), or CheckFailed saying why."""
    try:
        done = subprocess.run(
            [str(c) for c in cmd],
            input=stdin,
            capture_output=True,
            text=True,
            env=base_env(),
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"{' '.join(map(str, cmd[1:]))}: no answer in 120 s") from None
    if done.returncode != expect or "Traceback" in done.stderr:
        raise CheckFailed(
            f"{' '.join(map(str, cmd[1:]))}: exit {done.returncode}\n{done.stderr[-2000:]}"
        )
    return done.stdout if expect == 0 else done.stderr


def check_cli(cli: Path, data: Path, report: Report) -> None:
    version = run([cli, "--version"]).strip()
    if version != f"outreach {__version__}":
        raise CheckFailed(f"--version says {version!r}, the package is {__version__}")
    base = [cli, "--data-dir", data]
    created = run([*base, "init", "--user", "alice", "--role", "worker"])
    if "recovery_key" not in created:
        raise CheckFailed(f"init printed no recovery key: {created[-500:]}")
    saved = json.loads(run([*base, "record"], stdin=json.dumps(CONTACT) + "\n"))
    if saved.get("saved") != 1:
        raise CheckFailed(f"record saved {saved}")
    counted = json.loads(run([*base, "counts", "--type", "contact", "--by", "age_band"]))
    if counted != [{"age_band": "35_44", "count": 1}]:
        raise CheckFailed(f"counts gave {counted}")
    status = json.loads(run([*base, "status", "--check"]))
    if status.get("records") != 1 or status.get("integrity") != "ok":
        raise CheckFailed(f"status --check gave {status}")
    report.say(f"ok   CLI: {version}; init, record, counts, status --check")
    check_outputs(base, data.parent, report)


def check_outputs(base: list[str | Path], tmp: Path, report: Report) -> None:
    """PDFs (reportlab's fonts, qrcode, Pillow) and the sync client's imports, frozen."""
    from outreach.domain.ids import new_referral_code

    card, counts = tmp / "card.pdf", tmp / "counts.pdf"
    run([*base, "card", "--referral", new_referral_code(), "--out", card])
    run([*base, "export", "pdf", "--out", counts, "--from", "2000-01-01", "--to", "2100-01-01"])
    for pdf in (card, counts):
        if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF-"):
            raise CheckFailed(f"{pdf.name} is not a PDF")
    said = run([*base, "sync"], expect=1)
    if "not enrolled" not in said:
        raise CheckFailed(f"sync without enrolment said {said[-500:]!r}")
    report.say("ok   CLI: referral card and counts PDFs written; sync refuses (not enrolled)")


def check_bundle(where: Layout, report: Report) -> None:
    """Every module of ours is there as .pyc (noarchive build), resources too; no hub, no tests."""
    bundle = where.bundle
    missing = []
    for source in sorted((ROOT / "outreach").rglob("*.py")):
        relative = source.relative_to(ROOT).as_posix()
        if relative.startswith(OWN_EXCLUDED):
            continue
        if not (bundle / relative).with_suffix(".pyc").exists():
            missing.append(relative)
    if missing:
        raise CheckFailed(f"modules missing from the bundle: {', '.join(missing)}")
    vocab = sorted((ROOT / "resources" / "vocab").glob("*.json"))
    absent = [v.name for v in vocab if not (bundle / "resources" / "vocab" / v.name).is_file()]
    if not vocab or absent:
        raise CheckFailed(f"code lists missing from the bundle: {absent or 'none found'}")
    shipped = [name for name in MUST_NOT_SHIP if _present(bundle, name)]
    if shipped:
        raise CheckFailed(f"the bundle carries what it must not: {', '.join(shipped)}")
    report.say(f"ok   bundle: all our modules, {len(vocab)} code-list file(s); no hub or tests")


def _present(bundle: Path, name: str) -> bool:
    return (
        any(p.exists() for p in (bundle / name, bundle / f"{name}.pyc", bundle / f"{name}.py"))
        or any(bundle.glob(f"{name}.cpython-*"))
        or any(bundle.glob(f"{name}-*.dist-info"))
    )


def start_gui(cmd: Sequence[str | Path], linger: float = 1.5, limit: float = 60.0) -> float | None:
    """Start the GUI; seconds until its window is up (None if Qt's log cannot be seen, e.g. a
    windowed Windows build). Fails if it exits by itself or logs an unhandled error."""
    started = launch(cmd, base_env(), markers=(WINDOW_UP,), linger=linger, limit=limit)
    if started.exit_code is not None:
        raise CheckFailed(
            f"the GUI exited by itself with {started.exit_code}\n{started.output[-2000:]}"
        )
    if "Traceback" in started.output or "CRITICAL" in started.output:
        raise CheckFailed(f"the GUI logged an error\n{started.output[-2000:]}")
    return started.seen.get(WINDOW_UP)


def check_gui(gui: Path, data: Path, report: Report) -> None:
    with tempfile.TemporaryDirectory() as fresh:
        for screen, where in (("set-up", Path(fresh)), ("unlock", data)):
            seen = start_gui([gui, "--data-dir", where])
            log = where / "logs" / "outreach.log"
            if log.exists() and "CRITICAL" in log.read_text(encoding="utf-8", errors="replace"):
                raise CheckFailed(f"the GUI logged an unhandled error in {log}")
            shown = f"window up after {seen:.2f} s" if seen is not None else "window not observed"
            report.say(f"ok   GUI: {screen} screen started and stayed up ({shown})")


def median_time(cmds: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command, interleaved so that machine load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    env = base_env()
    for _ in range(runs):
        for name, cmd in cmds.items():
            started = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=True, timeout=60)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def median_gui(cmds: dict[str, list[str]], runs: int) -> dict[str, float] | None:
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            seen = start_gui(cmd, linger=0.0)
            if seen is None:
                return None
            times[name].append(seen)
    return {name: statistics.median(values) for name, values in times.items()}


def check_start(where: Layout, data: Path, runs: int, report: Report) -> bool:
    source = [sys.executable, "-m", "outreach"]
    # `--help` builds the whole CLI (every command group); the budget is on that. `--version`
    # is answered from the global options alone, so it shows the bootloader's fixed cost.
    cli = median_time({"source": [*source, "--help"], "frozen": [str(where.cli), "--help"]}, runs)
    ratio = cli["frozen"] / cli["source"]
    report.figures["cli_start_s"] = {**cli, "ratio": ratio}
    within = ratio <= BUDGET
    report.say(
        f"{'ok  ' if within else 'OVER'} CLI start (--help, the whole CLI, median of {runs}): "
        f"source {cli['source'] * 1000:.0f} ms, frozen {cli['frozen'] * 1000:.0f} ms, "
        f"{ratio:.2f}x (budget {BUDGET}x)"
    )
    bare = median_time(
        {"source": [*source, "--version"], "frozen": [str(where.cli), "--version"]}, runs
    )
    report.figures["cli_version_s"] = {**bare, "ratio": bare["frozen"] / bare["source"]}
    report.say(
        f"--   --version (global options only): source {bare['source'] * 1000:.0f} ms, frozen "
        f"{bare['frozen'] * 1000:.0f} ms: the bootloader's "
        f"{(bare['frozen'] - bare['source']) * 1000:.0f} ms"
    )
    gui_runs = max(3, runs // 2)
    home = ["--data-dir", str(data)]
    gui = median_gui({"source": [*source, *home], "frozen": [str(where.gui), *home]}, gui_runs)
    if gui is None:
        report.say("--   GUI start: window not observable on this build (windowed, no stderr)")
        return within
    gui_ratio = gui["frozen"] / gui["source"]
    report.figures["gui_start_s"] = {**gui, "ratio": gui_ratio}
    gui_within = gui_ratio <= BUDGET
    report.say(
        f"{'ok  ' if gui_within else 'OVER'} GUI start to unlock window (median of {gui_runs}): "
        f"source {gui['source'] * 1000:.0f} ms, frozen {gui['frozen'] * 1000:.0f} ms, "
        f"{gui_ratio:.2f}x (budget {BUDGET}x)"
    )
    return within and gui_within


def folder_size(root: Path) -> int:
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def report_size(where: Layout, zipped: bool, report: Report) -> None:
    size = folder_size(where.shipped)
    files = sum(1 for p in where.shipped.rglob("*") if p.is_file())
    report.figures["size_mib"] = round(size / 2**20, 1)
    report.say(f"--   size: {where.shipped.name} {size / 2**20:.0f} MiB in {files} files")
    if zipped:
        with tempfile.TemporaryDirectory() as tmp:
            archive = shutil.make_archive(
                str(Path(tmp) / where.shipped.name), "zip", where.shipped.parent, where.shipped.name
            )
            mib = Path(archive).stat().st_size / 2**20
        report.figures["zip_mib"] = round(mib, 1)
        report.say(f"--   zipped for download: {mib:.0f} MiB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="PyInstaller's distpath")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command (median)")
    parser.add_argument("--zip", action="store_true", help="also report the zipped size")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    where = layout(args.dist)
    report = Report()
    if not where.cli.exists():
        report.say(f"FAIL no build at {where.cli}: run `make dist` first")
        return 1
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            check_cli(where.cli, data, report)
            check_bundle(where, report)
            check_gui(where.gui, data, report)
            report_size(where, args.zip, report)
            fast = check_start(where, data, args.runs, report)
    except CheckFailed as exc:
        report.say(f"FAIL {exc}")
        return 1
    if args.json:
        args.json.write_text(json.dumps(report.figures, indent=1) + "\n", encoding="utf-8")
    if not fast:
        report.say(f"FAIL start-up is over {BUDGET}x running from source")
        return 1
    report.say("dist-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
