"""The navigation follows the record types' grants (no Qt needed: the registry is plain data)."""

from __future__ import annotations

import pytest

from outreach.ui.pages import pages_for


@pytest.mark.parametrize(
    ("role", "titles"),
    [
        (
            "worker",
            [
                "Record contact",
                "Issue naloxone",
                "History",
                "Sync",
                "Record overdose",
                "Follow-ups due",
            ],
        ),
        ("pharmacy", ["Issue naloxone", "Stock", "Sync"]),
        (
            "coordinator",
            [
                "Record contact",
                "Issue naloxone",
                "History",
                "Stock",
                "Dashboard",
                "Sync",
                "Record overdose",
                "Referral outcomes",
                "Overdose review",
                "Follow-ups due",
                "Devices",
            ],
        ),
    ],
)
def test_each_role_sees_the_pages_its_grants_allow(role: str, titles: list[str]) -> None:
    """A pharmacy user has no contact form and no client histories; a worker no stock pages."""
    assert [entry.title for entry in pages_for(role)] == titles
