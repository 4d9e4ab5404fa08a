"""Shared fixtures. Real data lives in ../shared/data beside the checkout (never copied here)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EVENTLOGS = SHARED_DATA / "eventlogs"


def shared_file(*parts: str) -> Path:
    """A file from ../shared/data, or skip the test with a clear reason if it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data file {path} is not present (../shared/data beside the checkout)")
    return path


# what a skipped test needed, recognised by its skip reason, and how to get it
MISSING_PREREQUISITES = (
    (
        "shared data file",
        "../shared/data is not beside the checkout (the real public logs and sets)",
    ),
    ("chromium", "Debian's Chromium is not installed (`apt-get install chromium`)"),
    ("postgresql", "the PostgreSQL server at 127.0.0.1:5432 is not reachable"),
    ("java is not on path", "Java 17 is not installed (Spark's local mode needs it)"),
)


def skip_summary(reasons: list[str]) -> list[str]:
    """One line per missing prerequisite with the number of tests it cost, so a newcomer whose
    machine lacks shared data, Chromium or PostgreSQL sees it at the end of the run."""
    lines = []
    for marker, what in MISSING_PREREQUISITES:
        count = sum(1 for reason in reasons if marker in reason.lower())
        if count:
            lines.append(f"{count} test(s) skipped because {what}")
    return lines


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reasons.append(str(longrepr[-1]) if isinstance(longrepr, tuple) else str(longrepr))
    lines = skip_summary(reasons)
    if lines:
        terminalreporter.write_sep("=", "tests skipped for a missing prerequisite")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def workspace(tmp_path: Path):
    from civicflow.eventlog import EventStore

    return EventStore.create(tmp_path / "ws")
