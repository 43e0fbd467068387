"""docs/data-dictionary.md names every field of every built-in record type, and every code list a
type uses exists (with codes) in the shipped vocabulary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from outreach.domain.vocab import base_vocabulary
from outreach.records import registry

ROOT = Path(__file__).parents[2]
DICTIONARY = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
COMMON = {"id", "occurred_at", "recorded_by", "schema", "supersedes"}


def section(kind: str) -> str:
    match = re.search(rf"^### `{kind}`\n(.*?)(?=^#{{2,3}} |\Z)", DICTIONARY, re.M | re.S)
    assert match, f"no section for {kind}"
    return match.group(1)


@pytest.mark.parametrize("kind", registry.BUILT_IN)
def test_every_field_is_in_the_dictionary(kind: str) -> None:
    text = section(kind)
    fields = set(registry.struct_of(kind).__struct_fields__) - COMMON  # type: ignore[union-attr]
    missing = sorted(field for field in fields if f"`{field}`" not in text)
    assert missing == []


@pytest.mark.parametrize("kind", registry.BUILT_IN)
def test_every_code_list_a_type_uses_exists(kind: str) -> None:
    vocab = base_vocabulary()
    struct = registry.struct_of(kind)
    assert struct is not None
    for list_name in (*struct.CODED.values(), *struct.CODED_LISTS.values()):
        assert vocab.codes(list_name), list_name


def test_the_new_lists_are_documented_code_for_code() -> None:
    lists = json.loads((ROOT / "resources" / "vocab" / "v1.json").read_text())["lists"]
    table = DICTIONARY.split("## Code lists added for issue 15", 1)[1]
    for name in (
        "overdose_source",
        "kit_owner",
        "referral_outcome",
        "outcome_source",
        "follow_up_outcome",
        "follow_up_status",
    ):
        row = re.search(rf"^\| `{name}` \| (.*) \|$", table, re.M)
        assert row, name
        assert re.findall(r"`([a-z_]+)`", row.group(1)) == [e["code"] for e in lists[name]]
