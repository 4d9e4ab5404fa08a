"""The dashboard's use case: status of objectives, attention items, changes since the last visit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from civicflow.app import Actor, AppContext, dashboard, workspaces
from civicflow.app import programme as pg

from .samples import CREATE

TODAY = date(2027, 1, 1)


def _objective(**update: object) -> pg.Objective:
    base = {
        "id": "o1", "workspace_id": "w", "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 1, tzinfo=UTC), "title": "Halve", "kpi": "throughput_median_days",
        "baseline_name": "b", "baseline_value": 42.0, "target_value": 21.0,
        "direction": pg.Direction.DECREASE, "due_date": date(2028, 1, 1), "description": "",
    }  # fmt: skip
    return pg.Objective(**(base | update))


@pytest.mark.parametrize(
    ("progress", "due", "expected", "status"),
    [
        (None, date(2028, 1, 1), 0.5, "not_measured"),
        (None, date(2026, 6, 1), None, "off_track"),  # due passed, never measured
        (1.0, date(2028, 1, 1), 0.5, "achieved"),
        (-0.1, date(2028, 1, 1), 0.0, "off_track"),  # worse than the baseline
        (0.45, date(2028, 1, 1), 0.5, "on_track"),  # 5 points behind the line: within 10
        (0.35, date(2028, 1, 1), 0.5, "off_track"),  # 15 points behind the line
        (0.9, date(2026, 12, 1), None, "off_track"),  # due passed short of the target
    ],
)
def test_objective_status(
    progress: float | None, due: date, expected: float | None, status: str
) -> None:
    o = _objective(progress=progress, due_date=due)
    assert dashboard.objective_status(o, expected=expected, today=TODAY) == status


def test_the_last_visit_is_kept_per_user_and_workspace(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    assert dashboard.record_visit(ctx, actor=admin, workspace_id=ws.id) is None
    first = dashboard.last_visit(ctx, actor=admin, workspace_id=ws.id)
    assert first is not None
    again = dashboard.record_visit(ctx, actor=admin, workspace_id=ws.id)
    assert again == first
    assert dashboard.last_visit(ctx, actor=admin, workspace_id=ws.id) >= first


def test_overview_names_what_needs_attention_and_what_changed(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    # a year into a two-year objective (expected half way) but measured a fifth of the way
    start = TODAY - timedelta(days=365)
    late = pg.OBJECTIVES.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=CREATE["objective"].model_copy(update={"title": "Late one", "due_date": start + timedelta(days=730)}),
    )  # fmt: skip
    pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=late.id, value=37.8, source="q",
        measured_at=datetime.combine(start, datetime.min.time(), UTC),
    )  # fmt: skip
    sla = pg.OBJECTIVES.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=CREATE["objective"].model_copy(update={
            "title": "On time", "kpi": "sla_compliance_share", "baseline_value": 0.6,
            "target_value": 0.9, "direction": pg.Direction.INCREASE, "due_date": date(2030, 1, 1)}),
    )  # fmt: skip
    pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=sla.id, value=0.7, source="q"
    )
    pg.RISKS.create(
        ctx,
        actor=admin,
        workspace_id=ws.id,
        data=pg.RiskCreate(title="Vendor lock-in", likelihood=4, impact=4, owner="CIO"),
    )
    pg.RISKS.create(
        ctx,
        actor=admin,
        workspace_id=ws.id,
        data=pg.RiskCreate(title="Minor", likelihood=2, impact=3, owner="CIO"),
    )
    # the baseline's date is unknown (no baseline file): the objective's creation starts the line
    ov = dashboard.overview(ctx, actor=admin, workspace_id=ws.id, since=since, today=TODAY)
    kinds = {a.kind: a for a in ov.attention}
    assert {"sla", "risk"} <= set(kinds)
    assert [a.title for a in ov.attention if a.kind == "risk"] == ["High risk: Vendor lock-in"]
    assert "70.0 % against a target of 90.0 %" in kinds["sla"].detail
    assert (
        kinds["risk"].title == "High risk: Vendor lock-in"
        and "score 16 of 25" in kinds["risk"].detail
    )
    assert ov.risks_open == 2
    by_title = {t.objective.title: t for t in ov.objectives if t.objective}
    assert [p.value for p in by_title["Late one"].points] == [42.0, 37.8]
    assert by_title["Late one"].objective.progress == pytest.approx(0.2)
    # every change above is a ledger entry of the workspace after ``since``
    assert ov.changes.count("objective", "create") == 2
    assert ov.changes.count("objective", "measure") == 2
    assert ov.changes.count("risk", "create") == 2
    first_visit = dashboard.overview(ctx, actor=admin, workspace_id=ws.id, since=None)
    assert first_visit.changes.since is None and first_visit.changes.entries == ()


def test_an_objective_behind_its_line_is_off_track(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    obj = pg.OBJECTIVES.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=CREATE["objective"].model_copy(update={"due_date": date(2099, 1, 1)}),
    )  # fmt: skip
    pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=obj.id, value=44.0, source="q"
    )  # worse than the baseline 42 on a decrease objective
    ov = dashboard.overview(ctx, actor=admin, workspace_id=ws.id, since=None)
    (item,) = [a for a in ov.attention if a.kind == "objective"]
    assert item.title == f"Objective off track: {obj.title}"
    assert "worse than its baseline: latest 44.00 days" in item.detail
    assert item.href == f"/w/{ws.id}/programme/objectives/{obj.id}"


def test_a_viewer_reads_the_overview_without_the_ledger(
    ctx: AppContext, make_member: object, ws: workspaces.Workspace
) -> None:
    from civicflow.app import Role

    viewer = make_member(ws.id, Role.VIEWER)  # type: ignore[operator]
    ov = dashboard.overview(ctx, actor=viewer, workspace_id=ws.id, since=None)
    assert ov.ledger is None


def test_objective_lines_carry_the_datasets_currency(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    """A cost objective on a dataset ingested with a currency reads ``GBP/case``, not ``cost/case``."""
    from civicflow import mining
    from civicflow.eventlog import DuckDBEngine, IngestOptions, ingest
    from civicflow.web._dashboard import fmt

    source = tmp_path / "log.csv"
    source.write_text(
        "case,activity,time,cost\n"
        "c1,a,2024-01-01T08:00:00,10.5\nc1,b,2024-01-01T09:00:00,2\n"
        "c2,a,2024-01-02T08:00:00,4\n"
    )
    store = ws.store()
    ds = ingest(workspace=store, source=source, name="priced",
                options=IngestOptions(currency="GBP"))  # fmt: skip
    engine = DuckDBEngine()
    try:
        mining.freeze_baseline(
            workspace=store, view=mining.LogView(engine=engine, dataset=ds), name="priced-2024"
        )
    finally:
        engine.close()
    pg.OBJECTIVES.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=CREATE["objective"].model_copy(update={
            "title": "Cheaper", "kpi": "cost_per_case", "baseline_name": "priced-2024",
            "baseline_value": 8.25, "target_value": 6.0}),
    )  # fmt: skip
    view = dashboard.overview(ctx, actor=admin, workspace_id=ws.id, since=None, today=TODAY)
    (trend,) = [t for t in view.objectives if t.kpi == "cost_per_case"]
    assert trend.unit == "GBP/case"
    assert fmt(trend.objective.target_value, trend.unit) == "6.00 GBP/case"  # type: ignore[union-attr]
    (frozen,) = [t for t in view.baselines if t.kpi == "cost_per_case"]
    assert frozen.unit == "GBP/case"
