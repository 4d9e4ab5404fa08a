"""Activity statistics on a hand-written log (start timestamps, lifecycle pairs, ties) and, on a
real log, waiting times recomputed with plain pandas from PM4Py's own reading of the file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, DuckDBEngine, EventStore
from civicflow.mining import LogView, activity_stats
from realdata import pm4py_frame, real_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0


def at(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def write_log(ws: EventStore, name: str, rows: list[dict[str, Any]]) -> LogView:
    cols: dict[str, list[Any]] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    for pos, row in enumerate(rows):
        for c in CORE_EVENT_SCHEMA.names:
            cols[c].append(pos if c == "position" else row.get(c))
    mapping = ColumnMapping(case_id="c", activity="a", timestamp="t")
    with ws.writer(name, source="hand-written", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(cols, schema=CORE_EVENT_SCHEMA))
    return LogView(engine=DuckDBEngine(), dataset=ws.dataset(name))


def ev(case: str, act: str, h: float, **more: Any) -> dict[str, Any]:
    return {"case_id": case, "activity": act, "timestamp": at(h), **more}


# c1: register 0h; check started 2h (lifecycle pair), completed 5h; decide 9h
# c2: register 0h; check 1h with start_timestamp 0.5h; check again 4h (start 3h); decide 4h (tie,
#     after the check by position)
# c3: register 10h; decide 11h; a 'start' of check that never completes at 12h
LIFECYCLE_LOG = [
    ev("c1", "register", 0, lifecycle="complete"),
    ev("c1", "check", 2, lifecycle="start"),
    ev("c1", "check", 5, lifecycle="complete"),
    ev("c1", "decide", 9, lifecycle="complete"),
    ev("c2", "register", 0),
    ev("c2", "check", 1, start_timestamp=at(0.5)),
    ev("c2", "check", 4, start_timestamp=at(3)),
    ev("c2", "decide", 4),
    ev("c3", "register", 10),
    ev("c3", "decide", 11),
    ev("c3", "check", 12, lifecycle="start"),
]


@pytest.fixture(scope="module")
def stats(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    ws = EventStore.create(tmp_path_factory.mktemp("act"))
    return activity_stats(write_log(ws, "lc", LIFECYCLE_LOG))


def test_frequencies_and_case_share(stats) -> None:  # type: ignore[no-untyped-def]
    check = stats.get("check")
    assert (check.events, check.instances, check.cases) == (5, 3, 3)
    assert check.case_share == pytest.approx(1.0)
    decide = stats.get("decide")
    assert (decide.events, decide.instances, decide.cases) == (3, 3, 3)
    assert stats.case_count == 3
    assert [a.activity for a in stats.activities] == ["check", "decide", "register"]


def test_service_times_from_lifecycle_pairs_and_start_timestamps(stats) -> None:  # type: ignore[no-untyped-def]
    check = stats.get("check")
    # c1: 5-2 = 3 h (lifecycle pair); c2: 1-0.5 = 0.5 h and 4-3 = 1 h (start_timestamp)
    assert check.service_count == 3
    assert check.service_mean_seconds == pytest.approx((3 + 0.5 + 1) / 3 * H)
    assert check.service_median_seconds == pytest.approx(1 * H)
    # p90 by linear interpolation over [0.5, 1, 3]: position 1.8 -> 1 + 0.8 * 2 = 2.6 h
    assert check.service_p90_seconds == pytest.approx(2.6 * H)
    assert stats.get("register").service_count == 0
    assert stats.get("register").service_median_seconds is None
    assert stats.has_service_times


def test_waiting_times_before_each_activity(stats) -> None:  # type: ignore[no-untyped-def]
    check = stats.get("check")
    # c1: start 2 - register 0 = 2 h; c2: start 0.5 - 0 = 0.5 h, then start 3 - end 1 = 2 h
    assert check.wait_count == 3
    assert check.wait_total_seconds == pytest.approx(4.5 * H)
    assert check.wait_median_seconds == pytest.approx(2 * H)
    decide = stats.get("decide")
    # c1: 9 - 5 = 4 h; c2: 4 - 4 = 0 (tie); c3: 11 - 10 = 1 h
    assert decide.wait_total_seconds == pytest.approx(5 * H)
    assert decide.wait_mean_seconds == pytest.approx(5 / 3 * H)
    assert stats.get("register").wait_count == 0
    assert stats.get("register").wait_total_seconds is None


def test_to_dict_is_json_ready(stats) -> None:  # type: ignore[no-untyped-def]
    import json

    d = json.loads(json.dumps(stats.to_dict()))
    assert d["activities"][0]["activity"] == "check"
    assert "previous activity instance" in d["waiting_definition"]
    assert list(stats.frame["activity"]) == ["check", "decide", "register"]


def test_real_log_matches_pandas() -> None:
    """Sepsis: every event is a completion, so the wait before an event is the gap to the previous
    event of its case in (timestamp, file position) order — recomputed here with pandas."""
    name = "Sepsis_Cases-Event_Log"
    view = LogView(engine=DuckDBEngine(), dataset=real_dataset(name))
    got = {a.activity: a for a in activity_stats(view).activities}

    df = pm4py_frame(name)[["case:concept:name", "concept:name", "time:timestamp"]].copy()
    df.columns = ["case", "activity", "ts"]
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df["pos"] = range(len(df))
    df = df.sort_values(["case", "ts", "pos"])
    df["wait"] = (df["ts"] - df.groupby("case")["ts"].shift()).dt.total_seconds()
    expected = df.groupby("activity").agg(
        events=("case", "size"),
        cases=("case", "nunique"),
        wait_total=("wait", "sum"),
        wait_count=("wait", "count"),
        wait_median=("wait", "median"),
    )
    assert set(got) == set(expected.index)
    for act, row in expected.iterrows():
        a = got[str(act)]
        assert (a.events, a.cases, a.wait_count) == (row["events"], row["cases"], row["wait_count"])
        if row["wait_count"]:
            assert a.wait_total_seconds == pytest.approx(row["wait_total"], rel=1e-9)
            assert a.wait_median_seconds == pytest.approx(row["wait_median"], rel=1e-9)
