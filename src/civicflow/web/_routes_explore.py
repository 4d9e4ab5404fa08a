"""The case explorer (the cases behind a number, one case's timeline) and the filter stack's pages:
add a step, remove one, save the stack as a named set, delete a set.

Everything a page shows is in its URL: the dataset, the filter (named options and ``step``
parameters, in order) and the list's selection, sort and page; a link reproduces the view. The
case list answers HTMX with its table only (sorting and paging swap it in place) and works as
plain links without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civicflow import mining
from civicflow.app import Permission, assessment, workspaces
from civicflow.core import CivicflowError, InputError, Location
from civicflow.mining import CaseQuery, FilterStack
from civicflow.web import _assessment as A
from civicflow.web._pages import is_htmx, page
from civicflow.web._permissions import BaselineWriter, WorkspaceReader

router = APIRouter(include_in_schema=False)
P = Permission

LIST_KEYS = ("edge_from", "edge_to", "of_variant", "waiting_at", "sla_status")
"""The case list's own parameters: which number's cases (the SLA's options ride along)."""
PAGE_SIZE = 50


def _ws(request: Request, actor: Any, workspace_id: str) -> Any:
    return workspaces.get_workspace(request.app.state.ctx, actor=actor, workspace_id=workspace_id)


def _query(request: Request) -> A.Query:
    return A.parse_query(request.query_params, request.query_params.getlist)


def case_query(request: Request) -> tuple[CaseQuery, list[tuple[str, str]]]:
    """The case list's selection from the query string, and the parameters that carry it."""
    p = request.query_params
    edge = None
    if p.get("edge_from") and p.get("edge_to"):
        edge = (p["edge_from"], p["edge_to"])
    sla = None
    sla_status = p.get("sla_status") or None
    kept = [(k, v) for k in LIST_KEYS for v in p.getlist(k) if v]
    if sla_status:
        sla = A.sla_config(p.getlist).config
        kept += [(k, v) for k in A.SLA_KEYS for v in p.getlist(k) if v]
    query = CaseQuery(
        edge=edge,
        variant=p.get("of_variant") or None,
        activity=p.get("waiting_at") or None,
        sla=sla,
        sla_status=sla_status or "breached",
        sort=p.get("sort") or "case_id",  # type: ignore[arg-type]
        descending=p.get("desc") == "1",
        page=mining.parse_count(p["page"], option="page") if p.get("page") else 1,
        page_size=PAGE_SIZE,
    )
    return query, kept


def _link(base: list[tuple[str, str]], **extra: str) -> str:
    items = [(k, v) for k, v in base if k not in extra] + [(k, v) for k, v in extra.items() if v]
    return urlencode(items)


@router.get("/w/{workspace_id}/assessment/cases")
def cases_page(request: Request, workspace_id: str, actor: WorkspaceReader) -> Response:
    ws = _ws(request, actor, workspace_id)
    query = _query(request)
    selection, kept = case_query(request)
    result = assessment.list_cases(
        request.app.state.ctx, actor=actor, workspace_id=workspace_id,
        dataset_name=query.dataset, filter=query.filter, query=selection,
    )  # fmt: skip
    base = [*query.params, *kept]
    sort = [("sort", selection.sort)] + ([("desc", "1")] if selection.descending else [])
    context = {
        "workspace": ws,
        "query": query,
        "cases": result,
        "selection": selection,
        "base_qs": urlencode(base),
        "page_qs": lambda n: _link([*base, *sort], page=str(n)),
        # a new column sorts ascending; the current one toggles
        "sort_qs": lambda key: _link(
            base, sort=key, desc="1" if selection.sort == key and not selection.descending else ""
        ),
        "duration": A.duration,
        "stack": query.filter.stack,
    }
    if is_htmx(request) and request.headers.get("hx-target") == "case-table":
        return page(request, "_case_table.html", actor, **context)
    return page(request, "cases.html", actor, nav="assessment", **context)


@router.get("/w/{workspace_id}/assessment/cases/{case_id}")
def case_page(
    request: Request, workspace_id: str, case_id: str, actor: WorkspaceReader
) -> Response:
    ws = _ws(request, actor, workspace_id)
    query = _query(request)
    timeline = assessment.show_case(
        request.app.state.ctx, actor=actor, workspace_id=workspace_id,
        dataset_name=query.dataset, case_id=case_id, filter=query.filter,
    )  # fmt: skip
    return page(
        request,
        "case.html",
        actor,
        nav="assessment",
        workspace=ws,
        query=query,
        timeline=timeline,
        duration=A.duration,
    )


# -- the filter stack --------------------------------------------------------------------------


def _step_from_form(form: Any) -> mining.FilterStep:
    """One step from the 'Add a filter' forms (one form per kind)."""
    kind = form.get("kind", "")

    def text(name: str) -> str:
        return (form.get(name) or "").strip()

    def values(name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in form.getlist(name) if v.strip())

    def seconds(name: str) -> float | None:
        raw = text(name)
        return mining.parse_duration(raw, option=name) if raw else None

    exclude = form.get("exclude") == "1"
    if kind == "follows":
        return mining.FollowsStep(
            source=text("source"), target=text("target"),
            directly=form.get("directly") == "1", exclude=exclude,
        )  # fmt: skip
    if kind == "endpoint":
        at: Literal["start", "end"] = "end" if form.get("at") == "end" else "start"
        return mining.EndpointStep(at=at, activities=values("activities"), exclude=exclude)
    if kind == "attribute":
        level: Literal["case", "event"] = "event" if form.get("level") == "event" else "case"
        attribute, _, value = text("condition").partition("=")
        return mining.AttributeStep(
            attribute=attribute.strip(), values=(value.strip(),), level=level, exclude=exclude
        )
    if kind == "resource":
        return mining.AttributeStep(
            attribute="resource", values=values("resources"), level="event", exclude=exclude
        )
    if kind == "variant":
        top = text("top")
        return mining.VariantStep(
            top=mining.parse_count(top, option="top") if top else None, exclude=exclude
        )
    if kind == "duration":
        return mining.DurationStep(min_seconds=seconds("min"), max_seconds=seconds("max"))
    if kind == "between":
        return mining.BetweenStep(
            source=text("source"), target=text("target"),
            min_seconds=seconds("min"), max_seconds=seconds("max"),
        )  # fmt: skip
    if kind == "timeframe":
        start, end = text("start"), text("end")
        return mining.TimeFrameStep(
            start=mining.parse_time(start, option="start") if start else None,
            end=mining.parse_time(end, option="end") if end else None,
            mode=text("mode") or "intersecting",  # type: ignore[arg-type]
        )
    raise InputError(
        f"unknown filter kind '{kind}'",
        where=Location(field="kind"),
        found=kind,
        expected=", ".join(mining.STEP_TYPES),
    )


@router.get("/w/{workspace_id}/assessment/filters/add")
def add_step(request: Request, workspace_id: str, actor: WorkspaceReader) -> Response:
    """Append the form's step to the URL's stack and go back to the page it came from."""
    query = _query(request)
    step = _step_from_form(request.query_params)
    params = [*query.params, *FilterStack((step,)).to_query()]
    tab = request.query_params.get("tab") or "map"
    return RedirectResponse(
        f"/w/{workspace_id}/assessment?{urlencode([*params, ('tab', tab)])}", status_code=303
    )


@router.get("/w/{workspace_id}/assessment/filters/remove")
def remove_step(request: Request, workspace_id: str, actor: WorkspaceReader) -> Response:
    """Drop the n-th ``step`` parameter (from 0) and go back."""
    query = _query(request)
    raw = request.query_params.get("index") or ""
    index = int(raw) if raw.isdigit() else -1
    kept, n = [], 0
    for k, v in query.params:
        if k == "step":
            n += 1
            if n - 1 == index:
                continue
        kept.append((k, v))
    tab = request.query_params.get("tab") or "map"
    return RedirectResponse(
        f"/w/{workspace_id}/assessment?{urlencode([*kept, ('tab', tab)])}", status_code=303
    )


@router.post("/w/{workspace_id}/filter-sets")
def save_set(
    request: Request,
    workspace_id: str,
    actor: BaselineWriter,
    set_name: Annotated[str, Form(max_length=64)],
    replace: Annotated[str | None, Form()] = None,
) -> Response:
    query = _query(request)
    tab = request.query_params.get("tab") or "map"
    back = f"/w/{workspace_id}/assessment?{urlencode([*query.params, ('tab', tab)])}"
    try:
        assessment.save_filter_set(
            request.app.state.ctx, actor=actor, workspace_id=workspace_id,
            name=set_name.strip(), stack=query.filter.stack, replace=replace == "1",
            reason="saved in the workbench",
        )  # fmt: skip
    except CivicflowError as exc:
        ws = _ws(request, actor, workspace_id)
        return page(
            request, "filter_set_result.html", actor, status=422, workspace=ws, error=exc.to_dict(),
            back=back,
        )  # fmt: skip
    return RedirectResponse(back, status_code=303)


@router.post("/w/{workspace_id}/filter-sets/{name}/delete")
def delete_set(request: Request, workspace_id: str, name: str, actor: BaselineWriter) -> Response:
    assessment.delete_filter_set(
        request.app.state.ctx, actor=actor, workspace_id=workspace_id, name=name,
        reason="deleted in the workbench",
    )  # fmt: skip
    query = _query(request)
    return RedirectResponse(
        f"/w/{workspace_id}/assessment?{urlencode(query.params)}", status_code=303
    )


def filter_panel(request: Request, actor: Any, workspace_id: str, query: A.Query) -> dict[str, Any]:
    """What the assessment page's filter panel shows: the funnel, the saved sets, the links."""
    ctx = request.app.state.ctx
    funnel = assessment.funnel(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=query.dataset,
        filter=query.filter,
    )  # fmt: skip
    # the funnel's last rows are the ``step`` parameters, removable one by one
    params = [v for v in request.query_params.getlist("step") if v.strip()]
    first_param = len(query.filter.stack.steps) - len(params)
    saved = assessment.workspace_filter_sets(ctx, actor=actor, workspace_id=workspace_id)
    return {
        "funnel": funnel,
        "first_param_step": first_param,
        "filter_sets": [
            (s, urlencode([("dataset", query.dataset), *s.stack.to_query()])) for s in saved
        ],
        "can_save_sets": actor.can(P.BASELINE_WRITE, workspace_id),
    }


@router.get("/w/{workspace_id}/filter-sets/{name}.json")
def filter_set_json(
    request: Request, workspace_id: str, name: str, actor: WorkspaceReader
) -> Response:
    """A saved set as the JSON file ``--filters`` reads."""
    saved = assessment.get_filter_set(
        request.app.state.ctx, actor=actor, workspace_id=workspace_id, name=name
    )
    import json

    return HTMLResponse(json.dumps(saved.to_dict(), indent=2), media_type="application/json")
