"""Objectives' progress says whether the change from the reference baseline is material and
significant, with the thresholds and tests of ``baseline compare``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from civicflow.app import AppContext, accounts, assessment, workspaces
from civicflow.app import programme as pg
from civicflow.eventlog import IngestOptions


def _log(path: Path, days: float, *, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    rows = ["case_id,activity,timestamp"]
    for i in range(80):
        start = np.datetime64("2024-01-01T08:00") + np.timedelta64(int(i * 7), "h")
        span = np.timedelta64(int(days * 86400 * rng.uniform(0.7, 1.3)), "s")
        rows += [f"c{i},Receive,{start}", f"c{i},Decide,{start + span}"]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="p", path=tmp_path / "ws")
    return ctx, admin, ws


def _objective(ctx, admin, ws) -> pg.Objective:  # type: ignore[no-untyped-def]
    return pg.OBJECTIVES.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=pg.ObjectiveCreate(
            title="Faster decisions", kpi="throughput_median_days", baseline_name="q0",
            baseline_value=10.0, target_value=5.0, direction=pg.Direction.DECREASE,
            due_date=date(2027, 6, 30),
        ),
    )  # fmt: skip


def test_a_real_drop_is_material_and_significant(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, admin, ws = setup
    before = _log(tmp_path / "a.csv", 10, seed=1)
    assessment.ingest_dataset(ctx, actor=admin, workspace_id=ws.id, source=before, name="d")
    assessment.freeze_baseline(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="d", baseline_name="q0"
    )
    objective = _objective(ctx, admin, ws)
    # the same data frozen again: no material change, so nothing to test
    assessment.freeze_baseline(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="d", baseline_name="q0b"
    )
    same = pg.OBJECTIVES.get(ctx, actor=admin, workspace_id=ws.id, item_id=objective.id)
    assert same.latest_change is not None
    assert same.latest_change.assessment == "no material change"
    assert not same.latest_change.material and same.latest_change.significant is None
    # new data under the same name, cases about 40 % faster: better, beyond chance
    after = _log(tmp_path / "b.csv", 6, seed=2)
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=after, name="d",
        options=IngestOptions(replace=True),
    )  # fmt: skip
    assessment.freeze_baseline(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="d", baseline_name="q1"
    )
    moved = pg.OBJECTIVES.get(ctx, actor=admin, workspace_id=ws.id, item_id=objective.id)
    change = moved.latest_change
    assert change is not None and change.material and change.assessment == "better"
    assert change.test == "Mann-Whitney U" and change.significant is True
    assert change.p_value is not None and change.p_value < 0.001
    assert "significant at 0.05" in change.words
    assert moved.to_dict()["latest_change"]["significant"] is True
    [m1, m2] = pg.list_measurements(ctx, actor=admin, workspace_id=ws.id, objective_id=objective.id)
    assert m1.change is not None and m2.change is not None and m2.change.significant


def test_a_typed_in_measurement_has_no_verdict_and_keeps_the_old_state(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, admin, ws = setup
    objective = _objective(ctx, admin, ws)
    measured = pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=objective.id, value=8.0,
        source="manual count",
    )  # fmt: skip
    assert measured.latest_change is None
    assert "latest_change" not in measured.to_dict()  # digests of older states stay valid
