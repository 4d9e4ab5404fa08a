"""``civicflow compare DATASET``: two periods or two segments of one dataset side by side.

Each side takes every filter option of ``civicflow.mining.FILTER_OPTIONS`` with its own prefix
(``--a-from``, ``--b-from``, ``--a-where``, ``--b-where``, ...), so a side is defined exactly as a
filter is everywhere else.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from civicflow.cli._filters import (
    EngineOpt,
    MaxActivitiesOpt,
    PathShareOpt,
    WorkspaceOpt,
    _with_options,
    option_parameters,
    with_sla,
)
from civicflow.cli._output import emit_json, table
from civicflow.core import CivicflowError, Location, get_settings
from civicflow.mining import (
    FILTER_OPTIONS,
    CompareConfig,
    Comparison,
    EventLogFilter,
    FilterOptions,
    OptionSpec,
    ProcessMapConfig,
    SlaOptions,
    filter_options,
)

console = Console()
err_console = Console(stderr=True)

SIDES = ("a", "b")


def side_specs(side: str) -> tuple[OptionSpec, ...]:
    """The filter options of one side: ``--a-from`` for ``--from``, named ``a_start``."""
    return tuple(
        dataclasses.replace(
            spec,
            name=f"{side}_{spec.name}",
            flags=tuple(f"--{side}-{flag[2:]}" for flag in spec.flags),
            help=f"Side {side.upper()}: {spec.help}",
        )
        for spec in FILTER_OPTIONS
    )


def side_filter(side: str, options: FilterOptions) -> EventLogFilter:
    """The side's typed filter; an error names the option as the side spells it."""
    try:
        return options.to_filter(door="cli")
    except CivicflowError as exc:
        field = exc.where.field if exc.where is not None else None
        prefixed = field.replace("--", f"--{side}-") if field and field.startswith("--") else field
        raise type(exc)(
            exc.what,
            where=Location(field=prefixed),
            found=exc.found,
            expected=exc.expected,
            fix=exc.fix.replace(" --", f" --{side}-") if exc.fix else None,
        ) from None


def _sides(values: dict[str, Any]) -> tuple[FilterOptions, FilterOptions]:
    out = []
    for side in SIDES:
        prefix = f"{side}_"
        mine = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
        out.append(filter_options(mine))
    return out[0], out[1]


_SIDE_PARAMS: list[inspect.Parameter] = [
    p
    for side in SIDES
    for p in option_parameters(
        side_specs(side),
        panel=f"Side {side.upper()}",
        defaults={f"{side}_time_mode": "intersecting"},
    )
]


def _compare(
    *,
    sides: tuple[FilterOptions, FilterOptions],
    sla: SlaOptions,
    dataset: Annotated[str, typer.Argument(help="Dataset name in the workspace.")],
    workspace: WorkspaceOpt,
    engine: EngineOpt = None,
    a_label: Annotated[str, typer.Option("--a-label", help="Name of side A.")] = "A",
    b_label: Annotated[str, typer.Option("--b-label", help="Name of side B.")] = "B",
    max_activities: MaxActivitiesOpt = None,
    path_share: PathShareOpt = 1.0,
    min_change: Annotated[
        float,
        typer.Option("--min-change", help="A relative change below this is 'no change' (0.05)."),
    ] = 0.05,
    alpha: Annotated[
        float, typer.Option("--alpha", help="A p-value below this is significant.")
    ] = 0.05,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Also write the comparison report (HTML) here."),
    ] = None,
    pdf: Annotated[
        Path | None,
        typer.Option("--pdf", help="Also write the comparison report as PDF (needs Chromium)."),
    ] = None,
    map_svg: Annotated[
        Path | None,
        typer.Option(
            "--map-svg",
            help="Also write both coloured maps as SVG: <path>-a.svg and <path>-b.svg "
            "(needs Chromium).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Compare two periods or two segments of one dataset: key figures with significance,
    waiting times, and both process maps coloured by the change."""
    from civicflow.app.assessment import read_view
    from civicflow.eventlog import EventStore, make_engine

    filters = tuple(side_filter(side, opts) for side, opts in zip(SIDES, sides, strict=True))
    config = CompareConfig(
        map=ProcessMapConfig(max_activities=max_activities, path_share=path_share),
        sla=sla.to_config(),
        min_change=min_change,
        alpha=alpha,
        label_a=a_label,
        label_b=b_label,
    )
    settings = get_settings()
    store = EventStore.open(workspace)
    eng = make_engine(engine or settings.engine, spark_master=settings.spark_master)
    try:
        with err_console.status(f"comparing {a_label} and {b_label} on {dataset}…"):
            from civicflow.mining import compare_views

            view = read_view(store, dataset_name=dataset, engine=eng, filter=filters[0])
            result = compare_views(view, view.with_filter(filters[1]), config=config)
    finally:
        eng.close()
    _write_files(result, out=out, pdf=pdf, map_svg=map_svg, browser=settings.browser)
    if as_json:
        emit_json(result.to_dict())
        return
    _show(result)


def _write_files(
    result: Comparison,
    *,
    out: Path | None,
    pdf: Path | None,
    map_svg: Path | None,
    browser: str | None,
) -> None:
    import tempfile

    from civicflow.report import build_comparison_report, dot_to_svg, html_to_pdf

    if out is not None:
        build_comparison_report(result, out=out)
        err_console.print(f"wrote {out}", highlight=False)
    if pdf is not None:
        with tempfile.TemporaryDirectory(prefix="civicflow-compare-") as folder:
            html = build_comparison_report(result, out=Path(folder) / "comparison.html")
            html_to_pdf(html, pdf, browser=browser)
        err_console.print(f"wrote {pdf}", highlight=False)
    if map_svg is not None:
        for side in SIDES:
            path = map_svg.with_name(f"{map_svg.stem}-{side}.svg")
            path.write_text(dot_to_svg(result.to_dot(side), browser=browser), encoding="utf-8")  # type: ignore[arg-type]
            err_console.print(f"wrote {path}", highlight=False)


def _show(result: Comparison) -> None:
    from civicflow.report import comparison_rows, wait_rows

    a, b = result.config.label_a, result.config.label_b
    columns = ["figure", a, b, "change", "test", "p", "verdict"]
    rows = [
        (r.label, r.a, r.b, r.change, r.test, r.p_value, r.verdict) for r in comparison_rows(result)
    ]
    table(console, f"{a} against {b} ({result.dataset})", columns, rows, numeric=range(1, 4))
    waits = [(r.label, r.a, r.b, r.change, r.test, r.p_value, r.verdict) for r in wait_rows(result)]
    table(console, "Median wait before each activity (instances)", ["activity", *columns[1:]],
          waits, numeric=range(1, 4))  # fmt: skip
    changed = [e for e in result.edges if e.presence != "both"]
    if changed:
        table(console, "Paths in one side only", ["from", "to", "in", "times"],
              [(e.source, e.target, e.presence, max(e.frequency_a, e.frequency_b))
               for e in changed], numeric=(3,))  # fmt: skip


compare_command = with_sla(_with_options(_compare, "sides", _SIDE_PARAMS, _sides))
compare_command.__doc__ = _compare.__doc__
