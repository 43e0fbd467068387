"""Figures the reliability tests measure, printed at the end of the run (and by `make soak`)."""

from __future__ import annotations

from typing import Any

import pytest

FIGURES: dict[str, dict[str, Any]] = {}


@pytest.fixture
def figures() -> dict[str, dict[str, Any]]:
    """Tests record what they measured under a name; the summary prints every entry."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, values in sorted(FIGURES.items()):
        terminalreporter.write_line(
            f"{name}: " + ", ".join(f"{key}={value}" for key, value in values.items())
        )
