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
from outreach.records.record_lines import parse_lines
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


# -- `outreach record` input: JSON lines as bytes ---------------------------------------------


@st.composite
def nested_lines(draw: st.DrawFn) -> bytes:
    """A record line with one field nested 1-50,000 brackets deep (closed or not)."""
    depth = draw(st.integers(1, 50_000))
    opening = draw(st.sampled_from(["[", '{"a":', "[{}, "]))
    closing = {"[": "]", '{"a":': "}", "[{}, ": "]"}[opening]
    tail = closing * depth if draw(st.booleans()) else ""
    field = draw(st.sampled_from(["substances", "site", "shoe_size"]))
    line = json.dumps(CONTACT)[:-1] + f', "{field}": ' + opening * depth + "1" + tail + "}"
    return line.encode()


@st.composite
def huge_integer_lines(draw: st.DrawFn) -> bytes:
    """A record line with an integer of 4,000-20,000 digits in some field, or alone."""
    digits = "9" * draw(st.integers(4_000, 20_000))
    if draw(st.booleans()):
        return digits.encode()
    field = draw(st.sampled_from(["quantity", "schema", "site", "doses"]))
    return (json.dumps(KIT)[:-1] + f', "{field}": -{digits}' + "}").encode()


@st.composite
def not_utf8_lines(draw: st.DrawFn) -> bytes:
    """A valid record line with bytes that are not UTF-8 spliced in."""
    line = json.dumps(KIT).encode()
    at = draw(st.integers(0, len(line)))
    bad = draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]))
    return line[:at] + bad + line[at:]


hostile_lines = nested_lines() | huge_integer_lines() | not_utf8_lines()


def check_lines(bad: bytes, position: int) -> None:
    good = json.dumps(KIT).encode()
    lines = [good, good]
    lines.insert(position, bad)
    records, errors = parse_lines(lines, "alice")
    assert [error.line for error in errors] == [position + 1]
    assert str(errors[0]) and len(records) == 2


@FAST
@given(hostile_lines, st.integers(0, 2))
def test_record_lines_refuse_depth_huge_integers_and_bad_utf8(bad: bytes, position: int) -> None:
    """Deep nesting, 4,000+ digit integers and non-UTF-8 bytes: InvalidRecord for that line only."""
    check_lines(bad, position)


@pytest.mark.soak
@SOAK
@given(hostile_lines, st.integers(0, 2))
def test_soak_record_lines(bad: bytes, position: int) -> None:
    """5,000 hostile lines among good ones: one InvalidRecord naming the line, never a crash."""
    check_lines(bad, position)


@FAST
@given(st.lists(st.binary(max_size=80), max_size=5))
def test_record_lines_on_random_bytes(lines: list[bytes]) -> None:
    """parse_lines on random bytes: records and InvalidRecords, never another exception."""
    records, errors = parse_lines(lines, "alice")
    assert len(records) + len(errors) <= len(lines)
