"""Typed inputs (``*Create``, ``*Update``) and outputs of the programme model.

Inputs are pydantic models so the web layer can use them as request bodies; the use cases in
``civicflow.app.programme`` re-validate the merged state and raise :class:`InputError` naming the
field, so every caller gets the same messages.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from civicflow.core import InputError, Location


class Direction(enum.StrEnum):
    DECREASE = "decrease"
    INCREASE = "increase"


class StakeholderKind(enum.StrEnum):
    EMPLOYEE = "employee"
    CITIZEN = "citizen"
    POLICYMAKER = "policymaker"
    VENDOR = "vendor"


class Channel(enum.StrEnum):
    WEBSITE = "website"
    EMAIL = "email"
    LETTER = "letter"
    SMS = "sms"
    SOCIAL_MEDIA = "social_media"
    PRESS = "press"
    IN_PERSON = "in_person"
    PHONE = "phone"
    OTHER = "other"


class CommunicationStatus(enum.StrEnum):
    PLANNED = "planned"
    APPROVED = "approved"
    SENT = "sent"
    CANCELLED = "cancelled"


class BudgetCategory(enum.StrEnum):
    SOFTWARE = "software"
    HARDWARE = "hardware"
    TRAINING = "training"
    MAINTENANCE = "maintenance"
    OTHER = "other"


class Recurrence(enum.StrEnum):
    ONE_OFF = "one_off"
    RECURRING = "recurring"


class Period(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class RiskStatus(enum.StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class PilotStatus(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    workspace_id: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# -- objectives ------------------------------------------------------------------------------


class ObjectiveCreate(_Input):
    """A measurable objective: a KPI moved from its baseline value to a target by a date."""

    title: str
    kpi: str
    baseline_name: str
    baseline_value: float
    target_value: float
    direction: Direction
    due_date: date
    description: str = ""


class ObjectiveUpdate(_Input):
    title: str | None = None
    kpi: str | None = None
    baseline_name: str | None = None
    baseline_value: float | None = None
    target_value: float | None = None
    direction: Direction | None = None
    due_date: date | None = None
    description: str | None = None


class Objective(_Output):
    title: str
    kpi: str
    baseline_name: str
    baseline_value: float
    target_value: float
    direction: Direction
    due_date: date
    description: str
    latest_value: float | None = None
    latest_measured_at: datetime | None = None
    latest_source: str | None = None
    progress: float | None = None
    """Share of the way from baseline to target: 0 at the baseline, 1 at the target (can go
    below 0 or above 1). Computed from the latest measurement, never typed in."""

    @property
    def achieved(self) -> bool:
        return self.progress is not None and self.progress >= 1.0


class Measurement(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    objective_id: str
    value: float
    measured_at: datetime
    source: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def objective_progress(*, baseline: float, target: float, latest: float | None) -> float | None:
    """(latest - baseline) / (target - baseline): the direction is in the sign of the span."""
    if latest is None or target == baseline:
        return None
    return (latest - baseline) / (target - baseline)


# -- stakeholders and consultations ----------------------------------------------------------


class StakeholderCreate(_Input):
    name: str
    kind: StakeholderKind
    interest: int
    influence: int
    organisation: str = ""
    notes: str = ""


class StakeholderUpdate(_Input):
    name: str | None = None
    kind: StakeholderKind | None = None
    interest: int | None = None
    influence: int | None = None
    organisation: str | None = None
    notes: str | None = None


class Stakeholder(_Output):
    name: str
    kind: StakeholderKind
    interest: int
    influence: int
    organisation: str
    notes: str


class ConsultationCreate(_Input):
    stakeholder_id: str
    held_on: date
    summary: str
    outcome: str = ""


class ConsultationUpdate(_Input):
    held_on: date | None = None
    summary: str | None = None
    outcome: str | None = None


class Consultation(_Output):
    stakeholder_id: str
    held_on: date
    summary: str
    outcome: str


# -- communications --------------------------------------------------------------------------


class CommunicationCreate(_Input):
    """A message to citizens about a changed service."""

    title: str
    channel: Channel
    audience: str
    planned_date: date
    message: str
    status: CommunicationStatus = CommunicationStatus.PLANNED


class CommunicationUpdate(_Input):
    title: str | None = None
    channel: Channel | None = None
    audience: str | None = None
    planned_date: date | None = None
    message: str | None = None
    status: CommunicationStatus | None = None


class Communication(_Output):
    title: str
    channel: Channel
    audience: str
    planned_date: date
    message: str
    status: CommunicationStatus


# -- budget ----------------------------------------------------------------------------------


class BudgetLineCreate(_Input):
    title: str
    category: BudgetCategory
    recurrence: Recurrence
    amount: Decimal
    currency: str
    start_date: date
    period: Period | None = None
    end_date: date | None = None


class BudgetLineUpdate(_Input):
    title: str | None = None
    category: BudgetCategory | None = None
    recurrence: Recurrence | None = None
    amount: Decimal | None = None
    currency: str | None = None
    start_date: date | None = None
    period: Period | None = None
    end_date: date | None = None


class BudgetLine(_Output):
    title: str
    category: BudgetCategory
    recurrence: Recurrence
    amount: Decimal
    currency: str
    start_date: date
    period: Period | None
    end_date: date | None


# -- risks -----------------------------------------------------------------------------------


class RiskCreate(_Input):
    title: str
    likelihood: int
    impact: int
    owner: str
    mitigation: str = ""
    description: str = ""
    status: RiskStatus = RiskStatus.OPEN


class RiskUpdate(_Input):
    title: str | None = None
    likelihood: int | None = None
    impact: int | None = None
    owner: str | None = None
    mitigation: str | None = None
    description: str | None = None
    status: RiskStatus | None = None


class Risk(_Output):
    title: str
    likelihood: int
    impact: int
    owner: str
    mitigation: str
    description: str
    status: RiskStatus

    @property
    def score(self) -> int:
        """Likelihood × impact, 1-25."""
        return self.likelihood * self.impact


# -- pilots ----------------------------------------------------------------------------------


class SuccessCriterion(_Input):
    """A pilot succeeds on this KPI when it reaches ``target`` in ``direction``."""

    kpi: str
    target: float
    direction: Direction


class PilotCreate(_Input):
    title: str
    scope: str
    success_criteria: list[SuccessCriterion]
    start_date: date
    end_date: date
    status: PilotStatus = PilotStatus.PLANNED


class PilotUpdate(_Input):
    title: str | None = None
    scope: str | None = None
    success_criteria: list[SuccessCriterion] | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: PilotStatus | None = None


class Pilot(_Output):
    title: str
    scope: str
    success_criteria: list[SuccessCriterion]
    start_date: date
    end_date: date
    status: PilotStatus


# -- decisions -------------------------------------------------------------------------------


class DecisionCreate(_Input):
    title: str
    decision: str
    decided_on: date
    decided_by: str
    rationale: str = ""


class DecisionUpdate(_Input):
    title: str | None = None
    decision: str | None = None
    decided_on: date | None = None
    decided_by: str | None = None
    rationale: str | None = None


class Decision(_Output):
    title: str
    decision: str
    decided_on: date
    decided_by: str
    rationale: str


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Build an input model from untyped data (a form, JSON), raising :class:`InputError` that
    names the first offending field instead of pydantic's ValidationError."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise validation_error(exc, model.__name__) from exc


def validation_error(exc: ValidationError, what: str) -> InputError:
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    others = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[1:4])
    return InputError(
        f"{what}: {field or 'input'} is not valid: {first['msg']}",
        where=Location(field=field),
        found=repr(first.get("input"))[:200] + (f" (also: {others})" if others else ""),
        expected=first["msg"],
        fix=f"correct the field '{field}'",
    )
