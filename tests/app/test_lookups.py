"""Finding a workspace by id or name and an account by e-mail: one place each, role-checked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from civicflow.app import Actor, AppContext, Role, accounts, workspaces
from civicflow.core import NotFoundError, PermissionDeniedError


def test_a_workspace_is_found_by_its_id_or_its_name(
    ctx: AppContext, admin: Actor, tmp_path: Path
) -> None:
    ws = workspaces.create_workspace(ctx, actor=admin, name="permits", path=tmp_path / "ws")
    assert workspaces.find_workspace(ctx, actor=admin, ref=ws.id).id == ws.id
    assert workspaces.find_workspace(ctx, actor=admin, ref="permits").id == ws.id
    with pytest.raises(NotFoundError) as err:
        workspaces.find_workspace(ctx, actor=admin, ref="licences")
    assert err.value.where is not None and err.value.where.field == "workspace"
    assert err.value.found == "licences"


def test_a_workspace_one_cannot_read_is_not_found(
    ctx: AppContext,
    admin: Actor,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> None:
    ws = workspaces.create_workspace(ctx, actor=admin, name="permits", path=tmp_path / "ws")
    other = workspaces.create_workspace(ctx, actor=admin, name="other", path=tmp_path / "o")
    member = make_member(other.id, Role.VIEWER)
    # neither by name nor by id: an outsider learns nothing about the workspace's existence
    for ref in ("permits", ws.id):
        with pytest.raises(NotFoundError):
            workspaces.find_workspace(ctx, actor=member, ref=ref)


def test_an_account_is_found_by_its_e_mail_address_as_stored(ctx: AppContext, admin: Actor) -> None:
    user = accounts.create_user(
        ctx, actor=admin, email="Ana@Agency.example", display_name="Ana", password=None
    )
    found = accounts.find_user(ctx, actor=admin, email="  ana@agency.EXAMPLE ")
    assert found.id == user.id
    with pytest.raises(NotFoundError) as err:
        accounts.find_user(ctx, actor=admin, email="bo@agency.example")
    assert err.value.where is not None and err.value.where.field == "email"


def test_only_user_admins_look_accounts_up(
    ctx: AppContext, admin: Actor, make_member: Callable[[str, Role], Actor], tmp_path: Path
) -> None:
    ws = workspaces.create_workspace(ctx, actor=admin, name="permits", path=tmp_path / "ws")
    member = make_member(ws.id, Role.ADMIN)
    with pytest.raises(PermissionDeniedError):
        accounts.find_user(ctx, actor=member, email="ana@agency.example")
