"""The kept copies of the whole service's counts (store table from m0007)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from outreach.errors import SyncError, SyncErrorKind
from outreach.store.session import create_store
from outreach.sync import service_copy
from outreach.sync.protocol import ServiceCounts
from outreach.sync.service_counts import service_counts_path
from tests.samples import FAST_KDF, PASSPHRASE


def _answer(n: int) -> ServiceCounts:
    return ServiceCounts(
        "2026-08-01",
        "2026-08-31",
        None,
        None,
        False,
        "exact (not for publication)",
        [("kits", "Kits supplied", n)],
        [],
    )


def test_copies_are_kept_per_request_and_capped(tmp_path: Path) -> None:
    store, _ = create_store(tmp_path, "cora", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    try:
        start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
        for n in range(service_copy.KEEP + 5):
            request = service_counts_path(f"2026-{n % 12 + 1:02d}", site=str(n), exact=True)
            service_copy.keep(store, request, _answer(n), start + dt.timedelta(minutes=n))
        assert store.conn.execute("SELECT count(*) FROM service_counts").fetchone()[0] == 40
        newest = service_copy.kept(store, "2026-09", site="44", exact=True)
        assert newest is not None and newest.answer.headlines[0][2] == 44
        assert newest.fetched_at == start + dt.timedelta(minutes=44) and newest.live
        assert service_copy.kept(store, "2026-01", site="0", exact=True) is None  # the oldest
        assert service_copy.kept(store, "2026-09", site="44", exact=False) is None  # published
        # the same request again replaces its copy
        request = service_counts_path("2026-09", site="44", exact=True)
        service_copy.keep(store, request, _answer(7), start + dt.timedelta(hours=2))
        again = service_copy.kept(store, "2026-09", site="44", exact=True)
        assert again is not None and again.answer.headlines[0][2] == 7
    finally:
        store.close()


def test_a_device_not_enrolled_is_told_so(tmp_path: Path) -> None:
    store, _ = create_store(tmp_path, "cora", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    try:
        with pytest.raises(SyncError) as refused:
            service_copy.service_view(store, "2026-08")
        assert refused.value.kind is SyncErrorKind.NOT_ENROLLED
    finally:
        store.close()
