"""Our results equal PM4Py's on every real log (PM4Py is a test oracle only, never imported by src/).

PM4Py reads the XES itself (its DataFrame is in file order; its algorithms sort by case, timestamp and
row index, the same tie-break as our ``position``), so the two sides share nothing but the file.
Classifier: ``concept:name`` on both sides.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from civicflow.eventlog import DuckDBEngine
from civicflow.mining import LogView, process_map, throughput_times, variants
from realdata import log_path, pm4py_frame, real_dataset, real_log_params

pm4py = pytest.importorskip("pm4py", reason="PM4Py (test extra) is the oracle for these tests")

REL = 1e-6

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def engine() -> Any:
    e = DuckDBEngine()
    yield e
    e.close()


@pytest.fixture(scope="module", params=real_log_params())
def logs(request: pytest.FixtureRequest, engine: DuckDBEngine) -> tuple[LogView, Any]:
    name = request.param
    df = pm4py_frame(name)
    dataset = real_dataset(name)
    missing = df["concept:name"].isna()
    if dataset.manifest.rejected:
        # our ingest set events without an activity aside (and counted them): drop the same ones
        assert dataset.manifest.rejected == int(missing.sum())
        df = df[~missing]
    elif missing.any():
        # XES: an event without the key takes the log's <global scope="event"> default. PM4Py does
        # not apply globals (and refuses empty activities), so apply it on its side.
        default = _event_global(log_path(name), "concept:name")
        assert default is not None, "an event lacks concept:name and the log declares no default"
        df = df.assign(**{"concept:name": df["concept:name"].fillna(default)})
    return LogView(engine=engine, dataset=dataset), df


def _event_global(path: Path, key: str) -> str | None:
    pattern = re.compile(rf'<string key="{re.escape(key)}" value="([^"]*)"')
    in_globals = False
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if '<global scope="event">' in line:
                in_globals = True
            elif "</global>" in line:
                in_globals = False
            elif "<trace" in line:
                return None
            elif in_globals and (m := pattern.search(line)):
                return m.group(1)
    return None


def test_dfg_counts_and_start_end(logs: tuple[LogView, Any]) -> None:
    view, df = logs
    dfg, starts, ends = pm4py.discover_dfg(df)
    ours = process_map(view)
    assert {(e.source, e.target): e.frequency for e in ours.edges} == dict(dfg)
    assert ours.start_activities == dict(starts)
    assert ours.end_activities == dict(ends)
    # case frequency is not in PM4Py's DFG: count distinct cases per pair independently
    df_sorted = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    nxt = df_sorted.groupby("case:concept:name", sort=False)["concept:name"].shift(-1)
    pairs = df_sorted.assign(target=nxt).dropna(subset=["target"])
    cases = pairs.groupby(["concept:name", "target"])["case:concept:name"].nunique().to_dict()
    assert {(e.source, e.target): e.cases for e in ours.edges} == cases


def test_performance_dfg_mean_median(logs: tuple[LogView, Any]) -> None:
    view, df = logs
    perf, _, _ = pm4py.discover_performance_dfg(df)
    ours = {(e.source, e.target): e for e in process_map(view).edges}
    assert set(ours) == set(perf)
    for pair, stats in perf.items():
        e = ours[pair]
        assert e.mean_seconds == pytest.approx(float(stats["mean"]), rel=REL, abs=1e-6), pair
        assert e.median_seconds == pytest.approx(float(stats["median"]), rel=REL, abs=1e-6), pair
        assert e.total_seconds == pytest.approx(float(stats["sum"]), rel=REL, abs=1e-6), pair
        assert e.min_seconds == pytest.approx(float(stats["min"]), rel=REL, abs=1e-6), pair
        assert e.max_seconds == pytest.approx(float(stats["max"]), rel=REL, abs=1e-6), pair


def test_variants_and_counts(logs: tuple[LogView, Any]) -> None:
    view, df = logs
    theirs = pm4py.get_variants(df)
    ours = variants(view, top=None)
    assert ours.counts() == {tuple(k): int(v) for k, v in theirs.items()}
    assert ours.total_cases == sum(Counter(theirs).values())


def test_case_durations(logs: tuple[LogView, Any]) -> None:
    from pm4py.statistics.traces.generic.pandas import case_statistics

    view, df = logs
    theirs = {
        str(k): float(v["caseDuration"])
        for k, v in case_statistics.get_cases_description(df).items()
    }
    tt = throughput_times(view)
    assert tt.cases is not None
    ours = dict(zip(tt.cases["case_id"].astype(str), tt.cases["throughput_seconds"], strict=True))
    assert ours.keys() == theirs.keys()
    assert ours == pytest.approx(theirs, rel=REL, abs=1e-6)
    assert sorted(pm4py.get_all_case_durations(df)) == pytest.approx(
        sorted(ours.values()), rel=REL, abs=1e-6
    )
