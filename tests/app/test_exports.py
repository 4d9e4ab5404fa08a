"""Comparing and exporting through the application layer: the role check, the ledger entry of an
event-log export (with the file's digest), and no file when the export is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import AppContext, Role, accounts, assessment, audit, workspaces
from civicflow.core import ConfigurationError, PermissionDeniedError
from civicflow.ledger import tables
from civicflow.mining import CompareConfig, FilterOptions


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="w", path=tmp_path / "ws")
    source = tmp_path / "log.csv"
    source.write_text(
        "case_id,activity,timestamp,case:channel\n"
        "c1,A,2024-01-01 10:00:00,web\nc1,B,2024-01-03 10:00:00,web\n"
        "c2,A,2024-02-01 10:00:00,paper\nc2,B,2024-02-09 10:00:00,paper\n"
    )
    assessment.ingest_dataset(ctx, actor=admin, workspace_id=ws.id, source=source, name="log")
    return ctx, admin, ws


def _exports(ctx: AppContext) -> list[sa.Row]:
    with ctx.engine.connect() as conn:
        q = sa.select(tables.entries).where(tables.entries.c.action == "dataset.export")
        return list(conn.execute(q).all())


def test_export_writes_the_file_and_a_ledger_entry_with_its_digest(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, admin, ws = setup
    out = tmp_path / "out" / "web.csv"
    f = FilterOptions(where=("case:channel=web",)).to_filter()
    assessment.export_event_log(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="log", filter=f, fmt="csv", out=out,
        reason="sent to the auditor",
    )  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "c1" in text and "c2" not in text
    (entry,) = _exports(ctx)
    assert entry.object_id == "log" and entry.reason == "sent to the auditor"
    assert entry.after_digest == hashlib.sha256(out.read_bytes()).hexdigest()
    assert entry.object_type == "export"
    # an export reads the dataset: the ledger's state check still finds it as ingested
    report = audit.verify(ctx, actor=admin)
    assert report.ok, report.summary()


def test_a_refused_export_leaves_no_file_and_no_entry(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, admin, ws = setup
    outsider = accounts.get_actor(
        ctx,
        accounts.create_user(
            ctx, actor=admin, email="o@agency.example", display_name="O", password=None
        ).id,
    )
    out = tmp_path / "x.xes"
    with pytest.raises(PermissionDeniedError):
        assessment.export_event_log(
            ctx, actor=outsider, workspace_id=ws.id, dataset_name="log", fmt="xes", out=out
        )
    with pytest.raises(ConfigurationError):
        assessment.export_event_log(
            ctx,
            actor=admin,
            workspace_id=ws.id,
            dataset_name="log",
            fmt="json",
            out=out,  # type: ignore[arg-type]
        )
    assert not out.exists() and not list(tmp_path.glob(".x.xes*"))
    assert _exports(ctx) == []


def test_compare_through_the_app(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, admin, ws = setup
    viewer_user = accounts.create_user(
        ctx, actor=admin, email="v@agency.example", display_name="V", password=None
    )
    accounts.grant_role(
        ctx, actor=admin, workspace_id=ws.id, user_id=viewer_user.id, role=Role.VIEWER
    )
    viewer = accounts.get_actor(ctx, viewer_user.id)
    cmp = assessment.compare(
        ctx, actor=viewer, workspace_id=ws.id, dataset_name="log",
        a=FilterOptions(where=("case:channel=web",)).to_filter(),
        b=FilterOptions(where=("case:channel=paper",)).to_filter(),
        config=CompareConfig(label_a="web", label_b="paper"),
    )  # fmt: skip
    assert cmp["case_count"].a == 1 and cmp["case_count"].b == 1
    assert cmp["throughput_median_days"].a == 2 and cmp["throughput_median_days"].b == 8
    assert cmp["throughput_median_days"].verdict == "not significant"  # one case a side
