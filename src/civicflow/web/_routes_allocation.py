"""The Allocation pages: the workspace's allocation scenarios (every version), and one scenario
side by side — the efficient plan beside the fair one, each area's service level under both as
bars, the price of fairness and the plan at P90 demand.

Scenarios are run through ``civicflow.app.allocation`` (role check and ledger) from the command
line (``civicflow allocate run``) and appear here; this module only reads and renders.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicflow.app import Permission
from civicflow.app import allocation as al
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, WorkspaceReader

router = APIRouter(include_in_schema=False)

AREAS_SHOWN = 60
"""Areas drawn as bars on a scenario's page, worst-served first (all are in the stored result)."""


@router.get("/w/{workspace_id}/allocation")
def allocation_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    scenarios = al.list_allocations(ctx, actor=actor, workspace_id=workspace_id)
    return page(
        request, "allocation.html", actor, workspace=workspace, nav="allocation",
        scenarios=scenarios, can_write=actor.can(Permission.FORECAST_WRITE, workspace_id),
        chosen=lambda a: a.result.get("fair") or a.result["efficient"],
    )  # fmt: skip


@router.get("/w/{workspace_id}/allocation/{allocation_id}")
def allocation_scenario(
    request: Request, ctx: AppCtx, workspace_id: str, allocation_id: str, actor: WorkspaceReader
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = al.get_allocation(
        ctx, actor=actor, workspace_id=workspace_id, allocation_id=allocation_id
    )
    result = stored.result
    plans = [result["efficient"]] + ([result["fair"]] if result.get("fair") else [])
    return page(
        request, "allocation_scenario.html", actor, workspace=workspace, nav="allocation",
        scenario=stored, result=result, plans=plans, areas=_areas(result),
        shown=AREAS_SHOWN, unit=result.get("unit", "units"),
    )  # fmt: skip


def _areas(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The areas, worst-served first under the chosen plan (the fair one when there is one)."""
    fair = result.get("fair") is not None
    key = "service_fair" if fair else "service_efficient"
    rows = [o for o in result.get("outcomes", []) if o.get(key) is not None]
    rows.sort(key=lambda o: (o[key], o["area"]))
    return rows[:AREAS_SHOWN]
