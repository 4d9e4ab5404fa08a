"""The options every analysis command shares: which workspace, dataset and engine, and the filter
(time window, case attributes, variants, activities, throughput range) that selects the cases.

``@view_command`` adds them to a command, so they are spelled, documented and parsed the same way
everywhere; the command receives one ``ViewOptions``.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from civicflow.core import InputError, Location, get_settings
from civicflow.eventlog import EventStore, make_engine
from civicflow.mining import EventLogFilter, LogView

TIME_MODES = ("intersecting", "contained", "started", "completed")
_UNIT_SECONDS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|min|m|s)\s*$", re.IGNORECASE)


def parse_duration(text: str, *, option: str = "--min-throughput") -> float:
    """``3d``, ``12h``, ``90min``, ``45s``, ``2w``, ``1.5d`` -> seconds."""
    m = _DURATION.match(text)
    if not m:
        raise InputError(
            f"cannot read the duration '{text}'",
            where=Location(field=option),
            found=text,
            expected="a number with a unit: w, d, h, min (or m), s — for example 3d, 12h, 90min",
            fix=f"write {option} 3d for three days",
        )
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]


def parse_time(text: str, *, option: str = "--from") -> datetime:
    """An ISO date or date-time; without an offset it is read as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"cannot read the time '{text}'",
            where=Location(field=option),
            found=text,
            expected="an ISO date or date-time such as 2024-01-31 or 2024-01-31T08:00:00+01:00",
            fix=f"write {option} 2024-01-31",
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_where(items: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``district=north`` (repeatable; several values of one attribute mean any of them)."""
    values: dict[str, list[str]] = {}
    for item in items:
        attribute, sep, value = item.partition("=")
        if not sep or not attribute.strip():
            raise InputError(
                f"cannot read the condition '{item}'",
                where=Location(field="--where"),
                found=item,
                expected="attribute=value, for example district=north",
                fix="repeat --where for several conditions: --where district=north --where channel=web",
            )
        values.setdefault(attribute.strip(), []).append(value)
    return tuple((k, tuple(v)) for k, v in values.items())


def build_filter(
    *,
    start: str | None = None,
    end: str | None = None,
    time_mode: str = "intersecting",
    where: list[str] | None = None,
    variants: list[str] | None = None,
    with_activities: list[str] | None = None,
    without_activities: list[str] | None = None,
    min_throughput: str | None = None,
    max_throughput: str | None = None,
) -> EventLogFilter:
    """The ``EventLogFilter`` the shared command-line options describe."""
    if time_mode not in TIME_MODES:
        raise InputError(
            f"unknown time mode '{time_mode}'",
            where=Location(field="--time-mode"),
            found=time_mode,
            expected=", ".join(TIME_MODES),
            fix="pass --time-mode intersecting (cases overlapping the window) or another mode",
        )
    lo = parse_time(start, option="--from") if start else None
    hi = parse_time(end, option="--to") if end else None
    if lo is not None and hi is not None and hi <= lo:
        raise InputError(
            "the time window is empty",
            where=Location(field="--to"),
            found=f"--from {start} --to {end}",
            expected="--to later than --from",
            fix="swap the two dates",
        )
    low = parse_duration(min_throughput, option="--min-throughput") if min_throughput else None
    high = parse_duration(max_throughput, option="--max-throughput") if max_throughput else None
    return EventLogFilter(
        start=lo,
        end=hi,
        time_mode=cast(Any, time_mode),
        case_attributes=parse_where(where or []),
        variants=tuple(variants or ()),
        activities_present=tuple(with_activities or ()),
        activities_absent=tuple(without_activities or ()),
        min_throughput_seconds=low,
        max_throughput_seconds=high,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewOptions:
    """What the shared options selected: open it to get the ``LogView``."""

    workspace: Path
    dataset: str
    engine: str
    filter: EventLogFilter

    @contextmanager
    def open(self) -> Iterator[LogView]:
        """The view on a fresh engine, closed afterwards (a Spark session is expensive to leak)."""
        ds = EventStore.open(self.workspace).dataset(self.dataset)
        engine = make_engine(self.engine, spark_master=get_settings().spark_master)
        try:
            yield LogView(engine=engine, dataset=ds, filter=self.filter)
        finally:
            engine.close()


WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder.",
        envvar="CIVICFLOW_WORKSPACE",
        rich_help_panel="Data",
    ),
]
DatasetOpt = Annotated[
    str,
    typer.Option("--dataset", "-d", help="Dataset name in the workspace.", rich_help_panel="Data"),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Analytics engine: duckdb or spark (default: CIVICFLOW_ENGINE).",
        rich_help_panel="Data",
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="Start of the time window (ISO date or date-time).",
        rich_help_panel="Filters",
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option("--to", help="End of the time window (exclusive).", rich_help_panel="Filters"),
]
TimeModeOpt = Annotated[
    str,
    typer.Option(
        "--time-mode",
        help="How a case meets the window: intersecting, contained, started or completed.",
        rich_help_panel="Filters",
    ),
]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="Case attribute condition attribute=value (repeatable).",
        rich_help_panel="Filters",
    ),
]
VariantOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--variant", help="Keep only this variant id (repeatable).", rich_help_panel="Filters"
    ),
]
WithOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--with-activity",
        help="Keep cases that contain this activity (repeatable).",
        rich_help_panel="Filters",
    ),
]
WithoutOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--without-activity",
        help="Drop cases that contain this activity (repeatable).",
        rich_help_panel="Filters",
    ),
]
MinTpOpt = Annotated[
    str | None,
    typer.Option(
        "--min-throughput",
        help="Keep cases lasting at least this long (3d, 12h, 90min).",
        rich_help_panel="Filters",
    ),
]
MaxTpOpt = Annotated[
    str | None,
    typer.Option(
        "--max-throughput", help="Keep cases lasting at most this long.", rich_help_panel="Filters"
    ),
]

_SHARED: list[inspect.Parameter] = [
    inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d)
    for n, a, d in (
        ("workspace", WorkspaceOpt, ...),
        ("dataset", DatasetOpt, ...),
        ("engine", EngineOpt, None),
        ("start", FromOpt, None),
        ("end", ToOpt, None),
        ("time_mode", TimeModeOpt, "intersecting"),
        ("where", WhereOpt, None),
        ("variant", VariantOpt, None),
        ("with_activity", WithOpt, None),
        ("without_activity", WithoutOpt, None),
        ("min_throughput", MinTpOpt, None),
        ("max_throughput", MaxTpOpt, None),
    )
]

F = TypeVar("F", bound=Callable[..., Any])


def view_command(func: F) -> F:
    """Give a command the shared options; it receives them as ``options: ViewOptions``."""
    own = [
        p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "options"
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        shared = {p.name: kwargs.pop(p.name) for p in _SHARED}
        options = ViewOptions(
            workspace=shared["workspace"],
            dataset=shared["dataset"],
            engine=shared["engine"] or get_settings().engine,
            filter=build_filter(
                start=shared["start"],
                end=shared["end"],
                time_mode=shared["time_mode"],
                where=shared["where"],
                variants=shared["variant"],
                with_activities=shared["with_activity"],
                without_activities=shared["without_activity"],
                min_throughput=shared["min_throughput"],
                max_throughput=shared["max_throughput"],
            ),
        )
        return func(options=options, **kwargs)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + _SHARED
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # Typer must see the new signature, not the wrapped one
    return cast(F, wrapper)
