"""Every resource a client can make the hub spend, and its cap (docs/security.md lists them).

Per request: body size, decompressed batch and record size, header and body time, client
summaries per page. Per device:
quarantine bytes, requests a second (`ratelimit.py`). Global: quarantine bytes, batches being
checked or stored at once, rate-limiter entries, open connections.
"""

from __future__ import annotations

from collections.abc import Sequence

# A batch's records after zstd: a 1,000-record batch of the largest real records is ~0.6 MiB,
# so 4 MiB leaves room while a 180 KB upload can no longer expand to 64 MiB.
MAX_BATCH_PLAINTEXT = 4 * 1024 * 1024
# An uploaded envelope: its ciphertext is never much larger than its plaintext.
MAX_BATCH_BYTES = MAX_BATCH_PLAINTEXT + 64 * 1024
MAX_JSON_BYTES = 16 * 1024  # an enrolment request
MAX_RECORD_BYTES = 16 * 1024  # one record's msgpack bytes; real ones are under 1 KiB
MAX_SEQ = (1 << 63) - 1  # a device seq is a BIGINT on both databases
# Records that fail validation are kept for the coordinator to review, up to this much per
# device (body + error text) and in all; beyond it a batch with invalid records is refused
# whole (`quarantine_full`) and an alert recorded.
QUARANTINE_BYTES_PER_DEVICE = 1024 * 1024
QUARANTINE_BYTES_TOTAL = 256 * 1024 * 1024
# Batches checked or stored at once in one hub process, whatever their size: each holds its
# body, its plaintext and its rows in memory. SQLite writes one at a time (two overlap one's
# commit with the other's checks); PostgreSQL stores several side by side.
INGEST_CONCURRENCY = {"sqlite": 2, "postgresql": 8}
UPLOADS_READING = 16  # upload bodies being received at once (each ≤ MAX_BATCH_BYTES)
LIMITER_ENTRIES = 10_000  # rate-limiter buckets kept (least recently used dropped)
HEADER_SECONDS = 10.0  # from connection (or the last answer) to a request's complete headers
MAX_HEADER_BYTES = 64 * 1024  # request line and headers
# A body must keep up with BODY_GRACE_SECONDS plus what has arrived at BODY_MIN_RATE bytes/s:
# a byte-a-second sender holds a reading slot for seconds, not minutes.
BODY_GRACE_SECONDS = 5.0
BODY_MIN_RATE = 100 * 1024
# A coordinator's service-wide count set covers at most this many days (its queries read the
# roll-up's cells of the period, so their cost grows with it).
MAX_REPORT_DAYS = 3700
MAX_CONNECTIONS = 512  # open at once per hub process; more get 503 from uvicorn
# Client summaries a page of `GET /v1/summaries` holds at most (a device asks for fewer with
# `limit`): ~150 bytes each in msgpack, so a page is ~3.8 MiB before zstd (~1 MB after); building
# one peaks at ~31 MiB of the hub's memory (tracemalloc, 2026-12-02), one indexed range read of
# `client_summaries`. A device pulls pages until caught up. 25,000 (was 10,000): a first pull of
# a large service is two pages and two store transactions, not five, each rewriting most of the
# device's table (device CPU for 50,000: 1.07 s -> 0.7-0.9 s, docs/benchmarks.md).
SUMMARY_PAGE_MAX = 25_000
# Enrolment codes a coordinator device may have the hub make (`POST /v1/service/enrolment-codes`):
# each is one `enrol_tokens` row; at most this many unused and unexpired at once, each valid at
# most ENROLMENT_CODE_MAX_DAYS, its label at most DEVICE_LABEL_MAX characters.
OPEN_ENROLMENT_CODES_MAX = 100
ENROLMENT_CODE_MAX_DAYS = 30
DEVICE_LABEL_MAX = 60
# Groups (device, reason) `GET /v1/service/quarantine` lists at most, largest first: one grouped
# read of `quarantine` (at most 256 MiB in all by its own cap), bodies never sent.
QUARANTINE_GROUPS_MAX = 500


def quarantine_bytes(refused: Sequence[tuple[int, bytes, str]]) -> int:
    """What quarantining (seq, body, error) rows adds to a device's quarantine bytes."""
    return sum(len(body) + len(error.encode()) for _, body, error in refused)
