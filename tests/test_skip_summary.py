"""The end of a test run names each missing prerequisite and what it cost (README)."""

from __future__ import annotations

from conftest import skip_summary


def test_each_missing_prerequisite_is_counted_once() -> None:
    reasons = [
        "shared data file /x/shared/data/eventlogs/a.xes.gz is not present (../shared/data ...)",
        "shared data file /x/shared/data/fairness/b.csv is not present (../shared/data ...)",
        "Debian's Chromium is not installed at /usr/bin/chromium",
        "PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:5432/test is unreachable: Error",
        "file operations: the database backend does not change them",
    ]
    assert skip_summary(reasons) == [
        "2 test(s) skipped because ../shared/data is not beside the checkout "
        "(the real public logs and sets)",
        "1 test(s) skipped because Debian's Chromium is not installed (`apt-get install chromium`)",
        "1 test(s) skipped because the PostgreSQL server at 127.0.0.1:5432 is not reachable",
    ]


def test_a_run_that_lacked_nothing_says_nothing() -> None:
    assert skip_summary(["file operations: the database backend does not change them"]) == []
