"""The Allocation pages: the workspace's allocation scenarios (every version), and one scenario
side by side — the efficient plan beside the fair one, each area's service level under both as
bars, the price of fairness and the plan at P90 demand.

Scenarios run from the form on the Allocation page as a background job (the workbench's job
runner, web/_jobs.py) or from the command line (``civicflow allocate run``), both through
``civicflow.app.allocation`` (role check and ledger); this module reads forms, starts jobs and
renders, maps included when the scenario's areas have coordinates.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from civicflow.app import Actor, AppContext, Permission
from civicflow.app import allocation as al
from civicflow.core import CivicflowError, InputError, Location
from civicflow.report import allocation_maps
from civicflow.web._deps import PostedForm, form_number, form_text
from civicflow.web._jobs import job_page, jobs
from civicflow.web._pages import page
from civicflow.web._permissions import (
    AppCtx,
    ForecastWriter,
    SimulationWriter,
    WorkspaceReader,
)
from civicflow.web._upload import save_upload

router = APIRouter(include_in_schema=False)

AREAS_SHOWN = 60
"""Areas drawn as bars on a scenario's page, worst-served first (all are in the stored result)."""


@router.get("/w/{workspace_id}/allocation")
def allocation_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _overview(request, ctx, actor, workspace_id)


@router.get("/w/{workspace_id}/allocation/compare")
def allocation_compare(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    """Two stored scenarios side by side: their plans, and each area's service level and units
    under the chosen plan of each (registered before the scenario page: 'compare' is no id)."""
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    pair = [
        al.get_allocation(
            ctx, actor=actor, workspace_id=workspace_id,
            allocation_id=request.query_params.get(key, ""),
        )
        for key in ("a", "b")
    ]  # fmt: skip
    first, second = pair
    chosen = [s.result.get("fair") or s.result["efficient"] for s in pair]
    keys = ["service_fair" if s.result.get("fair") else "service_efficient" for s in pair]
    units = ["units_fair" if s.result.get("fair") else "units_efficient" for s in pair]
    by_area = [{o["area"]: o for o in s.result.get("outcomes", [])} for s in pair]
    areas = sorted(set(by_area[0]) | set(by_area[1]))
    rows = []
    for area in areas:
        a, b = by_area[0].get(area), by_area[1].get(area)
        level_a = None if a is None else a.get(keys[0])
        level_b = None if b is None else b.get(keys[1])
        rows.append({
            "area": area, "level_a": level_a, "level_b": level_b,
            "units_a": None if a is None else a.get(units[0]),
            "units_b": None if b is None else b.get(units[1]),
            "change": None if level_a is None or level_b is None else level_b - level_a,
        })  # fmt: skip
    rows.sort(key=lambda r: (-(abs(r["change"]) if r["change"] is not None else -1), r["area"]))
    return page(
        request, "allocation_compare.html", actor, workspace=workspace, nav="allocation",
        first=first, second=second, plans=chosen, rows=rows[:AREAS_SHOWN],
        total_areas=len(rows), shown=AREAS_SHOWN,
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
    return _scenario_page(request, ctx, actor, workspace, stored)


CHECK_FIELDS = {
    "model_id": "al-check-model", "pool": "al-check-pool", "areas": "al-check-areas",
    "hours_per_person": "al-check-hours", "period_days": "al-check-days",
    "cases": "al-check-cases", "replications": "al-check-replications",
}  # fmt: skip


def _scenario_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace: Any,
    stored: Any,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    from civicflow.app import planning as ap

    result = stored.result
    plans = [result["efficient"]] + ([result["fair"]] if result.get("fair") else [])
    models = ap.list_models(ctx, actor=actor, workspace_id=workspace.id)
    return page(
        request, "allocation_scenario.html", actor, status=422 if error else 200,
        workspace=workspace, nav="allocation", scenario=stored, result=result, plans=plans,
        areas=_areas(result), shown=AREAS_SHOWN, unit=result.get("unit", "units"),
        maps=allocation_maps(result),
        checks=al.simulation_checks(
            ctx, actor=actor, workspace_id=workspace.id, allocation_id=stored.id
        ),
        models=[(m.id, m.name) for m in models],
        can_simulate=actor.can(Permission.SIMULATION_WRITE, workspace.id),
        error=error, values=values or {}, field_ids=CHECK_FIELDS,
    )  # fmt: skip


@router.post("/w/{workspace_id}/allocation/{allocation_id}/simulate")
def allocation_simulate(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    allocation_id: str,
    actor: SimulationWriter,
    form: PostedForm,
) -> Response:
    """Check the scenario in a stored simulation model, as a background job."""
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = al.get_allocation(
        ctx, actor=actor, workspace_id=workspace_id, allocation_id=allocation_id
    )
    values = {k: form_text(form, k) for k in form if isinstance(form.get(k), str)}
    try:
        model_id = _required(form, "model_id", "the simulation model", "a stored model")
        config = al.SimulationCheckConfig(
            pool=_required(form, "pool", "the pool", "the pool the allocated staff work in"),
            areas=form_number(form, "areas", kind=int, default=5),
            hours_per_person=form_number(form, "hours_per_person", default=37.5),
            period_days=form_number(form, "period_days", default=7.0),
            cases=form_number(form, "cases", kind=int, default=300),
            replications=form_number(form, "replications", kind=int, default=2),
        )
        from civicflow.app import planning as ap

        model = ap.get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)
        if config.pool not in model.model.pools:
            raise InputError(
                f"the simulation model has no pool '{config.pool}'",
                where=Location(field="pool"),
                found=config.pool,
                expected="one of: " + ", ".join(model.model.pools),
                fix="name the pool whose staff the allocation assigns",
            )
    except CivicflowError as exc:
        return _scenario_page(
            request, ctx, actor, workspace, stored, error=exc.to_dict(), values=values
        )

    def work(progress: Any) -> Any:
        return al.simulation_check(
            ctx, actor=actor, workspace_id=workspace_id, allocation_id=stored.id,
            model_id=model_id, config=config, progress=progress,
            reason="checked on the Allocation page",
        )  # fmt: skip

    job = jobs(request).start(
        workspace_id, f"Checking '{stored.name}' v{stored.version} by simulation", work,
        section="allocation", section_title="Allocation", counting="replications simulated",
        result_url=lambda _run: f"/w/{workspace_id}/allocation/{stored.id}#simulation-check",
    )  # fmt: skip
    return RedirectResponse(job.url, status_code=303)


def _areas(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The areas, worst-served first under the chosen plan (the fair one when there is one)."""
    fair = result.get("fair") is not None
    key = "service_fair" if fair else "service_efficient"
    rows = [o for o in result.get("outcomes", []) if o.get(key) is not None]
    rows.sort(key=lambda o: (o[key], o["area"]))
    return rows[:AREAS_SHOWN]


# -- running a scenario -------------------------------------------------------------------------

EQUITY_CHOICES = [
    ("none", "None: the efficient plan only"),
    ("min_level", "A minimum service level in every area"),
    ("max_gap", "A maximum gap between the best- and worst-served areas"),
    ("max_min", "Max–min: serve the worst-served area as well as possible"),
]
FORM_FIELDS = {
    "name": "al-name", "forecast": "al-forecast", "demand_file": "al-demand-file",
    "unit": "al-unit", "hours_per_unit": "al-hours-per-unit",
    "units_per_period": "al-units-per-period", "budget": "al-budget",
    "cost_per_unit": "al-cost-per-unit", "area_cap": "al-area-cap",
    "area_minimum": "al-area-minimum", "hours_per_case": "al-hours-per-case",
    "objective": "al-objective", "equity": "al-equity-1", "min_service_level": "al-min-level",
    "max_gap": "al-max-gap", "population_file": "al-population-file",
    "population_area": "al-population-area", "population_column": "al-population-column",
    "lat_column": "al-lat", "lon_column": "al-lon", "rates_per": "al-rates-per",
    "weight_by_population": "al-weight", "time_limit": "al-time-limit",
    "mip_rel_gap": "al-mip-gap", "source": "al-forecast",
}  # fmt: skip


def _share_field(form: FormData, name: str) -> float | None:
    """A percentage field (0–100) as a share (0–1)."""
    value = form_number(form, name)
    if value is None:
        return None
    if not 0 <= value <= 100:
        raise InputError(
            f"'{value:g}' is not a percentage",
            where=Location(field=name),
            found=f"{value:g}",
            expected="a percentage between 0 and 100",
            fix=f"give {name.replace('_', ' ')} as a percentage, e.g. 80",
        )
    return float(value) / 100


def _required(form: FormData, name: str, what: str, example: str) -> str:
    text = form_text(form, name)
    if not text:
        raise InputError(
            f"{what} is missing",
            where=Location(field=name),
            found="(empty)",
            expected=example,
            fix=f"fill in {what}",
        )
    return text


def _overview(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    from civicflow.app import forecasts as af
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    scenarios = al.list_allocations(ctx, actor=actor, workspace_id=workspace_id)
    forecasts = sorted(
        {f.name for f in af.list_forecasts(ctx, actor=actor, workspace_id=workspace_id)}
    )
    return page(
        request, "allocation.html", actor, status=422 if error else 200, workspace=workspace,
        nav="allocation", scenarios=scenarios,
        can_write=actor.can(Permission.FORECAST_WRITE, workspace_id),
        chosen=lambda a: a.result.get("fair") or a.result["efficient"], forecasts=forecasts,
        equity_choices=EQUITY_CHOICES, error=error, values=values or {}, field_ids=FORM_FIELDS,
    )  # fmt: skip


@router.post("/w/{workspace_id}/allocation")
def allocation_run(
    request: Request, ctx: AppCtx, workspace_id: str, actor: ForecastWriter, form: PostedForm
) -> Response:
    """Run a scenario from the form as a background job: demand from a stored forecast or an
    uploaded forecast table, the limits, the service time, the equity constraint, an optional
    population table (weights, rates to cases, coordinates for the maps)."""
    from civicflow.forecasting import (
        AllocationConfig,
        Equity,
        Limits,
        ServiceTimes,
        rates_to_cases,
        read_coordinates,
        read_demand,
        read_population,
    )

    values = {k: form_text(form, k) for k in form if isinstance(form.get(k), str)}
    tmp = Path(tempfile.mkdtemp(prefix="civicflow-allocation-"))
    try:
        name = _required(form, "name", "the scenario's name", "a short name such as 'fair-2027'")
        demand_path = save_upload(form, "demand_file", tmp, what="forecast table")
        forecast = form_text(form, "forecast")
        if (demand_path is None) == (not forecast):
            raise InputError(
                "give the demand once: a stored forecast or a forecast table",
                where=Location(field="forecast"),
                found="both" if demand_path is not None else "neither",
                expected="a stored forecast chosen, or a CSV/Parquet forecast table uploaded",
                fix="choose a forecast, or upload a table (not both)",
            )
        equity_kind = form_text(form, "equity") or "none"
        equity = Equity(
            min_service_level=_required_share(form, "min_service_level")
            if equity_kind == "min_level" else None,
            max_gap=_required_share(form, "max_gap") if equity_kind == "max_gap" else None,
            max_min=equity_kind == "max_min",
        )  # fmt: skip
        limits = Limits(
            unit=form_text(form, "unit") or "staff",
            hours_per_unit=form_number(form, "hours_per_unit", default=37.5),
            units_per_period=form_number(form, "units_per_period"),
            budget=form_number(form, "budget"),
            cost_per_unit=form_number(form, "cost_per_unit", default=1.0),
            area_cap=form_number(form, "area_cap"),
            area_minimum=form_number(form, "area_minimum", default=0.0),
            integer=form_text(form, "integer") == "on",
        )
        hours = form_number(form, "hours_per_case")
        if hours is None:
            _required(form, "hours_per_case", "the hours of work per case", "a number such as 0.75")
        population_path = save_upload(form, "population_file", tmp, what="population table")
        pops: dict[str, float] = {}
        coordinates: dict[str, tuple[float, float]] = {}
        area_column = form_text(form, "population_area") or "MODIFIED_ZCTA"
        if population_path is not None:
            pop_column = form_text(form, "population_column") or "POP_DENOMINATOR"
            named = {area_column: "population_area", pop_column: "population_column"}
            pops = _field_error(
                form, "population_file",
                lambda: read_population(
                    population_path, area_column=area_column, population_column=pop_column
                ),
                named,
            )  # fmt: skip
            lat, lon = form_text(form, "lat_column"), form_text(form, "lon_column")
            if lat or lon:
                coordinates = _field_error(
                    form, "population_file",
                    lambda: read_coordinates(
                        population_path, area_column=area_column, lat_column=lat or "lat",
                        lon_column=lon or "lon",
                    ),
                    {**named, lat or "lat": "lat_column", lon or "lon": "lon_column"},
                )  # fmt: skip
        config = AllocationConfig(
            limits=limits, service_times=ServiceTimes(hours_per_case=hours), equity=equity,
            objective=form_text(form, "objective") or "unmet", population=pops,
            weight_by_population=form_text(form, "weight_by_population") == "on",
            time_limit=form_number(form, "time_limit", default=60.0),
            mip_rel_gap=form_number(form, "mip_rel_gap", default=1e-4),
        )  # fmt: skip
        rates_per = form_number(form, "rates_per")
        if rates_per is not None and not pops:
            raise InputError(
                "turning rates into cases needs each area's population",
                where=Location(field="population_file"),
                found="no population table",
                expected="a population table with the area and residents columns",
                fix="upload the population table, or empty 'rates per'",
            )
        if demand_path is not None:
            frame = _field_error(form, "demand_file", lambda: read_demand(demand_path))
            source = form.get("demand_file").filename  # type: ignore[union-attr]
            digest: str | None = hashlib.sha256(demand_path.read_bytes()).hexdigest()
        else:
            frame, source, digest = al.forecast_demand(
                ctx, actor=actor, workspace_id=workspace_id, forecast=forecast
            )
        if rates_per is not None:
            frame = rates_to_cases(frame, pops, per=rates_per)
    except CivicflowError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)
    shutil.rmtree(tmp, ignore_errors=True)

    def work(progress: Any) -> Any:
        progress("solving", 0, 1)
        stored, _ = al.run_allocation(
            ctx, actor=actor, workspace_id=workspace_id, demand=frame, config=config,
            name=name, source=str(source), source_sha256=digest,
            reason="run on the Allocation page", coordinates=coordinates or None,
        )  # fmt: skip
        progress("solving", 1, 1)
        return stored

    job = jobs(request).start(
        workspace_id, f"Allocating: scenario '{name}'", work, section="allocation",
        section_title="Allocation", counting="plans solved",
        result_url=lambda stored: f"/w/{workspace_id}/allocation/{stored.id}",
    )  # fmt: skip
    return RedirectResponse(job.url, status_code=303)


def _required_share(form: FormData, name: str) -> float:
    value = _share_field(form, name)
    if value is None:
        _required(form, name, f"the {name.replace('_', ' ')}", "a percentage such as 80")
    assert value is not None
    return value


def _field_error(
    form: FormData, field_name: str, read: Any, columns: dict[str, str] | None = None
) -> Any:
    """``read()``, with a bad uploaded file's error pointed at the form: at the field that names
    the column it is about (``columns``: column → field), else at the upload field; the file is
    called by the name it was uploaded with."""
    upload = form.get(field_name)
    filename = upload.filename if isinstance(upload, UploadFile) else None
    try:
        return read()
    except CivicflowError as exc:
        where = exc.where
        if where is not None and where.file is not None:
            target = (columns or {}).get(where.field or "", field_name)
            exc.where = Location(file=filename, row=where.row, field=target)
        raise
    except (ValueError, UnicodeDecodeError) as exc:  # not a CSV at all (pandas' parser)
        raise InputError(
            "the uploaded file cannot be read as a table",
            where=Location(file=filename, field=field_name),
            found=type(exc).__name__,
            expected="a CSV file with a header row (UTF-8)",
            fix="upload the table as CSV",
        ) from None


@router.get("/w/{workspace_id}/allocation/jobs/{job_id}")
def allocation_job(
    request: Request, ctx: AppCtx, workspace_id: str, job_id: str, actor: WorkspaceReader
) -> Response:
    return job_page(request, ctx, actor, workspace_id, job_id, "allocation")
