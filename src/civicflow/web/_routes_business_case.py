"""The Business case pages: the workspace's cases, one case (cash flow per year, the NPV
distribution with P10/P50/P90, the chance of payback, the tornado, its versions), a form to create
one and one to edit it as a new version, evaluation, deletion (asked first), and versions side
by side.

Every change goes through ``civicflow.app.business_case`` (role check and ledger); this module
reads forms and renders.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext, Permission
from civicflow.app import business_case as bc
from civicflow.core import CivicflowError, InputError, Location
from civicflow.mining import format_share
from civicflow.report import business_case_charts, money
from civicflow.web._deps import PostedForm, form_text
from civicflow.web._pages import confirm_delete, flash, page
from civicflow.web._permissions import AppCtx, BusinessCaseWriter, WorkspaceReader

router = APIRouter(include_in_schema=False)
NAV = "business-case"


def _chart(chart: Any) -> dict[str, Any]:
    return {**chart.spec, "description": chart.label}


def _workspace(ctx: AppContext, actor: Actor, workspace_id: str) -> Any:
    from civicflow.app import workspaces

    return workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)


def _summary(stored: bc.StoredCase, number: int | None = None) -> dict[str, Any]:
    """The figures of a version as text, for the tables."""
    from civicflow.planning import result_to_dict

    v = stored.version(number)
    base = result_to_dict(v.case.evaluate())
    mc = (v.result or {}).get("monte_carlo")
    cur = base["currency"]
    return {
        "base": base,
        "npv": money(base["npv"], cur),
        "irr": "—" if base["irr"] is None else format_share(base["irr"]),
        "roi": "—" if base["roi"] is None else format_share(base["roi"]),
        "payback": "not within the horizon"
        if base["payback_years"] is None
        else f"{base['payback_years']:.1f} years",
        "range": f"{money(mc['npv_p10'])} to {money(mc['npv_p90'])}" if mc else "not evaluated",
        "positive": format_share(mc["probability_positive_npv"]) if mc else "—",
        "payback_chances": [
            (f"within {n} years", format_share(p)) for n, p in mc["payback_probability"].items()
        ]
        if mc
        else [],
        "mc": mc,
    }


# -- the list and the create form --------------------------------------------------------------

_CREATE_FIELDS = {
    "name": "bc-name", "start": "bc-start", "years": "bc-years", "discount_rate": "bc-rate",
    "cost_title": "bc-cost-title", "cost_low": "bc-cost-low", "cost_likely": "bc-cost-likely",
    "cost_high": "bc-cost-high", "cost_category": "bc-cost-category",
    "recurring_title": "bc-rec-title", "recurring_amount": "bc-rec-amount",
    "role": "bc-role", "hours_low": "bc-hours-low", "hours_likely": "bc-hours-likely",
    "hours_high": "bc-hours-high", "hourly_cost": "bc-hourly-cost",
    "cases_per_year": "bc-cases", "days_saved": "bc-days", "value_per_day": "bc-value-day",
    "description": "bc-description",
}  # fmt: skip
_FIELD_OF_DOCUMENT = {
    "costs[0].amount": "cost_low", "costs[0].amount.low": "cost_low",
    "costs[0].amount.likely": "cost_likely", "costs[0].amount.high": "cost_high",
    "costs[1].amount": "recurring_amount",
    "benefits[0].hours_per_year": "hours_low", "benefits[0].hours_per_year.low": "hours_low",
    "benefits[0].hours_per_year.likely": "hours_likely",
    "benefits[0].hourly_cost": "hourly_cost",
}  # fmt: skip
"""A field of the case document the form builds -> the form's field (for the error summary)."""


def _list_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    workspace = _workspace(ctx, actor, workspace_id)
    cases = bc.list_cases(ctx, actor=actor, workspace_id=workspace_id)
    rows = [{"case": c, **_summary(c)} for c in cases]
    defaults = {
        "start": date.today().replace(month=1, day=1).isoformat(), "years": "5",
        "discount_rate": "0.04", "cost_category": "software",
    }  # fmt: skip
    return page(
        request, "business_cases.html", actor, status=422 if error else 200,
        workspace=workspace, nav=NAV, rows=rows,
        can_write=actor.can(Permission.BUSINESS_CASE_WRITE, workspace_id),
        budget_lines=len(bc.budget_costs(ctx, actor=actor, workspace_id=workspace_id)),
        error=error, values=defaults | (values or {}), field_ids=_CREATE_FIELDS,
    )  # fmt: skip


@router.get("/w/{workspace_id}/business-cases")
def business_cases(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _list_page(request, ctx, actor, workspace_id)


def _range(values: dict[str, str], low: str, likely: str, high: str) -> Any:
    """A number, or a range when a low or high end is given (PERT)."""
    lo, mid, hi = values.get(low, ""), values.get(likely, ""), values.get(high, "")
    if not lo and not hi:
        return mid or None
    return {"low": lo or mid, "likely": mid or None, "high": hi or mid}


def _document(values: dict[str, str]) -> dict[str, Any]:
    """The case document the create form describes (checked by ``case_from_dict``)."""
    doc: dict[str, Any] = {
        "name": values["name"],
        "start": values["start"],
        "years": _whole(values["years"], "years"),
        "discount_rate": values["discount_rate"] or "0.04",
        "costs": [],
        "benefits": [],
    }
    build = _range(values, "cost_low", "cost_likely", "cost_high")
    if build is not None:
        doc["costs"].append(
            {"title": values["cost_title"] or "Build", "amount": build,
             "category": values["cost_category"] or "software"}
        )  # fmt: skip
    if values["recurring_amount"]:
        doc["costs"].append(
            {"title": values["recurring_title"] or "Licence and support",
             "amount": values["recurring_amount"], "category": values["cost_category"] or "software",
             "recurrence": "recurring", "period": "year"}
        )  # fmt: skip
    hours = _range(values, "hours_low", "hours_likely", "hours_high")
    if hours is not None:
        doc["benefits"].append(
            {"kind": "hours_saved", "role": values["role"] or "staff", "hours_per_year": hours,
             "hourly_cost": values["hourly_cost"] or None}
        )  # fmt: skip
    if values["days_saved"]:
        doc["benefits"].append(
            {"kind": "faster_service", "cases_per_year": values["cases_per_year"] or None,
             "days_saved": values["days_saved"], "value_per_day": values["value_per_day"] or None}
        )  # fmt: skip
    return doc


def _whole(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(
            f"'{text}' is not a whole number",
            where=Location(field=field),
            found=text or "(empty)",
            expected="a whole number of years from 1 to 50",
            fix="enter the horizon in years, e.g. 5",
        ) from None


@router.post("/w/{workspace_id}/business-cases")
def business_case_create(
    request: Request, ctx: AppCtx, workspace_id: str, actor: BusinessCaseWriter, form: PostedForm
) -> Response:
    from dataclasses import replace

    from civicflow.planning import case_from_dict

    values = {k: form_text(form, k) for k in _CREATE_FIELDS}
    values["budget"] = form_text(form, "budget")
    try:
        budget = bc.budget_costs(ctx, actor=actor, workspace_id=workspace_id)
        case = case_from_dict(_document(values))
        if values["budget"] == "on":
            case = replace(case, costs=(*case.costs, *budget))
        stored = bc.create_case(
            ctx, actor=actor, workspace_id=workspace_id, case=case,
            description=values["description"], note="created on the Business case page",
            source={"kind": "form", "from_budget": values["budget"] == "on"},
            reason="created on the Business case page",
        )  # fmt: skip
    except CivicflowError as exc:
        err = exc.to_dict()
        field = err.get("field")
        if isinstance(field, str) and field in _FIELD_OF_DOCUMENT:
            err["field"] = _FIELD_OF_DOCUMENT[field]
        return _list_page(request, ctx, actor, workspace_id, error=err, values=values)
    return RedirectResponse(f"/w/{workspace_id}/business-cases/{stored.id}", status_code=303)


# -- one case ----------------------------------------------------------------------------------


def _case_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    case_id: str,
    *,
    version: int | None = None,
    error: dict[str, Any] | None = None,
    document: str | None = None,
    note: str = "",
    scenario_values: dict[str, str] | None = None,
) -> Response:
    workspace = _workspace(ctx, actor, workspace_id)
    stored = bc.get_case(ctx, actor=actor, workspace_id=workspace_id, case=case_id)
    chosen = stored.version(version)
    summary = _summary(stored, chosen.version)
    charts = business_case_charts(summary["base"], chosen.result)
    tornado = (chosen.result or {}).get("tornado") or {}
    can_write = actor.can(Permission.BUSINESS_CASE_WRITE, workspace_id)
    return page(
        request, "business_case.html", actor, status=422 if error else 200, workspace=workspace,
        nav=NAV, stored=stored, chosen=chosen, summary=summary,
        charts=[_chart(c) for c in charts],
        tables={c.id.removeprefix("bc-"): c.table for c in charts},
        tornado=tornado.get("bars", [])[:12],
        versions=[{"v": v, **_summary(stored, v.version)} for v in reversed(stored.versions)],
        document=document if document is not None else json.dumps(chosen.document, indent=2),
        note=note, can_write=can_write,
        scenarios=_compared_scenarios(ctx, actor, workspace_id) if can_write else [],
        scenario_values=scenario_values or {}, error=error,
        field_ids={"document": "bc-document", "note": "bc-note", "draws": "bc-draws",
                   "scenario": "bc-scenario", "hourly_cost": "bc-scn-hourly-cost",
                   "value_per_day": "bc-scn-value-per-day",
                   "cases_per_year": "bc-scn-cases-per-year"},
    )  # fmt: skip


@router.get("/w/{workspace_id}/business-cases/compare")
def business_case_compare(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    """Versions side by side: ``?ref=<case id>@<version>`` twice or more."""
    refs = []
    for ref in request.query_params.getlist("ref"):
        name, sep, number = ref.rpartition("@")
        refs.append((name, int(number)) if sep and number.isdigit() else (ref, None))
    cmp = bc.compare_cases(ctx, actor=actor, workspace_id=workspace_id, refs=refs)
    formatted = []
    for key in cmp.figures:
        cells = []
        for c in cmp.columns:
            v = c.figures.get(key)
            if v is None:
                cells.append("—")
            elif key in ("irr", "roi", "probability_positive_npv"):
                cells.append(format_share(v))
            elif "payback" in key:
                cells.append(f"{v:.2f} years")
            else:
                cells.append(money(v))
        formatted.append({"label": _FIGURE_LABELS.get(key, key), "cells": cells})
    differing = set(cmp.differing_inputs)
    inputs = [
        {
            "label": k,
            "cells": [c.inputs.get(k, "—") for c in cmp.columns],
            "differs": k in differing,
        }
        for k in cmp.inputs
    ]
    return page(
        request, "business_case_compare.html", actor, workspace=_workspace(ctx, actor, workspace_id),
        nav=NAV, cmp=cmp, figures=formatted, inputs=inputs,
    )  # fmt: skip


_FIGURE_LABELS = {
    "npv": "NPV (base case)", "irr": "IRR", "roi": "ROI", "payback_years": "Payback",
    "discounted_payback_years": "Discounted payback", "total_costs": "Costs over the horizon",
    "total_benefits": "Benefits over the horizon", "npv_p10": "NPV P10", "npv_p50": "NPV P50",
    "npv_p90": "NPV P90", "probability_positive_npv": "Chance the NPV is above 0",
}  # fmt: skip


@router.get("/w/{workspace_id}/business-cases/{case_id}")
def business_case_page(
    request: Request, ctx: AppCtx, workspace_id: str, case_id: str, actor: WorkspaceReader
) -> Response:
    raw = request.query_params.get("version")
    version = int(raw) if raw and raw.isdigit() else None
    return _case_page(request, ctx, actor, workspace_id, case_id, version=version)


@router.post("/w/{workspace_id}/business-cases/{case_id}/versions")
def business_case_version(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    case_id: str,
    actor: BusinessCaseWriter,
    form: PostedForm,
) -> Response:
    from civicflow.planning import case_from_dict

    text, note = form_text(form, "document"), form_text(form, "note")
    try:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                "the case document is not JSON",
                where=Location(field="document", line=exc.lineno),
                found=exc.msg,
                expected="the case document as JSON",
                fix="correct the document (see docs/BUSINESS_CASE.md, The case file)",
            ) from None
        document = case_from_dict(data)
        bc.add_version(
            ctx, actor=actor, workspace_id=workspace_id, case=case_id, document=document,
            note=note, reason="edited on the Business case page",
        )  # fmt: skip
    except CivicflowError as exc:
        err = exc.to_dict()
        if err.get("field") and err["field"] not in ("document", "note"):
            err["what"] = f"{err['what']}: field '{err['field']}'"
            err["field"] = "document"
        return _case_page(request, ctx, actor, workspace_id, case_id, error=err, document=text,
                          note=note)  # fmt: skip
    return RedirectResponse(f"/w/{workspace_id}/business-cases/{case_id}", status_code=303)


def _compared_scenarios(ctx: AppContext, actor: Actor, workspace_id: str) -> list[tuple[str, str]]:
    """The scenarios of the workspace's latest scenario comparisons, as choices
    ``run id|scenario`` → words."""
    from civicflow.app import planning as ap

    models: dict[str | None, str] = {
        m.id: m.name for m in ap.list_models(ctx, actor=actor, workspace_id=workspace_id)
    }
    out = []
    for run in ap.list_runs(ctx, actor=actor, workspace_id=workspace_id, kind="compare")[:10]:
        for s in run.result.get("scenarios", []):
            when = run.created_at.strftime("%Y-%m-%d %H:%M")
            out.append((f"{run.id}|{s['name']}",
                        f"{s['name']} (model {models.get(run.model_id, run.model_id or '?')}, "
                        f"compared {when} UTC)"))  # fmt: skip
    return out


def _amount(text: str, field: str, *, optional: bool = False) -> float | None:
    if optional and not text:
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise InputError(
            f"'{text}' is not a number", where=Location(field=field), found=text or "(empty)",
            expected="an amount, e.g. 55", fix="enter a number",
        ) from None  # fmt: skip


@router.post("/w/{workspace_id}/business-cases/{case_id}/from-scenario")
def business_case_from_scenario(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    case_id: str,
    actor: BusinessCaseWriter,
    form: PostedForm,
) -> Response:
    """The next version's benefits from a simulated scenario's comparison with the as-is."""
    values = {k: form_text(form, k)
              for k in ("scenario", "hourly_cost", "value_per_day", "cases_per_year")}  # fmt: skip
    try:
        run_id, sep, scenario = values["scenario"].partition("|")
        if not sep or not scenario:
            raise InputError(
                "no scenario chosen", where=Location(field="scenario"),
                found=values["scenario"] or "(none)",
                expected="a scenario of a stored comparison",
                fix="compare a scenario with the model on the Simulation page, then choose it",
            )  # fmt: skip
        made = bc.version_from_scenario(
            ctx, actor=actor, workspace_id=workspace_id, case=case_id, scenario=scenario,
            run_id=run_id, hourly_cost=_amount(values["hourly_cost"], "hourly_cost") or 0.0,
            value_per_day=_amount(values["value_per_day"], "value_per_day", optional=True),
            cases_per_year=_amount(values["cases_per_year"], "cases_per_year", optional=True),
            reason="benefits from a scenario on the Business case page",
        )  # fmt: skip
    except CivicflowError as exc:
        return _case_page(request, ctx, actor, workspace_id, case_id, error=exc.to_dict(),
                          scenario_values=values)  # fmt: skip
    notes = "; ".join(made.savings.notes)
    flash(request, f"Version {made.case.latest.version} stored with the benefits of "
                   f"'{scenario}'" + (f" ({notes})" if notes else "") + ".")  # fmt: skip
    return RedirectResponse(f"/w/{workspace_id}/business-cases/{case_id}", status_code=303)


@router.post("/w/{workspace_id}/business-cases/{case_id}/evaluate")
def business_case_evaluate(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    case_id: str,
    actor: BusinessCaseWriter,
    form: PostedForm,
) -> Response:
    from civicflow.planning import MonteCarloConfig

    raw = form_text(form, "version")
    version = int(raw) if raw.isdigit() else None
    try:
        draws_text = form_text(form, "draws") or "100000"
        if not draws_text.isdigit():
            raise InputError(
                f"'{draws_text}' is not a whole number",
                where=Location(field="draws"),
                found=draws_text,
                expected="a whole number of draws, 100 to 2,000,000",
                fix="enter 100000",
            )
        cfg = MonteCarloConfig(draws=int(draws_text), seed=0)
        bc.evaluate_case(
            ctx, actor=actor, workspace_id=workspace_id, case=case_id, version=version, config=cfg,
            reason="evaluated on the Business case page",
        )  # fmt: skip
    except CivicflowError as exc:
        return _case_page(request, ctx, actor, workspace_id, case_id, version=version,
                          error=exc.to_dict())  # fmt: skip
    suffix = f"?version={version}" if version is not None else ""
    return RedirectResponse(f"/w/{workspace_id}/business-cases/{case_id}{suffix}", status_code=303)


def _confirm(
    request: Request, ctx: AppContext, actor: Actor, workspace_id: str, case_id: str
) -> Response:
    stored = bc.get_case(ctx, actor=actor, workspace_id=workspace_id, case=case_id)
    return confirm_delete(
        request, actor, workspace=_workspace(ctx, actor, workspace_id), nav=NAV,
        thing=f"business case '{stored.name}'",
        consequence=f"Its {len(stored.versions)} version(s) and their evaluations are removed. The "
        "audit ledger records the deletion with the digest of what was deleted.",
        action=f"/w/{workspace_id}/business-cases/{stored.id}/delete",
        cancel=f"/w/{workspace_id}/business-cases/{stored.id}",
    )  # fmt: skip


@router.get("/w/{workspace_id}/business-cases/{case_id}/delete")
def business_case_delete_confirm(
    request: Request, ctx: AppCtx, workspace_id: str, case_id: str, actor: BusinessCaseWriter
) -> Response:
    return _confirm(request, ctx, actor, workspace_id, case_id)


@router.post("/w/{workspace_id}/business-cases/{case_id}/delete")
def business_case_delete(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    case_id: str,
    actor: BusinessCaseWriter,
    form: PostedForm,
) -> Response:
    if form_text(form, "confirm") != "yes":
        return _confirm(request, ctx, actor, workspace_id, case_id)
    bc.delete_case(
        ctx, actor=actor, workspace_id=workspace_id, case=case_id,
        reason=form_text(form, "reason") or "deleted on the Business case page",
    )  # fmt: skip
    return RedirectResponse(f"/w/{workspace_id}/business-cases", status_code=303)
