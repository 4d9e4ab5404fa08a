"""The Simulation page: discover a model from a dataset, read, download and upload its JSON, define
what-if scenarios, validate on held-out data, run and compare — long runs in a background thread
whose progress the page polls (HTMX), results with side-by-side charts.

Every change goes through ``civicflow.app.planning`` (role check and ledger); this module only
reads forms, starts jobs and renders.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from civicflow.app import Actor, AppContext, Permission
from civicflow.app import planning as ap
from civicflow.core import CivicflowError, InputError, Location, NotFoundError, new_id
from civicflow.mining import format_duration, format_number, format_share
from civicflow.web._deps import PostedForm
from civicflow.web._pages import is_htmx, page
from civicflow.web._permissions import AppCtx, SimulationWriter, WorkspaceReader

router = APIRouter(include_in_schema=False)
log = logging.getLogger("civicflow.web.simulation")

MAX_DOCUMENT_BYTES = 5_000_000
"""The largest model document the page accepts (a discovered model is tens of kilobytes)."""

CHANGE_KINDS = [
    ("staffing", "Change a pool's staffing"),
    ("activity_duration", "Change an activity's duration (or automate it)"),
    ("remove_activity", "Automate an activity away"),
    ("arrival_volume", "Change the arrival volume"),
    ("branch_probability", "Change a branch probability"),
    ("remove_rework", "Remove a rework loop"),
]


# -- background jobs -------------------------------------------------------------------------


@dataclass
class Job:
    """A validation, run or comparison running in a thread; the page polls it."""

    id: str
    workspace_id: str
    title: str
    done: int = 0
    total: int = 0
    result_url: str | None = None
    error: dict[str, Any] | None = None
    finished: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def share(self) -> float | None:
        return min(self.done / self.total, 1.0) if self.total else None


class Jobs:
    """The running and recently finished jobs of this process (kept for an hour)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(
        self,
        workspace_id: str,
        title: str,
        work: Any,
        *,
        page: str = "runs",
        result_url: Callable[[Any], str] | None = None,
    ) -> Job:
        """Run ``work(progress)`` in a thread; what it returns (a run, or a model with
        ``page="models"``) is shown at ``/w/<workspace>/simulation/<page>/<its id>``, or at
        ``result_url(it)`` when given (another page's background work)."""
        job = Job(id=new_id("job_"), workspace_id=workspace_id, title=title)

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        def target() -> None:
            try:
                result = work(progress)
                job.result_url = (
                    result_url(result)
                    if result_url is not None
                    else f"/w/{workspace_id}/simulation/{page}/{result.id}"
                )
            except CivicflowError as exc:
                job.error = exc.to_dict()
            except Exception as exc:  # the page must say it failed, not spin for ever
                log.exception("simulation job %s failed", job.id)
                job.error = {"what": "the simulation failed", "found": type(exc).__name__}
            finally:
                job.finished = True

        with self._lock:
            cutoff = time.monotonic() - 3600
            for key in [k for k, j in self._jobs.items() if j.finished and j.started < cutoff]:
                del self._jobs[key]
            self._jobs[job.id] = job
        threading.Thread(target=target, name=f"civicflow-{job.id}", daemon=True).start()
        return job

    def get(self, workspace_id: str, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.workspace_id != workspace_id:
            raise NotFoundError(
                "there is no such job (it may have finished more than an hour ago)",
                where=Location(field="job_id"),
                found=job_id,
                fix="find the result on the page the work was started from (a simulation's "
                "among the runs on the Simulation page, a batch among the Rules page's batches)",
            )
        return job


def _jobs(request: Request) -> Jobs:
    state = request.app.state
    with _JOBS_GUARD:
        if not hasattr(state, "simulation_jobs"):
            state.simulation_jobs = Jobs()
    jobs: Jobs = state.simulation_jobs
    return jobs


_JOBS_GUARD = threading.Lock()


# -- form reading ------------------------------------------------------------------------------


def _text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def _number(form: FormData, name: str, *, kind: type = float, default: Any = None) -> Any:
    text = _text(form, name)
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise InputError(
            f"'{text}' is not a number",
            where=Location(field=name),
            found=text,
            expected="a whole number" if kind is int else "a number such as 1.5",
            fix=f"correct the field '{name}'",
        ) from None


def _change(form: FormData) -> dict[str, Any]:
    """The one change the scenario form describes, as the JSON the planning package reads."""
    kind = _text(form, "kind")
    fields: dict[str, tuple[str, ...]] = {
        "staffing": ("pool", "size", "cost_per_hour"),
        "activity_duration": ("activity", "factor", "fixed_seconds", "fixed_cost", "automated"),
        "remove_activity": ("activity",),
        "arrival_volume": ("factor",),
        "branch_probability": ("from", "to", "probability"),
        "remove_rework": ("activity",),
    }
    if kind not in fields:
        raise InputError(
            "choose what the scenario changes",
            where=Location(field="kind"),
            found=kind or "(nothing)",
            expected="one of: " + ", ".join(fields),
            fix="pick a kind of change",
        )
    change: dict[str, Any] = {"kind": kind}
    for name in fields[kind]:
        if name == "automated":
            change[name] = _text(form, name) == "on"
        elif name == "size":
            value = _number(form, name, kind=int)
            if value is not None:
                change[name] = value
        elif name in ("factor", "fixed_seconds", "fixed_cost", "cost_per_hour", "probability"):
            value = _number(form, name)
            if value is not None:
                change[name] = value
        else:
            text = _text(form, name)
            if text:
                change[name] = text
    return change


# -- pages -----------------------------------------------------------------------------------


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
    models = ap.list_models(ctx, actor=actor, workspace_id=workspace_id)
    return page(
        request, "simulation.html", actor, status=422 if error else 200, workspace=workspace,
        nav="simulation", models=models, datasets=workspace.store().dataset_names(),
        runs=ap.list_runs(ctx, actor=actor, workspace_id=workspace_id)[:30],
        can_write=actor.can(Permission.SIMULATION_WRITE, workspace_id), error=error,
        values=values or {}, field_ids=_OVERVIEW_FIELDS,
    )  # fmt: skip


_OVERVIEW_FIELDS = {
    "dataset": "sim-dataset", "name": "sim-name", "timezone": "sim-timezone",
    "country": "sim-country", "holdout": "sim-holdout", "replications": "sim-replications",
}  # fmt: skip
_MODEL_FIELDS = {
    "document": "sim-document", "name": "sim-scenario-name", "description": "sim-description",
    "kind": "sim-kind", "pool": "sim-pool", "size": "sim-size",
    "cost_per_hour": "sim-cost-per-hour", "activity": "sim-activity", "factor": "sim-factor",
    "fixed_seconds": "sim-fixed-seconds", "fixed_cost": "sim-fixed-cost", "from": "sim-from",
    "to": "sim-to", "probability": "sim-probability", "cases": "sim-cases",
    "replications": "sim-run-replications", "sla_days": "sim-sla", "dataset": "sim-run-dataset",
}  # fmt: skip


def _model_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    model_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    document: str | None = None,
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = ap.get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)
    m = stored.model
    pools = [
        {
            "name": name,
            "size": pool.size,
            "cost": format_number(pool.cost_per_hour),
            "calendar": _calendar_text(pool.calendar),
            "activities": [a for a, am in m.activities.items() if am.pool == name],
        }
        for name, pool in m.pools.items()
    ]
    activities = [
        {
            "name": name,
            "pool": a.pool or "—",
            "duration": format_duration(a.duration.mean),
            "kind": a.duration.kind,
        }
        for name, a in m.activities.items()
    ]
    return page(
        request, "simulation_model.html", actor, status=422 if error else 200,
        workspace=workspace, nav="simulation", stored=stored, pools=pools, activities=activities,
        cases_per_week=format_number(round(604_800 / m.arrivals.interarrival.mean, 1)),
        scenarios=ap.list_scenarios(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id),
        runs=ap.list_runs(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)[:20],
        document=document if document is not None else m.to_json(),
        datasets=workspace.store().dataset_names(),
        can_write=actor.can(Permission.SIMULATION_WRITE, workspace_id), change_kinds=CHANGE_KINDS,
        error=error, values=values or {}, field_ids=_MODEL_FIELDS,
    )  # fmt: skip


def _calendar_text(calendar: dict[str, Any] | None) -> str:
    if calendar is None:
        return "always available"
    hours = calendar.get("hours") or {}
    days = [d.capitalize() for d, span in hours.items() if span]
    spans = {tuple(span) for span in hours.values() if span}
    when = ", ".join(f"{a[:5]}–{b[:5]}" for a, b in sorted(spans)) if spans else ""
    return f"{', '.join(days)} {when}".strip() or "closed"


@router.get("/w/{workspace_id}/simulation")
def simulation_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _overview(request, ctx, actor, workspace_id)


@router.post("/w/{workspace_id}/simulation/models")
def simulation_discover(
    request: Request, ctx: AppCtx, workspace_id: str, actor: SimulationWriter, form: PostedForm
) -> Response:
    from civicflow.planning import DiscoveryConfig

    values = {k: _text(form, k) for k in ("dataset", "name", "timezone", "country")}
    try:
        config = DiscoveryConfig(
            timezone=values["timezone"] or "UTC", country=values["country"] or None
        )
        known = ap_datasets(ctx, actor, workspace_id)
        if values["dataset"] not in known:
            raise _no_dataset(values["dataset"], known)
    except CivicflowError as exc:
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)

    def work(progress: Any) -> Any:
        return ap.discover(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=values["dataset"],
            config=config, name=values["name"] or None,
            reason="discovered on the Simulation page",
        )  # fmt: skip

    title = f"Discovering a model from '{values['dataset']}'"
    job = _jobs(request).start(workspace_id, title, work, page="models")
    return RedirectResponse(f"/w/{workspace_id}/simulation/jobs/{job.id}", status_code=303)


def _no_dataset(name: str, known: list[str]) -> InputError:
    return InputError(
        f"there is no dataset '{name}' in this workspace",
        where=Location(field="dataset"),
        found=name or "(empty)",
        expected="one of: " + (", ".join(known) or "(no datasets yet)"),
        fix="pick a dataset",
    )


@router.get("/w/{workspace_id}/simulation/models/{model_id}")
def simulation_model(
    request: Request, ctx: AppCtx, workspace_id: str, model_id: str, actor: WorkspaceReader
) -> Response:
    return _model_page(request, ctx, actor, workspace_id, model_id)


@router.get("/w/{workspace_id}/simulation/models/{model_id}/model.json")
def simulation_model_json(
    ctx: AppCtx, workspace_id: str, model_id: str, actor: WorkspaceReader
) -> Response:
    stored = ap.get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stored.name)[:60] or "model"
    return Response(
        stored.model.to_json(),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{safe}.json"'},
    )


@router.post("/w/{workspace_id}/simulation/models/{model_id}")
def simulation_model_upload(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    model_id: str,
    actor: SimulationWriter,
    form: PostedForm,
) -> Response:
    from civicflow.planning import SimulationModel

    upload = form.get("file")
    text = _text(form, "document")
    source = "the edited document"
    if isinstance(upload, UploadFile) and upload.filename:
        raw = upload.file.read(MAX_DOCUMENT_BYTES + 1)
        source = upload.filename
        if len(raw) > MAX_DOCUMENT_BYTES:
            error = InputError(
                "the model document is too large",
                where=Location(file=source),
                found=f"more than {MAX_DOCUMENT_BYTES:,} bytes",
                expected="a simulation model document (tens of kilobytes)",
                fix="upload the model's JSON document",
            )
            return _model_page(request, ctx, actor, workspace_id, model_id, error=error.to_dict())
        text = raw.decode("utf-8", errors="replace")
    try:
        model = SimulationModel.from_json(text)
        stored = ap.get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)
        ap.save_model(
            ctx, actor=actor, workspace_id=workspace_id, model=model, model_id=model_id,
            name=stored.name, reason=f"uploaded on the Simulation page ({source})",
        )  # fmt: skip
    except CivicflowError as exc:
        err = exc.to_dict()
        if err.get("field"):  # the model's field, in the message; the form's field is the document
            err["what"] = f"{err['what']}: field '{err['field']}'"
        err["field"] = "document"
        return _model_page(request, ctx, actor, workspace_id, model_id, error=err, document=text)
    return RedirectResponse(f"/w/{workspace_id}/simulation/models/{model_id}", status_code=303)


@router.post("/w/{workspace_id}/simulation/models/{model_id}/scenarios")
def simulation_scenario(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    model_id: str,
    actor: SimulationWriter,
    form: PostedForm,
) -> Response:
    from civicflow.planning import Scenario

    values = {k: _text(form, k) for k in form if isinstance(form.get(k), str)}
    try:
        name = _text(form, "name")
        if not name:
            raise InputError(
                "a scenario needs a name",
                where=Location(field="name"),
                found="(empty)",
                expected="a short name such as '4 assessors'",
                fix="name the scenario",
            )
        change = _change(form)
        existing = {
            s.name: s
            for s in ap.list_scenarios(
                ctx, actor=actor, workspace_id=workspace_id, model_id=model_id
            )
        }
        old = existing.get(name)
        changes = (
            [] if old is None else old.scenario.model_dump(mode="json", by_alias=True)["changes"]
        )
        scenario = Scenario.from_dict(
            {
                "name": name,
                "description": _text(form, "description")
                or ("" if old is None else old.scenario.description),
                "changes": [*changes, change],
            }
        )
        ap.save_scenario(
            ctx, actor=actor, workspace_id=workspace_id, model_id=model_id, scenario=scenario,
            scenario_id=None if old is None else old.id,
            reason="defined on the Simulation page",
        )  # fmt: skip
    except CivicflowError as exc:
        err = exc.to_dict()
        field_name = str(err.get("field") or "")
        # "changes.0.size" / "changes[0].pool" name the form's own field
        err["field"] = field_name.rsplit(".", 1)[-1] if "changes" in field_name else field_name
        return _model_page(request, ctx, actor, workspace_id, model_id, error=err, values=values)
    return RedirectResponse(
        f"/w/{workspace_id}/simulation/models/{model_id}#scenarios", status_code=303
    )


@router.post("/w/{workspace_id}/simulation/models/{model_id}/runs")
def simulation_start(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    model_id: str,
    actor: SimulationWriter,
    form: PostedForm,
) -> Response:
    from civicflow.planning import ComparisonConfig, SimulationConfig

    values = {k: _text(form, k) for k in form if isinstance(form.get(k), str)}
    try:
        ap.get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)
        action = _text(form, "action")
        scenario_ids = [v for v in form.getlist("scenario") if isinstance(v, str) and v]
        cases = _number(form, "cases", kind=int, default=1000)
        replications = _number(form, "replications", kind=int, default=5)
        if action == "run":
            dataset = _text(form, "dataset")
            if not dataset:
                raise InputError(
                    "name the dataset the simulated log becomes",
                    where=Location(field="dataset"),
                    found="(empty)",
                    expected="a dataset name such as 'simulated'",
                    fix="fill in the dataset name",
                )
            sim = SimulationConfig(cases=cases, replications=1, seed=_number(form, "seed", kind=int, default=0))  # fmt: skip
            scenario_id = scenario_ids[0] if scenario_ids else None

            def work(progress: Any) -> Any:
                return ap.run_simulation(
                    ctx, actor=actor, workspace_id=workspace_id, model_id=model_id, config=sim,
                    dataset_name=dataset, scenario_id=scenario_id, progress=progress,
                    reason="run on the Simulation page",
                )  # fmt: skip

            title = f"Simulating {cases:,} cases into dataset '{dataset}'"
        else:
            cmp = ComparisonConfig(
                cases=cases, replications=replications, sla_days=_number(form, "sla_days"),
                seed=_number(form, "seed", kind=int, default=0),
            )  # fmt: skip

            def work(progress: Any) -> Any:
                return ap.compare(
                    ctx, actor=actor, workspace_id=workspace_id, model_id=model_id,
                    scenario_ids=scenario_ids, config=cmp, progress=progress,
                    reason="compared on the Simulation page",
                )  # fmt: skip

            title = f"Comparing {len(scenario_ids)} scenario(s) with the as-is model"
    except CivicflowError as exc:
        return _model_page(
            request, ctx, actor, workspace_id, model_id, error=exc.to_dict(), values=values
        )
    job = _jobs(request).start(workspace_id, title, work)
    return RedirectResponse(f"/w/{workspace_id}/simulation/jobs/{job.id}", status_code=303)


@router.post("/w/{workspace_id}/simulation/validate")
def simulation_validate(
    request: Request, ctx: AppCtx, workspace_id: str, actor: SimulationWriter, form: PostedForm
) -> Response:
    from civicflow.planning import DiscoveryConfig, ValidationConfig

    values = {k: _text(form, k) for k in form if isinstance(form.get(k), str)}
    try:
        dataset = _text(form, "dataset")
        model_id = _text(form, "model_id") or None
        config = ValidationConfig(
            holdout=_number(form, "holdout", default=0.2),
            replications=_number(form, "replications", kind=int, default=3),
            discovery=DiscoveryConfig(
                timezone=_text(form, "timezone") or "UTC", country=_text(form, "country") or None
            ),
        )
        workspace_datasets = ap_datasets(ctx, actor, workspace_id)
        if dataset not in workspace_datasets:
            raise _no_dataset(dataset, workspace_datasets)
    except CivicflowError as exc:
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)

    def work(progress: Any) -> Any:
        return ap.validate(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset, config=config,
            model_id=model_id, progress=progress, reason="validated on the Simulation page",
        )  # fmt: skip

    job = _jobs(request).start(workspace_id, f"Validating on held-out data of '{dataset}'", work)
    return RedirectResponse(f"/w/{workspace_id}/simulation/jobs/{job.id}", status_code=303)


def ap_datasets(ctx: AppContext, actor: Actor, workspace_id: str) -> list[str]:
    from civicflow.app import assessment

    return [d.name for d in assessment.list_datasets(ctx, actor=actor, workspace_id=workspace_id)]


@router.get("/w/{workspace_id}/simulation/jobs/{job_id}")
def simulation_job(
    request: Request, ctx: AppCtx, workspace_id: str, job_id: str, actor: WorkspaceReader
) -> Response:
    from civicflow.app import workspaces

    job = _jobs(request).get(workspace_id, job_id)
    done_url = job.result_url
    if job.finished and done_url and is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": done_url})
    if job.finished and done_url:
        return RedirectResponse(done_url, status_code=303)
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    template = "_simulation_job.html" if is_htmx(request) else "simulation_job.html"
    return page(
        request, template, actor, workspace=workspace, nav="simulation", job=job,
        error=job.error,
    )  # fmt: skip


@router.get("/w/{workspace_id}/simulation/runs/{run_id}")
def simulation_run(
    request: Request, ctx: AppCtx, workspace_id: str, run_id: str, actor: WorkspaceReader
) -> Response:
    from civicflow.app import workspaces
    from civicflow.web._simulation_views import comparison_view, validation_view

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    run = ap.get_run(ctx, actor=actor, workspace_id=workspace_id, run_id=run_id)
    context: dict[str, Any] = {}
    if run.kind == "validate":
        context["validation"] = validation_view(run.validation())
    elif run.kind == "compare":
        context["comparison"] = comparison_view(run.comparison())
    return page(
        request, "simulation_run.html", actor, workspace=workspace, nav="simulation", run=run,
        share=format_share, **context,
    )  # fmt: skip


@router.get("/w/{workspace_id}/simulation/runs/{run_id}/report.html")
def simulation_run_report(
    ctx: AppCtx, workspace_id: str, run_id: str, actor: WorkspaceReader
) -> Response:
    """The run as one self-contained HTML report (opens offline)."""
    import tempfile
    from pathlib import Path

    from civicflow.app import workspaces
    from civicflow.report import build_simulation_report

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    run = ap.get_run(ctx, actor=actor, workspace_id=workspace_id, run_id=run_id)
    store = workspace.store()
    manifest = (
        store.dataset(run.dataset).manifest
        if run.dataset and run.dataset in store.dataset_names()
        else _NoDataset(run.dataset or "—")
    )
    with tempfile.TemporaryDirectory(prefix="civicflow-simreport-") as tmp:
        path = build_simulation_report(
            kind=run.kind, result=run.result, dataset=manifest, out=Path(tmp) / "report.html"
        )
        html = path.read_text(encoding="utf-8")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="simulation-{run.kind}-{run.id}.html"'
        },
    )


@dataclass(frozen=True)
class _NoDataset:
    """The evidence block of a report whose dataset is gone."""

    name: str
    source: str = "(the dataset is no longer in the workspace)"
    format: str = "—"
    events: int | None = None
    cases: int | None = None
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    fingerprint: str = "—"
