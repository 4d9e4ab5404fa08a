"""The People and change page: a dataset's handling hours per role and team per year with FTE
equivalents (a table and a bar chart), the roles a stored scenario comparison affects most, and a
skills matrix whose training needs a programme writer turns into training budget lines.

Presented to plan training and redeployment, never as a headcount tool. Reading goes through
``civicflow.app.people`` (role checked, nothing stored); the budget lines through
``training_budget_lines`` (PROGRAMME_WRITE, ledgered).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext, Permission, assessment, people, workspaces
from civicflow.app import planning as ap
from civicflow.core import CivicflowError, InputError, Location
from civicflow.mining import WorkingCalendar, format_share
from civicflow.planning import PeopleConfig, SkillRequirement, TrainingNeeds, training_needs
from civicflow.report import people_hours_chart
from civicflow.web._deps import PostedForm
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, ProgrammeWriter, WorkspaceReader

router = APIRouter(include_in_schema=False)
NAV = "people"
SKILL_ROWS = 4
SKILL_FIELDS = ("role", "skill", "needed", "available", "course", "cost")
BASES = {"elapsed": "Elapsed time (start to end)", "working": "Working time (Mon-Fri 08:30-17:00)"}


def _get(params: Any, name: str) -> str:
    value = params.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(text: str, field: str, *, expected: str, fix: str, whole: bool = False) -> float:
    try:
        value = float(int(text)) if whole else float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(
            f"'{text}' is not {'a whole number' if whole else 'a number'} of 0 or more",
            where=Location(field=field), found=text or "(empty)", expected=expected, fix=fix,
        )  # fmt: skip
    return value


def _skills(params: Any) -> tuple[list[dict[str, str]], list[SkillRequirement]]:
    """The skills matrix rows the form gives (``s<i>_<field>``); blank rows are skipped. A bad
    value is an :class:`InputError` naming the row's field."""
    rows = [{f: _get(params, f"s{i}_{f}") for f in SKILL_FIELDS} for i in range(SKILL_ROWS)]
    matrix = []
    for i, row in enumerate(rows):
        if not any(row.values()):
            continue
        try:
            needed = _number(row["needed"] or "0", "needed", whole=True,
                             expected="a whole number of people, 0 or more", fix="enter e.g. 4")  # fmt: skip
            available = _number(row["available"] or "0", "available", whole=True,
                                expected="a whole number of people, 0 or more", fix="enter e.g. 2")  # fmt: skip
            cost = _number(row["cost"] or "0", "cost_per_person",
                           expected="an amount of 0 or more", fix="enter e.g. 450")  # fmt: skip
            matrix.append(
                SkillRequirement(
                    role=row["role"],
                    skill=row["skill"],
                    needed=int(needed),
                    available=int(available),
                    course=row["course"],
                    cost_per_person=cost,
                )
            )
        except CivicflowError as exc:
            err = {k: None if v is None else str(v) for k, v in exc.to_dict().items()}
            name = {"cost_per_person": "cost"}.get(str(err.get("field")), str(err.get("field")))
            raise InputError(
                f"skills matrix row {i + 1}: {err.get('what')}",
                where=Location(field=f"s{i}_{name}"), found=err.get("found"),
                expected=err.get("expected"), fix=err.get("fix"),
            ) from None  # fmt: skip
    return rows, matrix


def _values(params: Any) -> dict[str, str]:
    return {
        "role_attribute": _get(params, "role_attribute") if "role_attribute" in params else "role",
        "hours_per_fte": _get(params, "hours_per_fte") or "1600",
        "basis": _get(params, "basis") or "elapsed",
    }


def _config(values: dict[str, str]) -> PeopleConfig:
    per_fte = _number(values["hours_per_fte"], "hours_per_fte",
                      expected="the productive hours of one full-time year, above 0",
                      fix="enter e.g. 1600")  # fmt: skip
    if per_fte <= 0:
        raise InputError(
            "the hours per FTE must be above 0", where=Location(field="hours_per_fte"),
            found=values["hours_per_fte"], expected="a number above 0", fix="enter e.g. 1600",
        )  # fmt: skip
    if values["basis"] not in BASES:
        raise InputError(
            f"unknown time basis '{values['basis']}'", where=Location(field="basis"),
            found=values["basis"], expected=" or ".join(BASES),
        )  # fmt: skip
    calendar = (
        WorkingCalendar.office_hours(start="08:30", end="17:00")
        if values["basis"] == "working"
        else None
    )
    return PeopleConfig(
        role_attribute=values["role_attribute"] or None, hours_per_fte=per_fte, calendar=calendar
    )


def _freed(
    ctx: AppContext, actor: Actor, workspace_id: str, per_fte: float
) -> dict[str, Any] | None:
    """The most affected roles of each scenario of the latest stored comparison, if any."""
    runs = ap.list_runs(ctx, actor=actor, workspace_id=workspace_id, kind="compare")
    if not runs:
        return None
    run = max(runs, key=lambda r: r.created_at)
    scenarios = []
    for outcome in run.comparison().scenarios:
        result = people.scenario_hours_freed(
            ctx, actor=actor, workspace_id=workspace_id, run_id=run.id,
            scenario=outcome.name, hours_per_fte=per_fte,
        )  # fmt: skip
        scenarios.append({"name": outcome.name, "result": result, "most": result.most_affected(3)})
    return {"run": run, "scenarios": scenarios}


def _page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    params: Any,
    error: dict[str, Any] | None = None,
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    datasets = [
        d.name for d in assessment.list_datasets(ctx, actor=actor, workspace_id=workspace_id)
    ]
    dataset = _get(params, "dataset") or (datasets[0] if datasets else "")
    values = _values(params)
    rows = [{f: _get(params, f"s{i}_{f}") for f in SKILL_FIELDS} for i in range(SKILL_ROWS)]
    hours = needs = freed = None
    untimed: dict[str, Any] | None = None
    charts: list[dict[str, Any]] = []
    per_fte = 1600.0
    try:
        rows, matrix = _skills(params)
        needs = training_needs(matrix) if matrix else None
        config = _config(values)
        per_fte = config.hours_per_fte
        if dataset:
            if dataset not in datasets:
                raise InputError(
                    f"there is no dataset '{dataset}' in this workspace",
                    where=Location(field="dataset"), found=dataset,
                    expected="one of: " + ", ".join(datasets),
                    fix="pick a dataset from the list",
                )  # fmt: skip
            try:
                hours = people.role_hours(
                    ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset,
                    config=config,
                )  # fmt: skip
            except InputError as exc:
                if exc.to_dict().get("field") != "start_timestamp":
                    raise
                untimed = exc.to_dict()  # the log has no handling time: said, not an error
        if hours is not None:
            data = hours.to_dict()
            for title, groups in (("Role", data["roles"]), ("Team", data["teams"])):
                if groups:
                    chart = people_hours_chart(groups, title=title)
                    charts.append({**chart.spec, "description": chart.label})
    except CivicflowError as exc:
        error = error or exc.to_dict()
    if error is None or error.get("field") not in ("hours_per_fte",):
        try:
            freed = _freed(ctx, actor, workspace_id, per_fte)
        except CivicflowError:
            freed = None
    field_ids = {"dataset": "people-dataset", "role_attribute": "people-role-attribute",
                 "hours_per_fte": "people-fte", "basis": "people-basis-1",
                 "start_date": "people-start", "currency": "people-currency"}  # fmt: skip
    field_ids |= {f"s{i}_{f}": f"s{i}-{f}" for i in range(SKILL_ROWS) for f in SKILL_FIELDS}
    return page(
        request, "people.html", actor, status=422 if error else 200, workspace=workspace,
        nav=NAV, datasets=datasets, dataset=dataset, values=values, rows=rows, hours=hours,
        needs=needs, freed=freed, charts=charts, untimed=untimed, bases=BASES, error=error, field_ids=field_ids,
        share=format_share, skill_query=_skill_query(rows),
        can_write=actor.can(Permission.PROGRAMME_WRITE, workspace_id),
        start=date.today().isoformat(),
    )  # fmt: skip


def _skill_query(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(f"s{i}_{f}", v) for i, row in enumerate(rows) for f, v in row.items() if v]


@router.get("/w/{workspace_id}/people")
def people_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _page(request, ctx, actor, workspace_id, params=request.query_params)


@router.post("/w/{workspace_id}/people/training-budget")
def training_budget(
    request: Request, ctx: AppCtx, workspace_id: str, actor: ProgrammeWriter, form: PostedForm
) -> Response:
    """The skills matrix's training needs as training budget lines (ledgered)."""
    try:
        _, matrix = _skills(form)
        needs: TrainingNeeds = training_needs(matrix)
        if not needs.needs:
            raise InputError(
                "the skills matrix gives no training need", where=Location(field="s0_needed"),
                found="needed <= available in every row",
                expected="a row where more people need a skill than have it",
                fix="complete the skills matrix",
            )  # fmt: skip
        start = _get(form, "start_date") or date.today().isoformat()
        try:
            start_date = date.fromisoformat(start)
        except ValueError:
            raise InputError(
                f"'{start}' is not a date", where=Location(field="start_date"), found=start,
                expected="a date such as 2027-01-15",
            ) from None  # fmt: skip
        people.training_budget_lines(
            ctx, actor=actor, workspace_id=workspace_id, needs=needs, start_date=start_date,
            currency=_get(form, "currency") or "EUR",
            reason="training needs of the skills matrix on the People and change page",
        )  # fmt: skip
    except CivicflowError as exc:
        return _page(request, ctx, actor, workspace_id, params=form, error=exc.to_dict())
    return RedirectResponse(f"/w/{workspace_id}/programme/budget", status_code=303)
