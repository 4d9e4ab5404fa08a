"""Typed inputs (``*Create``, ``*Update``) and outputs of the programme model.

Inputs are pydantic models so the web layer can use them as request bodies and derive its forms
from them: each field's rules (not blank, 1-5, finite, at most two decimals) are written once, in
its annotation, and read by the validation, the JSON schema and the forms. The use cases in
``civicflow.app.programme`` re-validate the merged state and raise :class:`InputError` naming the
field, so every caller gets the same messages.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

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


class TrainingStatus(enum.StrEnum):
    PLANNED = "planned"
    BOOKED = "booked"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PilotStatus(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"


# -- field types: each constraint once, read by the validation, the JSON schema and the forms ------

_NOT_BLANK = r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""A character that whitespace stripping keeps (pydantic strips Unicode White_Space): the JSON
schema of a required text says what the validation does, that a blank text is refused."""

MAX_MAGNITUDE = 10**12
"""The largest KPI value, target or amount accepted: beyond any real one, well inside what the
database stores exactly (``Numeric(16, 2)``) and what JSON round-trips."""


@dataclass(frozen=True, slots=True)
class Explain:
    """How an invalid value of a field is reported: ``what`` (``{field}`` is replaced by the field's
    name) and ``expected``, for the pydantic error types listed (every type when empty)."""

    what: str
    expected: str
    types: frozenset[str] = frozenset()


def text(
    title: str | None = None,
    *,
    limit: int = 200,
    hint: str | None = None,
    area: bool = False,
    optional: bool = False,
) -> Any:
    """A text field: required ones must not be blank (after stripping); ``area`` asks the forms for
    a multi-line box."""
    extra: dict[str, Any] | None = {"x-widget": "textarea"} if area else None
    if optional:
        return Field(title=title, description=hint, max_length=limit, json_schema_extra=extra)
    return Field(
        title=title,
        description=hint,
        min_length=1,
        max_length=limit,
        pattern=_NOT_BLANK,
        json_schema_extra=extra,
    )


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    return value


Scale = Annotated[
    int,
    Field(ge=1, le=5),
    BeforeValidator(_no_bool),
    Explain("{field} must be on the 1-5 scale", "an integer 1 (lowest) to 5 (highest)"),
]
"""An integer 1 (lowest) to 5 (highest)."""

Measure = Annotated[
    float,
    Field(allow_inf_nan=False, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE),
    BeforeValidator(_no_bool),
]
"""A KPI value: finite, at most 10^12 either way."""


def _cents(value: Decimal) -> Decimal:
    """Two decimals, as the database keeps it (``Numeric(16, 2)``): the state recorded in the
    ledger when an amount is written (``900`` → ``900.00``) is the one read back later."""
    return value.quantize(Decimal("0.01"))


Amount = Annotated[
    Decimal,
    Field(allow_inf_nan=False, ge=0, le=MAX_MAGNITUDE, decimal_places=2),
    BeforeValidator(_no_bool),
    AfterValidator(_cents),
    Explain(
        "the amount must be zero or more",
        "a non-negative number",
        frozenset({"greater_than_equal"}),
    ),
    Explain(
        "the amount has more than two decimals",
        "an amount in the currency's units with at most 2 decimals",
        frozenset({"decimal_max_places"}),
    ),
]
"""Money in the currency's units: finite, 0 to 10^12, at most two decimals."""

Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR"),
    Explain(
        "the currency must be an ISO 4217 code",
        "three capital letters such as EUR, USD, GBP",
        frozenset({"string_pattern_mismatch"}),
    ),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Update(_Input):
    """The changes to an item: any of its kind's ``*Create`` fields, each optional (``None`` clears
    an optional field); only the fields given are changed. The ``*Update`` models are derived from
    the ``*Create`` models (:func:`updating`), so a field and its rules are written once."""

    if TYPE_CHECKING:  # the fields are built at run time, so a type checker sees keywords only

        def __init__(self, **data: Any) -> None: ...


def updating(model: type[BaseModel], *, fixed: tuple[str, ...] = ()) -> type[Update]:
    """The ``*Update`` model of ``model``: its fields but ``fixed`` ones (set once, at creation),
    each optional with the same rules."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in fixed:
            continue
        inner = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        fields[name] = (
            Optional[inner],  # noqa: UP045 - a runtime-built annotation
            Field(None, title=info.title, description=info.description,
                  json_schema_extra=info.json_schema_extra),
        )  # fmt: skip
    name = model.__name__.removesuffix("Create") + "Update"
    return create_model(name, __base__=Update, __module__=__name__, __doc__=model.__doc__, **fields)


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

    title: Annotated[str, text()]
    kpi: Annotated[
        str, text("KPI", limit=64, hint="a KPI definition name, e.g. throughput_median_days")
    ]
    baseline_name: Annotated[
        str, text("Baseline", limit=64, hint="the frozen baseline it starts from")
    ]
    baseline_value: Measure
    target_value: Measure
    direction: Direction
    due_date: date
    description: Annotated[str, text(limit=5000, area=True, optional=True)] = ""


class ProgressChange(BaseModel):
    """Whether the latest measurement differs from the reference baseline beyond noise: the same
    verdict as ``civicflow baseline compare`` (``mining.ChangeThresholds``: material at 5 % and
    the unit's absolute threshold; Mann-Whitney U or a two-proportion z-test at 0.05)."""

    assessment: str
    """better, worse, changed, no material change or not comparable."""
    material: bool
    test: str | None = None
    p_value: float | None = None
    significant: bool | None = None
    """None when no test was run (see ``note``)."""
    note: str = ""

    @property
    def words(self) -> str:
        """The verdict in a few words, for a page."""
        return f"{self.assessment}: {self.note}" if self.material and self.note else self.assessment


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
    latest_change: ProgressChange | None = None
    """Whether the latest measurement's change from the reference baseline is material and
    significant (a measurement by a later baseline of the same scope); None when typed in."""

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        if out.get("latest_change") is None:
            out.pop("latest_change", None)  # the state objectives were recorded with before
        return out

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
    change: ProgressChange | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def objective_progress(*, baseline: float, target: float, latest: float | None) -> float | None:
    """(latest - baseline) / (target - baseline): the direction is in the sign of the span."""
    if latest is None or target == baseline:
        return None
    return (latest - baseline) / (target - baseline)


# -- stakeholders and consultations ----------------------------------------------------------


class StakeholderCreate(_Input):
    name: Annotated[str, text()]
    kind: StakeholderKind
    interest: Annotated[Scale, Field(title="Interest (1-5)")]
    influence: Annotated[Scale, Field(title="Influence (1-5)")]
    organisation: Annotated[str, text(optional=True)] = ""
    notes: Annotated[str, text(limit=5000, area=True, optional=True)] = ""


class Stakeholder(_Output):
    name: str
    kind: StakeholderKind
    interest: int
    influence: int
    organisation: str
    notes: str


class ConsultationCreate(_Input):
    stakeholder_id: Annotated[str, text("Stakeholder", limit=64)]
    held_on: date
    summary: Annotated[str, text(limit=10000, area=True)]
    outcome: Annotated[str, text(limit=10000, area=True, optional=True)] = ""


class Consultation(_Output):
    stakeholder_id: str
    held_on: date
    summary: str
    outcome: str


# -- communications --------------------------------------------------------------------------


class CommunicationCreate(_Input):
    """A message to citizens about a changed service."""

    title: Annotated[str, text()]
    channel: Channel
    audience: Annotated[str, text(hint="who it is for, e.g. permit applicants")]
    planned_date: date
    message: Annotated[str, text(limit=20000, area=True)]
    status: CommunicationStatus = CommunicationStatus.PLANNED


class Communication(_Output):
    title: str
    channel: Channel
    audience: str
    planned_date: date
    message: str
    status: CommunicationStatus


# -- budget ----------------------------------------------------------------------------------


class BudgetLineCreate(_Input):
    title: Annotated[str, text()]
    category: BudgetCategory
    recurrence: Recurrence
    amount: Amount
    currency: Currency
    start_date: date
    period: Annotated[Period | None, Field(description="recurring lines only")] = None
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
    title: Annotated[str, text()]
    likelihood: Annotated[Scale, Field(title="Likelihood (1-5)")]
    impact: Annotated[Scale, Field(title="Impact (1-5)")]
    owner: Annotated[str, text()]
    mitigation: Annotated[str, text(limit=10000, area=True, optional=True)] = ""
    description: Annotated[str, text(limit=10000, area=True, optional=True)] = ""
    status: RiskStatus = RiskStatus.OPEN


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
    """A pilot succeeds on this KPI when it reaches ``target`` in ``direction``; ``objective_id``
    ties it to an objective of the programme measured by the same KPI."""

    kpi: Annotated[str, text("KPI", limit=64)]
    target: Measure
    direction: Direction
    objective_id: Annotated[
        str, text("Objective", limit=64, optional=True, hint="the objective it serves (its id)")
    ] = ""


_FILTER_HINT = (
    'a filter stack as JSON ({"steps": [...]}, as the filter panel saves it) or the name of a '
    "saved filter set"
)


class PilotCreate(_Input):
    title: Annotated[str, text()]
    scope: Annotated[str, text(limit=10000, area=True)]
    success_criteria: Annotated[list[SuccessCriterion], Field(title="Success criterion")]
    start_date: date
    end_date: date
    status: PilotStatus = PilotStatus.PLANNED
    dataset: Annotated[
        str, text("Dataset", limit=64, optional=True, hint="the dataset it is evaluated on")
    ] = ""
    scope_filter: Annotated[
        str,
        text("Scope filter", limit=20000, area=True, optional=True,
             hint=f"the pilot's cases: {_FILTER_HINT}; empty: every case"),
    ] = ""  # fmt: skip
    control_filter: Annotated[
        str,
        text("Control group filter", limit=20000, area=True, optional=True,
             hint=f"comparable cases without the pilot: {_FILTER_HINT}; empty: no control group"),
    ] = ""  # fmt: skip
    baseline_start: Annotated[
        date | None, Field(description="empty: as many days just before the pilot")
    ] = None
    baseline_end: date | None = None


_DESIGN = ("dataset", "scope_filter", "control_filter", "baseline_start", "baseline_end",
           "evaluation")  # fmt: skip
"""A pilot's design and evaluation (migration 0006): left out of its state while empty, so the
state of a pilot recorded before them is unchanged."""


class Pilot(_Output):
    title: str
    scope: str
    success_criteria: list[SuccessCriterion]
    start_date: date
    end_date: date
    status: PilotStatus
    dataset: str = ""
    scope_filter: str = ""
    control_filter: str = ""
    baseline_start: date | None = None
    baseline_end: date | None = None
    evaluation: dict[str, Any] | None = None
    """The latest evaluation (``civicflow.planning.PilotEvaluation`` as JSON, with when and on
    which dataset fingerprint), None before the first."""

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        for key in _DESIGN:
            if not out.get(key):
                out.pop(key, None)
        for criterion in out.get("success_criteria") or []:
            if not criterion.get("objective_id"):
                criterion.pop("objective_id", None)
        return out


# -- training plans ----------------------------------------------------------------------------


class TrainingPlanCreate(_Input):
    """Training for people of a role: a course, when, its status and cost (to plan training and
    redeployment for a change)."""

    role: Annotated[str, text(limit=200, hint="the role whose people take the course")]
    course: Annotated[str, text()]
    start_date: date
    end_date: date
    status: TrainingStatus = TrainingStatus.PLANNED
    people: Annotated[int, Field(ge=1, le=100_000, description="how many take it"),
                      BeforeValidator(_no_bool)] = 1  # fmt: skip
    cost: Amount = Decimal("0")
    currency: Currency = "EUR"
    notes: Annotated[str, text(limit=5000, area=True, optional=True)] = ""


class TrainingPlan(_Output):
    role: str
    course: str
    start_date: date
    end_date: date
    status: TrainingStatus
    people: int
    cost: Decimal
    currency: str
    notes: str


# -- decisions of the programme ---------------------------------------------------------------


class ProgrammeDecisionCreate(_Input):
    """A decision taken in the programme (by a person or a board): a record, not an automated
    decision."""

    title: Annotated[str, text()]
    decision: Annotated[str, text(limit=20000, area=True)]
    decided_on: date
    decided_by: Annotated[str, text(hint="the person or board that decided")]
    rationale: Annotated[str, text(limit=20000, area=True, optional=True)] = ""


class ProgrammeDecision(_Output):
    title: str
    decision: str
    decided_on: date
    decided_by: str
    rationale: str


if TYPE_CHECKING:
    ObjectiveUpdate = Update
    StakeholderUpdate = Update
    ConsultationUpdate = Update
    CommunicationUpdate = Update
    BudgetLineUpdate = Update
    RiskUpdate = Update
    PilotUpdate = Update
    ProgrammeDecisionUpdate = Update
    TrainingPlanUpdate = Update
else:
    ObjectiveUpdate = updating(ObjectiveCreate)
    StakeholderUpdate = updating(StakeholderCreate)
    ConsultationUpdate = updating(ConsultationCreate, fixed=("stakeholder_id",))
    CommunicationUpdate = updating(CommunicationCreate)
    BudgetLineUpdate = updating(BudgetLineCreate)
    RiskUpdate = updating(RiskCreate)
    PilotUpdate = updating(PilotCreate)
    ProgrammeDecisionUpdate = updating(ProgrammeDecisionCreate)
    TrainingPlanUpdate = updating(TrainingPlanCreate)


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Mapping[str, Any], *, label: str = "") -> M:
    """Build an input model from untyped data (a form, JSON), raising :class:`InputError` that
    names the first offending field instead of pydantic's ValidationError (its message begins
    with ``label``, the model's name by default)."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise validation_error(exc, model, label) from exc


_MESSAGES = {
    "missing": ("{field} is required", "a value"),
    "string_too_short": ("{field} must not be empty", "some text, not only spaces"),
    "string_pattern_mismatch": ("{field} must not be empty", "some text, not only spaces"),
    "string_too_long": ("{field} is too long", "at most {max_length} characters"),
    "finite_number": ("{field} must be a finite number", "a finite number (not NaN or infinity)"),
    "greater_than_equal": ("{field} is too small", "a number of at least {ge}"),
    "less_than_equal": ("{field} is too large", "a number of at most {le}"),
}


def _notes(info: FieldInfo | None) -> list[Any]:
    """A field's metadata, also where an ``*Update`` model wraps it in ``Optional``."""
    if info is None:
        return []
    inner = [a for arg in get_args(info.annotation) for a in getattr(arg, "__metadata__", ())]
    return [*info.metadata, *inner]


def _finite(value: Any) -> bool:
    """Whether ``value`` is finite as written ("1e309" is, though a float makes it infinity)."""
    try:
        return Decimal(str(value)).is_finite()
    except ArithmeticError:
        return True  # not a number at all: another error than infinity


def _explain(model: type[BaseModel], error: ErrorDetails) -> tuple[str, str] | None:
    loc = error["loc"]
    kind = error["type"]
    if kind in ("greater_than_equal", "less_than_equal") and not _finite(error.get("input")):
        kind = "finite_number"  # "nan" or "1e309" as text reaches the bounds first
    for note in _notes(model.model_fields.get(str(loc[0])) if loc else None):
        if isinstance(note, Explain) and (not note.types or kind in note.types):
            return note.what, note.expected
    return _MESSAGES.get(kind)


def validation_error(exc: ValidationError, model: type[BaseModel], label: str = "") -> InputError:
    """Pydantic's first error as an :class:`InputError` naming the field, in the words of the
    field's :class:`Explain` or of the error's type."""
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    others = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[1:4])
    name = (field or "input").replace("_", " ")
    what, expected = _explain(model, first) or ("{field} is not valid", first["msg"])
    context = {"field": name, **{k: v for k, v in (first.get("ctx") or {}).items()}}
    return InputError(
        f"{label or model.__name__}: {what.format_map(context)}",
        where=Location(field=field),
        found=repr(first.get("input"))[:200] + (f" (also: {others})" if others else ""),
        expected=expected.format_map(context),
        fix=f"correct the field '{field}'",
    )
