"""Throughput times, arrivals and work in progress on a hand-written log.

Case spans (hours from Monday 2024-01-01 00:00 UTC): c1 0→3, c2 0→4h+0.25s, c3 10→16, c4 20→21,
c6 30→130 (Tue 06:00 → Sat 10:00), c5 200→205 (Tue 2024-01-09).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from civicflow.core import ConfigurationError
from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import LogView, arrivals, throughput_times, work_in_progress
from realdata import make_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0


def at(hours: float, seconds: float = 0.0) -> datetime:
    return T0 + timedelta(hours=hours, seconds=seconds)


EVENTS = [
    ("c1", "a", at(0)),
    ("c1", "c", at(3)),
    ("c2", "a", at(0)),
    ("c2", "c", at(4, 0.25)),
    ("c3", "a", at(10)),
    ("c3", "b", at(12)),
    ("c3", "c", at(16)),
    ("c4", "b", at(20)),
    ("c4", "d", at(21)),
    ("c5", "a", at(200)),
    ("c5", "c", at(205)),
    ("c6", "a", at(30)),
    ("c6", "c", at(130)),
]
DURATIONS = {"c1": 3 * H, "c2": 4 * H + 0.25, "c3": 6 * H, "c4": 1 * H, "c5": 5 * H, "c6": 100 * H}


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("perf"))
    return LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "small", EVENTS))


def test_per_case_and_summary(view: LogView) -> None:
    tt = throughput_times(view, bins=4)
    assert tt.cases is not None
    got = dict(zip(tt.cases["case_id"], tt.cases["throughput_seconds"], strict=True))
    assert got == pytest.approx(DURATIONS, abs=1e-9)
    values = np.array(sorted(DURATIONS.values()))
    s = tt.summary
    assert s.count == 6
    assert s.mean == pytest.approx(values.mean())
    assert s.median == pytest.approx(4.5 * H + 0.125)  # between 4h+0.25s and 5h
    for attr, q in [("p10", 10), ("p25", 25), ("p75", 75), ("p90", 90), ("p95", 95)]:
        assert getattr(s, attr) == pytest.approx(np.percentile(values, q)), attr
    assert (s.min, s.max) == (1 * H, 100 * H)


def test_histogram(view: LogView) -> None:
    tt = throughput_times(view, bins=4, include_cases=False)
    assert tt.cases is None
    # width (100h - 1h) / 4 = 24.75h: five cases in the first bin, c6 (the maximum) in the last
    assert [b.cases for b in tt.histogram] == [5, 0, 0, 1]
    assert tt.histogram[0].low == 1 * H
    assert tt.histogram[-1].high == pytest.approx(100 * H)
    assert tt.to_dict()["histogram"][1] == {"low": 25.75 * H, "high": 50.5 * H, "cases": 0}


def test_arrivals(view: LogView) -> None:
    day = arrivals(view, freq="day")
    assert [p.date().isoformat() for p in day.periods] == [f"2024-01-0{d}" for d in range(1, 10)]
    assert day.values == (4, 1, 0, 0, 0, 0, 0, 0, 1)
    week = arrivals(view, freq="week")
    assert [p.date().isoformat() for p in week.periods] == ["2024-01-01", "2024-01-08"]
    assert week.values == (5, 1)
    assert arrivals(view, freq="month").values == (6,)
    assert week.to_dict()["periods"][0].startswith("2024-01-01")


def test_work_in_progress(view: LogView) -> None:
    wip = work_in_progress(view, freq="day")
    assert wip.open == (4, 1, 1, 1, 1, 1, 0, 0, 1)
    assert wip.started == (4, 1, 0, 0, 0, 0, 0, 0, 1)
    assert wip.completed == (4, 0, 0, 0, 0, 1, 0, 0, 1)
    weekly = work_in_progress(view, freq="week")
    assert (weekly.open, weekly.started, weekly.completed) == ((5, 1), (5, 1), (5, 1))
    assert list(wip.frame.columns) == ["period", "open", "started", "completed"]


def test_bad_inputs(view: LogView) -> None:
    with pytest.raises(ConfigurationError):
        arrivals(view, freq="year")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        throughput_times(view, bins=0)
