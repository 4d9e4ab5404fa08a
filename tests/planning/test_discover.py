"""A model discovered from the demo generator's log recovers the generator's own parameters
(civicflow/demo/_generator.py is the truth), within tolerances stated here."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.demo._generator import (
    ASSESS,
    CHECK,
    DECIDE,
    FAST_TRACK,
    HOURLY_RATE,
    PERMIT_TYPES,
    REQUEST_DOCS,
    WITHDRAW,
)
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import EventLogFilter, LogView
from civicflow.planning import (
    DiscoveryConfig,
    SimulationConfig,
    SimulationModel,
    discover_model,
    expected_arrivals,
    simulate,
)

DEMO = DemoConfig(cases=4000, seed=7)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[LogView, dict[str, int]]:
    _ws, ds = build_demo_workspace(path=tmp_path_factory.mktemp("demo") / "ws", config=DEMO)
    return LogView(engine=DuckDBEngine(), dataset=ds), dict(ds.manifest.options["staff"])


@pytest.fixture(scope="module")
def model(demo: tuple[LogView, dict[str, int]]) -> SimulationModel:
    view, _ = demo
    return discover_model(
        view, DiscoveryConfig(timezone="Europe/Amsterdam", country="NL", visit_levels=2)
    )


def within(row_p: float, truth: float, n: int, *, se: float = 4.0) -> bool:
    """``row_p`` within ``se`` binomial standard errors of ``truth`` over ``n`` observations."""
    return abs(row_p - truth) <= se * math.sqrt(max(truth * (1 - truth), 1e-4) / n)


def support(model: SimulationModel, source: str, visit: int | None) -> int:
    return next(
        b.cases
        for b in model.control_flow.transitions
        if b.source == source and b.visit == visit and b.when is None
    )


def test_staffing_pools_calendars_and_rates_are_the_generators(
    model: SimulationModel, demo: tuple[LogView, dict[str, int]]
) -> None:
    _, staff = demo
    # one pool per role, named after its resources, as many resources as the generator staffed
    assert {name: pool.size for name, pool in model.pools.items()} == staff
    for name, pool in model.pools.items():
        cal = pool.working_calendar()
        assert cal is not None
        assert cal.hours[:5] == ((time(8, 30), time(17, 0)),) * 5, name
        assert cal.hours[5:] == (None, None)
        assert pool.cost_per_hour == pytest.approx(HOURLY_RATE[name], abs=0.5)
    assert model.activities[ASSESS].pool == "assessor"
    assert model.activities[DECIDE].pool == "manager"
    assert model.activities[FAST_TRACK].pool == "officer"
    assert model.activities[CHECK].pool == "intake"
    assert model.activities["Submit application"].pool is None


def test_arrival_rate_and_weekly_pattern_are_recovered(model: SimulationModel) -> None:
    training_start = datetime.fromisoformat(model.source["training_start"])
    training_end = datetime.fromisoformat(model.source["training_end"])
    weeks = (training_end - training_start) / timedelta(weeks=1)
    rate = expected_arrivals(model, training_start, training_end) / weeks
    truth = DEMO.cases / DEMO.effective_period_days * 7  # 40 a week
    assert rate == pytest.approx(truth, rel=0.05)
    week = np.asarray(model.arrivals.hour_of_week).reshape(7, 24)
    assert (week[:, :7] == 0).all()  # nobody applies before 07:00 (the online window opens)
    # Saturday: online only, at a fifth of a weekday: 0.62 * 0.2 of an average weekday's volume
    saturday = week[5].sum() / week[:5].sum(axis=1).mean()
    assert saturday == pytest.approx(0.62 * 0.2, abs=0.04)


def test_branch_probabilities_are_recovered(model: SimulationModel) -> None:
    check1 = model.branching(CHECK, visit=1)
    n1 = support(model, CHECK, 1)
    assert within(check1[REQUEST_DOCS], DEMO.incomplete_probability, n1)
    simple = sum(v[0] for v in PERMIT_TYPES.values() if v[1])
    fast = (1 - DEMO.incomplete_probability) * simple * DEMO.fast_track_probability
    assert within(check1[FAST_TRACK], fast, n1)
    # a re-check after new documents finds gaps a third as often
    check2 = model.branching(CHECK, visit=2)
    assert within(check2[REQUEST_DOCS], DEMO.incomplete_probability / 3, support(model, CHECK, 2))
    docs = model.branching(REQUEST_DOCS)
    assert within(docs[WITHDRAW], DEMO.withdraw_probability, support(model, REQUEST_DOCS, None))
    # the decision sends an assessment back once at most: the loop lives on the first visit only
    decide1 = model.branching(DECIDE, visit=1)
    assert within(decide1[ASSESS], DEMO.send_back_probability, support(model, DECIDE, 1))
    assert ASSESS not in model.branching(DECIDE, visit=2)


def test_service_times_are_recovered_as_lognormal(model: SimulationModel) -> None:
    # the generator: log-normal around a median of 20 minutes, sigma 0.35, in working time
    check = model.activities[CHECK].duration
    assert check.kind == "lognorm"
    assert check.params["median"] == pytest.approx(20 * 60, rel=0.05)
    assert check.params["sigma"] == pytest.approx(0.35, abs=0.03)
    assert check.fit is not None and check.fit.ks_statistic < 0.05


def test_the_discovered_model_reproduces_the_logs_paths(
    model: SimulationModel, demo: tuple[LogView, dict[str, int]]
) -> None:
    view, _ = demo
    real = view.execute(view.events.select("case_id", "activity"))
    result = simulate(model, SimulationConfig(cases=DEMO.cases, seed=1, workers=1))
    sim = result.events.to_pandas()
    real_per_case = real["activity"].value_counts() / DEMO.cases
    sim_per_case = sim["activity"].value_counts() / DEMO.cases
    for activity, share in real_per_case.items():
        assert sim_per_case.get(activity, 0.0) == pytest.approx(share, abs=0.03), activity
    # the document round-trips
    assert SimulationModel.from_json(model.to_json()) == model


def test_the_training_period_limits_the_cases(demo: tuple[LogView, dict[str, int]]) -> None:
    view, _ = demo
    start = datetime(2024, 3, 1, tzinfo=UTC)
    end = datetime(2024, 9, 1, tzinfo=UTC)
    model = discover_model(view, DiscoveryConfig(start=start, end=end, timezone="Europe/Amsterdam"))
    in_period = view.with_filter(EventLogFilter(start=start, end=end, time_mode="started"))
    assert model.source["cases"] == int(
        view.execute(in_period.case_summary.count().name("n").as_table())["n"][0]
    )
    assert model.start == end
    assert model.source["training_start"] == start.isoformat()
