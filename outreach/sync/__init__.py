"""Sync: sealed batches from this device to the hub, over HTTPS or as files on a USB stick.

Qt-free API for the desktop (call every function on the thread that owns the `Store`):

- `client.sync_now(store, *, progress=None, cancel=None) -> SyncResult`
  Pulls reference data, then sends every pending batch; `progress(done, total)` counts records;
  `cancel` (a `threading.Event`) stops between attempts. `SyncResult(sent, accepted, quarantined,
  acked_through, pending, receipts, duplicates, purged)`. Raises `SyncError(kind=...)`:
  NOT_ENROLLED, NETWORK (hub unreachable after retries, or cancelled), AUTH, CONFLICT, PROTOCOL,
  REVOKED (the store has already been closed and wiped: return to the set-up screen).
  `client.hub_reachable(store)` is a cheap probe for automatic sync.
- `enrolment.enrol(store, code) -> EnrolmentInfo(hub_url, device_id, hub_fingerprint,
  enrolled_at)`; `code` is the text or the decoded QR content. Also `is_enrolled(store)`,
  `pending_count(store)`, `last_sync(store) -> datetime | None`,
  `receipt_history(store) -> [ReceiptInfo(batch_id, received_at, acked_through, accepted,
  quarantined)]` newest first.
- `files.write_batches(store, directory) -> list[Path]`: the pending sealed batches for USB.
- `reference.current_vocabulary(store) -> Vocabulary` (shipped lists + the hub's additions) and
  `reference.service_key(store) -> bytes` (the hub's once enrolled, else a local one).

Protocol and byte format: docs/sync-protocol.md.
"""
