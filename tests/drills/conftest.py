"""The drills report what they tried and what held; the lines are printed together at the
end of the run (requests tried and 5xx seen, messages expected/sent/duplicated, bookings
attempted/stored/half-written)."""

import pytest

REPORT: list[str] = []


@pytest.fixture
def drill_report():
    """Call with one line of figures for the summary at the end of the run."""
    return REPORT.append


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("drills: what was tried and what held")
        for line in REPORT:
            terminalreporter.write_line(line)
