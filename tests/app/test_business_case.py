"""Business case use cases: versions kept, evaluations stored with the version, side-by-side
comparison, roles, a ledger entry per change that `ledger verify` checks, and the one step from an
opportunity to a scenario and a draft case."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import SYSTEM, Actor, AppContext, Role, accounts, assessment, audit, workspaces
from civicflow.app import business_case as bc
from civicflow.app import planning as ap
from civicflow.app import programme as pg
from civicflow.core import CivicflowError, ConflictError, NotFoundError, PermissionDeniedError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import Dataset, EventStore
from civicflow.ledger import tables
from civicflow.planning import (
    ActivityDuration,
    BusinessCase,
    ComparisonConfig,
    CostLine,
    DiscoveryConfig,
    HoursSaved,
    MonteCarloConfig,
    OpportunityConfig,
    OtherBenefit,
    Range,
    Scenario,
    case_from_dict,
)

from .samples import CREATE

CASE = BusinessCase(
    name="e-intake", start=date(2026, 1, 1), years=5, discount_rate=0.04,
    costs=(
        CostLine(title="Build", amount=Range(low=40_000, likely=50_000, high=80_000),
                 start=date(2026, 1, 1), category="software"),
        CostLine(title="Licence", amount=10_000, start=date(2026, 1, 1), category="software",
                 recurrence="recurring", period="year"),
    ),
    benefits=(
        HoursSaved(role="intake", hours_per_year=Range(low=600, likely=900, high=1_100),
                   hourly_cost=60),
    ),
)  # fmt: skip
FAST = MonteCarloConfig(draws=2_000, seed=1, payback_within=(2, 3, 5))


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="permits", path=tmp_path / "ws")

    def member(role: Role) -> Actor:
        u = accounts.create_user(
            ctx, actor=admin, email=f"{role.value}@agency.example", display_name=role.label,
            password=None,
        )  # fmt: skip
        accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=role)
        return accounts.get_actor(ctx, u.id)

    return ctx, ws, admin, member


def _actions(ctx: AppContext) -> list[str]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.entries.c.action).order_by(tables.entries.c.idx))
        return [r[0] for r in rows]


def test_versions_are_kept_evaluated_compared_and_ledgered(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, _admin, member = setup
    owner, viewer = member(Role.SERVICE_OWNER), member(Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        bc.create_case(ctx, actor=viewer, workspace_id=ws.id, case=CASE)
    stored = bc.create_case(ctx, actor=owner, workspace_id=ws.id, case=CASE, note="first")
    assert stored.latest.version == 1 and stored.latest.case == CASE
    with pytest.raises(ConflictError):
        bc.create_case(ctx, actor=owner, workspace_id=ws.id, case=CASE)

    cheaper = replace(CASE, costs=(replace(CASE.costs[0], amount=30_000), CASE.costs[1]))
    v2 = bc.add_version(ctx, actor=owner, workspace_id=ws.id, case="e-intake", document=cheaper,
                        note="cheaper build")  # fmt: skip
    assert [v.version for v in v2.versions] == [1, 2]
    assert v2.version(1).case == CASE  # never overwritten
    assert v2.version(2).note == "cheaper build"

    done = bc.evaluate_case(ctx, actor=owner, workspace_id=ws.id, case=stored.id, config=FAST)
    result = done.latest.result
    assert result is not None and done.version(1).result is None
    assert result["base"]["npv"] == pytest.approx(cheaper.evaluate().npv, abs=1e-4)
    mc = result["monte_carlo"]
    assert mc["draws"] == 2_000 and mc["npv_p10"] < mc["npv_p50"] < mc["npv_p90"]
    assert result["tornado"]["bars"][0]["label"].startswith("hours saved: intake")

    # viewers read and compare
    got = bc.get_case(ctx, actor=viewer, workspace_id=ws.id, case="e-intake")
    assert got.latest.result == result
    cmp = bc.compare_cases(ctx, actor=viewer, workspace_id=ws.id,
                           refs=[("e-intake", 1), ("e-intake", 2)])  # fmt: skip
    one, two = cmp.columns
    assert two.figures["npv"] - one.figures["npv"] == pytest.approx(20_000, abs=1e-4)
    assert cmp.differing_inputs == ["Build: amount"]
    assert one.figures["npv_p50"] is None and two.figures["npv_p50"] == mc["npv_p50"]
    with pytest.raises(NotFoundError) as err:
        bc.compare_cases(
            ctx, actor=viewer, workspace_id=ws.id, refs=[("e-intake", 1), ("e-intake", 7)]
        )
    assert err.value.where is not None and err.value.where.field == "version"

    assert audit.verify(ctx, actor=SYSTEM).ok
    bc.delete_case(ctx, actor=owner, workspace_id=ws.id, case="e-intake")
    assert bc.list_cases(ctx, actor=viewer, workspace_id=ws.id) == []
    actions = [a for a in _actions(ctx) if a.startswith("business_case.")]
    assert actions == ["business_case.create", "business_case.version",
                       "business_case.evaluate", "business_case.delete"]  # fmt: skip
    assert audit.verify(ctx, actor=SYSTEM).ok


def test_a_changed_version_is_named_by_verify(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, admin, _ = setup
    stored = bc.create_case(ctx, actor=admin, workspace_id=ws.id, case=CASE)
    with ctx.engine.begin() as conn:
        conn.execute(sa.text("UPDATE business_case_versions SET note = 'edited by hand'"))
    report = audit.verify(ctx, actor=SYSTEM)
    assert not report.ok
    [problem] = report.problems
    assert f"business case {stored.id} in workspace {ws.id}" in problem.message
    assert "business_case_versions" in problem.message
    with ctx.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM business_cases"))
    [problem] = audit.verify(ctx, actor=SYSTEM).problems
    assert "gone although its latest entry" in problem.message


def test_bad_input_stores_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, admin, _ = setup
    bad = {"name": "x", "start": "2026-01-01", "discount_rate": 2,
           "costs": [{"title": "a", "amount": 1}]}  # fmt: skip
    with pytest.raises(CivicflowError) as err:
        bc.create_case(ctx, actor=admin, workspace_id=ws.id, case=case_from_dict(bad))
    assert err.value.where is not None and err.value.where.field == "discount_rate"
    with pytest.raises(CivicflowError):
        bc.create_case(ctx, actor=admin, workspace_id=ws.id, case=CASE, note="n" * 3_000)
    assert bc.list_cases(ctx, actor=admin, workspace_id=ws.id) == []
    assert not [a for a in _actions(ctx) if a.startswith("business_case.")]


def test_one_step_from_an_opportunity(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, admin, member = setup
    analyst = member(Role.ANALYST)

    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=600, seed=4))[1]

    assessment.store_dataset(ctx, actor=admin, workspace_id=ws.id, name="demo", write=generate)
    pg.BUDGET_LINES.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["budget_line"])
    model = ap.discover(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="demo",
        config=DiscoveryConfig(timezone="Europe/Amsterdam", country="NL"), name="permits",
    )  # fmt: skip
    made = bc.from_opportunity(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="demo",
        activity="Check completeness", hourly_cost=Range(low=45, likely=55, high=70),
        model_id=model.id, config=OpportunityConfig(exclude_attributes=("outcome",)),
    )  # fmt: skip
    assert made.scenario is not None and made.scenario.name == "automate Check completeness"
    [change, *_] = made.scenario.scenario.changes
    assert change.kind == "activity_duration" and change.factor == 0.5  # type: ignore[union-attr]
    case = made.case.latest.case
    assert [c.title for c in case.costs] == ["Case-management licence"]
    assert case.start == date(2026, 1, 1)
    hours = case.benefits[0]
    assert isinstance(hours, HoursSaved) and isinstance(hours.hours_per_year, Range)
    assert hours.hours_per_year.likely == pytest.approx(
        made.evidence["handling_hours_per_year"] * 0.5, rel=0.01
    )
    assert made.case.source["kind"] == "opportunity" and made.case.source["rank"] >= 1
    with pytest.raises(NotFoundError):
        bc.from_opportunity(ctx, actor=analyst, workspace_id=ws.id, dataset_name="demo",
                            activity="Fly to the moon", hourly_cost=50)  # fmt: skip
    assert _actions(ctx)[-2:] == ["scenario.create", "business_case.create"]
    # a case name taken stores no scenario either: one step, all or nothing
    entries = len(_actions(ctx))
    with pytest.raises(ConflictError) as taken:
        bc.from_opportunity(
            ctx, actor=analyst, workspace_id=ws.id, dataset_name="demo",
            activity="Assess application", hourly_cost=55, model_id=model.id,
            name=made.case.name,
        )  # fmt: skip
    assert taken.value.where is not None and taken.value.where.field == "name"
    scenarios = ap.list_scenarios(ctx, actor=analyst, workspace_id=ws.id, model_id=model.id)
    assert [sc.name for sc in scenarios] == ["automate Check completeness"]
    assert len(_actions(ctx)) == entries
    assert audit.verify(ctx, actor=SYSTEM).ok


def test_the_next_version_takes_its_benefits_from_a_scenario_comparison(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, admin, member = setup
    analyst = member(Role.ANALYST)

    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=400, seed=4))[1]

    assessment.store_dataset(ctx, actor=admin, workspace_id=ws.id, name="demo", write=generate)
    model = ap.discover(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="demo",
        config=DiscoveryConfig(timezone="Europe/Amsterdam"), name="permits",
    )  # fmt: skip
    extra = OtherBenefit(title="fewer complaints", amount_per_year=2_000)
    draft = replace(CASE, benefits=(*CASE.benefits, extra))
    bc.create_case(ctx, actor=analyst, workspace_id=ws.id, case=draft)
    with pytest.raises(NotFoundError) as none_yet:  # no comparison run to read yet
        bc.version_from_scenario(ctx, actor=analyst, workspace_id=ws.id, case="e-intake",
                                 scenario="x", hourly_cost=55)  # fmt: skip
    assert none_yet.value.where is not None and none_yet.value.where.field == "run_id"

    activity = "Check completeness"
    scenario = ap.save_scenario(
        ctx, actor=analyst, workspace_id=ws.id, model_id=model.id,
        scenario=Scenario(name="automated", changes=[
            ActivityDuration(activity=activity, fixed_seconds=0.0, automated=True)]),
    )  # fmt: skip
    run = ap.compare(
        ctx, actor=analyst, workspace_id=ws.id, model_id=model.id, scenario_ids=[scenario.id],
        config=ComparisonConfig(cases=150, replications=3, workers=1),
    )  # fmt: skip
    entries = len(_actions(ctx))
    for bad, field in (({"scenario": "nope"}, "scenario"), ({"hourly_cost": -5}, "hourly_cost")):
        args = {"scenario": "automated", "hourly_cost": 55} | bad
        with pytest.raises(CivicflowError) as err:
            bc.version_from_scenario(ctx, actor=analyst, workspace_id=ws.id, case="e-intake",
                                     **args)  # type: ignore[arg-type]  # fmt: skip
        assert err.value.where is not None and err.value.where.field == field, err.value
    assert len(_actions(ctx)) == entries  # nothing stored
    with pytest.raises(PermissionDeniedError):
        bc.version_from_scenario(ctx, actor=member(Role.VIEWER), workspace_id=ws.id,
                                 case="e-intake", scenario="automated", hourly_cost=55)  # fmt: skip

    made = bc.version_from_scenario(
        ctx, actor=analyst, workspace_id=ws.id, case="e-intake", scenario="automated",
        hourly_cost=Range(low=45, likely=55, high=70), value_per_day=1.0, cases_per_year=5_000,
    )  # fmt: skip
    assert made.run_id == run.id and made.case.latest.version == 2
    case = made.case.latest.case
    assert case.costs == CASE.costs and extra in case.benefits  # costs and other benefits stay
    assert CASE.benefits[0] not in case.benefits  # the estimate is replaced by the measure
    hours = [b for b in case.benefits if isinstance(b, HoursSaved)]
    assert hours and hours == list(made.savings.hours)
    freed = run.comparison().difference("automated", f"workload:{hours[0].role}")
    assert freed is not None
    assert case_likely(hours[0].hours_per_year) == pytest.approx(-freed.mean * 52, rel=1e-6)
    assert "scenario 'automated'" in made.case.latest.note
    assert _actions(ctx)[-1] == "business_case.version"
    assert audit.verify(ctx, actor=SYSTEM).ok


def case_likely(value: object) -> float:
    return value.likely if isinstance(value, Range) else float(value)  # type: ignore[arg-type]
