"""People and change on the demo log: hours per role match a count made independently from the
raw events, FTE equivalents follow the stated hours, a scenario's freed hours come from the
comparison's workloads, and a skills matrix yields training needs with their cost."""

from __future__ import annotations

import math

import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.demo import DemoConfig, build_demo_workspace, simulate_demo
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import LogView
from civicflow.planning import (
    Estimate,
    PeopleConfig,
    PeopleHours,
    ScenarioComparison,
    SkillRequirement,
    hours_freed,
    people_hours,
    training_needs,
)
from civicflow.planning._comparison import ComparisonConfig, ScenarioOutcome

DEMO = DemoConfig(cases=600, seed=3)


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    _ws, ds = build_demo_workspace(path=tmp_path_factory.mktemp("people") / "ws", config=DEMO)
    return LogView(engine=DuckDBEngine(), dataset=ds)


@pytest.fixture(scope="module")
def hours(view: LogView) -> PeopleHours:
    return people_hours(view)


def test_hours_per_role_match_the_raw_events(view: LogView, hours: PeopleHours) -> None:
    events = simulate_demo(config=DEMO).events.to_pandas()
    worked = events[events["resource"].notna()]
    service = (worked["timestamp"] - worked["start_timestamp"]).dt.total_seconds() / 3600
    by_role = service.groupby(worked["role"]).sum()
    span = (events["timestamp"].max() - events["timestamp"].min()).total_seconds()
    years = span / (365.25 * 86400)
    assert hours.years == pytest.approx(years)
    assert {r.name for r in hours.roles} == set(by_role.index)
    for role, total in by_role.items():
        got = hours.role(str(role))
        assert got.hours == pytest.approx(total, rel=1e-9)
        assert got.hours_per_year == pytest.approx(total / years, rel=1e-9)
        assert got.fte == pytest.approx(total / years / 1600, rel=1e-9)
    assert hours.roles[0].hours >= hours.roles[-1].hours  # busiest first
    assert sum(r.share for r in hours.roles) == pytest.approx(1.0)
    assert hours.teams == ()


def test_working_time_only_matches_the_generators_service_time(view: LogView) -> None:
    # the generator's cost is its service time in working hours times the role's rate; the
    # elapsed time from start to end also counts the nights a task was left open
    from civicflow.demo._generator import HOURLY_RATE
    from civicflow.mining import WorkingCalendar

    calendar = WorkingCalendar.office_hours(
        start="08:30", end="17:00", timezone="Europe/Amsterdam", country="NL"
    )
    worked = people_hours(view, PeopleConfig(calendar=calendar))
    elapsed = people_hours(view)
    events = simulate_demo(config=DEMO).events.to_pandas()
    service = events.groupby("role")["cost"].sum()
    assert worked.basis == "working time of the calendar"
    for role, cost in service.items():
        assert worked.role(str(role)).hours == pytest.approx(cost / HOURLY_RATE[role], rel=2e-3)
        assert worked.role(str(role)).hours <= elapsed.role(str(role)).hours + 1e-9


def test_a_table_maps_resources_to_roles_and_teams(view: LogView, hours: PeopleHours) -> None:
    assessor = hours.role("assessor")
    table = {f"assessor-{i:02d}": "Team A" for i in range(1, 3)}
    custom = people_hours(
        view,
        PeopleConfig(roles={"assessor-01": "senior assessor"}, teams=table, hours_per_fte=1_400),
    )
    senior = custom.role("senior assessor")
    assert senior.resources == 1
    assert custom.role("assessor").hours + senior.hours == pytest.approx(assessor.hours)
    assert senior.fte == pytest.approx(senior.hours_per_year / 1_400)
    teams = {t.name: t for t in custom.teams}
    assert set(teams) == {"Team A", "unassigned"}
    assert sum(t.hours for t in custom.teams) == pytest.approx(sum(r.hours for r in hours.roles))


def test_bad_people_input_names_the_field(view: LogView) -> None:
    with pytest.raises(ConfigurationError) as err:
        PeopleConfig(hours_per_fte=0)
    assert err.value.where is not None and err.value.where.field == "hours_per_fte"
    with pytest.raises(InputError) as err2:
        people_hours(view, PeopleConfig(role_attribute="grade"))
    assert err2.value.where is not None and err2.value.where.field == "role_attribute"
    # with a table, a missing attribute is no error: resources not in the table are unassigned
    tabled = people_hours(view, PeopleConfig(role_attribute="grade", roles={"assessor-01": "x"}))
    assert {r.name for r in tabled.roles} == {"x", "unassigned"}
    with pytest.raises(InputError) as err3:
        SkillRequirement(role="assessor", skill="e-forms", needed=-1, available=0)
    assert err3.value.where is not None and err3.value.where.field == "needed"


def _outcome(name: str, assessor: list[float], clerk: list[float]) -> ScenarioOutcome:
    e = Estimate.of([1.0, 1.0])
    return ScenarioOutcome(
        name=name, cases=e, throughput_median=e, throughput_p90=e, waiting={}, backlog=e,
        utilisation={}, workload_hours_per_week={"assessor": Estimate.of(assessor),
                                                 "clerk": Estimate.of(clerk)},
        pool_sizes={"assessor": 4, "clerk": 2}, cost_per_case=e, sla_compliance=None,
    )  # fmt: skip


def test_hours_freed_by_a_scenario_hand_worked() -> None:
    cmp = ScenarioComparison(
        model_name="m",
        config=ComparisonConfig(),
        as_is=_outcome("as-is", [100.0, 110.0, 90.0], [40.0, 40.0, 40.0]),
        scenarios=[_outcome("e-intake", [70.0, 80.0, 60.0], [42.0, 41.0, 43.0])],
    )
    freed = hours_freed(cmp, "e-intake", hours_per_fte=1_600, weeks_per_year=52)
    assessor, clerk = freed.roles  # most affected first
    assert assessor.role == "assessor" and assessor.hours_freed_per_year == pytest.approx(30 * 52)
    assert assessor.low == pytest.approx(30 * 52) == assessor.high  # every replication agrees
    assert assessor.fte == pytest.approx(30 * 52 / 1600)
    assert assessor.share == pytest.approx(30 / 100)
    assert clerk.hours_freed_per_year == pytest.approx(-2 * 52)  # more work for the clerks
    assert clerk.low < clerk.hours_freed_per_year < clerk.high
    assert freed.total_hours_per_year == pytest.approx(28 * 52)
    assert freed.most_affected(1) == (assessor,)
    merged = hours_freed(cmp, "e-intake", pool_roles={"clerk": "assessor"})
    assert [r.role for r in merged.roles] == ["assessor"]
    assert merged.roles[0].hours_freed_per_year == pytest.approx(28 * 52)
    assert "not a number of people" in freed.to_dict()["note"]


def test_training_needs_and_their_cost() -> None:
    needs = training_needs(
        [
            SkillRequirement(role="assessor", skill="e-forms", needed=6, available=2,
                             course="E-forms basics", cost_per_person=450),
            SkillRequirement(role="clerk", skill="e-forms", needed=3, available=3,
                             cost_per_person=450),
            SkillRequirement(role="clerk", skill="triage", needed=3, available=1,
                             cost_per_person=1_200),
        ]
    )  # fmt: skip
    assert [(n.role, n.skill, n.people, n.cost) for n in needs.needs] == [
        ("clerk", "triage", 2, 2_400.0),
        ("assessor", "e-forms", 4, 1_800.0),
    ]
    assert needs.total_cost == 4_200.0 and needs.people == 6
    assert needs.covered == ("clerk / e-forms",)
    assert needs.needs[1].course == "E-forms basics" and needs.needs[0].course == "triage"
    with pytest.raises(InputError):
        training_needs([SkillRequirement(role="a", skill="b", needed=1, available=0)] * 2)
    assert not math.isnan(needs.total_cost)
