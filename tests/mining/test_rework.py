"""Rework on a hand-written log, and on Sepsis against plain pandas over PM4Py's reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import LogView, rework
from realdata import make_dataset, pm4py_frame, real_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0


def at(h: float) -> datetime:
    return T0 + timedelta(hours=h)


# c1: a b b c (b repeats as a self-loop), c2: a b c (no rework), c3: a b c a b (a and b repeat,
# no self-loop), c4: a c (no rework)
EVENTS = [
    ("c1", "a", at(0)),
    ("c1", "b", at(1)),
    ("c1", "b", at(4)),
    ("c1", "c", at(9)),
    ("c2", "a", at(0)),
    ("c2", "b", at(1)),
    ("c2", "c", at(4)),
    ("c3", "a", at(0)),
    ("c3", "b", at(1)),
    ("c3", "c", at(4)),
    ("c3", "a", at(9)),
    ("c3", "b", at(16)),
    ("c4", "a", at(0)),
    ("c4", "c", at(2)),
]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("rw"))
    return LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "rw", EVENTS))


def test_rework_share_and_extra_time(view: LogView) -> None:
    r = rework(view)
    assert (r.case_count, r.cases_with_rework, r.cases_with_self_loops) == (4, 2, 1)
    assert r.rework_share == pytest.approx(0.5)
    # with rework: c1 9 h, c3 16 h -> 12.5 h; without: c2 4 h, c4 2 h -> 3 h
    assert r.median_throughput_with_rework_seconds == pytest.approx(12.5 * H)
    assert r.median_throughput_without_rework_seconds == pytest.approx(3 * H)
    assert r.extra_time_seconds == pytest.approx(9.5 * H)


def test_per_activity_repeats_loops_and_spans(view: LogView) -> None:
    r = rework(view)
    by = {a.activity: a for a in r.activities}
    assert set(by) == {"a", "b"}
    b = by["b"]
    assert (b.cases_with_repeats, b.extra_occurrences, b.self_loops, b.cases_with_self_loops) == (
        2,
        2,
        1,
        1,
    )
    # spans first -> last completion: c1 4-1 = 3 h, c3 16-1 = 15 h
    assert b.rework_span_total_seconds == pytest.approx(18 * H)
    assert b.rework_span_median_seconds == pytest.approx(9 * H)
    a = by["a"]
    assert (a.cases_with_repeats, a.extra_occurrences, a.self_loops) == (1, 1, 0)
    assert a.rework_span_total_seconds == pytest.approx(9 * H)
    assert [x.activity for x in r.activities] == ["b", "a"]


def test_no_rework_gives_empty_lists_and_no_extra_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ws = EventStore.create(tmp_path / "ws")
    ds = make_dataset(ws, "flat", [("x", "a", at(0)), ("x", "b", at(1)), ("y", "a", at(2))])
    r = rework(LogView(engine=DuckDBEngine(), dataset=ds))
    assert (r.cases_with_rework, r.rework_share, r.activities) == (0, 0.0, ())
    assert r.extra_time_seconds is None
    assert "median throughput of cases with rework minus" in r.to_dict()["definition"]


def test_sepsis_matches_pandas() -> None:
    name = "Sepsis_Cases-Event_Log"
    r = rework(LogView(engine=DuckDBEngine(), dataset=real_dataset(name)))
    df = pm4py_frame(name)[["case:concept:name", "concept:name", "time:timestamp"]].copy()
    df.columns = ["case", "activity", "ts"]
    counts = df.groupby(["case", "activity"]).size()
    repeated = counts[counts > 1]
    cases_with = repeated.index.get_level_values("case").nunique()
    assert r.case_count == df["case"].nunique()
    assert r.cases_with_rework == cases_with
    assert r.rework_share == pytest.approx(cases_with / df["case"].nunique())
    per_activity = repeated.groupby(level="activity").agg(["size", lambda s: int((s - 1).sum())])
    got = {a.activity: (a.cases_with_repeats, a.extra_occurrences) for a in r.activities}
    assert got == {str(k): (int(v.iloc[0]), int(v.iloc[1])) for k, v in per_activity.iterrows()}

    # self-loops: consecutive events of a case (timestamp, then file order) with the same label
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df["pos"] = range(len(df))
    df = df.sort_values(["case", "ts", "pos"])
    loop = df["activity"].eq(df.groupby("case")["activity"].shift())
    assert sum(a.self_loops for a in r.activities) == int(loop.sum())
    assert r.cases_with_self_loops == df.loc[loop, "case"].nunique()
