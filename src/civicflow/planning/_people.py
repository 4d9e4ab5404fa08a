"""People and change: the working hours each role and team spends on the process, the hours a
scenario frees, their full-time equivalents, and the training a change needs.

Presented to plan training and redeployment: hours freed are hours for other work, an FTE is a
unit of working time, never a count of people to let go.

Methods, stated once:

- Hours per role and team: the handling (service) time of every activity instance with a
  resource (from its start to its end event: the elapsed time, or only the working time of a
  ``WorkingCalendar`` when one is given; logs without start times have none and are refused),
  summed per role and per team, divided by the years the view spans (its first to its
  last event, at least one day). A resource's role is the table's entry for it, else the most
  frequent value of the role attribute on its events; a resource with neither is "unassigned".
  Teams the same way.
- FTE = hours a year / ``hours_per_fte`` (the stated productive hours of one full-time year,
  1,600 by default).
- Hours freed by a scenario: per pool of the simulation model, the as-is minus the scenario's
  working hours a week (``ScenarioComparison.workload_hours_per_week``), times ``weeks_per_year``;
  the interval is the paired difference's 95 % interval (common random numbers). A pool is a
  role unless ``pool_roles`` says otherwise.
- Training needs: per role and skill, ``max(0, needed − available)`` people to train, times the
  course's cost per person.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from civicflow.core import ConfigurationError, InputError, Location, Record
from civicflow.eventlog import RESOURCE, TIMESTAMP
from civicflow.mining import WorkingCalendar
from civicflow.mining._activities import activity_instances

if TYPE_CHECKING:
    from civicflow.mining import LogView
    from civicflow.planning._comparison import ScenarioComparison

UNASSIGNED = "unassigned"
DEFAULT_HOURS_PER_FTE = 1600.0
PEOPLE_NOTE = (
    "hours freed are working time for other tasks (training, redeployment, backlog, service "
    "quality); an FTE is a unit of working time, not a number of people"
)


def _check_positive(name: str, value: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ConfigurationError(
            f"{name} must be a positive number",
            where=Location(field=name),
            found=repr(value),
            expected="a finite number above 0",
            fix=f"pass e.g. {name}={DEFAULT_HOURS_PER_FTE:g}"
            if name == "hours_per_fte"
            else f"pass {name} above 0",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PeopleConfig:
    """Where roles and teams come from, and what one FTE-year is."""

    role_attribute: str | None = "role"
    """The event attribute naming the resource's role (None: only the table)."""
    roles: Mapping[str, str] = field(default_factory=dict)
    """resource → role; wins over the attribute."""
    team_attribute: str | None = None
    teams: Mapping[str, str] = field(default_factory=dict)
    """resource → team; wins over the attribute."""
    hours_per_fte: float = DEFAULT_HOURS_PER_FTE
    """Productive hours of one full-time year."""
    calendar: WorkingCalendar | None = None
    """Count only the working time between an instance's start and end (a task left open
    overnight does not count the night); None: the elapsed time."""

    def __post_init__(self) -> None:
        _check_positive("hours_per_fte", self.hours_per_fte)
        for name in ("roles", "teams"):
            for resource, value in getattr(self, name).items():
                if not str(resource).strip() or not str(value).strip():
                    raise ConfigurationError(
                        f"the {name} table has an empty entry",
                        where=Location(field=name),
                        found=f"{resource!r} → {value!r}",
                        expected="resource → name, both not empty",
                        fix=f"remove or complete the entry in {name}",
                    )


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupHours(Record):
    """The working hours a role (or team) spends on the process."""

    _json = True
    name: str
    resources: int
    instances: int
    hours: float
    """Handling hours in the whole view."""
    hours_per_year: float
    fte: float
    share: float
    """Of all handling hours."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PeopleHours(Record):
    """Hours per role and per team per year, busiest first."""

    _json = True
    roles: tuple[GroupHours, ...]
    teams: tuple[GroupHours, ...]
    years: float
    """The span of the view in years (365.25 days)."""
    hours_per_fte: float
    instances_without_time: int
    """Activity instances with a resource but no start time (not counted)."""
    basis: str = "elapsed time"
    """How an instance's handling time is counted: ``elapsed time`` from its start to its end,
    or ``working time of the calendar``."""
    note: str = PEOPLE_NOTE

    def role(self, name: str) -> GroupHours:
        for r in self.roles:
            if r.name == name:
                return r
        raise InputError(
            f"no role '{name}' in the log",
            where=Location(field="role"),
            found=name,
            expected="one of: " + ", ".join(r.name for r in self.roles),
        )


def _assign(
    table: Mapping[str, str], attribute: str | None, view: LogView, *, field_name: str
) -> dict[str, str]:
    """resource → group, from the table, else the attribute's most frequent value."""
    out: dict[str, str] = {}
    events = view.events
    if attribute is not None and attribute not in events.columns and table:
        attribute = None  # the table says it all: resources not in it are "unassigned"
    if attribute is not None:
        if attribute not in events.columns:
            raise InputError(
                f"the log has no attribute '{attribute}'",
                where=Location(field=field_name),
                found=attribute,
                expected="one of: " + ", ".join(events.columns),
                fix="name the attribute that holds it, give a resource table, or pass "
                f"{field_name}=None (on the command line --{field_name.replace('_', '-')} '')",
            )
        known = events.filter(events[RESOURCE].notnull() & events[attribute].notnull())
        counts = view.execute(
            known.group_by([RESOURCE, attribute]).aggregate(n=known.count())
        ).sort_values(["n", attribute], ascending=[False, True])
        for resource, value in zip(counts[RESOURCE], counts[attribute], strict=True):
            out.setdefault(str(resource), str(value))
    out.update({str(k): str(v) for k, v in table.items()})
    return out


def _groups(
    hours: Any, mapping: dict[str, str], years: float, per_fte: float, total: float
) -> tuple[GroupHours, ...]:
    frame = hours.assign(group=[mapping.get(r, UNASSIGNED) for r in hours["resource"]])
    agg = frame.groupby("group").agg(
        resources=("resource", "nunique"), instances=("instances", "sum"), hours=("hours", "sum")
    )
    rows = [
        GroupHours(
            name=str(name),
            resources=int(r.resources),
            instances=int(r.instances),
            hours=float(r.hours),
            hours_per_year=float(r.hours) / years,
            fte=float(r.hours) / years / per_fte,
            share=float(r.hours) / total if total else 0.0,
        )
        for name, r in agg.iterrows()
    ]
    return tuple(sorted(rows, key=lambda g: (-g.hours, g.name)))


def people_hours(view: LogView, config: PeopleConfig | None = None) -> PeopleHours:
    """Handling hours per role and per team per year, with FTE equivalents (see the module)."""
    config = config or PeopleConfig()
    inst = activity_instances(view.events)
    known = inst.filter(inst[RESOURCE].notnull())
    frame = view.execute(known.select(RESOURCE, "start", "end", "service_us"))
    timed = frame[frame["service_us"].notna()]
    untimed = len(frame) - len(timed)
    if timed.empty:
        raise InputError(
            "the log has no handling time: no activity instance with a resource has a start time",
            where=Location(field="start_timestamp"),
            found=f"{untimed} instances with a resource, none with a start time",
            expected="events with a start_timestamp (or lifecycle start/complete pairs) and a "
            "resource",
            fix="map the start time column at ingest (e.g. --start-timestamp)",
        )
    if config.calendar is not None:
        seconds = config.calendar.working_seconds_between(timed["start"], timed["end"])
    else:
        seconds = timed["service_us"].to_numpy(dtype=np.float64) / 1e6
    per_resource = (
        pd.DataFrame({"resource": timed[RESOURCE].astype(str).to_numpy(), "hours": seconds / 3600})
        .groupby("resource")
        .agg(hours=("hours", "sum"), instances=("hours", "size"))
        .reset_index()
    )
    events = view.events
    span = view.execute(events.aggregate(lo=events[TIMESTAMP].min(), hi=events[TIMESTAMP].max()))
    elapsed = (span["hi"].iloc[0] - span["lo"].iloc[0]).total_seconds()
    years = max(elapsed, 86400.0) / (365.25 * 86400.0)
    total = float(per_resource["hours"].sum())
    roles = _assign(config.roles, config.role_attribute, view, field_name="role_attribute")
    teams = _assign(config.teams, config.team_attribute, view, field_name="team_attribute")
    per_fte = config.hours_per_fte
    return PeopleHours(
        roles=_groups(per_resource, roles, years, per_fte, total),
        teams=_groups(per_resource, teams, years, per_fte, total)
        if (config.teams or config.team_attribute)
        else (),
        years=years,
        hours_per_fte=per_fte,
        instances_without_time=untimed,
        basis="working time of the calendar" if config.calendar is not None else "elapsed time",
    )


# -- hours freed by a scenario ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleFreed(Record):
    """Working hours a scenario frees (positive) or adds (negative) in one role, per year."""

    _json = True
    role: str
    as_is_hours_per_year: float
    scenario_hours_per_year: float
    hours_freed_per_year: float
    low: float
    high: float
    """95 % interval of the hours freed (paired over replications); nan when unknown."""
    fte: float
    share: float | None
    """Of the role's as-is hours."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HoursFreed(Record):
    """Hours freed per role by a scenario, most affected first."""

    _json = True
    scenario: str
    roles: tuple[RoleFreed, ...]
    hours_per_fte: float
    weeks_per_year: float
    note: str = PEOPLE_NOTE

    @property
    def total_hours_per_year(self) -> float:
        return sum(r.hours_freed_per_year for r in self.roles)

    @property
    def total_fte(self) -> float:
        return self.total_hours_per_year / self.hours_per_fte

    def most_affected(self, n: int = 3) -> tuple[RoleFreed, ...]:
        """The roles whose working time changes most (freed or added), largest first."""
        return tuple(sorted(self.roles, key=lambda r: -abs(r.hours_freed_per_year))[:n])

    _extra = ("total_hours_per_year", "total_fte")


def hours_freed(
    comparison: ScenarioComparison,
    scenario: str,
    *,
    pool_roles: Mapping[str, str] | None = None,
    hours_per_fte: float = DEFAULT_HOURS_PER_FTE,
    weeks_per_year: float = 52.0,
) -> HoursFreed:
    """The working hours ``scenario`` frees per role and year against the as-is model."""
    _check_positive("hours_per_fte", hours_per_fte)
    _check_positive("weeks_per_year", weeks_per_year)
    outcome = comparison.outcome(scenario)
    mapping = dict(pool_roles or {})
    sums: dict[str, list[float]] = {}
    for pool, as_is in comparison.as_is.workload_hours_per_week.items():
        after = outcome.workload_hours_per_week.get(pool)
        diff = comparison.difference(scenario, f"workload:{pool}")
        row = sums.setdefault(mapping.get(pool, pool), [0.0, 0.0, 0.0, 0.0])
        row[0] += as_is.mean * weeks_per_year
        row[1] += (after.mean if after is not None else 0.0) * weeks_per_year
        # freed = as-is − scenario = −(scenario − as-is): the interval flips
        row[2] += (-diff.high if diff is not None else math.nan) * weeks_per_year
        row[3] += (-diff.low if diff is not None else math.nan) * weeks_per_year
    roles = [
        RoleFreed(
            role=role,
            as_is_hours_per_year=a,
            scenario_hours_per_year=b,
            hours_freed_per_year=a - b,
            low=lo,
            high=hi,
            fte=(a - b) / hours_per_fte,
            share=(a - b) / a if a else None,
        )
        for role, (a, b, lo, hi) in sums.items()
    ]
    roles.sort(key=lambda r: (-abs(r.hours_freed_per_year), r.role))
    return HoursFreed(
        scenario=scenario,
        roles=tuple(roles),
        hours_per_fte=hours_per_fte,
        weeks_per_year=weeks_per_year,
    )


# -- skills and training ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SkillRequirement(Record):
    """One row of a skills matrix: in ``role``, ``needed`` people need ``skill`` after the
    change, ``available`` have it; ``course`` teaches it at ``cost_per_person``."""

    _json = True
    role: str
    skill: str
    needed: int
    available: int
    course: str = ""
    cost_per_person: float = 0.0

    def __post_init__(self) -> None:
        for name in ("role", "skill"):
            if not str(getattr(self, name)).strip():
                raise InputError(
                    f"a skills matrix row has no {name}",
                    where=Location(field=name),
                    found=repr(getattr(self, name)),
                    expected=f"the {name}'s name",
                )
        for name in ("needed", "available"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(
                    f"{name} must be a whole number of people, 0 or more",
                    where=Location(field=name),
                    found=repr(value),
                    expected="an integer >= 0",
                    fix=f"correct {name} of {self.role} / {self.skill}",
                )
        cost = self.cost_per_person
        if (
            isinstance(cost, bool)
            or not isinstance(cost, int | float)
            or not (math.isfinite(cost) and cost >= 0)
        ):
            raise InputError(
                "the cost per person must be zero or more",
                where=Location(field="cost_per_person"),
                found=repr(cost),
                expected="a non-negative amount",
                fix=f"correct cost_per_person of {self.role} / {self.skill}",
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SkillRequirement:
        known = {"role", "skill", "needed", "available", "course", "cost_per_person"}
        extra = set(data) - known
        if extra:
            raise InputError(
                "a skills matrix row has unknown fields",
                where=Location(field=sorted(extra)[0]),
                found=", ".join(sorted(extra)),
                expected=", ".join(sorted(known)),
            )
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingNeed(Record):
    """People to train in one role and skill, and what it costs."""

    _json = True
    role: str
    skill: str
    course: str
    people: int
    cost_per_person: float
    cost: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingNeeds(Record):
    """The gaps of a skills matrix, largest cost first, and the total."""

    _json = True
    needs: tuple[TrainingNeed, ...]
    covered: tuple[str, ...]
    """``role / skill`` rows where enough people have the skill already."""

    @property
    def total_cost(self) -> float:
        return sum(n.cost for n in self.needs)

    @property
    def people(self) -> int:
        return sum(n.people for n in self.needs)

    _extra = ("total_cost", "people")


def training_needs(matrix: Sequence[SkillRequirement]) -> TrainingNeeds:
    """Per role and skill: ``max(0, needed − available)`` people to train, and the cost."""
    needs: list[TrainingNeed] = []
    covered: list[str] = []
    seen: set[tuple[str, str]] = set()
    for row in matrix:
        key = (row.role, row.skill)
        if key in seen:
            raise InputError(
                "the skills matrix names a role and skill twice",
                where=Location(field="skill"),
                found=f"{row.role} / {row.skill}",
                expected="one row per role and skill",
                fix="merge the two rows",
            )
        seen.add(key)
        gap = max(0, row.needed - row.available)
        if gap == 0:
            covered.append(f"{row.role} / {row.skill}")
            continue
        needs.append(
            TrainingNeed(
                role=row.role,
                skill=row.skill,
                course=row.course or row.skill,
                people=gap,
                cost_per_person=float(row.cost_per_person),
                cost=gap * float(row.cost_per_person),
            )
        )
    needs.sort(key=lambda n: (-n.cost, n.role, n.skill))
    return TrainingNeeds(needs=tuple(needs), covered=tuple(covered))
