"""Hypothesis throws arbitrary and near-valid input at the decoders that take outside data: the
record builder and parser, the GS1 pack-scan parser and the msgpack record decoder. Each must
return a value or raise its own clean error, never anything else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.domain.gs1 import PackScan, ScanError, parse_pack_scan
from outreach.errors import InvalidRecord
from outreach.records import decode_record, encode_record
from outreach.records.validation import build_record, parse_record

from .crash_child import CONTACT, KIT

NOW = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOAK = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
FIELDS = sorted({*KIT, *CONTACT, "id", "occurred_at", "recorded_by", "supersedes", "schema"})
TYPES = ["contact", "kit_issue", "naloxone_use", "stock_movement", "void", "x", ""]


@st.composite
def near_records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record with some fields replaced, dropped or added: reaches deep validation."""
    data: dict[str, Any] = dict(draw(st.sampled_from([KIT, CONTACT])))
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        if draw(st.booleans()):
            data[field] = draw(json_values)
        else:
            data.pop(field, None)
    if draw(st.booleans()):
        data["type"] = draw(st.sampled_from(TYPES))
    return data


def check_record_input(data: Any) -> None:
    json.dumps(data, default=str)  # the input is JSON-like, as a batch or a file line would be
    for decode in (
        lambda: build_record(data, recorded_by="alice", now=NOW),
        lambda: parse_record(data, now=NOW),
    ):
        try:
            record = decode()
        except InvalidRecord:
            continue
        assert decode_record(encode_record(record)) == record


@FAST
@given(json_values | near_records())
def test_record_decoders_return_a_record_or_invalid_record(data: Any) -> None:
    """build_record / parse_record on any JSON: a Record that round-trips, or InvalidRecord."""
    check_record_input(data)


@pytest.mark.soak
@SOAK
@given(json_values | near_records())
def test_soak_record_decoders(data: Any) -> None:
    """5,000 arbitrary JSON inputs: a Record or InvalidRecord, never another exception."""
    check_record_input(data)


GS1_PIECES = st.sampled_from(
    ["01", "09506000134352", "17", "281231", "10", "AB12", "21", "SN123", "\x1d", "(", ")",
     "]d2", "]C1", "]Q3", "\x1d\x1d", "00", "99", "0", "\u00e9", " ", "\n"]
)  # fmt: skip
scans = st.text(max_size=60) | st.lists(GS1_PIECES, max_size=12).map("".join)


def check_scan(text: str) -> None:
    try:
        result = parse_pack_scan(text)
    except ScanError as exc:
        assert str(exc)  # a message the worker can read
        return
    assert isinstance(result, PackScan)


@FAST
@given(scans)
def test_gs1_parser_returns_a_pack_or_scan_error(text: str) -> None:
    """parse_pack_scan on arbitrary and GS1-shaped text: a PackScan or a ScanError with text."""
    check_scan(text)


@pytest.mark.soak
@SOAK
@given(scans)
def test_soak_gs1_parser(text: str) -> None:
    """5,000 arbitrary scans: a PackScan or a ScanError, never another exception."""
    check_scan(text)


@FAST
@given(st.binary(max_size=300))
def test_msgpack_record_decoder_rejects_garbage_cleanly(blob: bytes) -> None:
    """decode_record on random bytes raises msgspec's DecodeError/ValidationError only."""
    with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
        decode_record(blob)
