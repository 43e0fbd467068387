"""Values many tests share: the test passphrase, a cheap KDF, and typical valid records."""

from __future__ import annotations

from outreach.store.vault import KdfParams

PASSPHRASE = "correct horse battery staple"
# Tests only: a cheap Argon2id so hundreds of stores can be made quickly. Real stores calibrate.
FAST_KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
KIT = {
    "type": "kit_issue",
    "site": "outreach_van",
    "product": "nyxoid_1_8mg_nasal",
    "batch": "AB12",
    "expiry": "2030-05-31",
    "recipient": "person_at_risk",
    "supply": "first",
    "training": "full",
}
CONTACT = {"type": "contact", "site": "outreach_van", "area": "LS6", "setting": "street"}
NALOXONE_USE = {
    "type": "naloxone_use",
    "site": "pharmacy",
    "occurred_on": "2026-01-08",
    "location_type": "street",
    "administered_by": "peer",
    "product": "nyxoid_1_8mg_nasal",
    "ambulance_called": "yes",
    "outcome": "survived",
}
