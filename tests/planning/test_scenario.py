"""What-if changes applied to a model: each does what it says, and a wrong name is refused."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sim_models import START, flow_model

from civicflow.core import ConfigurationError
from civicflow.planning import (
    ActivityDuration,
    ArrivalVolume,
    BranchProbability,
    Distribution,
    RemoveActivity,
    RemoveRework,
    ResourcePool,
    Scenario,
    SimulationConfig,
    SimulationModel,
    Staffing,
    expected_arrivals,
    simulate,
)


def model() -> SimulationModel:
    return flow_model(
        {
            "register": {"check": 0.8, "END": 0.2},
            "check": {"register": 0.25, "decide": 0.75},
            "decide": {"END": 1.0},
        },
        mean_gap=250.0,
        durations={
            "register": Distribution.fixed(60),
            "check": Distribution.exponential(600),
            "decide": Distribution.fixed(30),
        },
        pools={"clerks": ResourcePool(size=3, cost_per_hour=36.0)},
        staffed={"check": "clerks"},
        fixed_costs={"check": 1.0},
    )


def run(m: SimulationModel, cases: int = 20_000):
    return simulate(m, SimulationConfig(cases=cases, seed=2, workers=1)).events.to_pandas()


def mean_wait_for_check(ev) -> float:
    check = ev[ev["activity"] == "check"].sort_values(["case_id", "start_timestamp"])
    before = ev.sort_values(["case_id", "timestamp"])
    prev_end = before.groupby("case_id")["timestamp"].shift()
    ready = prev_end.loc[check.index]
    return float((check["start_timestamp"] - ready).dt.total_seconds().mean())


def test_a_scenario_document_round_trips_and_names_bad_changes() -> None:
    scenario = Scenario.from_dict(
        {
            "name": "more staff",
            "changes": [
                {"kind": "staffing", "pool": "clerks", "size": 4},
                {"kind": "branch_probability", "from": "register", "to": "END", "probability": 0.5},
            ],
        }
    )
    assert Scenario.from_dict(scenario.model_dump(mode="json", by_alias=True)) == scenario
    with pytest.raises(ConfigurationError) as info:
        Scenario.from_dict({"name": "x", "changes": [{"kind": "hire", "pool": "clerks"}]})
    assert info.value.where.field == "changes.0"
    with pytest.raises(ConfigurationError) as info:
        Scenario(name="x", changes=[RemoveRework(activity="chek")]).apply(model())
    assert info.value.where.field == "changes[0].activity"
    assert "check" in info.value.expected


def test_staffing_a_pool_up_cuts_the_queue() -> None:
    base = model()
    more = Scenario(name="4 clerks", changes=[Staffing(pool="clerks", size=4)]).apply(base)
    assert more.pools["clerks"].size == 4
    assert more.source["scenario"]["name"] == "4 clerks"
    assert mean_wait_for_check(run(more)) < 0.5 * mean_wait_for_check(run(base))


def test_arrival_volume_scales_the_rate() -> None:
    doubled = Scenario(name="x2", changes=[ArrivalVolume(factor=2.0)]).apply(model())
    week = (START, START + timedelta(days=7))
    assert expected_arrivals(doubled, *week) == pytest.approx(2 * expected_arrivals(model(), *week))


def test_branch_probability_keeps_the_other_choices_in_proportion() -> None:
    changed = Scenario(
        name="fewer checks",
        changes=[BranchProbability(source="check", target="register", probability=0.0)],
    ).apply(model())
    assert changed.branching("check") == {"decide": 1.0}
    half = Scenario(
        name="half end",
        changes=[BranchProbability(source="register", target="END", probability=0.5)],
    ).apply(model())
    assert half.branching("register") == pytest.approx({"check": 0.5, "END": 0.5})


def test_removing_an_activity_sends_cases_to_what_followed_it() -> None:
    changed = Scenario(name="no check", changes=[RemoveActivity(activity="check")]).apply(model())
    assert "check" not in changed.activities
    # register -> check (0.8) -> register (0.25) becomes a self-loop of 0.2; decide gets 0.6
    assert changed.branching("register") == pytest.approx(
        {"END": 0.2, "register": 0.2, "decide": 0.6}
    )
    ev = run(changed, 5000)
    assert set(ev["activity"]) == {"register", "decide"}
    assert (ev["activity"] == "decide").sum() / 5000 == pytest.approx(0.6 / 0.8, abs=0.02)


def test_removing_rework_and_automating_an_activity() -> None:
    changed = Scenario(
        name="right first time",
        changes=[
            RemoveRework(activity="register"),
            ActivityDuration(activity="check", fixed_seconds=5, fixed_cost=0.1, automated=True),
        ],
    ).apply(model())
    ev = run(changed, 5000)
    per_case = ev[ev["activity"] == "register"].groupby("case_id").size()
    assert per_case.max() == 1
    check = ev[ev["activity"] == "check"]
    assert check["resource"].isna().all()
    assert np.allclose((check["timestamp"] - check["start_timestamp"]).dt.total_seconds(), 5)
    assert np.allclose(check["cost"], 0.1)
    # the loop is gone: as many decisions as checks
    assert (ev["activity"] == "decide").sum() == len(check)


def test_a_duration_factor_scales_the_mean_and_the_cost() -> None:
    faster = Scenario(name="x0.5", changes=[ActivityDuration(activity="check", factor=0.5)]).apply(
        model()
    )
    assert faster.activities["check"].duration.mean == pytest.approx(300)
    ev = run(faster, 5000)
    check = ev[ev["activity"] == "check"]
    service = (check["timestamp"] - check["start_timestamp"]).dt.total_seconds()
    assert service.mean() == pytest.approx(300, rel=0.05)
    # cost = 36 per hour of work + 1 per execution
    assert np.allclose(check["cost"], np.round(service / 3600 * 36 + 1.0, 2), atol=0.011)
