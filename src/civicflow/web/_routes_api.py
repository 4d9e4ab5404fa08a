"""The REST API under ``/api/v1``: API tokens (Bearer) or a session; the same permissions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from civicflow.app import Permission, audit, programme, workspaces
from civicflow.web._permissions import requires, signed_in

router = APIRouter(prefix="/api/v1", tags=["v1"])
P = Permission


@router.get("/me")
async def me(actor: Annotated[Any, signed_in()]) -> dict[str, Any]:
    """The authenticated actor: pseudonym, roles per workspace, token scopes."""
    return dict(actor.to_dict())


@router.get("/workspaces")
async def list_workspaces(
    request: Request, actor: Annotated[Any, signed_in()]
) -> list[dict[str, Any]]:
    """Workspaces the actor can read."""
    items = await run_in_threadpool(workspaces.list_workspaces, request.app.state.ctx, actor=actor)
    return [{k: v for k, v in w.to_dict().items() if k != "path"} for w in items]


@router.get("/workspaces/{workspace_id}/objectives")
async def list_objectives(
    request: Request, workspace_id: str, actor: Annotated[Any, requires(P.WORKSPACE_READ.value)]
) -> list[dict[str, Any]]:
    """Objectives with their computed progress."""
    items = await run_in_threadpool(
        programme.list_objectives, request.app.state.ctx, actor=actor, workspace_id=workspace_id
    )
    return [o.to_dict() for o in items]


@router.post("/workspaces/{workspace_id}/objectives", status_code=201)
async def create_objective(
    request: Request,
    workspace_id: str,
    body: programme.ObjectiveCreate,
    actor: Annotated[Any, requires(P.PROGRAMME_WRITE.value)],
) -> dict[str, Any]:
    """Create an objective (KPI, baseline value, target, date); written to the ledger."""
    item = await run_in_threadpool(
        programme.create_objective,
        request.app.state.ctx,
        actor=actor,
        workspace_id=workspace_id,
        data=body,
    )
    return item.to_dict()


@router.get("/workspaces/{workspace_id}/risks")
async def list_risks(
    request: Request, workspace_id: str, actor: Annotated[Any, requires(P.WORKSPACE_READ.value)]
) -> list[dict[str, Any]]:
    items = await run_in_threadpool(
        programme.list_risks, request.app.state.ctx, actor=actor, workspace_id=workspace_id
    )
    return [r.to_dict() for r in items]


@router.get("/workspaces/{workspace_id}/ledger")
async def ledger_entries(
    request: Request,
    workspace_id: str,
    actor: Annotated[Any, requires(P.LEDGER_READ.value)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> list[dict[str, Any]]:
    """Ledger entries of the workspace, newest first."""
    items = await run_in_threadpool(
        audit.list_entries,
        request.app.state.ctx,
        actor=actor,
        workspace_id=workspace_id,
        limit=limit,
        offset=offset,
    )
    return [e.to_dict() for e in items]


@router.get("/workspaces/{workspace_id}/ledger/verify")
async def ledger_verify(
    request: Request, workspace_id: str, actor: Annotated[Any, requires(P.LEDGER_VERIFY.value)]
) -> dict[str, Any]:
    """Verify the whole ledger: any changed, removed, inserted or reordered entry is reported."""
    report = await run_in_threadpool(audit.verify, request.app.state.ctx, actor=actor)
    return dict(report.to_dict())
