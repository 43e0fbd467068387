"""Follow-ups due (issue 15 item 2): the device's list over 50,000 client summaries, of which
2% were active in the last three weeks and 500 hold a non-fatal overdose (half followed up), and
the follow-up counts over those 500 events and 250 follow-ups. Budget: the list is loaded off
the UI thread when the page is shown; it should stay within the "UI action to next paint" p99 of
50 ms (DESIGN §7). Rows are written into the store's summaries table as a pull would leave them.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import msgspec

from outreach.domain.client_code import make_client_code
from outreach.records.client_summary import ClientSummary, OverdoseFollowUp
from outreach.reports.follow_ups import due_follow_ups
from outreach.store.session import create_store
from outreach.store.vault import KdfParams

CODES = 50_000
RECENT = 1_000  # active in the last three weeks
OVERDOSES = 500
BUDGET_MS = 50.0
KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)  # throw-away store


def _rows(now: dt.datetime) -> list[tuple[str, int, str, bytes]]:
    encode = msgspec.msgpack.Encoder().encode
    today = now.date()
    rows = []
    for index in range(CODES):
        code = f"C{index:010d}"
        recent = index < RECENT
        day = today - dt.timedelta(days=(index % 20) if recent else 30 + index % 500)
        events: tuple[OverdoseFollowUp, ...] = ()
        if index < OVERDOSES:
            done = now - dt.timedelta(hours=1) if index % 2 else None
            events = (
                OverdoseFollowUp(
                    event_id=str(uuid.uuid4()),
                    occurred_on=day,
                    occurred_time="21:40",
                    area="LS6" if index % 3 else "M1",
                    followed_up_at=done,
                    follow_up_outcome="reached" if done else None,
                ),
            )
        summary = ClientSummary(
            client_code=code,
            first_seen=day,
            contacts_total=3,
            last_contact=day,
            last_contact_area="LS6",
            risk_level="high",
            overdoses=events,
        )
        rows.append((code, index + 1, day.isoformat(), encode(summary)))
    return rows


def main() -> None:
    now = dt.datetime.now(dt.UTC)
    make_client_code(b"k" * 32, "AB", dt.date(1980, 1, 1), "m")  # warm imports
    with tempfile.TemporaryDirectory() as tmp:
        store, _ = create_store(Path(tmp), "bench", "worker", "bench passphrase", KDF)
        with store:
            with store.transaction():
                store.conn.executemany(
                    "INSERT INTO summaries (client_code, change_seq, last_active, body) "
                    "VALUES (?, ?, ?, ?)",
                    _rows(now),
                )
            times = []
            for _ in range(30):
                started = time.perf_counter()
                found = due_follow_ups(store, now, areas=["LS"])
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p99 = times[-1]
            print(
                f"follow-ups list over {CODES:,} summaries ({len(found)} shown): "
                f"median {statistics.median(times):.1f} ms, max of 30 {p99:.1f} ms "
                f"(budget {BUDGET_MS:.0f} ms) {'OK' if p99 <= BUDGET_MS else 'OVER'}; "
                f"load {os.getloadavg()[0]:.1f}"
            )
