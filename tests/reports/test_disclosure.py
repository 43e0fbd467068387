"""Disclosure control: the NHS Digital rule on edge values and on whole count sets."""

from __future__ import annotations

import pytest

from outreach.reports.commissioner import local_counts
from outreach.reports.disclosure import publish_rows, publish_value
from outreach.store.store import Store
from tests.reports.conftest import JANUARY


@pytest.mark.parametrize(
    ("true", "shown"),
    [(0, 0), (1, "*"), (7, "*"), (8, 10), (12, 10), (13, 15), (15, 15), (17, 15), (18, 20)],
)
def test_rule_on_edge_values(true: int, shown: object) -> None:
    """0 stays 0, 1-7 become *, the rest round to the nearest 5."""
    assert publish_value(true) == shown


def test_negative_counts_are_refused() -> None:
    """A negative count is a bug upstream, not something to publish."""
    with pytest.raises(ValueError, match="negative"):
        publish_value(-1)


def test_rows_keep_their_keys() -> None:
    """Only the count column changes."""
    assert publish_rows([{"product": "x", "count": 13}]) == [{"product": "x", "count": 15}]


def test_published_set_never_shows_a_true_small_number(seeded: Store) -> None:
    """Every cell and headline of a published set is 0, * or a multiple of 5."""
    published = local_counts(seeded.conn, *JANUARY).for_publication()
    values = [h.value for h in published.headlines]
    values += [n for table in published.tables for _, n in table.rows]
    assert values
    assert all(v == "*" or (isinstance(v, int) and v % 5 == 0) for v in values)
    assert published.headline("contacts") == "*"
    assert published.for_publication() is published
