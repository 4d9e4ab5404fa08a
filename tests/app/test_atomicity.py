"""A change and its ledger entry commit together or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, accounts, audit, workspaces
from civicflow.app import programme as pg
from civicflow.app._models import MembershipRow, ObjectiveRow, WorkspaceRow

from .samples import CREATE


class LedgerDown(RuntimeError):
    pass


def _count(ctx: AppContext, model: Any) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _break_ledger(monkeypatch: pytest.MonkeyPatch, ctx: AppContext) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise LedgerDown("the ledger append failed")

    monkeypatch.setattr(ctx.ledger, "append", fail)


def test_failed_ledger_append_rolls_back_the_change(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries_before = audit.count_entries(ctx, actor=admin)
    _break_ledger(monkeypatch, ctx)
    with pytest.raises(LedgerDown):
        pg.OBJECTIVES.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["objective"])
    monkeypatch.undo()
    assert _count(ctx, ObjectiveRow) == 0
    assert audit.count_entries(ctx, actor=admin) == entries_before


def test_failed_ledger_append_rolls_back_an_update(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    obj = pg.OBJECTIVES.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["objective"])
    _break_ledger(monkeypatch, ctx)
    with pytest.raises(LedgerDown):
        pg.OBJECTIVES.update(
            ctx, actor=admin, workspace_id=ws.id, item_id=obj.id,
            data=pg.ObjectiveUpdate(target_value=30.0),
        )  # fmt: skip
    monkeypatch.undo()
    again = pg.OBJECTIVES.get(ctx, actor=admin, workspace_id=ws.id, item_id=obj.id)
    assert again.target_value == 21.0


def test_failed_ledger_append_leaves_no_workspace_or_folder(
    ctx: AppContext, admin: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_ledger(monkeypatch, ctx)
    folder = tmp_path / "never"
    with pytest.raises(LedgerDown):
        workspaces.create_workspace(ctx, actor=admin, name="never", path=folder)
    monkeypatch.undo()
    assert _count(ctx, WorkspaceRow) == 0
    assert _count(ctx, MembershipRow) == 0
    assert not folder.exists()


def test_failed_ledger_append_rolls_back_role_and_user(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    users_before = len(accounts.list_users(ctx, actor=admin))
    _break_ledger(monkeypatch, ctx)
    with pytest.raises(LedgerDown):
        accounts.create_user(
            ctx, actor=admin, email="x@agency.example", display_name="X", password=None
        )
    monkeypatch.undo()
    assert len(accounts.list_users(ctx, actor=admin)) == users_before


def test_failure_after_the_entry_rolls_back_the_entry(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicflow.app import _programme

    real = _programme.record
    entries_before = audit.count_entries(ctx, actor=admin)

    def record_then_fail(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise LedgerDown("the transaction failed after the entry was written")

    monkeypatch.setattr(_programme, "record", record_then_fail)
    with pytest.raises(LedgerDown):
        pg.RISKS.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["risk"])
    monkeypatch.undo()
    assert audit.count_entries(ctx, actor=admin) == entries_before
    assert pg.RISKS.list(ctx, actor=admin, workspace_id=ws.id) == []
    assert audit.verify(ctx, actor=admin).ok
