"""Stored retention policies: versioned and ledgered per dataset (or every dataset); the retention
run is a dry run by default, applied it drops the cases past their period in a new dataset
version, leaves datasets on legal hold and without a policy alone, and changes nothing when run
again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from civicflow.app import Actor, AppContext, Role, assessment, audit, workspaces
from civicflow.app import privacy as pv
from civicflow.core import InputError, NotFoundError, PermissionDeniedError
from civicflow.eventlog import EventStore

from .test_privacy_requests import MAPPING, _source

TODAY = date(2024, 3, 13)
"""c1 ends 2 March, c2 4 March, c3 3 March 2024: ten days drops c1 only."""


def _ingest(ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        folder = tmp_path / name
        folder.mkdir()
        assessment.ingest_dataset(
            ctx, actor=admin, workspace_id=ws.id, source=_source(folder), name=name,
            mapping=MAPPING,
        )  # fmt: skip


def test_policies_are_versioned_and_ledgered(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
) -> None:
    dpo = make_member(ws.id, Role.DPO)
    analyst = make_member(ws.id, Role.ANALYST)
    with pytest.raises(PermissionDeniedError):
        pv.set_retention_policy(
            ctx, actor=analyst, workspace_id=ws.id, dataset="a", older_than_days=10,
            reason="archive law: seven years",
        )  # fmt: skip
    with pytest.raises(InputError, match="needs its reason"):
        pv.set_retention_policy(
            ctx, actor=dpo, workspace_id=ws.id, dataset="a", older_than_days=10, reason=""
        )
    with pytest.raises(InputError) as bad:
        pv.set_retention_policy(
            ctx, actor=dpo, workspace_id=ws.id, dataset="a", older_than_days=0,
            reason="archive law: seven years",
        )  # fmt: skip
    assert bad.value.where is not None and bad.value.where.field == "older_than_days"
    first = pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, dataset="a", older_than_days=2557,
        reason="archive law: seven years after closure",
    )  # fmt: skip
    second = pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, dataset="a", older_than_days=10,
        reason="selection list 2024: ten days for drafts",
    )  # fmt: skip
    assert (first.version, second.version) == (1, 2)
    pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, dataset="*", older_than_days=365,
        reason="default: one year",
    )  # fmt: skip
    current = pv.list_retention_policies(ctx, actor=analyst, workspace_id=ws.id)
    assert [(p.dataset, p.version, p.older_than_days) for p in current] == [
        ("*", 1, 365), ("a", 2, 10),
    ]  # fmt: skip
    assert len(pv.list_retention_policies(ctx, actor=dpo, workspace_id=ws.id, history=True)) == 3
    removed = pv.remove_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, dataset="*", reason="no default any more"
    )
    assert (removed.version, removed.active) == (2, False)
    assert [p.dataset for p in pv.list_retention_policies(ctx, actor=dpo, workspace_id=ws.id)] == [
        "a"
    ]
    with pytest.raises(NotFoundError):
        pv.remove_retention_policy(
            ctx, actor=dpo, workspace_id=ws.id, dataset="*", reason="removed twice"
        )
    entries = [
        e for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id)
        if e.action == "privacy.retention_policy"
    ]  # fmt: skip
    assert len(entries) == 4


def test_the_run_is_a_dry_run_by_default_and_idempotent(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> None:
    dpo = make_member(ws.id, Role.DPO)
    _ingest(ctx, admin, ws, tmp_path)
    pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, dataset="*", older_than_days=10,
        reason="selection list: ten days",
    )  # fmt: skip
    pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, dataset="c", older_than_days=100,
        reason="c is kept longer: appeals",
    )  # fmt: skip
    pv.set_legal_hold(
        ctx, actor=dpo, workspace_id=ws.id, dataset_name="b", reason="court case 2024/7"
    )
    store = EventStore.open(Path(ws.path))
    before = {n: store.dataset(n).manifest.fingerprint for n in ("a", "b", "c")}

    dry = pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, today=TODAY)
    assert not dry.applied and dry.changed == ()
    plans = {s.dataset: s for s in dry.steps}
    assert plans["a"].plan.cases == 1 and plans["a"].policy_dataset == "*"
    assert plans["b"].plan.held
    assert plans["c"].plan.cases == 0 and plans["c"].policy_dataset == "c"
    assert {n: store.dataset(n).manifest.fingerprint for n in before} == before

    done = pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, apply=True, today=TODAY)
    assert done.changed == ("a",)
    kept = pq.read_table(store.dataset("a").events_path).column("case_id").to_pylist()
    assert sorted(set(kept)) == ["c2", "c3"]
    assert store.dataset("b").manifest.fingerprint == before["b"], "on legal hold"
    assert store.dataset("c").manifest.fingerprint == before["c"], "its own, longer period"
    count = len(audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=1000))

    again = pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, apply=True, today=TODAY)
    assert again.changed == ()
    assert len(audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=1000)) == count
    with pytest.raises(NotFoundError):
        pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, dataset="nope")


def test_the_reports_data_protection_section(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> None:
    from .test_privacy_requests import SUBJECT

    dpo = make_member(ws.id, Role.DPO)
    viewer = make_member(ws.id, Role.VIEWER)
    assert pv.report_section(ctx, actor=dpo, workspace_id=ws.id) is None, "nothing to say"
    _ingest(ctx, admin, ws, tmp_path)
    pv.add_request(ctx, actor=dpo, workspace_id=ws.id, kind="access", identifiers=[SUBJECT])
    pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, dataset="a", older_than_days=10,
        reason="selection list: ten days",
    )  # fmt: skip
    section = pv.report_section(ctx, actor=dpo, workspace_id=ws.id)
    assert section is not None and section.title == "Data protection"
    captions = [t.caption for t in section.tables]
    assert captions == [
        "Personal data and its protection per dataset",
        "Retention policies in force",
        "Data-subject requests",
    ]
    assert [r[0] for r in section.tables[0].rows] == ["a", "b", "c"]
    assert any("a: " in f and "past their retention period" in f for f in section.findings)
    assert any("not classified at ingest" in f for f in section.findings)
    assert {f.label: f.value for f in section.figures}["Open requests"] == "1 (0 overdue)"
    assert SUBJECT not in repr(section)
    # a viewer's report has no register of requests
    seen = pv.report_section(ctx, actor=viewer, workspace_id=ws.id)
    assert seen is not None and "Data-subject requests" not in [t.caption for t in seen.tables]
    assert "Open requests" not in [f.label for f in seen.figures]
