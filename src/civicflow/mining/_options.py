"""Filter and SLA/calendar options: one set of names, read the same way from command-line options,
web query parameters and stored JSON.

Each option is described once (:data:`FILTER_OPTIONS`, :data:`SLA_OPTIONS`): its name (the field
of :class:`FilterOptions` / :class:`SlaOptions` and the web's query parameter) and its command-line
flag. ``FilterOptions.to_filter()`` gives the typed :class:`EventLogFilter`, ``SlaOptions.to_config()``
the typed :class:`SlaConfig`; both of those have ``to_dict`` and ``from_dict`` for stored JSON
(baselines). An error names the option as the door spelled it (``--target`` on the command line,
``target`` in a query string).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, cast

from civicflow.core import InputError, Location
from civicflow.eventlog import RESOURCE
from civicflow.mining._calendar import WorkingCalendar
from civicflow.mining._filters import (
    TIME_MODES,
    AttributeStep,
    BetweenStep,
    EndpointStep,
    FilterStack,
    FilterStep,
    FollowsStep,
    VariantStep,
)
from civicflow.mining._sla import SlaConfig
from civicflow.mining._view import EventLogFilter

if TYPE_CHECKING:
    from civicflow.mining._view import LogView

Door = Literal["cli", "query"]
"""Where options come from: command-line options or web query parameters."""

DAY = 86400.0
_UNIT_SECONDS = {"w": 604800.0, "d": DAY, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|min|m|s)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionSpec:
    """One option: its name (field and query parameter), command-line flag(s) and help."""

    name: str
    flags: tuple[str, ...]
    """Command-line spellings, the first one preferred."""
    help: str
    type: type[str] | type[float] = str
    """The value's type on the command line."""
    many: bool = False
    """Repeatable (a list of values)."""
    query_aliases: tuple[str, ...] = ()
    """Older query-parameter names the web still reads (its forms use them)."""

    @property
    def flag(self) -> str:
        return self.flags[0]

    def spelled(self, door: Door) -> str:
        return self.flag if door == "cli" else self.name


FILTER_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(name="start", flags=("--from",),
               help="Start of the time window (ISO date or date-time)."),
    OptionSpec(name="end", flags=("--to",), help="End of the time window (exclusive)."),
    OptionSpec(name="time_mode", flags=("--time-mode",),
               help="How a case meets the window: intersecting, contained, started or completed."),
    OptionSpec(name="where", flags=("--where",), many=True,
               help="Case attribute condition attribute=value (repeatable)."),
    OptionSpec(name="variant", flags=("--variant",), many=True,
               help="Keep only this variant id (repeatable)."),
    OptionSpec(name="with_activity", flags=("--with-activity",), many=True,
               query_aliases=("present",),
               help="Keep cases that contain this activity (repeatable)."),
    OptionSpec(name="without_activity", flags=("--without-activity",), many=True,
               query_aliases=("absent",),
               help="Drop cases that contain this activity (repeatable)."),
    OptionSpec(name="min_throughput", flags=("--min-throughput",), query_aliases=("min_days",),
               help="Keep cases lasting at least this long (3d, 12h, 90min)."),
    OptionSpec(name="max_throughput", flags=("--max-throughput",), query_aliases=("max_days",),
               help="Keep cases lasting at most this long."),
    OptionSpec(name="where_not", flags=("--where-not",), many=True,
               help="Drop cases whose case attribute has this value: attribute=value (repeatable)."),
    OptionSpec(name="event_where", flags=("--event-where",), many=True,
               help="Keep cases with an event whose attribute has this value: attribute=value "
               "(repeatable)."),
    OptionSpec(name="event_where_not", flags=("--event-where-not",), many=True,
               help="Drop cases with an event whose attribute has this value (repeatable)."),
    OptionSpec(name="resource", flags=("--resource",), many=True,
               help="Keep cases this resource worked on (repeatable: any of them)."),
    OptionSpec(name="starts_with", flags=("--starts-with",), many=True,
               help="Keep cases whose first activity is this one (repeatable: any of them)."),
    OptionSpec(name="ends_with", flags=("--ends-with",), many=True,
               help="Keep cases whose last activity is this one (repeatable: any of them)."),
    OptionSpec(name="directly_follows", flags=("--directly-follows",), many=True,
               help="Keep cases where A is directly followed by B: 'A->B' (repeatable)."),
    OptionSpec(name="not_directly_follows", flags=("--not-directly-follows",), many=True,
               help="Drop cases where A is directly followed by B: 'A->B' (repeatable)."),
    OptionSpec(name="eventually_follows", flags=("--eventually-follows",), many=True,
               help="Keep cases where A is followed by B, later: 'A->B' (repeatable)."),
    OptionSpec(name="not_eventually_follows", flags=("--not-eventually-follows",), many=True,
               help="Drop cases where A is followed by B, later: 'A->B' (repeatable)."),
    OptionSpec(name="between", flags=("--between",),
               help="Time from the first A to the next B: 'A->B' (with --min-between/--max-between;"
               " cases without it are dropped)."),
    OptionSpec(name="min_between", flags=("--min-between",),
               help="Keep cases taking at least this long from A to B (e.g. 2d)."),
    OptionSpec(name="max_between", flags=("--max-between",),
               help="Keep cases taking at most this long from A to B."),
    OptionSpec(name="variant_rank", flags=("--variant-rank",), many=True,
               help="Keep the N-th most frequent variant, 1 the most frequent (repeatable); ranked "
               "among the cases the other options keep."),
    OptionSpec(name="variant_top", flags=("--variant-top",),
               help="Keep the cases of the K most frequent variants (of the cases the other options "
               "keep)."),
    OptionSpec(name="step", flags=("--step",), many=True,
               help='A filter step as JSON, applied after the others in order (repeatable): '
               '{"kind": "follows", "source": "A", "target": "B"}.'),
)  # fmt: skip

SLA_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(name="target", flags=("--target", "--sla-target"),
               help="SLA: a case complies within this duration (e.g. 30d)."),
    OptionSpec(name="sla_days", flags=("--sla-days",), type=float,
               help="SLA: a case complies within N days."),
    OptionSpec(name="deadline_attribute", flags=("--deadline-attribute",),
               help="SLA: case attribute holding each case's deadline."),
    OptionSpec(name="end_activity", flags=("--end-activity",), many=True,
               help="SLA: a case is finished only when it ends with this one (repeatable)."),
    OptionSpec(name="working_hours", flags=("--working-hours",),
               help="SLA: count only working time, Mon-Fri between these hours (e.g. 08:30-17:00)."),
    OptionSpec(name="timezone", flags=("--timezone",),
               help="SLA working hours: the office's time zone."),
    OptionSpec(name="holidays", flags=("--holidays",),
               help="SLA working hours: skip this country's public holidays (NL)."),
    OptionSpec(name="subdivision", flags=("--subdivision",),
               help="SLA working hours: the region whose holidays apply too (e.g. BY with DE)."),
)  # fmt: skip


def _spec(options: tuple[OptionSpec, ...], name: str) -> OptionSpec:
    return next(o for o in options if o.name == name)


def _unreadable(what: str, text: str, option: str, *, expected: str, fix: str) -> InputError:
    return InputError(
        f"cannot read the {what} '{text}'",
        where=Location(field=option),
        found=text,
        expected=expected,
        fix=fix,
    )


def parse_duration(text: str, *, option: str = "--min-throughput") -> float:
    """``3d``, ``12h``, ``90min``, ``45s``, ``2w``, ``1.5d`` -> seconds."""
    m = _DURATION.match(text)
    if not m:
        raise _unreadable(
            "duration", text, option,
            expected="a number with a unit: w, d, h, min (or m), s — for example 3d, 12h, 90min",
            fix=f"write {option} 3d for three days",
        )  # fmt: skip
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]


def parse_days(text: str, *, option: str) -> float:
    """A number of days (``30``, ``2.5``), zero or more -> seconds."""
    try:
        days = float(text)
    except ValueError as exc:
        raise InputError(
            f"'{text}' is not a number of days",
            where=Location(field=option),
            found=text,
            expected="a number of days such as 30 or 2.5",
        ) from exc
    if not math.isfinite(days) or days < 0:
        raise InputError(
            "a number of days must be zero or more",
            where=Location(field=option),
            found=text,
            expected="a finite number >= 0",
        )
    return days * DAY


def parse_time(text: str, *, option: str = "--from") -> datetime:
    """An ISO date or date-time; without an offset it is read as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _unreadable(
            "time", text, option,
            expected="an ISO date or date-time such as 2024-01-31 or 2024-01-31T08:00:00+01:00",
            fix=f"write {option} 2024-01-31",
        ) from None  # fmt: skip
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_where(
    items: Sequence[str], *, option: str = "--where"
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``district=north`` (repeatable; several values of one attribute mean any of them)."""
    values: dict[str, list[str]] = {}
    for item in items:
        attribute, sep, value = item.partition("=")
        if not sep or not attribute.strip():
            raise InputError(
                f"cannot read the condition '{item}'",
                where=Location(field=option),
                found=item,
                expected="attribute=value, for example district=north",
                fix=f"repeat {option} for several conditions: "
                f"{option} district=north {option} channel=web",
            )
        values.setdefault(attribute.strip(), []).append(value)
    return tuple((k, tuple(v)) for k, v in values.items())


def parse_pair(text: str, *, option: str = "--directly-follows") -> tuple[str, str]:
    """``A->B`` -> (A, B): two activities (spaces around the arrow are ignored)."""
    a, sep, b = text.partition("->")
    if not sep or not a.strip() or not b.strip():
        raise InputError(
            f"cannot read the pair of activities '{text}'",
            where=Location(field=option),
            found=text,
            expected="two activities joined by ->, for example 'Submit->Decide'",
            fix=f"write {option} 'Submit->Decide' (quoted: the shell reads > itself)",
        )
    return a.strip(), b.strip()


def parse_count(text: str, *, option: str) -> int:
    """A whole number of 1 or more (a rank, a top-k)."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            f"'{text}' is not a whole number of 1 or more",
            where=Location(field=option),
            found=text,
            expected="1, 2, 3, …",
            fix=f"write {option} 5",
        )
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterOptions:
    """The filter options as given (text); :meth:`to_filter` reads them into an ``EventLogFilter``."""

    start: str | None = None
    end: str | None = None
    time_mode: str = "intersecting"
    where: tuple[str, ...] = ()
    variant: tuple[str, ...] = ()
    with_activity: tuple[str, ...] = ()
    without_activity: tuple[str, ...] = ()
    min_throughput: str | None = None
    max_throughput: str | None = None
    where_not: tuple[str, ...] = ()
    event_where: tuple[str, ...] = ()
    event_where_not: tuple[str, ...] = ()
    resource: tuple[str, ...] = ()
    starts_with: tuple[str, ...] = ()
    ends_with: tuple[str, ...] = ()
    directly_follows: tuple[str, ...] = ()
    not_directly_follows: tuple[str, ...] = ()
    eventually_follows: tuple[str, ...] = ()
    not_eventually_follows: tuple[str, ...] = ()
    between: str | None = None
    min_between: str | None = None
    max_between: str | None = None
    variant_rank: tuple[str, ...] = ()
    variant_top: str | None = None
    step: tuple[str, ...] = ()

    def to_filter(self, *, door: Door = "cli") -> EventLogFilter:
        """The typed filter; an error names the option as ``door`` spells it."""

        def name(field: str) -> str:
            return _spec(FILTER_OPTIONS, field).spelled(door)

        if self.time_mode not in TIME_MODES:
            raise InputError(
                f"unknown time mode '{self.time_mode}'",
                where=Location(field=name("time_mode")),
                found=self.time_mode,
                expected=", ".join(TIME_MODES),
                fix=f"pass {name('time_mode')} intersecting (cases overlapping the window) "
                "or another mode",
            )
        lo = parse_time(self.start, option=name("start")) if self.start else None
        hi = parse_time(self.end, option=name("end")) if self.end else None
        if lo is not None and hi is not None and hi <= lo:
            raise InputError(
                "the time window is empty",
                where=Location(field=name("end")),
                found=f"{name('start')} {self.start} {name('end')} {self.end}",
                expected=f"{name('end')} later than {name('start')}",
                fix="swap the two dates",
            )
        low, high = (
            parse_duration(text, option=name(field)) if text else None
            for field, text in (
                ("min_throughput", self.min_throughput),
                ("max_throughput", self.max_throughput),
            )
        )
        return EventLogFilter(
            steps=self._steps(name),
            start=lo,
            end=hi,
            time_mode=cast(Any, self.time_mode),
            case_attributes=parse_where(self.where, option=name("where")),
            variants=self.variant,
            activities_present=self.with_activity,
            activities_absent=self.without_activity,
            min_throughput_seconds=low,
            max_throughput_seconds=high,
        )

    def _steps(self, name: Callable[[str], str]) -> tuple[FilterStep, ...]:
        """The steps of the options beyond the named conditions, in the documented order:
        attribute values, resources, start and end activities, follows relations, the time
        between two activities, variant ranks, then ``step`` as given."""
        steps: list[FilterStep] = []
        for field, level, exclude in (
            ("where_not", "case", True),
            ("event_where", "event", False),
            ("event_where_not", "event", True),
        ):
            for attribute, values in parse_where(getattr(self, field), option=name(field)):
                steps.append(
                    AttributeStep(attribute=attribute, values=values, level=level, exclude=exclude)  # type: ignore[arg-type]
                )
        if self.resource:
            steps.append(AttributeStep(attribute=RESOURCE, values=self.resource, level="event"))
        if self.starts_with:
            steps.append(EndpointStep(at="start", activities=self.starts_with))
        if self.ends_with:
            steps.append(EndpointStep(at="end", activities=self.ends_with))
        for field, directly, exclude in (
            ("directly_follows", True, False),
            ("not_directly_follows", True, True),
            ("eventually_follows", False, False),
            ("not_eventually_follows", False, True),
        ):
            for text in getattr(self, field):
                a, b = parse_pair(text, option=name(field))
                steps.append(FollowsStep(source=a, target=b, directly=directly, exclude=exclude))
        low, high = (
            parse_duration(text, option=name(field)) if text else None
            for field, text in (
                ("min_between", self.min_between),
                ("max_between", self.max_between),
            )
        )
        if self.between:
            a, b = parse_pair(self.between, option=name("between"))
            steps.append(BetweenStep(source=a, target=b, min_seconds=low, max_seconds=high))
        elif low is not None or high is not None:
            raise InputError(
                "a time between two activities needs the two activities",
                where=Location(field=name("between")),
                expected=f"{name('between')} 'A->B' with {name('min_between')} or "
                f"{name('max_between')}",
                fix=f"add {name('between')} 'Submit->Decide'",
            )
        ranks = tuple(parse_count(t, option=name("variant_rank")) for t in self.variant_rank)
        top = (
            parse_count(self.variant_top, option=name("variant_top")) if self.variant_top else None
        )
        if ranks or top is not None:
            steps.append(VariantStep(ranks=ranks, top=top))
        steps.extend(FilterStack.from_query(self.step, option=name("step")).steps)
        return tuple(steps)


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaOptions:
    """The SLA options as given: one of ``target``, ``sla_days`` and ``deadline_attribute``, and
    optionally a working calendar (``working_hours`` Mon-Fri in ``timezone``, minus the public
    holidays of the country ``holidays`` and its ``subdivision``). :meth:`to_config` reads them."""

    target: str | None = None
    sla_days: float | None = None
    deadline_attribute: str | None = None
    end_activity: tuple[str, ...] = ()
    working_hours: str | None = None
    timezone: str = "UTC"
    holidays: str | None = None
    subdivision: str | None = None

    @property
    def given(self) -> bool:
        return any(x is not None for x in (self.target, self.sla_days, self.deadline_attribute))

    def to_config(self, *, door: Door = "cli", required: bool = False) -> SlaConfig | None:
        """The typed SLA; None when none is given and it is not ``required``."""

        def name(field: str) -> str:
            return _spec(SLA_OPTIONS, field).spelled(door)

        one = " / ".join(name(f) for f in ("target", "sla_days", "deadline_attribute"))
        given = [x for x in (self.target, self.sla_days, self.deadline_attribute) if x is not None]
        if not given:
            if not required:
                return None
            raise InputError(
                "an SLA needs a target or a deadline attribute",
                where=Location(field=one),
                found="no SLA option, and no case attribute called "
                + " / ".join(DEADLINE_ATTRIBUTES),
                expected=f"one of {name('target')} 30d, {name('sla_days')} 30, "
                f"{name('deadline_attribute')} <case attribute>",
                fix=f"add {name('sla_days')} 30 (or the agency's target)",
            )
        if len(given) > 1:
            raise InputError(
                "give one SLA only",
                where=Location(field=one),
                found=", ".join(str(g) for g in given),
                expected=f"exactly one of {one.replace(' / ', ', ')}",
                fix="drop all but one of them",
            )
        seconds = None
        if self.target is not None:
            seconds = parse_duration(self.target, option=name("target"))
        elif self.sla_days is not None:
            seconds = self.sla_days * DAY
            if not seconds > 0:
                raise InputError(
                    "the SLA target must be a positive duration",
                    where=Location(field=name("sla_days")),
                    found=str(self.sla_days),
                    expected="a number of days > 0",
                )
        return SlaConfig(
            target_seconds=seconds,
            deadline_attribute=self.deadline_attribute,
            end_activities=self.end_activity,
            calendar=self.calendar(door=door),
        )

    def or_default(self, attributes: Iterable[str]) -> SlaOptions:
        """These options; when none of ``target``, ``sla_days`` and ``deadline_attribute`` is
        given, the default SLA of a dataset with these case ``attributes``: each case's own
        deadline in the first attribute named in :data:`DEADLINE_ATTRIBUTES` (the calendar
        options still apply). A dataset without one has no default SLA (the options are returned
        as they are, and :meth:`to_config` gives None or asks for a target)."""
        if self.given:
            return self
        deadline = default_deadline_attribute(attributes)
        return self if deadline is None else replace(self, deadline_attribute=deadline)

    def for_view(
        self, view: LogView, *, door: Door = "cli", required: bool = False
    ) -> SlaConfig | None:
        """The typed SLA for ``view``: these options, or the default of its dataset
        (:meth:`or_default`); what every door computes SLA compliance with."""
        attributes = view.dataset.manifest.case_attributes
        return self.or_default(attributes).to_config(door=door, required=required)

    def calendar(self, *, door: Door = "cli") -> WorkingCalendar | None:
        """The working calendar of ``working_hours``, ``timezone``, ``holidays``, ``subdivision``."""
        if self.working_hours is None:
            return None
        option = _spec(SLA_OPTIONS, "working_hours").spelled(door)
        opening, sep, closing = self.working_hours.partition("-")
        if not sep:
            raise InputError(
                f"cannot read the working hours '{self.working_hours}'",
                where=Location(field=option),
                found=self.working_hours,
                expected="opening-closing, for example 08:30-17:00",
                fix=f"write {option} 08:30-17:00",
            )
        return WorkingCalendar.office_hours(
            start=opening.strip(),
            end=closing.strip(),
            timezone=self.timezone,
            country=self.holidays,
            subdivision=self.subdivision,
        )


DEADLINE_ATTRIBUTES: tuple[str, ...] = ("deadline", "due_date", "due", "deadline_date")
"""Case attributes (compared without case) read as each case's deadline when no SLA is given:
the default SLA of every door (command line, workbench, report, baselines) is the per-case
deadline of the first of these the dataset has. A dataset without one has no default SLA: a
target or a deadline attribute must be named."""


def default_deadline_attribute(attributes: Iterable[str]) -> str | None:
    """The case attribute the default SLA reads each case's deadline from, or None."""
    by_lower: dict[str, str] = {}
    for name in attributes:
        by_lower.setdefault(name.lower(), name)
    return next((by_lower[n] for n in DEADLINE_ATTRIBUTES if n in by_lower), None)


def default_sla(view: LogView) -> SlaConfig | None:
    """The default SLA of the view's dataset (see :data:`DEADLINE_ATTRIBUTES`), or None."""
    deadline = default_deadline_attribute(view.dataset.manifest.case_attributes)
    return None if deadline is None else SlaConfig(deadline_attribute=deadline)


def sla_or_default(view: LogView, sla: SlaConfig | None) -> SlaConfig | None:
    """``sla`` when given, else the default SLA of the view's dataset (:func:`default_sla`)."""
    return sla if sla is not None else default_sla(view)


Values = Mapping[str, Any]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
        return _text(value)
    text = str(value).strip()
    return text or None


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(t for t in (str(v).strip() for v in items) if t)


def filter_options(values: Values) -> FilterOptions:
    """``FilterOptions`` from a mapping of option names to values (lists for repeatable options),
    as the command line gives them or :func:`query_values` reads them from a query string."""
    return FilterOptions(
        start=_text(values.get("start")),
        end=_text(values.get("end")),
        time_mode=_text(values.get("time_mode")) or "intersecting",
        where=_texts(values.get("where")),
        variant=_texts(values.get("variant")),
        with_activity=_texts(values.get("with_activity")),
        without_activity=_texts(values.get("without_activity")),
        min_throughput=_text(values.get("min_throughput")),
        max_throughput=_text(values.get("max_throughput")),
        where_not=_texts(values.get("where_not")),
        event_where=_texts(values.get("event_where")),
        event_where_not=_texts(values.get("event_where_not")),
        resource=_texts(values.get("resource")),
        starts_with=_texts(values.get("starts_with")),
        ends_with=_texts(values.get("ends_with")),
        directly_follows=_texts(values.get("directly_follows")),
        not_directly_follows=_texts(values.get("not_directly_follows")),
        eventually_follows=_texts(values.get("eventually_follows")),
        not_eventually_follows=_texts(values.get("not_eventually_follows")),
        between=_text(values.get("between")),
        min_between=_text(values.get("min_between")),
        max_between=_text(values.get("max_between")),
        variant_rank=_texts(values.get("variant_rank")),
        variant_top=_text(values.get("variant_top")),
        step=_texts(values.get("step")),
    )


def sla_options(values: Values, *, door: Door = "cli") -> SlaOptions:
    """``SlaOptions`` from a mapping of option names to values (see :func:`filter_options`)."""
    days = values.get("sla_days")
    if isinstance(days, str | list | tuple):
        text = _text(days)
        option = _spec(SLA_OPTIONS, "sla_days").spelled(door)
        days = None if text is None else parse_days(text, option=option) / DAY
    return SlaOptions(
        target=_text(values.get("target")),
        sla_days=days,
        deadline_attribute=_text(values.get("deadline_attribute")),
        end_activity=_texts(values.get("end_activity")),
        working_hours=_text(values.get("working_hours")),
        timezone=_text(values.get("timezone")) or "UTC",
        holidays=_text(values.get("holidays")),
        subdivision=_text(values.get("subdivision")),
    )


def query_values(get_list: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """Every filter and SLA option in a query string, by option name; the web's older names
    (``present``, ``absent``, ``attr`` with ``attr_value``, ``min_days``/``max_days`` in days)
    are read as the options they stand for."""
    out: dict[str, list[str]] = {}
    for spec in (*FILTER_OPTIONS, *SLA_OPTIONS):
        values = [v for v in get_list(spec.name) if v.strip()]
        for alias in spec.query_aliases:
            extra = [v for v in get_list(alias) if v.strip()]
            if alias.endswith("_days"):
                # exact: the shortest text of the float reads back as the same float
                extra = [f"{Decimal(repr(parse_days(v, option=alias))):f}s" for v in extra]
            values += extra
        if values:
            out[spec.name] = values
    attr = next((a.strip() for a in get_list("attr") if a.strip()), "")
    if attr:
        out.setdefault("where", []).extend(
            f"{attr}={v.strip()}" for v in get_list("attr_value") if v.strip()
        )
    return out


def option_names() -> tuple[str, ...]:
    """Every option's name, filters first: what each door must accept."""
    return tuple(spec.name for spec in (*FILTER_OPTIONS, *SLA_OPTIONS))
