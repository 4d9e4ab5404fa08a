"""Issue 7: verify compares the application's rows, datasets and baselines with the after-state
digests of their latest ledger entries, and the published tree head with the database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import SYSTEM, Actor, AppContext, Role, accounts, assessment, audit, workspaces
from civicflow.app import programme as pg
from civicflow.core import utcnow
from civicflow.ledger import tables

from .samples import CREATE, KINDS, UPDATE, create


def state_problems(ctx: AppContext) -> list[str]:
    report = audit.verify(ctx, actor=SYSTEM)
    return [p.message for p in report.problems]


@pytest.fixture
def busy(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> dict[str, str]:
    """A workspace where every kind of object was created, changed or removed through civicflow."""
    ids = {}
    for kind in KINDS:
        item = create(ctx, admin, ws.id, kind)
        ids[kind] = item.id
    for kind in ("objective", "risk"):
        pg.KINDS[kind].update(
            ctx, actor=admin, workspace_id=ws.id, item_id=ids[kind], data=UPDATE[kind]
        )
    pg.PILOTS.delete(ctx, actor=admin, workspace_id=ws.id, item_id=ids["pilot"])
    pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=ids["objective"], value=30,
        source="baseline:q1",
    )  # fmt: skip
    analyst = make_member(ws.id, Role.ANALYST)
    gone = make_member(ws.id, Role.VIEWER)
    accounts.create_api_token(
        ctx, actor=SYSTEM, name="ci", scopes=["workspace:read"],
        expires_at=utcnow() + timedelta(days=9), owner=gone.user_id,
    )  # fmt: skip
    used, _ = accounts.create_api_token(
        ctx, actor=SYSTEM, name="used", scopes=["workspace:read"],
        expires_at=utcnow() + timedelta(days=9), owner=analyst.user_id,
    )  # fmt: skip
    assert accounts.authenticate_token(ctx, used) is not None  # use is not a ledgered change
    accounts.set_password(ctx, actor=SYSTEM, user_id=analyst.user_id, password="x" * 16)
    accounts.erase_user(ctx, actor=SYSTEM, user_id=gone.user_id)
    csv = tmp_path / "tiny.csv"
    csv.write_text(
        "case_id,activity,timestamp\n"
        "c1,A,2024-01-01 10:00:00\nc1,B,2024-01-03 10:00:00\n"
        "c2,A,2024-01-02 09:00:00\nc2,B,2024-01-02 21:00:00\n"
    )
    for name in ("tiny", "other"):
        assessment.ingest_dataset(ctx, actor=admin, workspace_id=ws.id, source=csv, name=name)
    assessment.delete_dataset(ctx, actor=admin, workspace_id=ws.id, name="other")
    assessment.freeze_baseline(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="tiny", baseline_name="q1"
    )
    from dataclasses import replace
    from datetime import date

    from civicflow.app import business_case as bc
    from civicflow.planning import BusinessCase, MonteCarloConfig, OtherBenefit, Range

    case = BusinessCase(
        name="e-intake", start=date(2026, 1, 1), years=3,
        benefits=(OtherBenefit(title="fewer calls", amount_per_year=Range(low=1, likely=2, high=4)),),
    )  # fmt: skip
    for name in ("e-intake", "gone"):
        bc.create_case(ctx, actor=analyst, workspace_id=ws.id, case=replace(case, name=name))
    bc.add_version(ctx, actor=analyst, workspace_id=ws.id, case="e-intake", document=case)
    bc.evaluate_case(ctx, actor=analyst, workspace_id=ws.id, case="e-intake",
                     config=MonteCarloConfig(draws=500))  # fmt: skip
    bc.delete_case(ctx, actor=analyst, workspace_id=ws.id, case="gone")
    ids["analyst"] = analyst.user_id
    return ids


def test_state_of_every_object_matches_its_latest_entry(ctx: AppContext, busy: dict) -> None:
    """No false findings: users, roles, tokens (one used, one erased), every programme kind,
    measurements, datasets (one deleted) and a baseline, all through civicflow."""
    report = audit.verify(ctx, actor=SYSTEM)
    assert report.ok, report.summary()


def test_objective_target_changed_with_sql_is_named(
    ctx: AppContext, busy: dict, ws: workspaces.Workspace
) -> None:
    """Before: 'ledger OK' although the target was changed behind civicflow's back."""
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE objectives SET target_value = 1 WHERE id = :id"),
            {"id": busy["objective"]},
        )
        last = conn.execute(
            sa.select(sa.func.max(tables.entries.c.idx)).where(
                tables.entries.c.object_id == busy["objective"]
            )
        ).scalar_one()
    report = audit.verify(ctx, actor=SYSTEM)
    assert not report.ok
    [problem] = report.problems
    assert problem.kind == "state"
    assert f"objective {busy['objective']} in workspace {ws.id}" in problem.message
    assert "table objectives" in problem.message
    assert problem.entries == (last,)


@pytest.mark.parametrize(
    ("sql", "expect"),
    [
        ("DELETE FROM stakeholders", "gone although its latest entry"),
        ("UPDATE users SET is_admin = true WHERE id = :analyst", "user u-"),
        ("UPDATE memberships SET role = 'admin' WHERE user_id = :analyst", "membership u-"),
        ("UPDATE api_tokens SET scopes = '[\"ledger:verify\"]'", "api token tok_"),
        ("UPDATE budget_lines SET amount = 1", "budget line bud_"),
        ("UPDATE workspaces SET name = 'renamed'", "workspace ws_"),
        ("UPDATE business_case_versions SET result = NULL", "business case bc_"),
        ("DELETE FROM business_case_versions WHERE version = 1", "business case bc_"),
    ],
)
def test_direct_sql_changes_are_named(ctx: AppContext, busy: dict, sql: str, expect: str) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(sa.text(sql), {"analyst": busy["analyst"]} if ":analyst" in sql else {})
    messages = state_problems(ctx)
    assert messages, "the change went unnoticed"
    assert any(expect in m for m in messages), messages


def copy_row(conn: sa.Connection, table: str, item_id: str, new_id: str | None = None) -> dict:
    from civicflow.app._models import Base

    t = Base.metadata.tables[table]
    row = dict(conn.execute(sa.select(t).where(t.c.id == item_id)).one()._mapping)
    return row | {"id": new_id or item_id}


def insert_row(conn: sa.Connection, table: str, row: dict) -> None:
    from civicflow.app._models import Base

    conn.execute(Base.metadata.tables[table].insert().values(**row))


def test_a_row_inserted_with_sql_is_named(ctx: AppContext, busy: dict) -> None:
    with ctx.engine.begin() as conn:
        insert_row(conn, "risks", copy_row(conn, "risks", busy["risk"], "ris_forged"))
    messages = state_problems(ctx)
    assert any("risk ris_forged" in m and "has no ledger entry" in m for m in messages), messages


def test_a_deleted_pilot_brought_back_is_named(
    ctx: AppContext, busy: dict, ws: workspaces.Workspace
) -> None:
    item = pg.PILOTS.create(ctx, actor=SYSTEM, workspace_id=ws.id, data=CREATE["pilot"])
    with ctx.engine.begin() as conn:
        row = copy_row(conn, "pilots", item.id)
    pg.PILOTS.delete(ctx, actor=SYSTEM, workspace_id=ws.id, item_id=item.id)
    with ctx.engine.begin() as conn:
        insert_row(conn, "pilots", row)
    assert any("exists although its latest entry" in m for m in state_problems(ctx))


def test_dataset_and_baseline_files_are_compared(
    ctx: AppContext, busy: dict, ws: workspaces.Workspace
) -> None:
    store = Path(ws.path)
    baseline = store / "baselines" / "q1.json"
    data = json.loads(baseline.read_text())
    data["description"] = "quietly edited"
    baseline.write_text(json.dumps(data))
    manifest = store / "datasets" / "tiny" / "manifest.json"
    m = json.loads(manifest.read_text())
    m["fingerprint"] = "0" * 64
    manifest.write_text(json.dumps(m))
    messages = state_problems(ctx)
    assert any(f"baseline q1 in workspace {ws.id}" in x for x in messages), messages
    assert any(f"dataset tiny in workspace {ws.id}" in x for x in messages), messages


def test_every_change_publishes_the_signed_tree_head(ctx: AppContext, busy: dict) -> None:
    path = ctx.ledger.tree_head_file
    assert path is not None and path.parent == ctx.settings.home
    head = audit.published_head(ctx, actor=SYSTEM)
    with ctx.engine.connect() as conn:
        assert head is not None and head.tree_size == ctx.ledger.size(conn)
    report = audit.verify(ctx, actor=SYSTEM)
    assert report.tree_head_size == report.entries


def test_a_rolled_back_change_publishes_nothing(ctx: AppContext, ws: workspaces.Workspace) -> None:
    from civicflow.app._record import record

    head = audit.published_head(ctx, actor=SYSTEM)
    assert head is not None
    with pytest.raises(RuntimeError), ctx.session() as s:
        record(ctx, s, actor=SYSTEM, action="x.y", object_type="x", object_id="1",
               workspace_id=None)  # fmt: skip
        raise RuntimeError("the change failed after its entry was written")
    assert audit.published_head(ctx, actor=SYSTEM) == head
    assert audit.verify(ctx, actor=SYSTEM).ok


def test_an_unreadable_baseline_file_is_a_finding_not_a_crash(
    ctx: AppContext, busy: dict, ws: workspaces.Workspace
) -> None:
    (Path(ws.path) / "baselines" / "q1.json").write_text("{garbled")
    (Path(ws.path) / "baselines" / "forged.json").write_text("{}")
    messages = state_problems(ctx)
    assert any("baseline q1" in m and "unreadable" in m for m in messages), messages
    assert any("baseline forged" in m and "has no ledger entry" in m for m in messages), messages


def test_tree_head_file_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from civicflow.app import open_app
    from civicflow.core import ConfigurationError, Settings

    with pytest.raises(ConfigurationError, match="is a folder"):
        open_app(settings=Settings(home=tmp_path, ledger_tree_head_file=tmp_path))
    monkeypatch.setenv("CIVICFLOW_LEDGER_TREE_HEAD_FILE", "")
    monkeypatch.setenv("CIVICFLOW_HOME", str(tmp_path / "home"))
    assert Settings().resolved_tree_head_file() == tmp_path / "home" / "ledger-tree-head.json"
    chosen = tmp_path / "published" / "head.json"
    monkeypatch.setenv("CIVICFLOW_LEDGER_TREE_HEAD_FILE", str(chosen))
    with open_app(settings=Settings()) as ctx:
        ctx.upgrade()
        audit.write_checkpoint(ctx, actor=SYSTEM)
    # the checkpoint is recorded (ledger.checkpoint) and covers its own entry
    assert json.loads(chosen.read_text())["tree_size"] == 1


def test_saved_filter_sets_are_ledgered_checked_and_role_bound(
    ctx: AppContext,
    busy: dict,
    ws: workspaces.Workspace,
    admin: Actor,
    make_member: Callable[[str, Role], Actor],
) -> None:
    from civicflow.core import ConflictError, PermissionDeniedError
    from civicflow.mining import EndpointStep, FilterStack

    stack = FilterStack((EndpointStep(at="end", activities=("B",)),))
    assessment.save_filter_set(ctx, actor=admin, workspace_id=ws.id, name="ends-b", stack=stack)
    with pytest.raises(ConflictError):
        assessment.save_filter_set(ctx, actor=admin, workspace_id=ws.id, name="ends-b", stack=stack)
    replaced = FilterStack((EndpointStep(at="end", activities=("A",)),))
    assessment.save_filter_set(
        ctx, actor=admin, workspace_id=ws.id, name="ends-b", stack=replaced, replace=True
    )
    assert assessment.get_filter_set(ctx, actor=admin, workspace_id=ws.id, name="ends-b").stack == (
        replaced
    )
    viewer = make_member(ws.id, Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        assessment.save_filter_set(ctx, actor=viewer, workspace_id=ws.id, name="v", stack=stack)
    assert [
        s.name for s in assessment.workspace_filter_sets(ctx, actor=viewer, workspace_id=ws.id)
    ] == ["ends-b"]
    assert not [m for m in state_problems(ctx) if "ends-b" in m]
    # a file edited behind civicflow's back is a finding
    path = Path(ws.path) / "filter_sets" / "ends-b.json"
    data = json.loads(path.read_text())
    data["description"] = "quietly edited"
    path.write_text(json.dumps(data))
    messages = state_problems(ctx)
    assert any("ends-b" in m and ws.id in m for m in messages), messages
    assessment.delete_filter_set(ctx, actor=admin, workspace_id=ws.id, name="ends-b")
    assert not path.exists()
    assert not [m for m in state_problems(ctx) if "ends-b" in m]
