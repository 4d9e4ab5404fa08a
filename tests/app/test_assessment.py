"""Assessment use cases on a real log: ingest, freeze a baseline, measure objectives, delete."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, Role, accounts, assessment, workspaces
from civicflow.app import programme as pg
from civicflow.core import NotFoundError, PermissionDeniedError
from civicflow.ledger import tables
from civicflow.mining import EventLogFilter
from conftest import shared_file


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="receipt", path=tmp_path / "ws")

    def member(role: Role) -> Actor:
        u = accounts.create_user(
            ctx, actor=admin, email=f"{role.value}@agency.example", display_name=role.label,
            password=None,
        )  # fmt: skip
        accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=role)
        return accounts.get_actor(ctx, u.id)

    return ctx, admin, ws, member


def _entries(ctx: AppContext, action: str) -> list[sa.Row]:
    with ctx.engine.connect() as conn:
        return list(
            conn.execute(sa.select(tables.entries).where(tables.entries.c.action == action)).all()
        )


def test_ingest_freeze_measure_delete_on_a_real_log(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, admin, ws, member = setup
    source = shared_file("eventlogs", "Receipt_phase_environmental_permit_WABO.xes.gz")
    analyst, viewer, dpo = member(Role.ANALYST), member(Role.VIEWER), member(Role.DPO)

    with pytest.raises(PermissionDeniedError):
        assessment.ingest_dataset(
            ctx, actor=viewer, workspace_id=ws.id, source=source, name="receipt"
        )
    assert assessment.list_datasets(ctx, actor=viewer, workspace_id=ws.id) == []

    dataset = assessment.ingest_dataset(
        ctx, actor=analyst, workspace_id=ws.id, source=source, name="receipt"
    )
    # the figures published with the log (../shared/README.md)
    assert (dataset.manifest.cases, dataset.manifest.events) == (1434, 8577)
    [entry] = _entries(ctx, "dataset.ingest")
    fingerprint = hashlib.sha256(dataset.events_path.read_bytes()).hexdigest()
    assert entry.after_digest == fingerprint and entry.before_digest is None
    assert entry.actor == analyst.pseudonym and entry.role == "analyst"

    # an objective on median throughput, set on a reference baseline of the whole dataset
    assessment.freeze_baseline(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="receipt", baseline_name="q0",
        kpis=["throughput_median_days"],
    )  # fmt: skip
    objective = pg.OBJECTIVES.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=pg.ObjectiveCreate(
            title="Faster receipt", kpi="throughput_median_days", baseline_name="q0",
            baseline_value=20.0, target_value=1.0, direction=pg.Direction.DECREASE,
            due_date=date(2027, 6, 30),
        ),
    )  # fmt: skip
    # an exploratory baseline of a few filtered cases is of another scope: it measures nothing
    assessment.freeze_baseline(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="receipt", baseline_name="explore",
        filter=EventLogFilter(min_throughput_seconds=10 * 86400.0),
    )  # fmt: skip
    unmoved = pg.OBJECTIVES.get(ctx, actor=viewer, workspace_id=ws.id, item_id=objective.id)
    assert unmoved.latest_value is None and unmoved.progress is None
    assert _entries(ctx, "objective.measure") == []
    # a later baseline of the same dataset, filter and SLA does
    baseline = assessment.freeze_baseline(
        ctx, actor=analyst, workspace_id=ws.id, dataset_name="receipt", baseline_name="q1"
    )
    # median throughput computed independently from the stored events with pandas
    events = pd.read_parquet(dataset.events_path, columns=["case_id", "timestamp"])
    spans = events.groupby("case_id")["timestamp"].agg(["min", "max"])
    median_days = ((spans["max"] - spans["min"]).dt.total_seconds() / 86400).median()
    assert baseline.value("throughput_median_days") == pytest.approx(median_days)
    freeze = _entries(ctx, "baseline.freeze")[-1]
    assert freeze.object_id == "q1" and freeze.after_digest is not None

    measured = pg.OBJECTIVES.get(ctx, actor=viewer, workspace_id=ws.id, item_id=objective.id)
    assert measured.latest_value == pytest.approx(median_days)
    assert measured.latest_source == "baseline:q1"
    assert measured.progress == pytest.approx((20.0 - median_days) / (20.0 - 1.0))
    assert len(_entries(ctx, "objective.measure")) == 1

    with pytest.raises(PermissionDeniedError):
        assessment.delete_dataset(ctx, actor=analyst, workspace_id=ws.id, name="receipt")
    assessment.delete_dataset(
        ctx, actor=dpo, workspace_id=ws.id, name="receipt", reason="retention period ended"
    )
    assert assessment.list_datasets(ctx, actor=viewer, workspace_id=ws.id) == []
    [deleted] = _entries(ctx, "dataset.delete")
    assert deleted.before_digest == fingerprint and deleted.reason == "retention period ended"
    with pytest.raises(NotFoundError):
        assessment.delete_dataset(ctx, actor=dpo, workspace_id=ws.id, name="receipt")


def test_failed_ledger_entry_removes_the_new_dataset_and_baseline(
    setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ctx, admin, ws, _ = setup
    csv = tmp_path / "tiny.csv"
    csv.write_text(
        "case_id,activity,timestamp\n"
        "c1,A,2024-01-01 10:00:00\nc1,B,2024-01-03 10:00:00\n"
        "c2,A,2024-01-02 09:00:00\nc2,B,2024-01-02 21:00:00\n"
    )
    real = ctx.ledger.append

    def down(*args: object, **kwargs: object) -> None:
        raise RuntimeError("ledger down")

    monkeypatch.setattr(ctx.ledger, "append", down)
    with pytest.raises(RuntimeError):
        assessment.ingest_dataset(ctx, actor=admin, workspace_id=ws.id, source=csv, name="tiny")
    assert assessment.list_datasets(ctx, actor=admin, workspace_id=ws.id) == []

    monkeypatch.setattr(ctx.ledger, "append", real)
    assessment.ingest_dataset(ctx, actor=admin, workspace_id=ws.id, source=csv, name="tiny")
    monkeypatch.setattr(ctx.ledger, "append", down)
    with pytest.raises(RuntimeError):
        assessment.freeze_baseline(
            ctx, actor=admin, workspace_id=ws.id, dataset_name="tiny", baseline_name="b1"
        )
    assert assessment.list_workspace_baselines(ctx, actor=admin, workspace_id=ws.id) == []
    monkeypatch.setattr(ctx.ledger, "append", real)
    baseline = assessment.freeze_baseline(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="tiny", baseline_name="b1"
    )
    # c1 took 2 days, c2 half a day: the median of two is their mean
    assert baseline.value("throughput_median_days") == pytest.approx(1.25)
