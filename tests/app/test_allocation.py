"""Allocation use cases: a scenario run from a forecast table, stored as versions, role-checked,
ledgered, registered in the governance register once; a failed run stores nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from civicflow.app import AppContext, Role, accounts, governance, workspaces
from civicflow.app import allocation as al
from civicflow.core import InputError, NotFoundError, PermissionDeniedError
from civicflow.forecasting import (
    AllocationConfig,
    AllocationInfeasibleError,
    Equity,
    Limits,
    ServiceTimes,
)
from civicflow.ledger import tables


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="inspections", path=tmp_path / "ws")

    def member(role: Role):  # type: ignore[no-untyped-def]
        u = accounts.create_user(
            ctx, actor=admin, email=f"{role.value}@agency.example", display_name=role.label,
            password=None,
        )  # fmt: skip
        accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=role)
        return accounts.get_actor(ctx, u.id)

    return ctx, ws, member


def demand_table() -> pd.DataFrame:
    rows = []
    for a, size in (("north", 20.0), ("south", 40.0), ("east", 10.0)):
        for t in range(3):
            rows.append({"series": a, "period": f"2027-0{t + 1}", "mean": size, "lo_80": size * .8,
                         "hi_80": size * 1.2, "lo_95": size * .7, "hi_95": size * 1.3,
                         "model": "AutoETS"})  # fmt: skip
    return pd.DataFrame(rows)


CONFIG = AllocationConfig(
    limits=Limits(unit="inspectors", hours_per_unit=10, units_per_period=4),
    service_times=ServiceTimes(hours_per_case=1.0, by_area={"east": 2.0}),
    equity=Equity(min_service_level=0.5),
)


def _entries(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.select(tables.entries.c.action, tables.entries.c.object_type).order_by(
                tables.entries.c.idx
            )
        )
        return [(r[0], r[1]) for r in rows]


def test_runs_are_versioned_ledgered_and_registered_once(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member = setup
    analyst, viewer, dpo = member(Role.ANALYST), member(Role.VIEWER), member(Role.DPO)
    with pytest.raises(PermissionDeniedError):
        al.run_allocation(ctx, actor=viewer, workspace_id=ws.id, demand=demand_table(),
                          config=CONFIG, name="q1", source="forecast.csv")  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        al.run_allocation(ctx, actor=dpo, workspace_id=ws.id, demand=demand_table(),
                          config=CONFIG, name="q1", source="forecast.csv")  # fmt: skip
    before = len(_entries(ctx))
    first, result = al.run_allocation(
        ctx, actor=analyst, workspace_id=ws.id, demand=demand_table(), config=CONFIG,
        name="q1", source="forecast.csv", reason="quarterly plan",
    )  # fmt: skip
    assert first.version == 1 and first.system_id is not None
    assert result.fair is not None
    assert first.result["fair"]["equity"]["lowest_level"] >= 0.5 - 1e-6
    assert first.result["price_of_fairness"]["extra_unmet"] == pytest.approx(
        result.fair.unmet - result.efficient.unmet
    )
    second, _ = al.run_allocation(
        ctx, actor=analyst, workspace_id=ws.id, demand=demand_table(), config=CONFIG,
        name="q1", source="forecast.csv",
    )  # fmt: skip
    assert second.version == 2 and second.system_id == first.system_id
    assert _entries(ctx)[before:] == [
        ("governance_system.create", "governance_system"),
        ("allocation.run", "allocation"),
        ("allocation.run", "allocation"),
    ]
    system = governance.get_system(ctx, actor=viewer, workspace_id=ws.id, ref=first.system_id)
    assert system.name == "Allocation: q1"
    assert system.status.value == "proposed"
    assert "inspectors" in system.purpose and "at least 50%" in system.purpose
    listed = al.list_allocations(ctx, actor=viewer, workspace_id=ws.id, name="q1")
    assert [a.version for a in listed] == [2, 1]
    got = al.get_allocation(ctx, actor=viewer, workspace_id=ws.id, allocation_id=first.id)
    assert got.result == first.result and got.config["equity"]["min_service_level"] == 0.5
    latest = al.get_allocation(ctx, actor=viewer, workspace_id=ws.id, allocation_id="q1")
    assert latest.id == second.id
    with pytest.raises(NotFoundError):
        al.get_allocation(ctx, actor=viewer, workspace_id=ws.id, allocation_id="alloc_nope")


def test_a_failed_run_stores_and_ledgers_nothing(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member = setup
    owner = member(Role.SERVICE_OWNER)
    before = len(_entries(ctx))
    impossible = AllocationConfig(
        limits=CONFIG.limits, service_times=CONFIG.service_times,
        equity=Equity(min_service_level=0.95),
    )  # fmt: skip
    with pytest.raises(AllocationInfeasibleError):
        al.run_allocation(ctx, actor=owner, workspace_id=ws.id, demand=demand_table(),
                          config=impossible, name="q1", source="forecast.csv")  # fmt: skip
    with pytest.raises(InputError):
        al.run_allocation(ctx, actor=owner, workspace_id=ws.id,
                          demand=demand_table().drop(columns=["hi_80"]), config=CONFIG,
                          name="q1", source="forecast.csv")  # fmt: skip
    assert len(_entries(ctx)) == before
    assert al.list_allocations(ctx, actor=owner, workspace_id=ws.id) == []
    assert governance.list_systems(ctx, actor=owner, workspace_id=ws.id) == []


def test_allocate_file_names_the_scenario_after_the_file(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member = setup
    owner = member(Role.SERVICE_OWNER)
    path = tmp_path / "north region.csv"
    demand_table().to_csv(path, index=False)
    stored, _ = al.allocate_file(
        ctx, actor=owner, workspace_id=ws.id, path=path, config=CONFIG, register=False
    )
    assert stored.name == "north_region" and stored.system_id is None
    assert stored.source == "north region.csv" and stored.source_sha256 is not None
    assert governance.list_systems(ctx, actor=owner, workspace_id=ws.id) == []


def test_service_times_from_the_log_by_district(setup) -> None:  # type: ignore[no-untyped-def]
    from civicflow.app import SYSTEM, assessment
    from civicflow.demo import DemoConfig, build_demo_workspace
    from civicflow.eventlog import Dataset, EventStore

    ctx, ws, member = setup  # the workspace's events: 300 demo cases with start timestamps

    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=300, seed=4))[1]

    assessment.store_dataset(ctx, actor=SYSTEM, workspace_id=ws.id, name="demo", write=generate)
    viewer = member(Role.VIEWER)
    measured = al.service_times_from_dataset(
        ctx, actor=viewer, workspace_id=ws.id, dataset_name="demo", attribute="district"
    )
    times = measured.service_times
    assert times.hours_per_case is not None and times.hours_per_case > 0
    assert sum(measured.cases.values()) == 300
    # the overall figure is the case-weighted mean of the districts'
    weighted = sum(times.by_area[a] * n for a, n in measured.cases.items()) / 300
    assert weighted == pytest.approx(times.hours_per_case)
    # the same figure computed from the events directly (end − start of every event)
    view = assessment.open_view(ctx, actor=viewer, workspace_id=ws.id, dataset_name="demo")
    frame = view.execute(view.events)
    total = (frame["timestamp"] - frame["start_timestamp"]).dt.total_seconds().sum() / 3600
    assert total / 300 == pytest.approx(times.hours_per_case, rel=1e-6)
    with pytest.raises(InputError):
        al.service_times_from_dataset(
            ctx, actor=viewer, workspace_id=ws.id, dataset_name="demo", attribute="colour"
        )


def test_report_section_lists_the_latest_version_of_each_scenario(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member = setup
    analyst = member(Role.ANALYST)
    assert al.report_section(ctx, actor=analyst, workspace_id=ws.id) is None
    for name in ("q1", "q1", "q2"):
        al.run_allocation(ctx, actor=analyst, workspace_id=ws.id, demand=demand_table(),
                          config=CONFIG, name=name, source="forecast.csv")  # fmt: skip
    section = al.report_section(ctx, actor=analyst, workspace_id=ws.id)
    assert section is not None and section.id == "allocation"
    (table,) = section.tables
    assert sorted((r[0], r[1]) for r in table.rows) == [("q1", "2"), ("q2", "1")]
    assert (
        len(section.findings) == 2
        and "Fairness (every area served at least 50%)" in (section.findings[0])
    )


def _queue_model():  # type: ignore[no-untyped-def]
    """An M/M/c queue: one activity served by the pool 'servers' (an hour per case)."""
    from datetime import UTC, datetime

    import civicflow.planning as planning
    from civicflow.planning import Distribution, ResourcePool

    return planning.SimulationModel(
        start=datetime(2027, 1, 4, tzinfo=UTC),
        arrivals=planning.ArrivalModel(interarrival=Distribution.exponential(600)),
        control_flow=planning.ControlFlow(
            start={"serve": 1.0}, transitions=[planning.Branching(source="serve", to={"END": 1.0})]
        ),
        activities={
            "serve": planning.ActivityModel(pool="servers", duration=Distribution.exponential(3600))
        },
        pools={"servers": ResourcePool(size=3)},
    )


def test_an_allocation_checked_in_the_simulation_model(setup) -> None:  # type: ignore[no-untyped-def]
    from civicflow.app import planning as ap

    ctx, ws, member = setup
    analyst, viewer = member(Role.ANALYST), member(Role.VIEWER)
    stored, _ = al.run_allocation(
        ctx, actor=analyst, workspace_id=ws.id, demand=demand_table(), config=CONFIG,
        name="checked", source="forecast.csv",
    )  # fmt: skip
    model = ap.save_model(
        ctx, actor=analyst, workspace_id=ws.id, model=_queue_model(), name="queue"
    )
    check = al.SimulationCheckConfig(pool="servers", areas=3, hours_per_person=10, cases=60)
    with pytest.raises(PermissionDeniedError):
        al.simulation_check(
            ctx, actor=viewer, workspace_id=ws.id, allocation_id=stored.id, model_id=model.id,
            config=check,
        )  # fmt: skip
    with pytest.raises(InputError) as bad:
        al.simulation_check(
            ctx, actor=analyst, workspace_id=ws.id, allocation_id=stored.id, model_id=model.id,
            config=al.SimulationCheckConfig(pool="clerks"),
        )  # fmt: skip
    assert bad.value.where is not None and bad.value.where.field == "pool"

    run = al.simulation_check(
        ctx, actor=analyst, workspace_id=ws.id, allocation_id=stored.id, model_id=model.id,
        config=check,
    )  # fmt: skip
    assert run.kind == "compare" and run.config["allocation_id"] == stored.id
    assert ("simulation.compare", "simulation_run") in _entries(ctx)
    checks = al.simulation_checks(ctx, actor=viewer, workspace_id=ws.id, allocation_id=stored.id)
    assert [c["run_id"] for c in checks] == [run.id]
    rows = checks[0]["areas"]
    assert {r["area"] for r in rows} == {"north", "south", "east"}
    simulated = [r for r in rows if r["simulated"]]
    assert simulated and all(r["waiting"] is not None and r["waiting"] >= 0 for r in simulated)
    assert all(r["pool_size"] == max(round(r["people"]), 1) for r in simulated)
    # the worst-served area first, as on the page
    levels = [r["service_level"] for r in rows]
    assert levels == sorted(levels)
