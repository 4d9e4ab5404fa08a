"""The Fairness page: the workspace's stored audits (every version), one audit's findings with its
group metrics as bars, each audited system's audits over time, stored explanations of a model's decisions (each
decision on a printable page for the person it concerns), the monitored decision streams with their alerts and the history of a
metric over each stream's audits, and a form that audits a dataset's process for groups of cases.

Every run goes through ``civicflow.app.fairness`` (role check and ledger); this module only reads
forms and renders. Decision audits of files run from the command line (``civicflow fairness
audit``) and appear here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext, Permission
from civicflow.app import fairness as af
from civicflow.core import CivicflowError
from civicflow.report import fairness_history_chart
from civicflow.web._deps import PostedForm, form_text
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, FairnessWriter, WorkspaceReader

router = APIRouter(include_in_schema=False)

BAR_METRICS = ("selection_rate", "fpr", "fnr")
"""The metrics drawn as bars per group on an audit's page (every metric is in its table)."""
TABLE_METRICS = ("count", "selection_rate", "tpr", "fpr", "fnr", "ppv", "accuracy")
HISTORY_METRICS = ("selection_rate", "fpr", "fnr", "tpr", "ppv", "accuracy")
"""The metrics a stream's history can be drawn for on the Fairness page (``?metric=``)."""
SEVERITY_TAGS = {"high": "red", "medium": "orange", "low": "yellow", "warning": "grey"}
_FIELDS = {"dataset": "fair-dataset", "group": "fair-group", "control": "fair-control"}


def _overview(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    audits = af.list_audits(ctx, actor=actor, workspace_id=workspace_id)
    streams = af.list_streams(ctx, actor=actor, workspace_id=workspace_id)
    metric = request.query_params.get("metric", "selection_rate")
    if metric not in HISTORY_METRICS:
        metric = "selection_rate"
    systems = {a.system_id: a.system_name for a in audits if a.system_id is not None}
    explanations = af.list_explanations(ctx, actor=actor, workspace_id=workspace_id)
    charts = []
    for i, stream in enumerate(streams):
        history = af.stream_history(
            ctx, actor=actor, workspace_id=workspace_id, name=stream.name, metric=metric
        )
        if history["versions"]:
            chart = fairness_history_chart(history, id_prefix=f"fair{i}")
            charts.append({**chart.spec, "description": chart.label})
    return page(
        request, "fairness.html", actor, status=422 if error else 200, workspace=workspace,
        nav="fairness", audits=audits, streams=streams, systems=systems,
        explanations=explanations, charts=charts,
        metric=metric,
        history_metrics=HISTORY_METRICS, datasets=workspace.store().dataset_names(),
        can_write=actor.can(Permission.FAIRNESS_WRITE, workspace_id), error=error,
        values=values or {}, field_ids=_FIELDS, tags=SEVERITY_TAGS,
        severe=lambda a: sum(
            1 for f in a.result.get("findings", []) if f["severity"] in ("high", "medium")
        ),
    )  # fmt: skip


@router.get("/w/{workspace_id}/fairness")
def fairness_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _overview(request, ctx, actor, workspace_id)


@router.post("/w/{workspace_id}/fairness/process")
def fairness_process(
    request: Request, ctx: AppCtx, workspace_id: str, actor: FairnessWriter, form: PostedForm
) -> Response:
    from civicflow.fairness import ProcessFairnessConfig

    values = {k: form_text(form, k) for k in ("dataset", "group", "control")}
    try:
        config = ProcessFairnessConfig(group=values["group"], control=values["control"] or None)
        stored, _ = af.audit_process(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=values["dataset"],
            config=config, reason="workbench: Fairness page",
        )  # fmt: skip
    except CivicflowError as exc:
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)
    return RedirectResponse(f"/w/{workspace_id}/fairness/{stored.id}", status_code=303)


@router.get("/w/{workspace_id}/fairness/explanations/{explanation_id}")
def fairness_explanation(
    request: Request, ctx: AppCtx, workspace_id: str, explanation_id: str, actor: WorkspaceReader
) -> Response:
    """A model's stored explanations: the global picture and each explained decision."""
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = af.get_explanation(
        ctx, actor=actor, workspace_id=workspace_id, explanation_id=explanation_id
    )
    return page(
        request, "fairness_explanation.html", actor, workspace=workspace, nav="fairness",
        explanation=stored, label=_labeller(stored.config),
    )  # fmt: skip


@router.get("/w/{workspace_id}/fairness/explanations/{explanation_id}/decisions/{row}")
def fairness_decision(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    explanation_id: str,
    row: int,
    actor: WorkspaceReader,
) -> Response:
    """One decision explained for the person it concerns, in plain language and printable: the
    outcome, the main factors used, what change would have changed it, and their rights."""
    from civicflow.app import workspaces
    from civicflow.core import Location, NotFoundError

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = af.get_explanation(
        ctx, actor=actor, workspace_id=workspace_id, explanation_id=explanation_id
    )
    decision = stored.decision(row)
    if decision is None:
        raise NotFoundError(
            f"row {row} was not explained in {explanation_id}",
            where=Location(field="row"),
            found=str(row),
            expected="one of the rows explained: " + ", ".join(map(str, stored.rows)),
            fix="explain that row with `civicflow fairness explain --row`",
        )
    label = _labeller(stored.config)
    positive = str(stored.config.get("positive_words", "positive"))
    negative = str(stored.config.get("negative_words", "negative"))
    top = int(stored.config.get("top_factors", 3))
    factors = [
        {
            "feature": label(f["feature"]),
            "value": f["value"],
            "towards": positive if f["contribution"] > 0 else negative,
        }
        for f in decision["factors"][:top]
        if f["contribution"] != 0
    ]
    return page(
        request, "fairness_decision.html", actor, workspace=workspace, nav="fairness",
        explanation=stored, decision=decision, factors=factors,
    )  # fmt: skip


def _labeller(config: dict[str, Any]) -> Any:
    labels = dict(config.get("labels") or {})
    return lambda feature: labels.get(feature, str(feature).replace("_", " "))


@router.get("/w/{workspace_id}/fairness/systems/{system_id}")
def fairness_system(
    request: Request, ctx: AppCtx, workspace_id: str, system_id: str, actor: WorkspaceReader
) -> Response:
    """A registered system's decision audits over time, each against the previous one, and a
    metric of its groups over those audits (``?metric=``)."""
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    history = af.system_history(ctx, actor=actor, workspace_id=workspace_id, system=system_id)
    metric = request.query_params.get("metric", "selection_rate")
    if metric not in HISTORY_METRICS:
        metric = "selection_rate"
    charts = []
    if history.audits:
        chart = fairness_history_chart(history.metric_history(metric=metric), id_prefix="sys")
        charts.append({**chart.spec, "description": chart.label})
    return page(
        request, "fairness_system.html", actor, workspace=workspace, nav="fairness",
        history=history, rows=[a.to_dict() for a in history.audits], charts=charts,
        metric=metric, history_metrics=HISTORY_METRICS,
    )  # fmt: skip


@router.get("/w/{workspace_id}/fairness/{audit_id}")
def fairness_audit(
    request: Request, ctx: AppCtx, workspace_id: str, audit_id: str, actor: WorkspaceReader
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = af.get_audit(ctx, actor=actor, workspace_id=workspace_id, audit_id=audit_id)
    return page(
        request, "fairness_audit.html", actor, workspace=workspace, nav="fairness",
        audit=stored, tags=SEVERITY_TAGS, attributes=_attributes(stored.result),
        differences=_differences(stored.result),
    )  # fmt: skip


def _attributes(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per attribute of a decision audit: its groups with their metrics, and the bars."""
    by: dict[str, dict[str, dict[str, Any]]] = {}
    for m in result.get("metrics", []):
        by.setdefault(m["attribute"], {}).setdefault(m["group"], {})[m["metric"]] = m
    refs = result.get("references", {})
    out = []
    for attribute, groups in by.items():
        rows = []
        for group, metrics in groups.items():
            count = metrics.get("count", {})
            rows.append(
                {
                    "group": group,
                    "small": bool(count.get("small")),
                    "cells": [metrics.get(name, {}).get("value") for name in TABLE_METRICS],
                    "bars": [
                        (name, metrics.get(name, {}).get("value"), metrics.get(name, {}))
                        for name in BAR_METRICS
                        if name in metrics
                    ],
                }
            )
        out.append({"name": attribute, "reference": refs.get(attribute), "rows": rows})
    return out


def _differences(result: dict[str, Any]) -> list[dict[str, Any]]:
    """A process audit's comparisons, the significant ones first."""
    rows = result.get("differences", [])
    return sorted(rows, key=lambda d: (not d.get("significant"), d.get("p_holm") or 1.0))[:60]
