"""Simulation use cases: stored models, scenarios and runs per workspace, role-checked and
ledgered; a simulated log becomes an ordinary dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, Role, accounts, assessment, workspaces
from civicflow.app import planning as ap
from civicflow.core import ConfigurationError, ConflictError, NotFoundError, PermissionDeniedError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import Dataset, EventStore
from civicflow.ledger import tables
from civicflow.planning import (
    ComparisonConfig,
    DiscoveryConfig,
    Scenario,
    SimulationConfig,
    SimulationModel,
    Staffing,
    ValidationConfig,
)


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

    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=800, seed=4))[1]

    assessment.store_dataset(ctx, actor=admin, workspace_id=ws.id, name="demo", write=generate)
    return ctx, ws, member


def _actions(ctx: AppContext) -> list[str]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.entries.c.action).order_by(tables.entries.c.idx))
        return [r[0] for r in rows]


def test_analysts_discover_edit_and_run_viewers_read(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member = setup
    analyst, viewer = member(Role.ANALYST), member(Role.VIEWER)
    cfg = DiscoveryConfig(timezone="Europe/Amsterdam", country="NL")
    with pytest.raises(PermissionDeniedError):
        ap.discover(ctx, actor=viewer, workspace_id=ws.id, dataset_name="demo", config=cfg)
    stored = ap.discover(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="demo", config=cfg, name="permits"
    )
    assert stored.dataset == "demo" and stored.name == "permits"
    assert stored.model.pools["assessor"].size >= 1
    # viewers read
    assert [m.id for m in ap.list_models(ctx, actor=viewer, workspace_id=ws.id)] == [stored.id]
    assert ap.find_model(ctx, actor=viewer, workspace_id=ws.id, ref="permits").id == stored.id
    with pytest.raises(ConflictError):
        ap.save_model(ctx, actor=analyst, workspace_id=ws.id, model=stored.model, name="permits")

    # an edited document replaces the stored one, both states in the ledger entry
    edited = SimulationModel.from_dict(
        stored.model.to_dict()
        | {"pools": stored.model.to_dict()["pools"] | {"assessor": {"size": 9}}}
    )
    again = ap.save_model(
        ctx, actor=analyst, workspace_id=ws.id, model=edited, model_id=stored.id, name="permits"
    )
    assert again.model.pools["assessor"].size == 9

    # a scenario naming an unknown pool is refused before it is stored
    with pytest.raises(ConfigurationError) as err:
        ap.save_scenario(
            ctx, actor=analyst, workspace_id=ws.id, model_id=stored.id,
            scenario=Scenario(name="bad", changes=[Staffing(pool="nobody", size=2)]),
        )  # fmt: skip
    assert err.value.where is not None and err.value.where.field == "changes[0].pool"
    sc = ap.save_scenario(
        ctx, actor=analyst, workspace_id=ws.id, model_id=stored.id,
        scenario=Scenario(name="fewer assessors", changes=[Staffing(pool="assessor", size=2)]),
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        ap.save_scenario(
            ctx, actor=viewer, workspace_id=ws.id, model_id=stored.id, scenario=sc.scenario
        )
    listed = ap.list_scenarios(ctx, actor=viewer, workspace_id=ws.id, model_id=stored.id)
    assert [s.name for s in listed] == ["fewer assessors"]

    # a run stores its simulated log as an ordinary dataset
    run = ap.run_simulation(
        ctx, actor=analyst, workspace_id=ws.id, model_id=stored.id, scenario_id=sc.id,
        config=SimulationConfig(cases=200, seed=1, workers=1), dataset_name="simulated",
    )  # fmt: skip
    assert run.kind == "run" and run.dataset == "simulated"
    assert run.result["cases"] == 200 and run.result["scenario"] == "fewer assessors"
    names = [d.name for d in assessment.list_datasets(ctx, actor=viewer, workspace_id=ws.id)]
    assert "simulated" in names
    view = assessment.open_view(ctx, actor=viewer, workspace_id=ws.id, dataset_name="simulated")
    assert view.dataset.manifest.cases == 200

    # a comparison and a validation are stored with their results and read back typed
    cmp_run = ap.compare(
        ctx, actor=analyst, workspace_id=ws.id, model_id=stored.id, scenario_ids=[sc.id],
        config=ComparisonConfig(cases=300, replications=2, workers=1),
    )  # fmt: skip
    comparison = ap.get_run(ctx, actor=viewer, workspace_id=ws.id, run_id=cmp_run.id).comparison()
    assert [s.name for s in comparison.scenarios] == ["fewer assessors"]
    assert comparison.as_is.pool_sizes["assessor"] == 9
    assert comparison.outcome("fewer assessors").pool_sizes["assessor"] == 2
    val = ap.validate(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="demo",
        config=ValidationConfig(replications=1, discovery=cfg),
    )  # fmt: skip
    report = ap.get_run(ctx, actor=viewer, workspace_id=ws.id, run_id=val.id).validation()
    assert report.held_out_cases > 0 and len(report.findings) == 4
    with pytest.raises(Exception, match="not a 'compare' run"):
        val.comparison()
    runs = ap.list_runs(ctx, actor=viewer, workspace_id=ws.id)
    assert {r.kind for r in runs} == {"run", "compare", "validate"}
    with pytest.raises(PermissionDeniedError):
        ap.compare(ctx, actor=viewer, workspace_id=ws.id, model_id=stored.id, scenario_ids=[sc.id])

    # deleting the model removes its scenarios; its runs stay as evidence
    ap.delete_model(ctx, actor=analyst, workspace_id=ws.id, model_id=stored.id)
    with pytest.raises(NotFoundError):
        ap.get_scenario(ctx, actor=viewer, workspace_id=ws.id, scenario_id=sc.id)
    assert len(ap.list_runs(ctx, actor=viewer, workspace_id=ws.id)) == 3

    actions = [a for a in _actions(ctx) if a.startswith(("simulation", "scenario", "dataset"))]
    assert actions == [
        "dataset.ingest",
        "simulation_model.create",
        "simulation_model.update",
        "scenario.create",
        "dataset.ingest",
        "simulation.run",
        "simulation.compare",
        "simulation.validate",
        "simulation_model.delete",
    ]


def test_a_refused_change_leaves_no_state(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member = setup
    analyst = member(Role.ANALYST)
    before = _actions(ctx)
    with pytest.raises(NotFoundError):
        ap.save_scenario(
            ctx, actor=analyst, workspace_id=ws.id, model_id="sim_missing",
            scenario=Scenario(name="x"),
        )  # fmt: skip
    with pytest.raises(NotFoundError):
        ap.discover(ctx, actor=analyst, workspace_id=ws.id, dataset_name="nope")
    assert _actions(ctx) == before
    assert ap.list_models(ctx, actor=analyst, workspace_id=ws.id) == []
