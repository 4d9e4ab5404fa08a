"""The REST API under ``/api/v1``: API tokens (Bearer) or a session; the same permissions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from civicflow.app import audit, programme, workspaces
from civicflow.web._api_errors import ERROR_RESPONSES
from civicflow.web._permissions import (
    AppCtx,
    LedgerReader,
    LedgerVerifier,
    ProgrammeWriter,
    SignedIn,
    WorkspaceReader,
)

# every operation declares the errors the app's handlers return, with their schema
router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERROR_RESPONSES)


@router.get("/me")
def me(actor: SignedIn) -> dict[str, Any]:
    """The authenticated actor: pseudonym, roles per workspace, token scopes."""
    return dict(actor.to_dict())


@router.get("/workspaces")
def list_workspaces(ctx: AppCtx, actor: SignedIn) -> list[dict[str, Any]]:
    """Workspaces the actor can read."""
    items = workspaces.list_workspaces(ctx, actor=actor)
    return [{k: v for k, v in w.to_dict().items() if k != "path"} for w in items]


@router.get("/workspaces/{workspace_id}/objectives")
def list_objectives(ctx: AppCtx, workspace_id: str, actor: WorkspaceReader) -> list[dict[str, Any]]:
    """Objectives with their computed progress."""
    items = programme.OBJECTIVES.list(ctx, actor=actor, workspace_id=workspace_id)
    return [item.to_dict() for item in items]


@router.post("/workspaces/{workspace_id}/objectives", status_code=201)
def create_objective(
    ctx: AppCtx, workspace_id: str, body: programme.ObjectiveCreate, actor: ProgrammeWriter
) -> dict[str, Any]:
    """Create an objective (KPI, baseline value, target, date); written to the ledger."""
    item = programme.OBJECTIVES.create(ctx, actor=actor, workspace_id=workspace_id, data=body)
    return item.to_dict()


@router.get("/workspaces/{workspace_id}/risks")
def list_risks(ctx: AppCtx, workspace_id: str, actor: WorkspaceReader) -> list[dict[str, Any]]:
    """Risks: likelihood and impact (1-5), owner, mitigation, status."""
    items = programme.RISKS.list(ctx, actor=actor, workspace_id=workspace_id)
    return [item.to_dict() for item in items]


@router.get("/workspaces/{workspace_id}/ledger")
def ledger_entries(
    ctx: AppCtx,
    workspace_id: str,
    actor: LedgerReader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> list[dict[str, Any]]:
    """Ledger entries of the workspace, newest first."""
    items = audit.list_entries(
        ctx, actor=actor, workspace_id=workspace_id, limit=limit, offset=offset
    )
    return [e.to_dict() for e in items]


@router.get("/workspaces/{workspace_id}/ledger/verify")
def ledger_verify(ctx: AppCtx, workspace_id: str, actor: LedgerVerifier) -> dict[str, Any]:
    """Verify the whole ledger: any changed, removed, inserted or reordered entry is reported."""
    report = audit.verify(ctx, actor=actor)
    return dict(report.to_dict())


@router.get("/workspaces/{workspace_id}/datasets")
def list_datasets(ctx: AppCtx, workspace_id: str, actor: WorkspaceReader) -> list[dict[str, Any]]:
    """Datasets with their manifests: source, counts, time span, sha256 fingerprint."""
    from civicflow.app import assessment

    items = assessment.list_datasets(ctx, actor=actor, workspace_id=workspace_id)
    return [d.manifest.to_dict() for d in items]


@router.get("/workspaces/{workspace_id}/baselines")
def list_baselines(ctx: AppCtx, workspace_id: str, actor: WorkspaceReader) -> list[dict[str, Any]]:
    """Frozen baselines with their KPI values, definitions and the data they came from."""
    from civicflow.app import assessment

    items = assessment.list_workspace_baselines(ctx, actor=actor, workspace_id=workspace_id)
    return [b.to_dict() for b in items]


@router.get("/workspaces/{workspace_id}/datasets/{name}/process-map")
def process_map(
    request: Request,
    workspace_id: str,
    name: str,
    actor: WorkspaceReader,
    paths: Annotated[float, Query(ge=0.0, le=1.0)] = 1.0,
    top: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> dict[str, Any]:
    """The directly-follows graph of the whole dataset (cached like the pages' maps)."""
    return _analysis(request, actor, workspace_id, name, "map", paths=paths, top=top)


@router.get("/workspaces/{workspace_id}/datasets/{name}/variants")
def variants(
    request: Request,
    workspace_id: str,
    name: str,
    actor: WorkspaceReader,
    top: Annotated[int, Query(ge=1, le=10_000)] = 20,
) -> dict[str, Any]:
    """Variants, most frequent first, with the long tail summarised."""
    return _analysis(request, actor, workspace_id, name, "variants", top=top)


def _analysis(
    request: Request, actor: Any, workspace_id: str, name: str, kind: str, **options: Any
) -> dict[str, Any]:
    from civicflow.web import _assessment as A

    # a workspace the actor may not see is not found
    workspaces.get_workspace(request.app.state.ctx, actor=actor, workspace_id=workspace_id)
    analyst: A.Analyst = request.app.state.analyst
    query = A.Query(dataset=name, filter=A.EventLogFilter(), params=(("dataset", name),))
    view = analyst.view(actor, workspace_id, query)
    if kind == "map":
        result = analyst.process_map(
            view, max_activities=options["top"], path_share=options["paths"]
        )
    else:
        result = analyst.variants(view, top=options["top"])
    return dict(result.to_dict())
