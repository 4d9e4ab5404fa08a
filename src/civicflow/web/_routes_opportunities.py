"""The Opportunities page: a dataset's activities and frequent sequences ranked as automation
opportunities, each signal's score with its evidence, the weights the analyst may change, the
decision rules in words, and one step from an opportunity to a draft business case.

Ranking goes through ``civicflow.app.business_case.rank_opportunities`` (role checked, nothing
stored); the draft through ``from_opportunity`` (BUSINESS_CASE_WRITE, ledgered).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext, Permission, assessment, workspaces
from civicflow.app import business_case as bc
from civicflow.app import planning as ap
from civicflow.core import CivicflowError, InputError, Location
from civicflow.planning import SIGNALS, OpportunityConfig, OpportunityWeights
from civicflow.report import opportunities_chart
from civicflow.web._deps import PostedForm
from civicflow.web._pages import flash, page
from civicflow.web._permissions import AppCtx, BusinessCaseWriter, WorkspaceReader

router = APIRouter(include_in_schema=False)
NAV = "opportunities"


def _number(text: str, field: str, *, expected: str, fix: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(
            f"'{text}' is not a number", where=Location(field=field),
            found=text or "(empty)", expected=expected, fix=fix,
        )  # fmt: skip
    return value


def _weights(params: Any) -> tuple[OpportunityWeights, dict[str, str]]:
    """The weights the query string gives (``w_<signal>``), the defaults for the rest."""
    given = {name: (params.get(f"w_{name}") or "").strip() for name in SIGNALS}
    values = {
        name: _number(text, f"w_{name}", expected="a weight of 0 or more",
                      fix=f"enter a number for the weight of {name}, e.g. 1")
        for name, text in given.items() if text
    }  # fmt: skip
    weights = OpportunityWeights(**values)
    shown = {name: f"{v:g}" for name, v in weights.as_dict().items()}
    return weights, shown


def _draft_ids(data: dict[str, Any] | None, values: dict[str, str] | None) -> dict[str, str]:
    """The error summary's links to the fields of the draft form that was posted: each
    opportunity has its own form, its inputs numbered by its place in the list."""
    activity = (values or {}).get("activity")
    listed = [o["activity"] for o in (data or {}).get("opportunities", [])]
    if activity not in listed:
        return {}
    n = listed.index(activity) + 1
    return {"hourly_cost": f"opp-hourly-cost-{n}", "share_automated": f"opp-share-{n}",
            "model_id": f"opp-model-{n}"}  # fmt: skip


def _page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    params: Any,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    datasets = [
        d.name for d in assessment.list_datasets(ctx, actor=actor, workspace_id=workspace_id)
    ]
    dataset = (params.get("dataset") or "").strip() or (datasets[0] if datasets else "")
    data: dict[str, Any] | None = None
    chart: dict[str, Any] | None = None
    shown = {name: f"{v:g}" for name, v in OpportunityWeights().as_dict().items()}
    if dataset:
        try:
            weights, shown = _weights(params)
            ranked = bc.rank_opportunities(
                ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset,
                config=OpportunityConfig(weights=weights),
            )  # fmt: skip
            data = bc.opportunities_to_dict(ranked, top=15)
            drawn = opportunities_chart(data)
            if drawn is not None:
                chart = {**drawn.spec, "description": drawn.label}
        except CivicflowError as exc:
            error = error or exc.to_dict()
    # with the right to write simulations, the draft may also store a what-if scenario of a model
    models = (
        [(m.id, m.name) for m in ap.list_models(ctx, actor=actor, workspace_id=workspace_id)]
        if actor.can(Permission.SIMULATION_WRITE, workspace_id)
        else []
    )
    return page(
        request, "opportunities.html", actor, status=422 if error else 200, models=models,
        workspace=workspace, nav=NAV, datasets=datasets, dataset=dataset, data=data,
        charts=[chart] if chart else [], signals=SIGNALS, weights=shown, error=error,
        values=values or {}, can_write=actor.can(Permission.BUSINESS_CASE_WRITE, workspace_id),
        field_ids={f"w_{n}": f"w-{n}" for n in SIGNALS} | _draft_ids(data, values),
    )  # fmt: skip


@router.get("/w/{workspace_id}/opportunities")
def opportunities(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _page(request, ctx, actor, workspace_id, params=request.query_params)


@router.post("/w/{workspace_id}/opportunities/business-case")
def draft_business_case(
    request: Request, ctx: AppCtx, workspace_id: str, actor: BusinessCaseWriter, form: PostedForm
) -> Response:
    """One step from an opportunity to a draft business case (costs from the budget lines)
    and, when a simulation model is chosen, a what-if scenario of it (one transaction)."""
    values = {k: (form.get(k) or "").strip() for k in  # type: ignore[union-attr]
              ("dataset", "activity", "hourly_cost", "share_automated", "model_id")}  # fmt: skip
    try:
        hourly = _number(values["hourly_cost"], "hourly_cost",
                         expected="the loaded cost of one staff hour, above 0",
                         fix="enter e.g. 55")  # fmt: skip
        share = _number(values["share_automated"] or "0.5", "share_automated",
                        expected="a fraction above 0, at most 1", fix="enter e.g. 0.5")  # fmt: skip
        drafted = bc.from_opportunity(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=values["dataset"],
            activity=values["activity"], hourly_cost=hourly, share_automated=share,
            model_id=values["model_id"] or None, reason="drafted on the Opportunities page",
        )  # fmt: skip
    except CivicflowError as exc:
        return _page(
            request, ctx, actor, workspace_id, params={"dataset": values["dataset"]},
            error=exc.to_dict(), values=values,
        )  # fmt: skip
    if drafted.scenario is not None:
        flash(
            request,
            f"Draft business case stored, and the scenario '{drafted.scenario.name}' of the "
            "simulation model: compare it with the model as it is on the Simulation page.",
        )
    return RedirectResponse(f"/w/{workspace_id}/business-cases/{drafted.case.id}", status_code=303)
