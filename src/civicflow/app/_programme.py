"""The programme model's use cases: objectives, stakeholders and consultations, communications,
budget lines, risks, pilots and decisions. Each change checks PROGRAMME_WRITE, validates the merged
state, and writes a ledger entry (``<kind>.create|update|delete``) in the same transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicflow.app import _models as m
from civicflow.app import _programme_models as pm
from civicflow.app._context import AppContext
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import InputError, Location, NotFoundError, new_id, utcnow
from civicflow.mining import KPI_DEFINITIONS

_CURRENCY = re.compile(r"^[A-Z]{3}$")


# -- validation of a merged state ------------------------------------------------------------


def _bad(field: str, what: str, found: Any, expected: str, fix: str | None = None) -> InputError:
    return InputError(
        what, where=Location(field=field), found=str(found), expected=expected, fix=fix
    )


def _text(v: dict[str, Any], field: str, *, limit: int = 200, required: bool = True) -> None:
    value = v.get(field)
    if value is None or (required and not str(value).strip()):
        raise _bad(
            field,
            f"{field.replace('_', ' ')} must not be empty",
            repr(value),
            f"1-{limit} characters",
        )
    if len(str(value)) > limit:
        raise _bad(
            field,
            f"{field.replace('_', ' ')} is too long",
            f"{len(str(value))} characters",
            f"at most {limit} characters",
        )


def _scale(v: dict[str, Any], field: str) -> None:
    value = v.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise _bad(
            field,
            f"{field} must be on the 1-5 scale",
            value,
            "an integer 1 (lowest) to 5 (highest)",
        )


def _dates(v: dict[str, Any], start: str, end: str) -> None:
    a, b = v.get(start), v.get(end)
    if a is not None and b is not None and b < a:
        raise InputError(
            f"{end} ({b}) is before {start} ({a})",
            where=Location(field=end),
            found=f"{start}={a}, {end}={b}",
            expected=f"{end} on or after {start}",
            fix=f"correct {start} or {end}",
        )


def _kpi(v: dict[str, Any], field: str = "kpi", *, where: str | None = None) -> None:
    value = v.get(field) or ""
    if value not in KPI_DEFINITIONS:
        raise _bad(
            where or field,
            f"'{value}' is not a KPI definition of the assessment engine",
            repr(value),
            "one of: " + ", ".join(KPI_DEFINITIONS),
            fix="pick the KPI the objective is measured by, e.g. 'throughput_median_days'",
        )


def _direction_fits_kpi(v: dict[str, Any], *, where: str = "direction") -> None:
    kpi = KPI_DEFINITIONS[v["kpi"]]
    direction = pm.Direction(v["direction"])
    fits = {"lower_is_better": pm.Direction.DECREASE, "higher_is_better": pm.Direction.INCREASE}
    wanted = fits.get(kpi.direction)
    if wanted is not None and direction != wanted:
        raise InputError(
            f"'{kpi.name}' is {kpi.direction.replace('_', ' ')}: a target to "
            f"{direction.value} it works against it",
            where=Location(field=where),
            found=f"kpi={kpi.name}, direction={direction.value}",
            expected=f"direction '{wanted.value}'",
            fix="choose the other direction, or another KPI",
        )


def _check_objective(v: dict[str, Any]) -> None:
    _text(v, "title")
    _kpi(v)
    _text(v, "baseline_name", limit=64)
    _text(v, "description", limit=5000, required=False)
    _direction_fits_kpi(v)
    base, target = v["baseline_value"], v["target_value"]
    if v["direction"] == pm.Direction.DECREASE and not target < base:
        raise InputError(
            "a 'decrease' objective needs a target below its baseline value",
            where=Location(field="target_value"),
            found=f"baseline_value={base}, target_value={target}",
            expected=f"target_value < {base}",
            fix="lower the target, or choose direction 'increase'",
        )
    if v["direction"] == pm.Direction.INCREASE and not target > base:
        raise InputError(
            "an 'increase' objective needs a target above its baseline value",
            where=Location(field="target_value"),
            found=f"baseline_value={base}, target_value={target}",
            expected=f"target_value > {base}",
            fix="raise the target, or choose direction 'decrease'",
        )


def _check_stakeholder(v: dict[str, Any]) -> None:
    _text(v, "name")
    _scale(v, "interest")
    _scale(v, "influence")
    _text(v, "organisation", required=False)
    _text(v, "notes", limit=5000, required=False)


def _check_consultation(v: dict[str, Any]) -> None:
    _text(v, "summary", limit=10000)
    _text(v, "outcome", limit=10000, required=False)


def _check_communication(v: dict[str, Any]) -> None:
    _text(v, "title")
    _text(v, "audience")
    _text(v, "message", limit=20000)


def _check_budget_line(v: dict[str, Any]) -> None:
    _text(v, "title")
    amount = v["amount"]
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise _bad("amount", "the amount must be zero or more", amount, "a non-negative number")
    if amount != amount.quantize(Decimal("0.01")):
        raise _bad(
            "amount",
            "the amount has more than two decimals",
            amount,
            "an amount in the currency's units with at most 2 decimals",
        )
    if not _CURRENCY.match(str(v.get("currency") or "")):
        raise _bad(
            "currency",
            "the currency must be an ISO 4217 code",
            v.get("currency"),
            "three capital letters such as EUR, USD, GBP",
        )
    if v["recurrence"] == pm.Recurrence.RECURRING and v.get("period") is None:
        raise _bad(
            "period",
            "a recurring budget line needs a period",
            None,
            "month, quarter or year",
            fix="set period, or make the line one_off",
        )
    if v["recurrence"] == pm.Recurrence.ONE_OFF and v.get("period") is not None:
        raise _bad(
            "period",
            "a one-off budget line has no period",
            v["period"],
            "no period for one_off lines",
            fix="clear period, or make the line recurring",
        )
    _dates(v, "start_date", "end_date")


def _check_risk(v: dict[str, Any]) -> None:
    _text(v, "title")
    _scale(v, "likelihood")
    _scale(v, "impact")
    _text(v, "owner")
    _text(v, "mitigation", limit=10000, required=False)
    _text(v, "description", limit=10000, required=False)


def _check_pilot(v: dict[str, Any]) -> None:
    _text(v, "title")
    _text(v, "scope", limit=10000)
    criteria = v.get("success_criteria") or []
    if not criteria:
        raise _bad(
            "success_criteria",
            "a pilot needs at least one success criterion",
            "[]",
            "KPI targets such as {kpi: 'throughput_median_days', target: 21, "
            "direction: 'decrease'}",
        )
    for i, criterion in enumerate(criteria):
        c = criterion if isinstance(criterion, dict) else criterion.model_dump()
        _kpi(c, where=f"success_criteria.{i}.kpi")
        _direction_fits_kpi(c, where=f"success_criteria.{i}.direction")
    _dates(v, "start_date", "end_date")


def _check_decision(v: dict[str, Any]) -> None:
    _text(v, "title")
    _text(v, "decision", limit=20000)
    _text(v, "decided_by")
    _text(v, "rationale", limit=20000, required=False)


# -- the generic use cases -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str
    label: str
    row: type[Any]
    create: type[BaseModel]
    public: type[pm._Output]
    check: Callable[[dict[str, Any]], None]
    read: Callable[[Session, Any], Any] | None = None


def _to_public(kind: _Kind, session: Session, row: Any) -> Any:
    if kind.read is not None:
        return kind.read(session, row)
    return kind.public.model_validate(row)


def _validated(kind: _Kind, values: dict[str, Any]) -> dict[str, Any]:
    try:
        model = kind.create.model_validate(values)
    except ValidationError as exc:
        raise pm.validation_error(exc, kind.label) from exc
    clean = {k: getattr(model, k) for k in type(model).model_fields}
    kind.check(clean)
    return {
        k: ([c.model_dump(mode="json") for c in val] if k == "success_criteria" else val)
        for k, val in clean.items()
    }


def _load(session: Session, kind: _Kind, workspace_id: str, item_id: str) -> Any:
    row = session.get(kind.row, item_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            f"no {kind.label} {item_id} in workspace {workspace_id}",
            where=Location(field=f"{kind.name}_id"),
            found=item_id,
            fix=f"list the workspace's {kind.label}s to find its id",
        )
    return row


def _create(
    ctx: AppContext,
    kind: _Kind,
    *,
    actor: Actor,
    workspace_id: str,
    data: BaseModel,
    reason: str | None,
    extra: Callable[[Session, dict[str, Any]], None] | None = None,
) -> Any:
    actor.require(Permission.PROGRAMME_WRITE, workspace_id)
    values = _validated(kind, data.model_dump())
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        if extra is not None:
            extra(s, values)
        now = utcnow()
        row = kind.row(
            id=new_id(f"{kind.name[:3]}_"),
            workspace_id=workspace_id,
            created_at=now,
            updated_at=now,
            **values,
        )
        s.add(row)
        s.flush()
        public = _to_public(kind, s, row)
        record(
            ctx,
            s,
            actor=actor,
            action=f"{kind.name}.create",
            object_type=kind.name,
            object_id=row.id,
            workspace_id=workspace_id,
            after=public.to_dict(),
            reason=reason,
        )
        return public


def _update(
    ctx: AppContext,
    kind: _Kind,
    *,
    actor: Actor,
    workspace_id: str,
    item_id: str,
    data: BaseModel,
    reason: str | None,
) -> Any:
    actor.require(Permission.PROGRAMME_WRITE, workspace_id)
    changes = data.model_dump(exclude_unset=True)
    with ctx.session() as s:
        row = _load(s, kind, workspace_id, item_id)
        before = _to_public(kind, s, row)
        current = {k: getattr(row, k) for k in kind.create.model_fields}
        values = _validated(kind, {**current, **changes})
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        s.flush()
        after = _to_public(kind, s, row)
        record(
            ctx,
            s,
            actor=actor,
            action=f"{kind.name}.update",
            object_type=kind.name,
            object_id=row.id,
            workspace_id=workspace_id,
            before=before.to_dict(),
            after=after.to_dict(),
            reason=reason,
        )
        return after


def _delete(
    ctx: AppContext,
    kind: _Kind,
    *,
    actor: Actor,
    workspace_id: str,
    item_id: str,
    reason: str | None,
) -> None:
    actor.require(Permission.PROGRAMME_WRITE, workspace_id)
    with ctx.session() as s:
        row = _load(s, kind, workspace_id, item_id)
        before = _to_public(kind, s, row)
        s.delete(row)
        record(
            ctx,
            s,
            actor=actor,
            action=f"{kind.name}.delete",
            object_type=kind.name,
            object_id=item_id,
            workspace_id=workspace_id,
            before=before.to_dict(),
            reason=reason,
        )


def _get(ctx: AppContext, kind: _Kind, *, actor: Actor, workspace_id: str, item_id: str) -> Any:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _to_public(kind, s, _load(s, kind, workspace_id, item_id))


def _list(
    ctx: AppContext, kind: _Kind, *, actor: Actor, workspace_id: str, where: Any = None
) -> list[Any]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        require_workspace_row(s, workspace_id)
        query = select(kind.row).where(kind.row.workspace_id == workspace_id)
        if where is not None:
            query = query.where(where)
        rows = s.scalars(query.order_by(kind.row.created_at, kind.row.id)).all()
        return [_to_public(kind, s, r) for r in rows]


def _read_objective(session: Session, row: m.ObjectiveRow) -> pm.Objective:
    latest = session.scalars(
        select(m.MeasurementRow)
        .where(m.MeasurementRow.objective_id == row.id)
        .order_by(m.MeasurementRow.measured_at.desc(), m.MeasurementRow.created_at.desc())
        .limit(1)
    ).first()
    base = pm.Objective.model_validate(row)
    if latest is None:
        return base
    return base.model_copy(
        update={
            "latest_value": latest.value,
            "latest_measured_at": latest.measured_at,
            "latest_source": latest.source,
            "progress": pm.objective_progress(
                baseline=row.baseline_value, target=row.target_value, latest=latest.value
            ),
        }
    )


OBJECTIVE = _Kind(
    "objective",
    "objective",
    m.ObjectiveRow,
    pm.ObjectiveCreate,
    pm.Objective,
    _check_objective,
    _read_objective,
)
STAKEHOLDER = _Kind(
    "stakeholder",
    "stakeholder",
    m.StakeholderRow,
    pm.StakeholderCreate,
    pm.Stakeholder,
    _check_stakeholder,
)
CONSULTATION = _Kind(
    "consultation",
    "consultation",
    m.ConsultationRow,
    pm.ConsultationCreate,
    pm.Consultation,
    _check_consultation,
)
COMMUNICATION = _Kind(
    "communication",
    "communication",
    m.CommunicationRow,
    pm.CommunicationCreate,
    pm.Communication,
    _check_communication,
)
BUDGET_LINE = _Kind(
    "budget_line",
    "budget line",
    m.BudgetLineRow,
    pm.BudgetLineCreate,
    pm.BudgetLine,
    _check_budget_line,
)
RISK = _Kind("risk", "risk", m.RiskRow, pm.RiskCreate, pm.Risk, _check_risk)
PILOT = _Kind("pilot", "pilot", m.PilotRow, pm.PilotCreate, pm.Pilot, _check_pilot)
DECISION = _Kind(
    "decision", "decision", m.DecisionRow, pm.DecisionCreate, pm.Decision, _check_decision
)


# -- objectives ------------------------------------------------------------------------------


def create_objective(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.ObjectiveCreate,
    reason: str | None = None,
) -> pm.Objective:
    return _create(ctx, OBJECTIVE, actor=actor, workspace_id=workspace_id, data=data, reason=reason)  # type: ignore[no-any-return]


def update_objective(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    objective_id: str,
    data: pm.ObjectiveUpdate,
    reason: str | None = None,
) -> pm.Objective:
    return _update(
        ctx,
        OBJECTIVE,
        actor=actor,
        workspace_id=workspace_id,
        item_id=objective_id,
        data=data,
        reason=reason,
    )  # type: ignore[no-any-return]


def delete_objective(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    objective_id: str,
    reason: str | None = None,
) -> None:
    _delete(
        ctx, OBJECTIVE, actor=actor, workspace_id=workspace_id, item_id=objective_id, reason=reason
    )


def get_objective(
    ctx: AppContext, *, actor: Actor, workspace_id: str, objective_id: str
) -> pm.Objective:
    return _get(
        ctx,
        OBJECTIVE,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=objective_id,
    )


def list_objectives(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[pm.Objective]:
    return _list(ctx, OBJECTIVE, actor=actor, workspace_id=workspace_id)


def record_measurement(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    objective_id: str,
    value: float,
    source: str,
    measured_at: datetime | None = None,
    reason: str | None = None,
) -> pm.Objective:
    """Record the KPI value measured on new data (e.g. a baseline frozen on it); the objective's
    progress follows from it. Needs BASELINE_WRITE: measurements come from data, not opinion."""
    actor.require(Permission.BASELINE_WRITE, workspace_id)
    if (
        not isinstance(value, int | float)
        or value != value
        or value in (float("inf"), float("-inf"))
    ):
        raise _bad("value", "a measurement must be a finite number", value, "a finite number")
    if not source or len(source) > 500:
        raise _bad(
            "source",
            "a measurement must name its source",
            repr(source),
            "the baseline or dataset it was computed from, e.g. 'baseline:2025-q1'",
        )
    with ctx.session() as s:
        row = _load(s, OBJECTIVE, workspace_id, objective_id)
        before = _read_objective(s, row)
        now = utcnow()
        s.add(
            m.MeasurementRow(
                id=new_id("mea_"),
                objective_id=row.id,
                value=float(value),
                measured_at=measured_at or now,
                source=source,
                created_at=now,
            )
        )
        s.flush()
        after = _read_objective(s, row)
        record(
            ctx,
            s,
            actor=actor,
            action="objective.measure",
            object_type="objective",
            object_id=row.id,
            workspace_id=workspace_id,
            before=before.to_dict(),
            after=after.to_dict(),
            reason=reason,
        )
        return after


def list_measurements(
    ctx: AppContext, *, actor: Actor, workspace_id: str, objective_id: str
) -> list[pm.Measurement]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        _load(s, OBJECTIVE, workspace_id, objective_id)
        rows = s.scalars(
            select(m.MeasurementRow)
            .where(m.MeasurementRow.objective_id == objective_id)
            .order_by(m.MeasurementRow.measured_at, m.MeasurementRow.created_at)
        )
        return [pm.Measurement.model_validate(r) for r in rows]


# -- stakeholders and consultations ----------------------------------------------------------


def create_stakeholder(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.StakeholderCreate,
    reason: str | None = None,
) -> pm.Stakeholder:
    return _create(
        ctx, STAKEHOLDER, actor=actor, workspace_id=workspace_id, data=data, reason=reason
    )  # type: ignore[no-any-return]


def update_stakeholder(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    stakeholder_id: str,
    data: pm.StakeholderUpdate,
    reason: str | None = None,
) -> pm.Stakeholder:
    return _update(
        ctx,
        STAKEHOLDER,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=stakeholder_id,
        data=data,
        reason=reason,
    )


def delete_stakeholder(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    stakeholder_id: str,
    reason: str | None = None,
) -> None:
    _delete(
        ctx,
        STAKEHOLDER,
        actor=actor,
        workspace_id=workspace_id,
        item_id=stakeholder_id,
        reason=reason,
    )


def get_stakeholder(
    ctx: AppContext, *, actor: Actor, workspace_id: str, stakeholder_id: str
) -> pm.Stakeholder:
    return _get(
        ctx,
        STAKEHOLDER,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=stakeholder_id,
    )


def list_stakeholders(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[pm.Stakeholder]:
    return _list(ctx, STAKEHOLDER, actor=actor, workspace_id=workspace_id)


def _stakeholder_exists(workspace_id: str) -> Callable[[Session, dict[str, Any]], None]:
    def check(session: Session, values: dict[str, Any]) -> None:
        row = session.get(m.StakeholderRow, values["stakeholder_id"])
        if row is None or row.workspace_id != workspace_id:
            raise NotFoundError(
                f"no stakeholder {values['stakeholder_id']} in workspace {workspace_id}",
                where=Location(field="stakeholder_id"),
                found=str(values["stakeholder_id"]),
                fix="create the stakeholder first, or pick one from the list",
            )

    return check


def create_consultation(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.ConsultationCreate,
    reason: str | None = None,
) -> pm.Consultation:
    return _create(
        ctx,
        CONSULTATION,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        data=data,
        reason=reason,
        extra=_stakeholder_exists(workspace_id),
    )


def update_consultation(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    consultation_id: str,
    data: pm.ConsultationUpdate,
    reason: str | None = None,
) -> pm.Consultation:
    return _update(
        ctx,
        CONSULTATION,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=consultation_id,
        data=data,
        reason=reason,
    )


def delete_consultation(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    consultation_id: str,
    reason: str | None = None,
) -> None:
    _delete(
        ctx,
        CONSULTATION,
        actor=actor,
        workspace_id=workspace_id,
        item_id=consultation_id,
        reason=reason,
    )


def get_consultation(
    ctx: AppContext, *, actor: Actor, workspace_id: str, consultation_id: str
) -> pm.Consultation:
    return _get(
        ctx,
        CONSULTATION,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=consultation_id,
    )


def list_consultations(
    ctx: AppContext, *, actor: Actor, workspace_id: str, stakeholder_id: str | None = None
) -> list[pm.Consultation]:
    where = None if stakeholder_id is None else m.ConsultationRow.stakeholder_id == stakeholder_id
    return _list(ctx, CONSULTATION, actor=actor, workspace_id=workspace_id, where=where)


# -- communications --------------------------------------------------------------------------


def create_communication(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.CommunicationCreate,
    reason: str | None = None,
) -> pm.Communication:
    return _create(
        ctx,
        COMMUNICATION,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        data=data,
        reason=reason,
    )


def update_communication(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    communication_id: str,
    data: pm.CommunicationUpdate,
    reason: str | None = None,
) -> pm.Communication:
    return _update(
        ctx,
        COMMUNICATION,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=communication_id,
        data=data,
        reason=reason,
    )


def delete_communication(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    communication_id: str,
    reason: str | None = None,
) -> None:
    _delete(
        ctx,
        COMMUNICATION,
        actor=actor,
        workspace_id=workspace_id,
        item_id=communication_id,
        reason=reason,
    )


def get_communication(
    ctx: AppContext, *, actor: Actor, workspace_id: str, communication_id: str
) -> pm.Communication:
    return _get(
        ctx,
        COMMUNICATION,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=communication_id,
    )


def list_communications(
    ctx: AppContext, *, actor: Actor, workspace_id: str
) -> list[pm.Communication]:
    return _list(ctx, COMMUNICATION, actor=actor, workspace_id=workspace_id)


# -- budget lines ----------------------------------------------------------------------------


def create_budget_line(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.BudgetLineCreate,
    reason: str | None = None,
) -> pm.BudgetLine:
    return _create(
        ctx,
        BUDGET_LINE,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        data=data,
        reason=reason,
    )


def update_budget_line(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    budget_line_id: str,
    data: pm.BudgetLineUpdate,
    reason: str | None = None,
) -> pm.BudgetLine:
    return _update(
        ctx,
        BUDGET_LINE,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=budget_line_id,
        data=data,
        reason=reason,
    )


def delete_budget_line(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    budget_line_id: str,
    reason: str | None = None,
) -> None:
    _delete(
        ctx,
        BUDGET_LINE,
        actor=actor,
        workspace_id=workspace_id,
        item_id=budget_line_id,
        reason=reason,
    )


def get_budget_line(
    ctx: AppContext, *, actor: Actor, workspace_id: str, budget_line_id: str
) -> pm.BudgetLine:
    return _get(
        ctx,
        BUDGET_LINE,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=budget_line_id,
    )


def list_budget_lines(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[pm.BudgetLine]:
    return _list(ctx, BUDGET_LINE, actor=actor, workspace_id=workspace_id)


# -- risks -----------------------------------------------------------------------------------


def create_risk(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.RiskCreate,
    reason: str | None = None,
) -> pm.Risk:
    return _create(ctx, RISK, actor=actor, workspace_id=workspace_id, data=data, reason=reason)  # type: ignore[no-any-return]


def update_risk(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    risk_id: str,
    data: pm.RiskUpdate,
    reason: str | None = None,
) -> pm.Risk:
    return _update(
        ctx, RISK, actor=actor, workspace_id=workspace_id, item_id=risk_id, data=data, reason=reason
    )  # type: ignore[no-any-return]


def delete_risk(
    ctx: AppContext, *, actor: Actor, workspace_id: str, risk_id: str, reason: str | None = None
) -> None:
    _delete(ctx, RISK, actor=actor, workspace_id=workspace_id, item_id=risk_id, reason=reason)


def get_risk(ctx: AppContext, *, actor: Actor, workspace_id: str, risk_id: str) -> pm.Risk:
    return _get(
        ctx,
        RISK,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=risk_id,
    )


def list_risks(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[pm.Risk]:
    return _list(ctx, RISK, actor=actor, workspace_id=workspace_id)


# -- pilots ----------------------------------------------------------------------------------


def create_pilot(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.PilotCreate,
    reason: str | None = None,
) -> pm.Pilot:
    return _create(ctx, PILOT, actor=actor, workspace_id=workspace_id, data=data, reason=reason)  # type: ignore[no-any-return]


def update_pilot(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    pilot_id: str,
    data: pm.PilotUpdate,
    reason: str | None = None,
) -> pm.Pilot:
    return _update(
        ctx,
        PILOT,
        actor=actor,
        workspace_id=workspace_id,
        item_id=pilot_id,
        data=data,
        reason=reason,
    )  # type: ignore[no-any-return]


def delete_pilot(
    ctx: AppContext, *, actor: Actor, workspace_id: str, pilot_id: str, reason: str | None = None
) -> None:
    _delete(ctx, PILOT, actor=actor, workspace_id=workspace_id, item_id=pilot_id, reason=reason)


def get_pilot(ctx: AppContext, *, actor: Actor, workspace_id: str, pilot_id: str) -> pm.Pilot:
    return _get(
        ctx,
        PILOT,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=pilot_id,
    )


def list_pilots(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[pm.Pilot]:
    return _list(ctx, PILOT, actor=actor, workspace_id=workspace_id)


# -- decisions -------------------------------------------------------------------------------


def create_decision(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    data: pm.DecisionCreate,
    reason: str | None = None,
) -> pm.Decision:
    return _create(ctx, DECISION, actor=actor, workspace_id=workspace_id, data=data, reason=reason)  # type: ignore[no-any-return]


def update_decision(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    decision_id: str,
    data: pm.DecisionUpdate,
    reason: str | None = None,
) -> pm.Decision:
    return _update(
        ctx,
        DECISION,
        actor=actor,
        workspace_id=workspace_id,
        item_id=decision_id,
        data=data,
        reason=reason,
    )  # type: ignore[no-any-return]


def delete_decision(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    decision_id: str,
    reason: str | None = None,
) -> None:
    _delete(
        ctx, DECISION, actor=actor, workspace_id=workspace_id, item_id=decision_id, reason=reason
    )


def get_decision(
    ctx: AppContext, *, actor: Actor, workspace_id: str, decision_id: str
) -> pm.Decision:
    return _get(
        ctx,
        DECISION,
        actor=actor,
        workspace_id=workspace_id,  # type: ignore[no-any-return]
        item_id=decision_id,
    )


def list_decisions(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[pm.Decision]:
    return _list(ctx, DECISION, actor=actor, workspace_id=workspace_id)
