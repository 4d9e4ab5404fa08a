"""The simulation model: a typed, versioned, human-readable JSON document an analyst can edit.

Parts: case arrivals (inter-arrival times with an hour-of-week and month-of-year rate profile and a
trend), control flow (a stochastic directly-follows model: from each activity, on its n-th visit
and optionally for one value of a case attribute, the probability of each next activity or of the
end), activities (the pool that does them, their duration), resource pools (size, working
calendar, cost per hour), case attributes (sampled as in the training data) and priorities.
Waiting is never an input: it emerges from the contention for the pools' resources.

``SimulationModel.from_json`` validates everything and names the field of the first problem
(``activities.Assess application.duration.params.sigma``). The schema is in docs/SIMULATION.md.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from civicflow.core import ConfigurationError, Location, check_timezone
from civicflow.mining import WorkingCalendar
from civicflow.planning._distributions import Distribution

SCHEMA_VERSION = 1
"""The version of the model document this civicflow reads and writes."""

END = "END"
"""The target of a transition that ends the case."""

_TOLERANCE = 1e-3


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ArrivalModel(_Part):
    """When cases arrive: gaps drawn from ``interarrival`` in *operational* seconds, where one
    operational second passes per real second times the rate multiplier of that moment
    (``hour_of_week`` x ``month_of_year`` x the trend). An exponential ``interarrival`` with a
    profile is a non-homogeneous Poisson process."""

    interarrival: Distribution
    hour_of_week: list[float] = Field(
        default_factory=lambda: [1.0] * 168,
        description="168 relative rates, Monday 00:00-01:00 first, in the model's time zone; mean 1",
    )
    month_of_year: list[float] = Field(
        default_factory=lambda: [1.0] * 12, description="12 relative rates, January first"
    )
    trend_per_year: float = Field(
        default=0.0, gt=-1.0, description="relative change of the rate per year (0.1 = +10 %)"
    )

    @field_validator("hour_of_week")
    @classmethod
    def _week(cls, v: list[float]) -> list[float]:
        return _profile(v, 168)

    @field_validator("month_of_year")
    @classmethod
    def _months(cls, v: list[float]) -> list[float]:
        return _profile(v, 12)

    @property
    def cases_per_week(self) -> float:
        """The average arrival rate (at the start, before the trend)."""
        mean = self.interarrival.mean
        return math.inf if mean <= 0 else 7 * 86_400 / mean


def _profile(values: list[float], size: int) -> list[float]:
    if len(values) != size:
        raise ValueError(f"needs {size} values, found {len(values)}")
    if any(not math.isfinite(x) or x < 0 for x in values) or sum(values) <= 0:
        raise ValueError("rates must be non-negative numbers, not all zero")
    return values


class Branching(_Part):
    """The next activity after ``from`` (on its ``visit``-th execution in the case, any visit when
    null; the highest visit level also covers later visits) for cases whose condition attribute
    is ``when`` (any value when null): probability per next activity, ``END`` for the end."""

    source: str = Field(validation_alias=AliasChoices("from", "source"), serialization_alias="from")
    visit: int | None = Field(default=None, ge=1)
    when: str | None = None
    cases: int = Field(default=0, ge=0, description="observations behind these probabilities")
    to: dict[str, float]

    @field_validator("to")
    @classmethod
    def _probabilities(cls, v: dict[str, float]) -> dict[str, float]:
        return _distribution_of_choices(v)


def _distribution_of_choices(v: dict[str, float]) -> dict[str, float]:
    if not v:
        raise ValueError("needs at least one choice")
    if any(not math.isfinite(p) or p < 0 or p > 1 for p in v.values()):
        raise ValueError("probabilities must be between 0 and 1")
    total = sum(v.values())
    if abs(total - 1.0) > _TOLERANCE:
        raise ValueError(f"probabilities must add up to 1, they add up to {total:.6g}")
    return v


class ControlFlow(_Part):
    """A stochastic directly-follows model over activities (loops included)."""

    start: dict[str, float] = Field(description="probability of each first activity")
    transitions: list[Branching]
    condition_attribute: str | None = Field(
        default=None, description="case attribute some transitions are conditioned on (`when`)"
    )
    visit_levels: int = Field(default=1, ge=1, description="highest `visit` the transitions use")

    @field_validator("start")
    @classmethod
    def _start(cls, v: dict[str, float]) -> dict[str, float]:
        return _distribution_of_choices(v)


class ActivityModel(_Part):
    """One activity: who does it and how long it takes."""

    pool: str | None = Field(
        default=None,
        description="resource pool that does it; null: nobody (automatic or the outside world), no queue",
    )
    duration: Distribution = Field(
        description="working seconds in the pool's calendar (elapsed seconds without a pool)"
    )
    fixed_cost: float = Field(default=0.0, ge=0.0, description="cost per execution, on top of time")
    max_visits: int | None = Field(
        default=None,
        ge=1,
        description="at most this many executions per case (1 removes its rework loop); null: no limit",
    )


class ResourcePool(_Part):
    """Interchangeable resources with one working calendar."""

    size: int = Field(ge=1)
    resources: list[str] = Field(
        default_factory=list, description="names seen in the log (the simulation names the rest)"
    )
    calendar: dict[str, Any] | None = Field(
        default=None,
        description="a WorkingCalendar (hours per weekday, timezone, country); null: always available",
    )
    cost_per_hour: float = Field(default=0.0, ge=0.0)

    @field_validator("calendar")
    @classmethod
    def _calendar(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is None:
            return None
        try:
            return WorkingCalendar.from_dict(v).to_dict()
        except ConfigurationError as exc:
            raise ValueError(f"{exc.what} ({exc.where}): expected {exc.expected}") from None

    def working_calendar(self) -> WorkingCalendar | None:
        return None if self.calendar is None else WorkingCalendar.from_dict(self.calendar)


class CaseAttribute(_Part):
    """A case attribute sampled independently as in the training data: a categorical share per
    value, or a numeric attribute's quantiles."""

    values: dict[str, float] | None = None
    quantiles: list[float] | None = None

    @model_validator(mode="after")
    def _one(self) -> CaseAttribute:
        if (self.values is None) == (self.quantiles is None):
            raise ValueError("give either values (categorical shares) or quantiles (numeric)")
        if self.values is not None:
            _distribution_of_choices(self.values)
        if self.quantiles is not None and (
            len(self.quantiles) < 2
            or any(b < a for a, b in zip(self.quantiles, self.quantiles[1:], strict=False))
        ):
            raise ValueError("quantiles must be at least two non-decreasing numbers")
        return self


class Priority(_Part):
    """Queue order: a lower level goes first; equal levels first come, first served."""

    attribute: str
    levels: dict[str, int] = Field(description="level per attribute value; other values: 0")


class SimulationModel(_Part):
    """The whole model. ``to_json``/``from_json`` give the document of docs/SIMULATION.md."""

    schema_version: int = SCHEMA_VERSION
    name: str = "simulation model"
    timezone: str = Field(default="UTC", description="zone of the hour-of-week profile")
    start: datetime | None = Field(
        default=None, description="when a simulation starts by default (the end of training)"
    )
    source: dict[str, Any] = Field(default_factory=dict, description="provenance")
    arrivals: ArrivalModel
    control_flow: ControlFlow
    activities: dict[str, ActivityModel]
    pools: dict[str, ResourcePool] = Field(default_factory=dict)
    case_attributes: dict[str, CaseAttribute] = Field(default_factory=dict)
    priority: Priority | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            check_timezone(v, field="timezone")
        except ConfigurationError:
            raise ValueError(f"unknown time zone '{v}'") from None
        return v

    @model_validator(mode="after")
    def _references(self) -> SimulationModel:
        known = set(self.activities)
        for name, activity in self.activities.items():
            if activity.pool is not None and activity.pool not in self.pools:
                raise _reference(f"activities.{name}.pool", activity.pool, self.pools, "pool")
        for name in self.control_flow.start:
            if name not in known:
                raise _reference(f"control_flow.start.{name}", name, known, "activity")
        cond = self.control_flow.condition_attribute
        if cond is not None and cond not in self.case_attributes:
            raise _reference(
                "control_flow.condition_attribute", cond, self.case_attributes, "case attribute"
            )
        seen: set[tuple[str, int | None, str | None]] = set()
        for i, b in enumerate(self.control_flow.transitions):
            where = f"control_flow.transitions[{i}]"
            if b.source not in known:
                raise _reference(f"{where}.from", b.source, known, "activity")
            for target in b.to:
                if target != END and target not in known:
                    raise _reference(f"{where}.to.{target}", target, [*known, END], "activity")
            if b.when is not None and cond is None:
                raise _problem(
                    f"{where}.when",
                    b.when,
                    "null: the control flow has no condition_attribute",
                    "set control_flow.condition_attribute or remove `when`",
                )
            if b.visit is not None and b.visit > self.control_flow.visit_levels:
                raise _problem(
                    f"{where}.visit",
                    b.visit,
                    f"at most visit_levels ({self.control_flow.visit_levels})",
                    "raise control_flow.visit_levels or lower the visit",
                )
            key = (b.source, b.visit, b.when)
            if key in seen:
                raise _problem(
                    where,
                    f"{b.source} visit {b.visit} when {b.when}",
                    "one row per (from, visit, when)",
                    "merge the duplicate rows",
                )
            seen.add(key)
        fallback = {
            b.source for b in self.control_flow.transitions if b.visit is None and b.when is None
        }
        for name in sorted(known - fallback):
            raise _problem(
                "control_flow.transitions",
                f"no row for '{name}' with visit and when null",
                "one row per activity that holds for any visit and any case",
                f'add {{"from": "{name}", "to": {{"END": 1.0}}}} or the real next activities',
            )
        if self.priority is not None and self.priority.attribute not in self.case_attributes:
            raise _reference(
                "priority.attribute",
                self.priority.attribute,
                self.case_attributes,
                "case attribute",
            )
        return self

    # --- the document ---
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self, path: Path | str | None = None) -> str:
        """The model as indented JSON; written to ``path`` too when given."""
        text = _compact_numbers(json.dumps(self.to_dict(), indent=2, ensure_ascii=False)) + "\n"
        if path is not None:
            target = Path(path)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        return text

    @classmethod
    def from_json(cls, source: str | Path, *, file: str | None = None) -> SimulationModel:
        """Read and validate a model document (JSON text or a path to one).

        Raises :class:`ConfigurationError` naming the field of the first problem.
        """
        text = source
        if isinstance(source, Path) or (
            isinstance(source, str) and not source.lstrip().startswith("{")
        ):
            path = Path(source)
            file = file or str(path)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(
                    "cannot read the simulation model",
                    where=Location(file=file),
                    found=str(exc),
                    expected="a readable JSON file",
                    fix="check the path",
                ) from exc
        try:
            data = json.loads(str(text))
        except json.JSONDecodeError as exc:
            raise ConfigurationError(
                "the simulation model is not valid JSON",
                where=Location(file=file, line=exc.lineno),
                found=exc.msg,
                expected="a JSON object (see docs/SIMULATION.md)",
                fix="fix the JSON syntax at that line",
            ) from exc
        return cls.from_dict(data, file=file)

    @classmethod
    def from_dict(cls, data: Any, *, file: str | None = None) -> SimulationModel:
        if not isinstance(data, dict):
            raise ConfigurationError(
                "the simulation model must be a JSON object",
                where=Location(file=file),
                found=type(data).__name__,
                expected="an object with schema_version, arrivals, control_flow, activities",
                fix="see docs/SIMULATION.md",
            )
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ConfigurationError(
                "this simulation model has another schema version",
                where=Location(file=file, field="schema_version"),
                found=repr(version),
                expected=str(SCHEMA_VERSION),
                fix="export the model again with this civicflow, or upgrade civicflow",
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            path = _path(first["loc"])
            more = exc.error_count() - 1
            raise ConfigurationError(
                "the simulation model is not valid"
                + (
                    f" ({more} more problem{'s' if more > 1 else ''} after this one)"
                    if more
                    else ""
                ),
                where=Location(file=file, field=path or None),
                found=_found(first.get("input")),
                expected=first["msg"],
                fix="correct that field (the schema is in docs/SIMULATION.md)",
            ) from None
        except ConfigurationError as exc:
            if file is not None and exc.where is not None:
                exc.where = Location(file=file, field=exc.where.field)
                exc.args = (exc.describe(),)
            raise

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of the document."""
        return cls.model_json_schema(by_alias=True)

    # --- conveniences ---
    def branching(
        self, source: str, *, visit: int | None = None, when: str | None = None
    ) -> dict[str, float]:
        """The probabilities of the row ``(source, visit, when)``, falling back as the engine does:
        (visit, when) -> (visit, any) -> (any, when) -> (any, any)."""
        rows = {(b.source, b.visit, b.when): b.to for b in self.control_flow.transitions}
        if visit is not None:
            visit = min(visit, self.control_flow.visit_levels)
        for key in ((source, visit, when), (source, visit, None), (source, None, when)):
            if key in rows:
                return dict(rows[key])
        return dict(rows[(source, None, None)])


_NUMBERS = re.compile(r"\[(\s*-?[0-9][0-9.eE+\-]*(?:,\s*-?[0-9][0-9.eE+\-]*)*)\s*\]")


def _compact_numbers(text: str) -> str:
    """Lists of numbers on one line (24 a line: the hour-of-week profile is a day a line)."""

    def join(match: re.Match[str]) -> str:
        items = [x.strip() for x in match.group(1).split(",")]
        if len(items) <= 24:
            return "[" + ", ".join(items) + "]"
        start = text.rfind("\n", 0, match.start()) + 1
        indent = " " * (
            len(text[start : match.start()]) - len(text[start : match.start()].lstrip()) + 2
        )
        rows = [", ".join(items[i : i + 24]) for i in range(0, len(items), 24)]
        return "[\n" + indent + (",\n" + indent).join(rows) + "\n" + indent[:-2] + "]"

    return _NUMBERS.sub(join, text)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _found(value: Any) -> str:
    try:
        return json.dumps(value, default=str)[:200]
    except (TypeError, ValueError):
        return repr(value)[:200]


def _problem(field: str, found: Any, expected: str, fix: str) -> ConfigurationError:
    return ConfigurationError(
        "the simulation model is not valid",
        where=Location(field=field),
        found=str(found),
        expected=expected,
        fix=fix,
    )


def _reference(field: str, found: str, known: Any, what: str) -> ConfigurationError:
    names = sorted(str(k) for k in known)
    shown = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
    return _problem(
        field,
        found,
        f"a known {what}: {shown or '(none defined)'}",
        f"use one of the model's {what} names or define it",
    )
