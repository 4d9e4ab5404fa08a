"""Fairness use cases: an audit of a decisions file and of a dataset's process, stored as
versions of a named audit, role-checked and ledgered; bad input stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, Role, accounts, assessment, workspaces
from civicflow.app import fairness as af
from civicflow.core import InputError, PermissionDeniedError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import Dataset, EventStore
from civicflow.fairness import AuditConfig, ProcessFairnessConfig
from civicflow.ledger import tables
from conftest import shared_file


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

    return ctx, ws, member, admin


def _entries(ctx: AppContext) -> list[tuple[str, str, str]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                tables.entries.c.action, tables.entries.c.object_type, tables.entries.c.object_id
            ).order_by(tables.entries.c.idx)
        )
        return [(r[0], r[1], r[2]) for r in rows]


COMPAS = AuditConfig(
    outcome="score", label="label_value", groups=("race",), positive_is_favourable=False,
    bootstrap=100,
)  # fmt: skip


def test_audits_are_versioned_and_ledgered(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, _ = setup
    auditor, viewer = member(Role.AUDITOR), member(Role.VIEWER)
    path = shared_file("fairness", "compas_for_aequitas.csv")
    with pytest.raises(PermissionDeniedError):
        af.audit_file(ctx, actor=viewer, workspace_id=ws.id, path=path, config=COMPAS)
    first, result = af.audit_file(ctx, actor=auditor, workspace_id=ws.id, path=path, config=COMPAS)
    assert (first.name, first.version, first.kind) == ("compas_for_aequitas", 1, "decisions")
    assert round(100 * result.value("race", "African-American", "fpr"), 2) == 44.85
    assert len(first.source_sha256 or "") == 64
    second, _ = af.audit_file(ctx, actor=auditor, workspace_id=ws.id, path=path, config=COMPAS)
    assert second.version == 2 and second.id != first.id
    listed = af.list_audits(ctx, actor=viewer, workspace_id=ws.id)
    assert [a.version for a in listed] == [2, 1]
    again = af.get_audit(ctx, actor=viewer, workspace_id=ws.id, audit_id=first.id)
    assert again.result["findings"] == result.to_dict()["findings"]
    entries = [e for e in _entries(ctx) if e[0].startswith("fairness.")]
    assert entries == [
        ("fairness.audit", "fairness_audit", first.id),
        ("fairness.audit", "fairness_audit", second.id),
    ]


def test_bad_input_stores_nothing(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, _ = setup
    analyst = member(Role.ANALYST)
    bad = tmp_path / "bad.csv"
    bad.write_text("group,granted\na,maybe\nb,1\n")
    before = len(_entries(ctx))
    with pytest.raises(InputError, match="not a yes/no column"):
        af.audit_file(
            ctx, actor=analyst, workspace_id=ws.id, path=bad,
            config=AuditConfig(outcome="granted", groups=("group",)),
        )  # fmt: skip
    assert af.list_audits(ctx, actor=analyst, workspace_id=ws.id) == []
    assert len(_entries(ctx)) == before


def test_process_audit_of_a_dataset(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, admin = setup
    dpo = member(Role.DPO)

    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=400, seed=4))[1]

    assessment.store_dataset(ctx, actor=admin, workspace_id=ws.id, name="demo", write=generate)
    stored, result = af.audit_process(
        ctx, actor=dpo, workspace_id=ws.id, dataset_name="demo",
        config=ProcessFairnessConfig(group="district", control="permit_type"),
    )  # fmt: skip
    assert (stored.name, stored.kind, stored.version) == ("demo-district", "process", 1)
    assert sum(result.groups.values()) == result.cases == 400
    assert stored.result["differences"]
    assert _entries(ctx)[-1] == ("fairness.process", "fairness_audit", stored.id)
