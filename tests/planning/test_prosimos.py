"""Export to Prosimos' BPMN + simulation parameters and import back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_models import flow_model

from civicflow.core import InputError
from civicflow.mining import WorkingCalendar, read_bpmn
from civicflow.planning import (
    ActivityModel,
    ArrivalModel,
    Distribution,
    ResourcePool,
    SimulationModel,
    from_prosimos,
    to_prosimos,
)


def model() -> SimulationModel:
    office = WorkingCalendar.office_hours(start="08:30", end="17:00").to_dict()
    week = [0.0] * 168
    for d in range(5):
        for h in range(8, 18):
            week[d * 24 + h] = 1.0
    return flow_model(
        {
            "Submit": {"Check": 1.0},
            "Check": {"Request documents": 0.3, "Assess": 0.7},
            "Request documents": {"Check": 0.9, "END": 0.1},
            "Assess": {"Decide": 1.0},
            "Decide": {"Assess": 0.12, "END": 0.88},
        },
        mean_gap=1800,
        arrivals=ArrivalModel(
            interarrival=Distribution.exponential(1800),
            hour_of_week=[w / (sum(week) / 168) for w in week],
        ),
        durations={
            "Submit": Distribution.fixed(0),
            "Check": Distribution(kind="lognorm", params={"sigma": 0.35, "median": 1200}),
            "Request documents": Distribution.exponential(600),
            "Assess": Distribution(kind="gamma", params={"shape": 4.0, "scale": 2250.0}),
            "Decide": Distribution(kind="norm", params={"mean": 1500, "std": 300}),
        },
        pools={
            "intake": ResourcePool(size=2, calendar=office, cost_per_hour=48),
            "assessor": ResourcePool(size=3, calendar=office, cost_per_hour=74),
            "manager": ResourcePool(size=1, calendar=office, cost_per_hour=95),
        },
        staffed={
            "Check": "intake",
            "Request documents": "intake",
            "Assess": "assessor",
            "Decide": "manager",
        },
        name="permits",
        start=None,
    )


def test_export_writes_prosimos_sections_and_a_readable_bpmn(tmp_path: Path) -> None:
    export = to_prosimos(model())
    bpmn_path, json_path = export.write(tmp_path)
    params = json.loads(json_path.read_text())
    assert set(params) == {
        "resource_profiles",
        "arrival_time_distribution",
        "arrival_time_calendar",
        "gateway_branching_probabilities",
        "task_resource_distribution",
        "resource_calendars",
    }
    # gaps in real time within the 50 open hours of the week: 1800 s x 50 / 168
    assert params["arrival_time_distribution"]["distribution_name"] == "expon"
    gap, low, _ = (p["value"] for p in params["arrival_time_distribution"]["distribution_params"])
    assert (gap, low) == (pytest.approx(1800 * 50 / 168), 0.0)
    assert params["arrival_time_calendar"][0] == {
        "from": "MONDAY",
        "to": "MONDAY",
        "beginTime": "08:00:00",
        "endTime": "18:00:00",
    }
    gateways = {g["gateway_id"]: g for g in params["gateway_branching_probabilities"]}
    assert sorted(p["value"] for p in gateways["split_task_2"]["probabilities"]) == [0.3, 0.7]
    intake = next(p for p in params["resource_profiles"] if p["name"] == "Check")["resource_list"][
        0
    ]
    assert intake["amount"] == 2 and intake["cost_per_hour"] == 48
    assert sorted(intake["assigned_tasks"]) == ["task_2", "task_3"]
    cal = next(c for c in params["resource_calendars"] if c["id"] == "intake calendar")
    assert cal["time_periods"][0] == {
        "from": "MONDAY",
        "to": "MONDAY",
        "beginTime": "08:30:00",
        "endTime": "17:00:00",
    }
    # the BPMN is a process civicflow's own reader accepts, with every activity as a task
    bpmn = read_bpmn(bpmn_path)
    assert {n.label for n in bpmn.nodes if n.kind == "task"} == set(model().activities)
    assert export.lost == []


def test_export_and_import_round_trip(tmp_path: Path) -> None:
    original = model()
    bpmn_path, json_path = to_prosimos(original).write(tmp_path)
    back = from_prosimos(bpmn_path, json_path)
    assert set(back.activities) == set(original.activities)
    for name, activity in original.activities.items():
        got = back.activities[name]
        assert got.pool == activity.pool
        assert got.duration.kind == activity.duration.kind
        for key, value in activity.duration.params.items():
            assert got.duration.params[key] == pytest.approx(value, rel=1e-9), (name, key)
    for name, pool in original.pools.items():
        assert back.pools[name].size == pool.size
        assert back.pools[name].cost_per_hour == pool.cost_per_hour
        assert back.pools[name].calendar["hours"] == pool.calendar["hours"]
    assert back.control_flow.start == pytest.approx(original.control_flow.start)
    for row in original.control_flow.transitions:
        assert back.branching(row.source) == pytest.approx(row.to), row.source
    assert back.arrivals.interarrival.kind == "expon"
    assert back.arrivals.interarrival.mean == pytest.approx(1800.0)
    assert back.arrivals.hour_of_week == pytest.approx(original.arrivals.hour_of_week)


def test_what_prosimos_cannot_say_is_listed() -> None:
    m = model()
    m = m.model_copy(
        update={
            "activities": {
                **m.activities,
                "Assess": ActivityModel(
                    pool="assessor",
                    duration=Distribution(kind="weibull", params={"shape": 1.5, "scale": 9000}),
                    max_visits=1,
                ),
            }
        }
    )
    lost = to_prosimos(m).lost
    assert any("max_visits" in item for item in lost)
    assert any("weibull exported as a gamma" in item for item in lost)


def test_parallel_gateways_are_refused(tmp_path: Path) -> None:
    bpmn_path, json_path = to_prosimos(model()).write(tmp_path)
    text = bpmn_path.read_text().replace(
        '<exclusiveGateway id="split_task_2"', '<parallelGateway id="split_task_2"'
    )
    bpmn_path.write_text(text)
    with pytest.raises(InputError, match="parallelGateway") as info:
        from_prosimos(bpmn_path, json_path)
    assert info.value.where.field == "split_task_2"
