"""People and change, and pilots' evaluations, with roles and the ledger.

Read (WORKSPACE_READ): ``role_hours`` (hours per role and team per year from a dataset),
``scenario_hours_freed`` (from a stored scenario comparison), ``pilot_sample_size``. Change:
``training_budget_lines`` (PROGRAMME_WRITE; one ``budget_line.create`` entry per training need,
category training) and ``evaluate_pilot`` (BASELINE_WRITE, like a measurement: it comes from
data; ledger ``pilot.evaluate`` with the pilot's state before and after, the evaluation stored on
the pilot). Presented to plan training and redeployment, never as a headcount tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicflow.app import _programme_models as pm
from civicflow.app._assessment import _store, open_view
from civicflow.app._context import AppContext
from civicflow.app._planning import get_run
from civicflow.app._programme import BUDGET_LINES, PILOTS, pilot_filter
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.core import InputError, Location, NotFoundError, utcnow
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import EventLogFilter, FilterStack, load_filter_set
from civicflow.planning import (
    Criterion,
    HoursFreed,
    PeopleConfig,
    PeopleHours,
    PilotDesign,
    PilotEvaluation,
    SampleSize,
    TrainingNeeds,
    hours_freed,
    people_hours,
    sample_size_for_pilot,
)
from civicflow.planning import (
    evaluate_pilot as _evaluate,
)
from civicflow.report import people_section

if TYPE_CHECKING:
    from civicflow.mining import LogView
    from civicflow.report import Section


def role_hours(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    config: PeopleConfig | None = None,
    filter: EventLogFilter | None = None,
) -> PeopleHours:
    """Handling hours per role and team per year, with FTE equivalents (WORKSPACE_READ)."""
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=DuckDBEngine(),
    )  # fmt: skip
    return people_hours(view, config)


def scenario_hours_freed(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    run_id: str,
    scenario: str,
    pool_roles: Mapping[str, str] | None = None,
    hours_per_fte: float = 1600.0,
) -> HoursFreed:
    """Hours a year ``scenario`` of a stored comparison run frees per role (WORKSPACE_READ)."""
    run = get_run(ctx, actor=actor, workspace_id=workspace_id, run_id=run_id)
    if run.kind != "compare":
        raise InputError(
            f"run {run_id} is a {run.kind} run, not a scenario comparison",
            where=Location(field="run_id"),
            found=run.kind,
            expected="a run made by `civicflow simulate compare`",
        )
    return hours_freed(
        run.comparison(), scenario, pool_roles=pool_roles, hours_per_fte=hours_per_fte
    )


def training_budget_lines(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    needs: TrainingNeeds,
    start_date: date,
    currency: str = "EUR",
    reason: str | None = None,
) -> list[pm.BudgetLine]:
    """One one-off budget line (category training) per training need, its cost = people × cost
    per person (PROGRAMME_WRITE; every line validated before any is stored)."""
    actor.require(Permission.PROGRAMME_WRITE, workspace_id)
    lines = [
        pm.parse(
            pm.BudgetLineCreate,
            {
                "title": f"Training: {n.course} ({n.role}, {n.people} people)"[:200],
                "category": pm.BudgetCategory.TRAINING,
                "recurrence": pm.Recurrence.ONE_OFF,
                "amount": Decimal(str(round(n.cost, 2))),
                "currency": currency,
                "start_date": start_date,
            },
            label="training budget line",
        )
        for n in needs.needs
    ]
    return [
        BUDGET_LINES.create(
            ctx,
            actor=actor,
            workspace_id=workspace_id,
            data=line,
            reason=reason or "training needs of the skills matrix",
        )
        for line in lines
    ]


def _stack(store: Any, field: str, value: str) -> FilterStack | None:
    parsed = pilot_filter(field, value)
    if parsed is None or isinstance(parsed, FilterStack):
        return parsed
    try:
        return load_filter_set(store, parsed).stack
    except NotFoundError as exc:
        raise NotFoundError(
            f"the pilot's {field.replace('_', ' ')} names no saved filter set",
            where=Location(field=field),
            found=parsed,
            expected=exc.expected,
            fix="save the filter set in the workbench's filter panel, or give the stack as JSON",
        ) from exc


def pilot_design(pilot: pm.Pilot, store: Any, *, n_boot: int = 1000, seed: int = 0) -> PilotDesign:
    """The planning design of a stored pilot (its filters resolved in the workspace)."""
    return PilotDesign(
        start=pilot.start_date,
        end=pilot.end_date,
        criteria=tuple(
            Criterion(kpi=c.kpi, target=c.target, direction=c.direction.value)
            for c in pilot.success_criteria
        ),
        scope=_stack(store, "scope_filter", pilot.scope_filter) or FilterStack(),
        control=_stack(store, "control_filter", pilot.control_filter),
        baseline_start=pilot.baseline_start,
        baseline_end=pilot.baseline_end,
        n_boot=n_boot,
        seed=seed,
    )


def _dataset(pilot: pm.Pilot) -> str:
    if not pilot.dataset:
        raise InputError(
            f"pilot '{pilot.title}' names no dataset to evaluate it on",
            where=Location(field="dataset"),
            found="''",
            expected="the name of a dataset of the workspace",
            fix="edit the pilot and set its dataset",
        )
    return pilot.dataset


def pilot_sample_size(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    pilot_id: str,
    drop: float | None = None,
    power: float = 0.8,
) -> SampleSize | None:
    """Cases the pilot needs to detect the drop in median throughput it aims for (or ``drop``)
    with ``power``, from its baseline period's spread; None when that period has fewer than 2
    cases."""
    pilot = PILOTS.get(ctx, actor=actor, workspace_id=workspace_id, item_id=pilot_id)
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=_dataset(pilot),
        engine=DuckDBEngine(),
    )  # fmt: skip
    return sample_size_for_pilot(
        view, pilot_design(pilot, _store(ctx, workspace_id)), drop=drop, power=power
    )


def evaluate_pilot(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    pilot_id: str,
    n_boot: int = 1000,
    seed: int = 0,
    reason: str | None = None,
) -> PilotEvaluation:
    """Evaluate a pilot on its dataset: its period against the baseline period (and its control
    group), the same periods a year earlier, a verdict with caveats. Stored on the pilot; ledger
    ``pilot.evaluate``. A pilot period without cases is an :class:`InputError` naming
    ``start_date``; nothing is stored then."""
    actor.require(Permission.BASELINE_WRITE, workspace_id)
    pilot = PILOTS.get(ctx, actor=actor, workspace_id=workspace_id, item_id=pilot_id)
    store = _store(ctx, workspace_id)
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=_dataset(pilot),
        engine=DuckDBEngine(),
    )  # fmt: skip
    result = _evaluate(view, pilot_design(pilot, store, n_boot=n_boot, seed=seed))
    stored = {
        "evaluated_at": utcnow().isoformat(),
        "dataset": pilot.dataset,
        "fingerprint": view.dataset.manifest.fingerprint,
        "n_boot": n_boot,
        "seed": seed,
        **result.to_json(),
    }
    with ctx.session() as s:
        row = PILOTS.load(s, workspace_id, pilot_id)
        before = PILOTS.state(s, row)
        row.evaluation = stored
        s.flush()
        after = PILOTS.state(s, row)
        record(
            ctx, s, actor=actor, action="pilot.evaluate", object_type=PILOTS.name,
            object_id=pilot_id, workspace_id=workspace_id, before=before.to_dict(),
            after=after.to_dict(), reason=reason,
        )  # fmt: skip
    return result


# --------------------------------------------------------------------------------------------
# the report's "People and pilots" section


def _view_hours(view: LogView | None) -> dict[str, Any] | None:
    """Hours per role of the view as a plain dict; None when the log has no start times or no
    resources (the section then leaves them out)."""
    if view is None:
        return None
    try:
        hours = people_hours(view)
    except InputError:
        return None
    return hours.to_dict() if hours.roles else None


def report_section(
    ctx: AppContext, *, actor: Actor, workspace_id: str, view: LogView | None = None
) -> Section | None:
    """The report's "People and pilots" section: hours per role of ``view`` (if its log has start
    times and resources) and the workspace's pilots with their stored evaluations (WORKSPACE_READ);
    None when there is neither."""
    pilots = [
        {"title": p.title, "evaluation": p.evaluation}
        for p in PILOTS.list(ctx, actor=actor, workspace_id=workspace_id)
    ]
    return people_section(_view_hours(view), pilots)


def local_report_section(workspace_path: Path | str, view: LogView | None) -> Section | None:
    """The section for a report written on the command line: the view's hours per role, and the
    pilots of the workspace folder when the command line's database knows it and its operator
    may read it (read only; see ``business_case.local_report_section``)."""
    from sqlalchemy.engine import make_url

    from civicflow.app._accounts import get_actor
    from civicflow.app._context import database_url, migration_status, open_app
    from civicflow.app._local import _find_operator, _registered, os_login
    from civicflow.core import get_settings

    alone = people_section(_view_hours(view), [])
    settings = get_settings()
    url = make_url(database_url(settings))
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or not Path(url.database).exists()
    ):
        return alone
    ctx = open_app(settings=settings)
    try:
        if not migration_status(ctx.engine).up_to_date:
            return alone
        row = _registered(ctx, Path(workspace_path).resolve())
        operator = _find_operator(ctx, os_login())
        if row is None or operator is None or not operator.is_active:
            return alone
        actor = get_actor(ctx, operator.id)
        if not actor.can(Permission.WORKSPACE_READ, row.id):
            return alone
        return report_section(ctx, actor=actor, workspace_id=row.id, view=view)
    finally:
        ctx.close()
