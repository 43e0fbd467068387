"""The UI's view of the sync core works before and after sync lands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from outreach.store.store import Store
from outreach.ui import sync_api


def test_service_key_falls_back_to_a_stable_local_key(store: Store) -> None:
    """Without hub reference data a local service key is made once and then reused."""
    first = sync_api.service_key(store)
    assert len(first) >= 16
    assert sync_api.service_key(store) == first


def test_status_reports_pending_records(store: Store) -> None:
    """Status always answers; records waiting are counted even before any sync."""
    store.add_new({"type": "contact", "site": "outreach_van", "area": "NFA", "setting": "street"})
    info = sync_api.status(store)
    assert info.pending >= 1
    assert info.available == sync_api.available()
    if not info.available:
        assert not info.enrolled and info.last_sync is None


def test_status_and_store_stack_leave_the_network_and_scan_parsers_unloaded(
    tmp_path: Path,
) -> None:
    """Opening a store and the status bar's first refresh (both before the workspace's first
    paint) import neither httpx (~380 M instructions) nor the GS1 parser biip (~300 M): the
    start-up budget (docs/benchmarks.md). A fresh process, so other tests' imports do not count."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from outreach.stock.companion import register\n"
        "from outreach.store.session import create_store\n"
        "from outreach.store.vault import KdfParams\n"
        "from outreach.ui import sync_api\n"
        "register()\n"
        "kdf = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)\n"
        "store, _ = create_store(Path(sys.argv[1]), 'alice', 'worker',\n"
        "                        'correct horse battery staple', kdf=kdf)\n"
        "store.add_new({'type': 'contact', 'site': 'outreach_van', 'area': 'NFA',\n"
        "               'setting': 'street'})\n"
        "info = sync_api.status(store)\n"
        "sync_api.service_key(store)\n"
        "print(info.available, info.pending, sorted({m.split('.')[0] for m in sys.modules\n"
        "      if m.startswith(('httpx', 'biip', 'outreach.domain.gs1.'))}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "1", "[]"]
