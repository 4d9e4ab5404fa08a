"""Filters as a stack: typed steps applied in order, each keeping whole cases.

A :class:`FilterStack` is an ordered tuple of :class:`FilterStep` s. Each step narrows the cases the
previous steps left (so "top 5 variants" after a time frame ranks the variants of that time frame).
Steps are Ibis expressions over the view's tables, so they run on every engine.

Every step serialises to a small JSON object (``to_dict``; ``step_from_dict`` reads one back), a
stack to ``{"steps": [...]}`` and to a query string (one ``step`` parameter per step, in order), so a
link or a saved filter set reproduces it. :func:`filter_funnel` reports the cases and events left
after each step.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, cast

import ibis

from civicflow.core import InputError, Location, NotFoundError, check_name
from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, RESOURCE, TIMESTAMP, EventStore
from civicflow.mining._durations import seconds_between

if TYPE_CHECKING:
    from ibis.expr.types import Table

TimeWindowMode = Literal["contained", "intersecting", "started", "completed"]
TIME_MODES: tuple[str, ...] = ("intersecting", "contained", "started", "completed")
STEP_PARAMETER = "step"
"""The query-string parameter that carries one step of a stack (repeated, in order)."""


class StepTables(Protocol):
    """What a step reads: the dataset's tables before any filter (a :class:`LogView` gives them)."""

    @property
    def all_events(self) -> Table: ...
    @property
    def all_cases(self) -> Table: ...
    @property
    def all_case_summary(self) -> Table: ...
    @property
    def all_transitions(self) -> Table: ...
    @property
    def activity_table(self) -> Table: ...
    @property
    def variant_table(self) -> Table: ...
    @property
    def dataset_name(self) -> str: ...


def _seconds(value: float | None) -> str:
    from civicflow.mining._format import format_duration

    return format_duration(value) if value is not None else "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterStep(abc.ABC):
    """One step of a :class:`FilterStack`: it keeps some of the cases it is given."""

    kind: ClassVar[str] = ""

    @abc.abstractmethod
    def apply(self, tables: StepTables, cases: Table) -> Table:
        """The case ids (one column ``case_id``) of ``cases`` this step keeps."""

    @abc.abstractmethod
    def label(self) -> str:
        """How the step reads to a person (the funnel, the report, the web's filter panel)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeFrameStep(FilterStep):
    """Cases by when they ran: ``contained`` (start and end in [start, end)), ``intersecting``
    (overlapping it), ``started`` / ``completed`` (first / last event in it)."""

    kind: ClassVar[str] = "timeframe"
    start: datetime | None = None
    end: datetime | None = None
    mode: TimeWindowMode = "intersecting"

    def __post_init__(self) -> None:
        # a time without an offset is UTC, as everywhere in civicflow
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                object.__setattr__(self, name, value.replace(tzinfo=UTC))
        if self.mode not in TIME_MODES:
            raise InputError(
                f"unknown time mode '{self.mode}'",
                where=Location(field="mode"),
                found=str(self.mode),
                expected=", ".join(TIME_MODES),
            )

    def apply(self, tables: StepTables, cases: Table) -> Table:
        s = tables.all_case_summary
        lo = ibis.literal(self.start) if self.start is not None else None
        hi = ibis.literal(self.end) if self.end is not None else None
        first, last = {
            "contained": (s.case_start, s.case_end),
            "intersecting": (s.case_end, s.case_start),
            "started": (s.case_start, s.case_start),
            "completed": (s.case_end, s.case_end),
        }[self.mode]
        preds = []
        if lo is not None:
            preds.append(first >= lo)
        if hi is not None:
            preds.append(last < hi)
        kept = s.filter(preds).select(CASE_ID) if preds else s.select(CASE_ID)
        return cases.semi_join(kept, CASE_ID).select(CASE_ID)

    def label(self) -> str:
        lo = self.start.isoformat() if self.start else "…"
        hi = self.end.isoformat() if self.end else "…"
        return f"cases {self.mode} [{lo}, {hi})"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TimeFrameStep:
        return cls(
            start=_datetime(data.get("start")),
            end=_datetime(data.get("end")),
            mode=cast(Any, data.get("mode", "intersecting")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeStep(FilterStep):
    """Cases by attribute values: a case attribute (``level="case"``) is one of ``values``, or one
    of the case's events has an event attribute (``level="event"``; the activity, the resource or
    any stored attribute) with one of them. ``exclude`` drops those cases instead."""

    kind: ClassVar[str] = "attribute"
    attribute: str
    values: tuple[str, ...]
    level: Literal["case", "event"] = "case"
    exclude: bool = False

    def apply(self, tables: StepTables, cases: Table) -> Table:
        source = tables.all_cases if self.level == "case" else tables.all_events
        if self.attribute not in source.columns:
            what = "case" if self.level == "case" else "event"
            raise InputError(
                f"cannot filter on {what} attribute '{self.attribute}': the dataset has no such "
                "attribute",
                where=Location(file=tables.dataset_name, field=self.attribute),
                found=self.attribute,
                expected="one of: " + ", ".join(c for c in source.columns if c != CASE_ID),
                fix=f"pick an attribute from the dataset's {what} attributes",
            )
        column = source[self.attribute]
        if self.attribute != ACTIVITY and self.attribute != CASE_ID:
            column = column.cast("string")
        having = source.filter(column.isin(list(self.values))).select(CASE_ID)
        if self.exclude:
            return cases.anti_join(having, CASE_ID).select(CASE_ID)
        return cases.semi_join(having, CASE_ID).select(CASE_ID)

    def label(self) -> str:
        verb = "without" if self.exclude else "with"
        shown = " or ".join(self.values)
        if self.attribute == ACTIVITY and self.level == "event":
            return f"cases {verb} activity {shown}"
        if self.attribute == RESOURCE and self.level == "event":
            return f"cases {'not ' if self.exclude else ''}touched by {shown}"
        where = "an event's " if self.level == "event" else ""
        return f"cases {verb} {where}{self.attribute} = {shown}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttributeStep:
        return cls(
            attribute=str(_required(data, "attribute")),
            values=_strings(data.get("values")),
            level=cast(Any, data.get("level", "case")),
            exclude=bool(data.get("exclude", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowsStep(FilterStep):
    """Cases where ``source`` is followed by ``target``: directly (the next event) or eventually
    (any later event). ``exclude`` keeps the cases where it does not happen."""

    kind: ClassVar[str] = "follows"
    source: str
    target: str
    directly: bool = False
    exclude: bool = False

    def apply(self, tables: StepTables, cases: Table) -> Table:
        if self.directly:
            t, codes = tables.all_transitions, tables.activity_table
            a = codes.filter(codes[ACTIVITY] == self.source).select(a_code=codes.code)
            b = codes.filter(codes[ACTIVITY] == self.target).select(b_code=codes.code)
            from_a = t.join(a, t[ACTIVITY] == a.a_code)
            having = from_a.join(b, from_a.next_activity == b.b_code).select(CASE_ID)
        else:
            ordered = _ordered_events(tables.all_events, (self.source, self.target))
            first_a = (
                ordered.filter(ordered[ACTIVITY] == self.source)
                .group_by(CASE_ID)
                .aggregate(a_idx=ibis._.idx.min())
            )
            last_b = (
                ordered.filter(ordered[ACTIVITY] == self.target)
                .group_by(CASE_ID)
                .aggregate(b_idx=ibis._.idx.max())
            )
            having = (
                first_a.join(last_b, CASE_ID).filter(ibis._.a_idx < ibis._.b_idx).select(CASE_ID)
            )
        if self.exclude:
            return cases.anti_join(having, CASE_ID).select(CASE_ID)
        return cases.semi_join(having, CASE_ID).select(CASE_ID)

    def label(self) -> str:
        how = "directly" if self.directly else "eventually"
        neg = "not " if self.exclude else ""
        return f"cases where {self.source} is {neg}{how} followed by {self.target}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FollowsStep:
        return cls(
            source=str(_required(data, "source")),
            target=str(_required(data, "target")),
            directly=bool(data.get("directly", False)),
            exclude=bool(data.get("exclude", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointStep(FilterStep):
    """Cases that start (``at="start"``) or end (``at="end"``) with one of ``activities``."""

    kind: ClassVar[str] = "endpoint"
    at: Literal["start", "end"]
    activities: tuple[str, ...]
    exclude: bool = False

    def apply(self, tables: StepTables, cases: Table) -> Table:
        t, codes = tables.all_transitions, tables.activity_table
        wanted = codes.filter(codes[ACTIVITY].isin(list(self.activities))).select(a_code=codes.code)
        at = t.is_start if self.at == "start" else t.next_activity.isnull()
        having = t.filter(at).join(wanted, t[ACTIVITY] == wanted.a_code).select(CASE_ID)
        if self.exclude:
            return cases.anti_join(having, CASE_ID).select(CASE_ID)
        return cases.semi_join(having, CASE_ID).select(CASE_ID)

    def label(self) -> str:
        verb = "do not " if self.exclude else ""
        return f"cases that {verb}{self.at} with {' or '.join(self.activities)}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EndpointStep:
        return cls(
            at=cast(Any, data.get("at", "start")),
            activities=_strings(data.get("activities")),
            exclude=bool(data.get("exclude", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantStep(FilterStep):
    """Cases of some variants: by id (see ``variant_id``), by rank (1 = the most frequent among
    the cases this step is given; ties by activity sequence, as the variants analysis lists them)
    or the ``top`` most frequent. Several ways given keep the variants any of them names."""

    kind: ClassVar[str] = "variant"
    ids: tuple[str, ...] = ()
    ranks: tuple[int, ...] = ()
    top: int | None = None
    exclude: bool = False

    def apply(self, tables: StepTables, cases: Table) -> Table:
        s, table = tables.all_case_summary, tables.variant_table
        current = s.semi_join(cases, CASE_ID)
        preds = []
        if self.ids:
            preds.append(table.variant_id.isin(list(self.ids)))
        chosen = table.filter(preds).select("variant") if preds else None
        if self.ranks or self.top is not None:
            counts = current.group_by("variant").aggregate(n=current.count())
            named = counts.join(table, "variant")
            ranked = named.mutate(
                rank=ibis.row_number().over(
                    ibis.window(order_by=[ibis.desc("n"), named.variant_key])
                )
                + 1
            )
            rpreds = []
            if self.ranks:
                rpreds.append(ranked["rank"].isin(list(self.ranks)))
            if self.top is not None:
                rpreds.append(ranked["rank"] <= self.top)
            any_rank = rpreds[0] if len(rpreds) == 1 else (rpreds[0] | rpreds[1])
            by_rank = ranked.filter(any_rank).select("variant")
            chosen = by_rank if chosen is None else chosen.union(by_rank)
        if chosen is None:
            return cases.select(CASE_ID)
        having = current.semi_join(chosen, "variant").select(CASE_ID)
        if self.exclude:
            return cases.anti_join(having, CASE_ID).select(CASE_ID)
        return having

    def label(self) -> str:
        parts = []
        if self.ids:
            parts.append("variant " + " or ".join(self.ids))
        if self.ranks:
            parts.append("variant #" + ", #".join(str(r) for r in self.ranks))
        if self.top is not None:
            parts.append(f"the {self.top} most frequent variants")
        return ("cases not of " if self.exclude else "cases of ") + " or ".join(parts or ["—"])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VariantStep:
        top = data.get("top")
        return cls(
            ids=_strings(data.get("ids")),
            ranks=tuple(int(r) for r in data.get("ranks") or ()),
            top=None if top is None else int(top),
            exclude=bool(data.get("exclude", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DurationStep(FilterStep):
    """Cases whose throughput time (first to last event) is within [min, max] seconds."""

    kind: ClassVar[str] = "duration"
    min_seconds: float | None = None
    max_seconds: float | None = None

    def apply(self, tables: StepTables, cases: Table) -> Table:
        s = tables.all_case_summary
        seconds = s.throughput_us.cast("float64") / 1_000_000
        preds = []
        if self.min_seconds is not None:
            preds.append(seconds >= self.min_seconds)
        if self.max_seconds is not None:
            preds.append(seconds <= self.max_seconds)
        kept = s.filter(preds).select(CASE_ID) if preds else s.select(CASE_ID)
        return cases.semi_join(kept, CASE_ID).select(CASE_ID)

    def label(self) -> str:
        return f"cases lasting {_seconds(self.min_seconds)} to {_seconds(self.max_seconds)}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DurationStep:
        return cls(
            min_seconds=_float(data.get("min_seconds")), max_seconds=_float(data.get("max_seconds"))
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BetweenStep(FilterStep):
    """Cases by the time between two activities: from the case's first ``source`` event to the
    first ``target`` event after it, within [min, max] seconds. Cases where ``target`` never
    follows ``source`` are dropped."""

    kind: ClassVar[str] = "between"
    source: str
    target: str
    min_seconds: float | None = None
    max_seconds: float | None = None

    def apply(self, tables: StepTables, cases: Table) -> Table:
        ordered = _ordered_events(tables.all_events, (self.source, self.target))
        a = (
            ordered.filter(ordered[ACTIVITY] == self.source)
            .group_by(CASE_ID)
            .aggregate(a_idx=ibis._.idx.min(), a_ts=ibis._[TIMESTAMP].min())
        )
        b = ordered.filter(ordered[ACTIVITY] == self.target)
        after = b.join(a, CASE_ID).filter(ibis._.idx > ibis._.a_idx)
        first_b = after.group_by(CASE_ID).aggregate(
            a_ts=ibis._.a_ts.min(), b_ts=ibis._[TIMESTAMP].min()
        )
        seconds = seconds_between(first_b.a_ts, first_b.b_ts)
        preds = []
        if self.min_seconds is not None:
            preds.append(seconds >= self.min_seconds)
        if self.max_seconds is not None:
            preds.append(seconds <= self.max_seconds)
        kept = first_b.filter(preds) if preds else first_b
        return cases.semi_join(kept.select(CASE_ID), CASE_ID).select(CASE_ID)

    def label(self) -> str:
        return (
            f"cases taking {_seconds(self.min_seconds)} to {_seconds(self.max_seconds)} "
            f"from {self.source} to {self.target}"
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BetweenStep:
        return cls(
            source=str(_required(data, "source")),
            target=str(_required(data, "target")),
            min_seconds=_float(data.get("min_seconds")),
            max_seconds=_float(data.get("max_seconds")),
        )


STEP_TYPES: dict[str, type[FilterStep]] = {
    t.kind: t
    for t in (
        TimeFrameStep,
        AttributeStep,
        FollowsStep,
        EndpointStep,
        VariantStep,
        DurationStep,
        BetweenStep,
    )
}
"""Every kind of step by its ``kind``."""


def step_from_dict(data: Mapping[str, Any], *, where: str = "step") -> FilterStep:
    """A step from its ``to_dict`` form; a clear error when it cannot be read."""
    if not isinstance(data, Mapping):
        raise InputError(
            "a filter step must be a JSON object",
            where=Location(field=where),
            found=type(data).__name__,
            expected='an object such as {"kind": "follows", "source": "A", "target": "B"}',
        )
    kind = data.get("kind")
    step_type = STEP_TYPES.get(str(kind))
    if step_type is None:
        raise InputError(
            f"unknown filter step kind '{kind}'",
            where=Location(field=f"{where}.kind"),
            found=str(kind),
            expected=", ".join(STEP_TYPES),
            fix="give each step a kind from the list",
        )
    try:
        return cast(Any, step_type).from_dict(data)  # type: ignore[no-any-return]
    except InputError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"cannot read the {kind} filter step",
            where=Location(field=where),
            found=json.dumps(dict(data), default=str)[:200],
            expected=f"the fields of a {kind} step: "
            + ", ".join(f for f in step_type.__dataclass_fields__),
            fix=str(exc),
        ) from exc


@dataclass(frozen=True, slots=True)
class FilterStack:
    """Steps applied in order; an empty stack keeps every case."""

    steps: tuple[FilterStep, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.steps)

    def then(self, *steps: FilterStep) -> FilterStack:
        """This stack with ``steps`` added at the end."""
        return FilterStack((*self.steps, *steps))

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Sequence[Any]) -> FilterStack:
        """From ``{"steps": [...]}`` (or a bare list of steps)."""
        items = data.get("steps", []) if isinstance(data, Mapping) else data
        if not isinstance(items, list | tuple):
            raise InputError(
                "the filter steps must be a list",
                where=Location(field="steps"),
                found=type(items).__name__,
                expected='{"steps": [{"kind": ...}, ...]}',
            )
        return cls(tuple(step_from_dict(d, where=f"steps[{i}]") for i, d in enumerate(items)))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_query(self) -> list[tuple[str, str]]:
        """One ``step`` parameter per step, in order (compact JSON)."""
        return [
            (STEP_PARAMETER, json.dumps(s.to_dict(), separators=(",", ":"), sort_keys=True))
            for s in self.steps
        ]

    @classmethod
    def from_query(cls, values: Sequence[str], *, option: str = STEP_PARAMETER) -> FilterStack:
        """The stack of the ``step`` parameters of a query string (or ``--step`` options)."""
        steps = []
        for i, text in enumerate(values):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    "cannot read a filter step",
                    where=Location(field=f"{option}[{i}]"),
                    found=text[:200],
                    expected='a JSON object such as {"kind":"follows","source":"A","target":"B"}',
                    fix=str(exc),
                ) from exc
            steps.append(step_from_dict(data, where=f"{option}[{i}]"))
        return cls(tuple(steps))

    def labels(self) -> list[str]:
        return [s.label() for s in self.steps]


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelStep:
    """The cases and events left after one step (``step`` is None for the unfiltered start)."""

    label: str
    cases: int
    events: int
    step: FilterStep | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "cases": self.cases,
            "events": self.events,
            "step": self.step.to_dict() if self.step else None,
        }


@dataclass(frozen=True, slots=True)
class FilterFunnel:
    """What each step of a stack keeps: the first row is the whole dataset."""

    rows: tuple[FunnelStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows]}


def _ordered_events(events: Table, activities: tuple[str, ...]) -> Table:
    """The events of ``activities`` with ``idx``, their order in the case (timestamp, then
    position in the source): their relative order is that of the whole case."""
    ev = events.filter(events[ACTIVITY].isin(list(activities))).select(
        CASE_ID, ACTIVITY, TIMESTAMP, POSITION
    )
    return ev.mutate(
        idx=ibis.row_number().over(
            ibis.window(group_by=ev[CASE_ID], order_by=[ev[TIMESTAMP], ev[POSITION]])
        )
    )


def _required(data: Mapping[str, Any], key: str) -> Any:
    if data.get(key) in (None, ""):
        raise KeyError(f"'{key}' is missing")
    return data[key]


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(str(v) for v in items)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


FILTER_SET_FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterSet:
    """A named, saved filter stack of a workspace (``<workspace>/filter_sets/<name>.json``)."""

    name: str
    stack: FilterStack
    description: str | None = None
    created_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FILTER_SET_FORMAT,
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            **self.stack.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FilterSet:
        return cls(
            name=str(data["name"]),
            description=data.get("description"),
            created_at=_datetime(data.get("created_at")),
            stack=FilterStack.from_dict(data),
        )


def filter_set_path(workspace: EventStore, name: str) -> Path:
    """Where the filter set ``name`` is stored (the name checked: it is part of a path)."""
    return workspace.filter_sets_dir / f"{check_name(name, kind='filter set name')}.json"


def list_filter_sets(workspace: EventStore) -> list[FilterSet]:
    """Every saved filter set of the workspace, by name."""
    folder = workspace.filter_sets_dir
    if not folder.is_dir():
        return []
    found = [_read_set(p) for p in folder.glob("*.json") if not p.name.startswith(".")]
    return sorted(found, key=lambda s: s.name)


def load_filter_set(workspace: EventStore, name: str) -> FilterSet:
    """The saved filter set called ``name``."""
    path = filter_set_path(workspace, name)
    if not path.is_file():
        known = ", ".join(s.name for s in list_filter_sets(workspace)) or "none yet"
        raise NotFoundError(
            f"no filter set '{name}' in workspace {workspace.path}",
            where=Location(file=str(path)),
            found=name,
            expected=f"one of: {known}",
            fix="save one in the workbench's filter panel (or `civicflow filters save`)",
        )
    return _read_set(path)


def _read_set(path: Path) -> FilterSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FILTER_SET_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        return FilterSet.from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            "a filter set file cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            expected=f"a filter set of format {FILTER_SET_FORMAT}",
            fix="delete the file and save the filter set again",
        ) from exc


def read_stack_file(path: Path, *, option: str = "--filters") -> FilterStack:
    """A filter stack from a JSON file: ``{"steps": [...]}`` (a saved filter set too) or a list."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"cannot read the filter file {path}",
            where=Location(file=str(path), field=option),
            found=str(exc),
            expected="a readable JSON file",
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the filter file {path} is not JSON",
            where=Location(file=str(path), line=exc.lineno, field=option),
            found=exc.msg,
            expected='{"steps": [{"kind": "follows", "source": "A", "target": "B"}]}',
            fix="fix the JSON (or write the file with `civicflow filters show NAME --json`)",
        ) from exc
    return FilterStack.from_dict(data)
