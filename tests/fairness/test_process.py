"""Process fairness on the demo log with a known injected difference: cases of one language group
wait 6 days longer before 'Assess application'; 'new build' and 'monument' cases (more often in
that group) wait 10 days longer. The analysis finds the difference, and after accounting for the
permit type it finds the 6 days."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.demo import DemoConfig
from civicflow.demo._generator import simulate_demo
from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, DuckDBEngine, EventStore
from civicflow.fairness import ProcessFairness, ProcessFairnessConfig, process_fairness
from civicflow.mining import LogView

ASSESS = "Assess application"
GROUP_DELAY, TYPE_DELAY = 6.0, 10.0
SLOW_TYPES = ("new build", "monument")


def _injected_view(root) -> LogView:
    log = simulate_demo(config=DemoConfig(cases=900, seed=5))
    cases = log.cases.to_pandas()
    rng = np.random.default_rng(3)
    slow_type = cases["permit_type"].isin(SLOW_TYPES).to_numpy()
    minority = rng.random(len(cases)) < np.where(slow_type, 0.6, 0.15)
    cases["language"] = np.where(minority, "other language", "Dutch")
    delay_days = GROUP_DELAY * minority + TYPE_DELAY * slow_type
    events = log.events.select(CORE_EVENT_SCHEMA.names).to_pandas()
    # every event from the case's first assessment on moves later by the case's delay
    first_assess = events[events["activity"] == ASSESS].groupby("case_id")["timestamp"].min()
    delay = events["case_id"].map(dict(zip(cases["case_id"], delay_days, strict=True)))
    after = events["timestamp"] >= events["case_id"].map(first_assess)
    shift = delay.where(after, 0.0).fillna(0.0).map(lambda d: timedelta(days=d))
    events["timestamp"] = events["timestamp"] + shift
    started = events["start_timestamp"].notna()
    events.loc[started, "start_timestamp"] = events.loc[started, "start_timestamp"] + shift[started]
    ws = EventStore.create(root)
    mapping = ColumnMapping(case_id="case_id", activity="activity", timestamp="timestamp")
    with ws.writer("injected", source="demo", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pandas(events, schema=CORE_EVENT_SCHEMA, preserve_index=False))
        w.write_cases(pa.Table.from_pandas(cases, preserve_index=False))
    return LogView(engine=DuckDBEngine(), dataset=ws.dataset("injected"))


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    return _injected_view(tmp_path_factory.mktemp("pf") / "ws")


@pytest.fixture(scope="module")
def result(view: LogView) -> ProcessFairness:
    return process_fairness(view, ProcessFairnessConfig(group="language", control="permit_type"))


def test_the_injected_wait_is_found_and_located(result: ProcessFairness) -> None:
    d = result.difference("wait_days", "other language", ASSESS)
    # unadjusted: the group delay plus its larger share of slow permit types
    assert d.difference is not None and d.difference > GROUP_DELAY + 2
    assert d.low is not None and d.low > GROUP_DELAY
    # after accounting for the permit type: the injected 6 days, inside the interval
    assert d.adjusted_difference == pytest.approx(GROUP_DELAY, abs=1.0)
    assert d.adjusted_low < GROUP_DELAY + 0.5 and d.adjusted_high > GROUP_DELAY - 0.5
    assert d.significant and d.p_holm is not None and d.p_holm < 1e-6
    top = result.findings[0]
    assert top.activity == ASSESS and top.severity == "high"
    assert "wait" in top.text and f"before '{ASSESS}'" in top.text
    assert "after accounting for permit_type" in top.text
    # with two groups the larger one is not compared again (the mirror image)
    with pytest.raises(KeyError):
        result.difference("wait_days", "Dutch", ASSESS)


def test_no_difference_where_none_was_injected(result: ProcessFairness) -> None:
    # the first check happens before any injected delay
    d = result.difference("wait_days", "other language", "Check completeness")
    assert not d.significant
    assert d.adjusted_low < 0 < d.adjusted_high


def test_stratified_agrees_with_regression(view: LogView) -> None:
    r = process_fairness(
        view,
        ProcessFairnessConfig(group="language", control="permit_type", adjustment="stratified"),
    )
    d = r.difference("wait_days", "other language", ASSESS)
    assert d.adjusted_difference == pytest.approx(GROUP_DELAY, abs=1.0)
    t = r.difference("throughput_days", "other language")
    assert t.difference is not None and t.difference > 0


def test_every_measure_is_compared(result: ProcessFairness) -> None:
    measures = {d.measure for d in result.differences}
    assert {"throughput_days", "wait_days", "rework", "sla_compliance", "outcome"} <= measures
    sla = result.difference("sla_compliance", "other language")
    assert sla.value is not None and sla.other_value is not None and sla.value < sla.other_value
    assert result.sla is not None and "deadline" in result.sla
    assert result.groups["Dutch"] + result.groups["other language"] == result.cases == 900
    # both corrections are reported; BH is never stricter than Holm
    for d in result.differences:
        if d.p_holm is not None:
            assert d.p_bh is not None and d.p_bh <= d.p_holm + 1e-12
    data = result.to_dict()
    assert data["findings"][0]["rank"] == 1


def test_district_of_the_demo_shows_nothing_severe(view: LogView) -> None:
    r = process_fairness(view, ProcessFairnessConfig(group="district"))
    assert not any(f.severity == "high" for f in r.findings)


def test_clear_errors(view: LogView) -> None:
    with pytest.raises(InputError, match="no case attribute 'colour'"):
        process_fairness(view, ProcessFairnessConfig(group="colour"))
    with pytest.raises(ConfigurationError, match="control attribute is the group"):
        process_fairness(view, ProcessFairnessConfig(group="district", control="district"))
    with pytest.raises(ConfigurationError):
        ProcessFairnessConfig(group="district", adjustment="magic")  # type: ignore[arg-type]


@pytest.mark.spark
@pytest.mark.slow
def test_same_result_on_spark(view: LogView, result: ProcessFairness) -> None:
    import shutil

    pytest.importorskip("pyspark", reason="PySpark is not installed (extra: civicflow[spark])")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH: Spark cannot start")
    from civicflow.eventlog import SparkEngine

    engine = SparkEngine(master="local[2]")
    try:
        spark = process_fairness(
            LogView(engine=engine, dataset=view.dataset),
            ProcessFairnessConfig(group="language", control="permit_type"),
        )
    finally:
        engine.close()
    assert spark.groups == result.groups
    for a in result.differences:
        b = spark.difference(a.measure, a.group, a.activity)
        assert (b.cases, b.other_cases) == (a.cases, a.other_cases)
        for name in ("value", "difference", "adjusted_difference"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None and y is None) or x == pytest.approx(y, rel=1e-9, abs=1e-9)
