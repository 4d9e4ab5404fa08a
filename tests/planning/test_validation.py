"""Validation on held-out data: the measures of log-distance-measures, the naive reference, the
distributions side by side and the verdict; a model scores better against a log it generated than
a deliberately broken copy of it does."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sim_models import START, flow_model

from civicflow.core import InputError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import DuckDBEngine, EventStore, ingest
from civicflow.mining import LogView, WorkingCalendar
from civicflow.planning import (
    ActivityDuration,
    ArrivalModel,
    DiscoveryConfig,
    Distribution,
    ResourcePool,
    Scenario,
    SimulationConfig,
    SimulationModel,
    ValidationConfig,
    ValidationReport,
    simulate,
    validate_model,
)

KEYS = {"control_flow", "ngram", "absolute", "circadian", "arrivals", "cycle_time"}


@pytest.fixture(scope="module")
def demo_view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    _ws, ds = build_demo_workspace(
        path=tmp_path_factory.mktemp("demo") / "ws", config=DemoConfig(cases=1500, seed=11)
    )
    return LogView(engine=DuckDBEngine(), dataset=ds)


@pytest.fixture(scope="module")
def demo_report(demo_view: LogView) -> ValidationReport:
    return validate_model(
        demo_view,
        ValidationConfig(
            holdout=0.25,
            replications=2,
            discovery=DiscoveryConfig(timezone="Europe/Amsterdam", country="NL"),
        ),
    )


def test_the_demo_log_is_split_by_time_and_every_measure_is_reported(
    demo_view: LogView, demo_report: ValidationReport
) -> None:
    r = demo_report
    assert r.held_out_cases + r.training_cases == demo_view.dataset.manifest.cases
    # the split lies three quarters into the span of case starts
    span = (r.held_out_end - r.training_start).total_seconds()
    assert (r.split - r.training_start).total_seconds() == pytest.approx(0.75 * span, rel=1e-6)
    # the model was discovered on the training period only
    assert r.model.source["training_end"] == r.split.isoformat()
    assert {m.key for m in r.measures} == KEYS
    for m in r.measures:
        assert len(m.per_replication) == 2
        assert math.isfinite(m.simulated) and m.simulated >= 0, m
        assert math.isfinite(m.naive) and m.naive >= 0, m
    assert 0 <= r.measure("control_flow").simulated <= 1
    assert 0 <= r.measure("ngram").simulated <= 1
    # the real number of held-out cases is the key figure's "real"
    assert r.figure("cases").real == r.held_out_cases
    # the held-out quarter is the demo's summer dip, which a model trained on half a year
    # cannot know: it sends more cases than came, and the verdict follows the rule
    arrivals = r.figure("cases")
    assert arrivals.simulated > arrivals.real * 1.2
    found = {f.aspect: f.trust for f in r.findings}
    beats = r.measure("arrivals").beats_naive
    assert found["the volume and timing of arrivals"] == (
        "use with care" if beats else "not trusted"
    )
    assert {f.aspect for f in r.findings} == {
        "the paths cases take",
        "the volume and timing of arrivals",
        "the workload over time",
        "throughput time",
    }
    assert r.verdict  # one paragraph naming every aspect
    for f in r.findings:
        assert f.aspect in r.verdict


def test_distributions_side_by_side_share_their_bins(demo_report: ValidationReport) -> None:
    by_key = {d.key: d for d in demo_report.distributions}
    assert set(by_key) == {"arrivals", "cycle_time", "hour_of_day", "weekday", "activities"}
    for d in by_key.values():
        assert len(d.bins) == len(d.real) == len(d.simulated) == len(d.naive), d.key
    # arrivals are counts that add up to the held-out cases
    assert sum(by_key["arrivals"].real) == demo_report.held_out_cases
    # the others are shares of one
    for key in ("cycle_time", "hour_of_day", "weekday"):
        assert sum(by_key[key].real) == pytest.approx(1.0, abs=1e-3), key
        assert sum(by_key[key].simulated) == pytest.approx(1.0, abs=1e-3), key
    # the demo office works weekdays (only online applications arrive at weekends), and so does
    # the model's
    for side in (by_key["weekday"].real, by_key["weekday"].simulated):
        assert sum(side[5:]) < 0.05
        assert min(side[:5]) > 0.1


def test_the_report_round_trips_through_json(demo_report: ValidationReport) -> None:
    data = json.loads(json.dumps(demo_report.to_dict()))
    again = ValidationReport.from_dict(data)
    assert again.measures == demo_report.measures
    assert again.findings == demo_report.findings
    assert again.verdict == demo_report.verdict
    assert again.model == demo_report.model


def test_the_held_out_share_is_checked() -> None:
    with pytest.raises(InputError) as err:
        ValidationConfig(holdout=0.7)
    assert err.value.where is not None and err.value.where.field == "holdout"


def _generator() -> SimulationModel:
    office = WorkingCalendar.office_hours(start="08:30", end="17:00", timezone="UTC").to_dict()
    week = [0.0] * 168
    for day in range(5):
        for hour in range(8, 17):
            week[day * 24 + hour] = 1.0
    mean = sum(week) / 168

    def logn(minutes: float) -> Distribution:
        return Distribution(kind="lognorm", params={"sigma": 0.5, "median": minutes * 60})

    return flow_model(
        {
            "register": {"check": 1.0},
            "check": {"assess": 0.8, "register": 0.2},
            "assess": {"decide": 1.0},
            "decide": {"END": 1.0},
        },
        mean_gap=4 * 3600.0,
        arrivals=ArrivalModel(
            interarrival=Distribution.exponential(4 * 3600.0), hour_of_week=[w / mean for w in week]
        ),
        durations={
            "register": logn(10),
            "check": logn(20),
            "assess": logn(60),
            "decide": logn(15),
        },
        pools={
            "clerks": ResourcePool(size=2, calendar=office),
            "experts": ResourcePool(size=2, calendar=office),
        },
        staffed={"register": "clerks", "check": "clerks", "assess": "experts", "decide": "experts"},
    )


def test_a_model_scores_better_on_its_own_log_than_a_broken_copy(tmp_path: Path) -> None:
    truth = _generator()
    log = simulate(truth, SimulationConfig(end=START + timedelta(days=175), seed=5))
    path = log.write_parquet(tmp_path / "generated.parquet")
    ds = ingest(workspace=EventStore.create(tmp_path / "ws"), source=path, name="generated")
    view = LogView(engine=DuckDBEngine(), dataset=ds)
    broken = Scenario(
        name="everything five times slower",
        changes=[ActivityDuration(activity=a, factor=5.0) for a in truth.activities],
    ).apply(truth)
    split = datetime(2025, 5, 12, tzinfo=UTC)
    cfg = ValidationConfig(split=split, replications=3, seed=3)
    good = validate_model(view, cfg, model=truth)
    bad = validate_model(view, cfg, model=broken)
    assert good.split == bad.split == split
    assert good.held_out_cases == bad.held_out_cases > 200
    # slower work shows in the cycle-time distance, by a wide margin
    assert good.measure("cycle_time").simulated < bad.measure("cycle_time").simulated / 2
    assert good.figure("mean_cycle_days").relative_error < 0.2
    assert bad.figure("mean_cycle_days").relative_error > 1.0
    # the paths are the same in both, and close to the real ones
    assert good.measure("control_flow").simulated < 0.2
    # the generator is stationary, so the past replayed is another draw of the same process:
    # the true model cannot beat it by much, but the broken one falls far behind it
    assert bad.measure("cycle_time").simulated > 3 * bad.measure("cycle_time").naive
    trust = {f.aspect: f.trust for f in good.findings}
    assert trust["throughput time"] != "not trusted"
    assert trust["the paths cases take"] != "not trusted"
    assert {f.aspect: f.trust for f in bad.findings}["throughput time"] == "not trusted"


def test_the_held_out_log_is_at_distance_zero_from_itself(demo_view: LogView) -> None:
    from civicflow.planning import held_out, measure_logs

    cfg = ValidationConfig(holdout=0.25)
    held = held_out(demo_view, cfg)
    assert held.real["case_id"].nunique() == held.held_out_cases
    assert (held.naive["end"] <= held.cut).all()
    measures = {m.key: m for m in measure_logs(held, [held.real])}
    assert set(measures) == KEYS
    for m in measures.values():
        assert m.simulated == pytest.approx(0.0, abs=1e-9), m.key
        assert m.naive > 0, m.key
