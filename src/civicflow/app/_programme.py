"""The programme model's use cases: objectives, stakeholders and consultations, communications,
budget lines, risks, pilots and programme decisions, each one :class:`ProgrammeKind` with typed
``create``/``update``/``get``/``list``/``delete``. Each change checks PROGRAMME_WRITE, validates the
merged state, and writes a ledger entry (``<kind>.create|update|delete``) in the same transaction."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicflow.app import _models as m
from civicflow.app import _programme_models as pm
from civicflow.app._context import AppContext
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    CivicflowError,
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    check_name,
    new_id,
    utcnow,
)
from civicflow.mining import KPI_DEFINITIONS, FilterStack

# -- rules across fields (each field's own rules are in its annotation in _programme_models) ----


def _bad(field: str, what: str, found: Any, expected: str, fix: str | None = None) -> InputError:
    return InputError(
        what, where=Location(field=field), found=str(found), expected=expected, fix=fix
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
    _kpi(v)
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


def _check_budget_line(v: dict[str, Any]) -> None:
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


def _check_pilot(v: dict[str, Any]) -> None:
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
    for name in ("scope_filter", "control_filter"):
        pilot_filter(name, v.get(name) or "")
    if (v.get("baseline_start") is None) != (v.get("baseline_end") is None):
        missing = "baseline_end" if v.get("baseline_end") is None else "baseline_start"
        raise _bad(
            missing,
            "a baseline period needs both its start and its end",
            f"{v.get('baseline_start')} .. {v.get('baseline_end')}",
            "both dates, or neither (then as many days just before the pilot)",
        )
    _dates(v, "baseline_start", "baseline_end")
    end = v.get("baseline_end")
    if end is not None and v.get("start_date") is not None and end >= v["start_date"]:
        raise _bad(
            "baseline_end",
            "the baseline period overlaps the pilot",
            f"baseline_end={end}, start_date={v['start_date']}",
            "a baseline period that ends before the pilot starts",
        )


def pilot_filter(field: str, value: str) -> FilterStack | str | None:
    """A pilot's scope or control filter: a :class:`FilterStack` (JSON), the name of a saved
    filter set (resolved when the pilot is evaluated), or None when empty."""
    text = value.strip()
    if not text:
        return None
    if text[0] in "{[":
        try:
            return FilterStack.from_dict(json.loads(text))
        except (ValueError, TypeError, KeyError, CivicflowError) as exc:
            raise _bad(
                field,
                f"the {field.replace('_', ' ')} is not a filter stack",
                text[:200],
                '{"steps": [...]} as the filter panel saves it',
                fix=f"{type(exc).__name__}: {exc}"[:300],
            ) from exc
    try:
        check_name(text, kind="filter set")
    except CivicflowError as exc:
        raise _bad(
            field, f"the {field.replace('_', ' ')} is not a filter set name", text[:200],
            "a saved filter set's name, or a filter stack as JSON",
        ) from exc  # fmt: skip
    return text


def _check_pilot_links(session: Session, workspace_id: str, v: dict[str, Any]) -> None:
    """A criterion tied to an objective: the objective exists here and is measured by the same
    KPI in the same direction."""
    for i, c in enumerate(v.get("success_criteria") or []):
        objective_id = c.get("objective_id") or ""
        if not objective_id:
            continue
        row = session.get(m.ObjectiveRow, objective_id)
        if row is None or row.workspace_id != workspace_id:
            raise _bad(
                f"success_criteria.{i}.objective_id",
                f"no objective {objective_id} in this workspace",
                objective_id,
                "the id of an objective of the programme",
                fix="list the objectives to find its id, or leave the field empty",
            )
        if row.kpi != c.get("kpi") or row.direction != str(c.get("direction")):
            raise _bad(
                f"success_criteria.{i}.kpi",
                f"the criterion measures {c.get('kpi')} ({c.get('direction')}), its objective "
                f"{row.kpi} ({row.direction})",
                f"kpi={c.get('kpi')}, direction={c.get('direction')}",
                f"kpi={row.kpi}, direction={row.direction}, as the objective",
            )


def _no_rules(v: dict[str, Any]) -> None:
    """A kind whose fields' own rules are all there is."""


# -- one generic kind ---------------------------------------------------------------------------

CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)
OutT = TypeVar("OutT", bound=pm._Output)


@dataclass(frozen=True, slots=True)
class ProgrammeKind(Generic[CreateT, UpdateT, OutT]):
    """One kind of programme item and its use cases: create, update, get, list, delete.

    ``name`` is the ledger's object type (actions ``<name>.create|update|delete``) and names the
    id in errors (``<name>_id``); ``check`` holds the rules across fields; ``read`` builds the
    public state of a row when it is more than the row's columns (an objective's progress);
    ``parent`` names the field that refers to an item of another kind (a consultation's
    stakeholder), which must exist in the same workspace and can filter :meth:`list`.
    """

    name: str
    row: type[Any]
    create_model: type[CreateT]
    update_model: type[UpdateT]
    public: type[OutT]
    _: KW_ONLY
    check: Callable[[dict[str, Any]], None] = _no_rules
    read: Callable[[Session, Any], OutT] | None = None
    parent: tuple[str, ProgrammeKind[Any, Any, Any]] | None = None
    check_links: Callable[[Session, str, dict[str, Any]], None] | None = None
    """Rules that read other items of the workspace (a pilot's criterion and its objective)."""

    @property
    def label(self) -> str:
        """The kind in words: "budget line"."""
        return self.name.replace("_", " ")

    def state(self, session: Session, row: Any) -> OutT:
        """The public state of ``row``: what the ledger's before/after digests are taken of."""
        if self.read is not None:
            return self.read(session, row)
        return self.public.model_validate(row)

    def load(self, session: Session, workspace_id: str, item_id: str) -> Any:
        """The row of ``item_id`` in ``workspace_id``, or :class:`NotFoundError`."""
        row = session.get(self.row, item_id)
        if row is None or row.workspace_id != workspace_id:
            raise NotFoundError(
                f"no {self.label} {item_id} in workspace {workspace_id}",
                where=Location(field=f"{self.name}_id"),
                found=item_id,
                fix=f"list the workspace's {self.label}s to find its id",
            )
        return row

    def _validated(self, values: dict[str, Any]) -> dict[str, Any]:
        try:
            model = self.create_model.model_validate(values)
        except ValidationError as exc:
            raise pm.validation_error(exc, self.create_model, self.label) from exc
        clean = {k: getattr(model, k) for k in type(model).model_fields}
        self.check(clean)
        return {
            k: [c.model_dump(mode="json") for c in val] if isinstance(val, list) else val
            for k, val in clean.items()
        }

    def _record(
        self,
        ctx: AppContext,
        session: Session,
        verb: str,
        *,
        actor: Actor,
        workspace_id: str,
        item_id: str,
        before: OutT | None,
        after: OutT | None,
        reason: str | None,
    ) -> None:
        record(
            ctx,
            session,
            actor=actor,
            action=f"{self.name}.{verb}",
            object_type=self.name,
            object_id=item_id,
            workspace_id=workspace_id,
            before=None if before is None else before.to_dict(),
            after=None if after is None else after.to_dict(),
            reason=reason,
        )

    def _written(
        self,
        ctx: AppContext,
        session: Session,
        verb: str,
        row: Any,
        *,
        actor: Actor,
        before: OutT | None,
        reason: str | None,
    ) -> OutT:
        """The state of the created or changed ``row``, its ledger entry written."""
        session.flush()
        after = self.state(session, row)
        self._record(
            ctx, session, verb, actor=actor, workspace_id=row.workspace_id, item_id=row.id,
            before=before, after=after, reason=reason,
        )  # fmt: skip
        return after

    def create(
        self,
        ctx: AppContext,
        *,
        actor: Actor,
        workspace_id: str,
        data: CreateT,
        reason: str | None = None,
    ) -> OutT:
        actor.require(Permission.PROGRAMME_WRITE, workspace_id)
        values = self._validated(data.model_dump())
        with ctx.session() as s:
            require_workspace_row(s, workspace_id)
            if self.check_links is not None:
                self.check_links(s, workspace_id, values)
            if self.parent is not None:
                field, parent = self.parent
                parent.load(s, workspace_id, values[field])
            now = utcnow()
            row = self.row(
                id=new_id(f"{self.name[:3]}_"),
                workspace_id=workspace_id,
                created_at=now,
                updated_at=now,
                **values,
            )
            s.add(row)
            return self._written(ctx, s, "create", row, actor=actor, before=None, reason=reason)

    def update(
        self,
        ctx: AppContext,
        *,
        actor: Actor,
        workspace_id: str,
        item_id: str,
        data: UpdateT,
        reason: str | None = None,
    ) -> OutT:
        """Change the fields given in ``data``; the merged state is validated as a whole."""
        actor.require(Permission.PROGRAMME_WRITE, workspace_id)
        changes = data.model_dump(exclude_unset=True)
        with ctx.session() as s:
            row = self.load(s, workspace_id, item_id)
            before = self.state(s, row)
            current = {k: getattr(row, k) for k in self.create_model.model_fields}
            merged = self._validated({**current, **changes})
            if self.check_links is not None:
                self.check_links(s, workspace_id, merged)
            for key, value in merged.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            return self._written(ctx, s, "update", row, actor=actor, before=before, reason=reason)

    def delete(
        self,
        ctx: AppContext,
        *,
        actor: Actor,
        workspace_id: str,
        item_id: str,
        reason: str | None = None,
    ) -> None:
        """Delete an item; refused (:class:`ConflictError`) while items of another kind refer to
        it (a stakeholder's consultations): the database would take them along unrecorded."""
        actor.require(Permission.PROGRAMME_WRITE, workspace_id)
        with ctx.session() as s:
            row = self.load(s, workspace_id, item_id)
            for child in KINDS.values():
                if child.parent is None or child.parent[1] is not self:
                    continue
                column = getattr(child.row, child.parent[0])
                count = s.scalar(
                    select(func.count()).select_from(child.row).where(column == item_id)
                )
                if count:
                    raise ConflictError(
                        f"{self.label} {item_id} still has {count} {child.label}(s)",
                        where=Location(field=f"{self.name}_id"),
                        found=f"{count} {child.label}(s) referring to it",
                        expected=f"a {self.label} nothing refers to",
                        fix=f"delete its {child.label}s first (each is recorded in the ledger)",
                    )
            before = self.state(s, row)
            s.delete(row)
            self._record(
                ctx, s, "delete", actor=actor, workspace_id=workspace_id, item_id=item_id,
                before=before, after=None, reason=reason,
            )  # fmt: skip

    def get(self, ctx: AppContext, *, actor: Actor, workspace_id: str, item_id: str) -> OutT:
        actor.require(Permission.WORKSPACE_READ, workspace_id)
        with ctx.read_session() as s:
            return self.state(s, self.load(s, workspace_id, item_id))

    def list(
        self, ctx: AppContext, *, actor: Actor, workspace_id: str, parent_id: str | None = None
    ) -> builtins.list[OutT]:
        """The workspace's items, oldest first; ``parent_id`` keeps those of one parent item (a
        stakeholder's consultations)."""
        actor.require(Permission.WORKSPACE_READ, workspace_id)
        with ctx.read_session() as s:
            require_workspace_row(s, workspace_id)
            query = select(self.row).where(self.row.workspace_id == workspace_id)
            if parent_id is not None:
                if self.parent is None:
                    raise _bad("parent_id", f"a {self.label} has no parent", parent_id, "None")
                query = query.where(getattr(self.row, self.parent[0]) == parent_id)
            rows = s.scalars(query.order_by(self.row.created_at, self.row.id)).all()
            return [self.state(s, r) for r in rows]


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
            "latest_change": (
                pm.ProgressChange.model_validate(latest.change) if latest.change else None
            ),
        }
    )


OBJECTIVES = ProgrammeKind(
    "objective", m.ObjectiveRow, pm.ObjectiveCreate, pm.ObjectiveUpdate, pm.Objective,
    check=_check_objective, read=_read_objective,
)  # fmt: skip
OBJECTIVE = OBJECTIVES  # the name app/_assessment.py imports
STAKEHOLDERS = ProgrammeKind(
    "stakeholder", m.StakeholderRow, pm.StakeholderCreate, pm.StakeholderUpdate, pm.Stakeholder
)
CONSULTATIONS = ProgrammeKind(
    "consultation", m.ConsultationRow, pm.ConsultationCreate, pm.ConsultationUpdate,
    pm.Consultation, parent=("stakeholder_id", STAKEHOLDERS),
)  # fmt: skip
COMMUNICATIONS = ProgrammeKind(
    "communication", m.CommunicationRow, pm.CommunicationCreate, pm.CommunicationUpdate,
    pm.Communication,
)  # fmt: skip
BUDGET_LINES = ProgrammeKind(
    "budget_line", m.BudgetLineRow, pm.BudgetLineCreate, pm.BudgetLineUpdate, pm.BudgetLine,
    check=_check_budget_line,
)  # fmt: skip
RISKS = ProgrammeKind("risk", m.RiskRow, pm.RiskCreate, pm.RiskUpdate, pm.Risk)
PILOTS = ProgrammeKind(
    "pilot", m.PilotRow, pm.PilotCreate, pm.PilotUpdate, pm.Pilot, check=_check_pilot,
    check_links=_check_pilot_links,
)  # fmt: skip
TRAINING_PLANS = ProgrammeKind(
    "training_plan", m.TrainingPlanRow, pm.TrainingPlanCreate, pm.TrainingPlanUpdate,
    pm.TrainingPlan, check=lambda v: _dates(v, "start_date", "end_date"),
)  # fmt: skip
PROGRAMME_DECISIONS = ProgrammeKind(  # stored as before: table "decisions", object type "decision"
    "decision", m.DecisionRow, pm.ProgrammeDecisionCreate, pm.ProgrammeDecisionUpdate,
    pm.ProgrammeDecision,
)  # fmt: skip

KINDS: dict[str, ProgrammeKind[Any, Any, Any]] = {
    k.name: k
    for k in (
        OBJECTIVES,
        STAKEHOLDERS,
        CONSULTATIONS,
        COMMUNICATIONS,
        BUDGET_LINES,
        RISKS,
        PILOTS,
        PROGRAMME_DECISIONS,
        TRAINING_PLANS,
    )
}
"""Every kind by its ledger name (``objective``, ``budget_line``, ...)."""


# -- measurements of objectives ---------------------------------------------------------------


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
        row = OBJECTIVES.load(s, workspace_id, objective_id)
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
        OBJECTIVES.load(s, workspace_id, objective_id)
        rows = s.scalars(
            select(m.MeasurementRow)
            .where(m.MeasurementRow.objective_id == objective_id)
            .order_by(m.MeasurementRow.measured_at, m.MeasurementRow.created_at)
        )
        return [pm.Measurement.model_validate(r) for r in rows]
