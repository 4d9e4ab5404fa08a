"""The options every analysis command shares: which workspace, dataset and engine, and the filter
(time window, case attributes, variants, activities, throughput range) that selects the cases.

``@view_command`` adds them to a command, so they are spelled, documented and parsed the same way
everywhere; the command receives one ``ViewOptions``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from civicflow.core import get_settings
from civicflow.eventlog import EventStore, make_engine
from civicflow.mining import (
    FILTER_OPTIONS,
    SLA_OPTIONS,
    EventLogFilter,
    FilterOptions,
    FilterStep,
    LogView,
    OptionSpec,
    filter_options,
    load_filter_set,
    parse_duration,
    read_stack_file,
    sla_options,
)

__all__ = [
    "STACK_FLAGS",
    "ViewOptions",
    "build_filter",
    "parse_duration",
    "stack_steps",
    "view_command",
    "with_sla",
]


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
    return FilterOptions(
        start=start,
        end=end,
        time_mode=time_mode,
        where=tuple(where or ()),
        variant=tuple(variants or ()),
        with_activity=tuple(with_activities or ()),
        without_activity=tuple(without_activities or ()),
        min_throughput=min_throughput,
        max_throughput=max_throughput,
    ).to_filter(door="cli")


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
        from civicflow.app.assessment import read_view

        store = EventStore.open(self.workspace)
        engine = make_engine(self.engine, spark_master=get_settings().spark_master)
        try:
            yield read_view(store, dataset_name=self.dataset, engine=engine, filter=self.filter)
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

MaxActivitiesOpt = Annotated[
    int | None,
    typer.Option("--max-activities", help="Show only the N most frequent activities."),
]
"""A process map's activity limit, as every command that draws one spells it."""
PathShareOpt = Annotated[
    float,
    typer.Option("--path-share", help="Keep the most frequent paths covering this share."),
]
"""A process map's path share, as every command that draws one spells it."""


def option_parameters(
    specs: Sequence[OptionSpec], *, panel: str, defaults: dict[str, Any] | None = None
) -> list[inspect.Parameter]:
    """Keyword-only Typer parameters for options described in ``civicflow.mining``."""
    out = []
    for spec in specs:
        default = (defaults or {}).get(spec.name)
        kind: Any = list[spec.type] if spec.many else spec.type  # type: ignore[name-defined]
        if default is None:
            kind = kind | None
        option = typer.Option(*spec.flags, help=spec.help, rich_help_panel=panel)
        out.append(
            inspect.Parameter(
                spec.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[kind, option],
                default=default,
            )
        )
    return out


_DATA: list[inspect.Parameter] = [
    inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d)
    for n, a, d in (
        ("workspace", WorkspaceOpt, ...),
        ("dataset", DatasetOpt, ...),
        ("engine", EngineOpt, None),
    )
]
FiltersFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--filters",
        help='A filter stack as JSON ({"steps": [...]}, e.g. from `civicflow filters show '
        "NAME --json`): its steps apply after the named conditions.",
        rich_help_panel="Filters",
    ),
]
FilterSetOpt = Annotated[
    str | None,
    typer.Option(
        "--filter-set",
        help="A filter set saved in the workspace (`civicflow filters list`).",
        rich_help_panel="Filters",
    ),
]
STACK_FLAGS: tuple[str, ...] = ("--filters", "--filter-set")
"""The options that bring a whole filter stack (every view command has them)."""
_FILTERS = [
    *option_parameters(FILTER_OPTIONS, panel="Filters", defaults={"time_mode": "intersecting"}),
    inspect.Parameter("filters", inspect.Parameter.KEYWORD_ONLY, annotation=FiltersFileOpt,
                      default=None),
    inspect.Parameter("filter_set", inspect.Parameter.KEYWORD_ONLY, annotation=FilterSetOpt,
                      default=None),
]  # fmt: skip


def stack_steps(
    workspace: Path, *, filters: Path | None, filter_set: str | None
) -> tuple[FilterStep, ...]:
    """The steps of ``--filter-set`` (read from the workspace folder) then of ``--filters``."""
    steps: tuple[FilterStep, ...] = ()
    if filter_set:
        steps += load_filter_set(EventStore.open(workspace), filter_set).stack.steps
    if filters is not None:
        steps += read_stack_file(filters).steps
    return steps


_SLA = option_parameters(SLA_OPTIONS, panel="SLA", defaults={"timezone": "UTC"})

F = TypeVar("F", bound=Callable[..., Any])


def _with_options(
    func: F, receives: str, added: list[inspect.Parameter], make: Callable[[dict[str, Any]], Any]
) -> F:
    """``func`` with the ``added`` options in its signature; it receives ``make(their values)``
    as the keyword argument ``receives``."""
    own = [
        p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != receives
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        values = {p.name: kwargs.pop(p.name) for p in added}
        return func(**{receives: make(values)}, **kwargs)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # Typer must see the new signature, not the wrapped one
    return cast(F, wrapper)


def view_command(func: F) -> F:
    """Give a command the shared options; it receives them as ``options: ViewOptions``."""

    def make(values: dict[str, Any]) -> ViewOptions:
        workspace = values.pop("workspace")
        saved = stack_steps(
            workspace, filters=values.pop("filters"), filter_set=values.pop("filter_set")
        )
        f = filter_options(values).to_filter(door="cli")
        return ViewOptions(
            workspace=workspace,
            dataset=values.pop("dataset"),
            engine=values.pop("engine") or get_settings().engine,
            filter=replace(f, steps=(*saved, *f.steps)),
        )

    return _with_options(func, "options", _DATA + _FILTERS, make)


def with_sla(func: F) -> F:
    """Give a command the SLA and working-calendar options; it receives ``sla: SlaOptions``."""
    return _with_options(func, "sla", _SLA, lambda values: sla_options(values, door="cli"))
