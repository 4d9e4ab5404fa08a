"""``civicflow forecast``: forecast demand from a dataset's arrivals (``dataset``) or a table
(``table``), list and show the stored forecasts — each run stored as a version of a named
forecast and ledgered through ``civicflow.app.forecasts``, each with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._filters import ViewOptions, WorkspaceOpt, view_command
from ._operator import acting, print_receipt

if TYPE_CHECKING:
    from civicflow.app.forecasts import StoredForecast
    from civicflow.forecasting import ForecastConfig, ForecastResult

app = typer.Typer(
    help="Forecasting: demand per day, week or month from a dataset's arrivals or a table, a "
    "model per series chosen by cross-validation, intervals, accuracy against seasonal naive, "
    "hierarchies that add up.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
NameOpt = Annotated[
    str | None,
    typer.Option("--name", "-n", help="The forecast's name: a new version of it is stored."),
]
HorizonOpt = Annotated[int, typer.Option("--horizon", "-h", help="Periods ahead.")]
ModelsOpt = Annotated[
    str | None,
    typer.Option(
        "--models",
        help="Candidate models, comma-separated: ets, arima, theta, seasonal_naive (default: "
        "by frequency). Intermittent series get croston, adida, imapa.",
    ),
]
LevelsOpt = Annotated[
    str, typer.Option("--levels", help="Interval levels in percent, comma-separated.")
]
WindowsOpt = Annotated[
    int, typer.Option("--cv-windows", help="Cross-validation windows that choose the model.")
]
ReconcileOpt = Annotated[
    str,
    typer.Option("--reconcile", help="A hierarchy's reconciliation: mint_shrink, ols, "
                 "bottom_up or none."),
]  # fmt: skip
HolidaysOpt = Annotated[
    str | None,
    typer.Option("--holidays", help="Public holidays of a country (NL, DE, GB, US…) as a "
                 "regressor of AutoARIMA."),
]  # fmt: skip
EventsOpt = Annotated[
    Path | None,
    typer.Option("--events", help="Known events: a CSV with the columns name,date (one row per "
                 "date), regressors of AutoARIMA."),
]  # fmt: skip
SkipShortOpt = Annotated[
    bool, typer.Option("--skip-short", help="Leave out series too short to cross-validate.")
]
JobsOpt = Annotated[int, typer.Option("--jobs", help="Worker processes.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Also write the forecast table (CSV or Parquet)."),
]


def _config(
    *, horizon: int, models: str | None, levels: str, cv_windows: int, reconcile: str,
    holidays: str | None, events: Path | None, skip_short: bool, jobs: int,
) -> ForecastConfig:  # fmt: skip
    from civicflow.core import InputError, Location
    from civicflow.forecasting import ForecastConfig

    try:
        level_values = tuple(int(v) for v in levels.split(",") if v.strip())
    except ValueError as exc:
        raise InputError(
            "interval levels are whole percentages",
            where=Location(field="--levels"),
            found=levels,
            fix="pass levels such as 80,95",
        ) from exc
    return ForecastConfig(
        horizon=horizon,
        levels=level_values,
        models=tuple(m.strip() for m in (models or "").split(",") if m.strip()),  # type: ignore[misc]
        cv_windows=cv_windows,
        reconcile=reconcile,  # type: ignore[arg-type]
        holidays=holidays,
        events=_read_events(events) if events is not None else (),
        short="skip" if skip_short else "error",
        n_jobs=jobs,
    )


def _read_events(path: Path) -> tuple[Any, ...]:
    import pandas as pd

    from civicflow.core import InputError, Location
    from civicflow.forecasting import KnownEvent

    if not path.is_file():
        raise InputError(
            "the events file does not exist", where=Location(file=str(path)),
            expected="a CSV with the columns name,date", fix="check the path",
        )  # fmt: skip
    frame = pd.read_csv(path)
    if not {"name", "date"} <= set(frame.columns):
        raise InputError(
            "the events file needs the columns name and date",
            where=Location(file=str(path)),
            found=", ".join(map(str, frame.columns)),
            expected="name,date",
            fix="one row per event date: name,date",
        )
    dates = pd.to_datetime(frame["date"], errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().nonzero()[0][0])
        raise InputError(
            "an event date cannot be read",
            where=Location(file=str(path), row=row + 2, field="date"),
            found=str(frame["date"].iloc[row]),
            expected="a date such as 2025-04-27",
            fix="correct the date",
        )
    grouped: dict[str, list[Any]] = {}
    for name, d in zip(frame["name"].astype(str), dates, strict=True):
        grouped.setdefault(name, []).append(d.date())
    return tuple(KnownEvent(name=n, dates=tuple(ds)) for n, ds in grouped.items())


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A progress bar per stage on stderr (cross-validation, forecast, reconcile)."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]forecast[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        err_console.print("fitting the models (the first run in a process compiles them)…")
        yield update


def _write(result: ForecastResult, output: Path) -> None:
    table = result.table()
    if output.suffix.lower() in (".parquet", ".pq"):
        table.to_parquet(output, index=False)
    else:
        table.assign(period=table["period"].dt.date).to_csv(output, index=False)


def _finish(
    stored: StoredForecast, result: ForecastResult, receipt: dict[str, Any], *,
    as_json: bool, output: Path | None,
) -> None:  # fmt: skip
    if output is not None:
        _write(result, output)
    if as_json:
        doc = {k: v for k, v in stored.to_dict().items() if k != "result"}
        typer.echo(json.dumps({**doc, **result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    console.print(
        f"forecast '{stored.name}' version {stored.version}: {len(result.choices)} series, "
        f"{result.config.horizon} {result.history.freq}s ahead, reconciled: {result.reconciled}",
        highlight=False,
    )
    _show(result)
    if output is not None:
        console.print(f"wrote {output}", highlight=False)
    print_receipt(receipt, out=console)


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.0f} %"


def _show(result: ForecastResult, *, limit: int = 20) -> None:
    from civicflow.mining import format_number

    acc = {s.series: s for s in (result.accuracy.series if result.accuracy else ())}
    t = Table(title="models and accuracy on the held-out periods")
    for col in ("series", "model", "MASE", "naive MASE", "sMAPE", "naive sMAPE", "80 % coverage"):
        t.add_column(col, overflow="fold")
    for c in result.choices[:limit]:
        a = acc.get(c.series)
        cells = (
            [format_number(a.mase), format_number(a.naive_mase), format_number(a.smape),
             format_number(a.naive_smape), _pct(a.coverage.get("80"))]
            if a else ["—"] * 5
        )  # fmt: skip
        t.add_row(c.series, c.model, *cells)
    console.print(t)
    if len(result.choices) > limit:
        console.print(f"… and {len(result.choices) - limit} more series (--json for all)")
    if result.accuracy is not None:
        s = result.accuracy.summary
        console.print(
            f"overall: MASE {s['mase']} vs seasonal naive {s['naive_mase']}; beats seasonal naive "
            f"in {100 * s['beats_naive_share']:.0f} % of series",
            highlight=False,
        )
    lo, hi = f"lo_{result.config.levels[0]}", f"hi_{result.config.levels[0]}"
    first = result.choices[0].series
    rows = result.table()
    rows = rows[rows["series"] == first]
    t = Table(title=f"forecast of '{first}' ({result.config.levels[0]} % interval)")
    for heading in ("period", "mean", "low", "high"):
        t.add_column(heading)
    for d in rows.to_dict(orient="records"):
        t.add_row(
            str(d["period"].date()), format_number(d["mean"]), format_number(d[lo]),
            format_number(d[hi]),
        )  # fmt: skip
    console.print(t)


@app.command("dataset")
@view_command
def dataset(
    *,
    options: ViewOptions,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Case attributes making a hierarchy, broadest first, "
            "comma-separated (region,office).",
        ),
    ] = None,
    freq: Annotated[str, typer.Option("--freq", help="day, week or month.")] = "week",
    keep_partial: Annotated[
        bool,
        typer.Option("--keep-partial", help="Keep a first or last period only partly in the log."),
    ] = False,
    horizon: HorizonOpt = 13,
    models: ModelsOpt = None,
    levels: LevelsOpt = "80,95",
    cv_windows: WindowsOpt = 2,
    reconcile: ReconcileOpt = "mint_shrink",
    holidays: HolidaysOpt = None,
    events: EventsOpt = None,
    skip_short: SkipShortOpt = False,
    jobs: JobsOpt = 1,
    name: NameOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forecast the new cases per period of a dataset (through its filters), for the total and,
    with --by, down the hierarchy of case attributes; stored and ledgered."""
    from civicflow.app import Permission
    from civicflow.app import forecasts as af
    from civicflow.forecasting import DatasetSeriesConfig

    config = _config(
        horizon=horizon, models=models, levels=levels, cv_windows=cv_windows,
        reconcile=reconcile, holidays=holidays, events=events, skip_short=skip_short, jobs=jobs,
    )  # fmt: skip
    series_config = DatasetSeriesConfig(
        freq=freq,  # type: ignore[arg-type]
        by=tuple(b.strip() for b in (by or "").split(",") if b.strip()),
        drop_partial=not keep_partial,
    )
    with acting(
        options.workspace, Permission.FORECAST_WRITE, command="civicflow forecast dataset"
    ) as act:
        with _progress(not as_json) as progress:
            stored, result = af.run_forecast(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                config=config, dataset_name=options.dataset, series_config=series_config,
                filter=options.filter, name=name, progress=progress,
                reason="civicflow forecast dataset (command line)",
            )  # fmt: skip
        receipt = act.receipt(action="forecast.run", object_type="forecast", object_id=stored.id)
    _finish(stored, result, receipt, as_json=as_json, output=output)


@app.command("table")
def table(
    file: Annotated[Path, typer.Argument(help="Series: a CSV or Parquet file, long or wide.")],
    workspace: WorkspaceOpt,
    period: Annotated[str, typer.Option("--period", help="The period (date) column.")] = "period",
    value: Annotated[
        str, typer.Option("--value", help="The value column (long form; absent: wide form).")
    ] = "value",
    series: Annotated[
        str, typer.Option("--series", help="The series column (long form).")
    ] = "series",
    by: Annotated[
        str | None,
        typer.Option("--by", help="Columns making a hierarchy (long form), comma-separated."),
    ] = None,
    prefix: Annotated[
        str, typer.Option("--prefix", help="Wide form: only columns with this prefix, stripped.")
    ] = "",
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Wide form: only these series, comma-separated."),
    ] = None,
    freq: Annotated[
        str | None, typer.Option("--freq", help="day, week or month (default: inferred).")
    ] = None,
    gaps: Annotated[
        str, typer.Option("--gaps", help="A missing period: error, zero or interpolate.")
    ] = "error",
    horizon: HorizonOpt = 13,
    models: ModelsOpt = None,
    levels: LevelsOpt = "80,95",
    cv_windows: WindowsOpt = 2,
    reconcile: ReconcileOpt = "mint_shrink",
    holidays: HolidaysOpt = None,
    events: EventsOpt = None,
    skip_short: SkipShortOpt = False,
    jobs: JobsOpt = 1,
    name: NameOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forecast the series of a table: long form (period, series or --by columns, value) or
    wide form (period, one column per series); stored and ledgered."""
    from civicflow.app import Permission
    from civicflow.app import forecasts as af
    from civicflow.forecasting import TableSeriesConfig

    config = _config(
        horizon=horizon, models=models, levels=levels, cv_windows=cv_windows,
        reconcile=reconcile, holidays=holidays, events=events, skip_short=skip_short, jobs=jobs,
    )  # fmt: skip
    table_config = TableSeriesConfig(
        period=period, value=value, series=series,
        by=tuple(b.strip() for b in (by or "").split(",") if b.strip()),
        freq=freq,  # type: ignore[arg-type]
        gaps=gaps,  # type: ignore[arg-type]
        prefix=prefix,
        columns=tuple(c.strip() for c in (columns or "").split(",") if c.strip()),
    )  # fmt: skip
    with acting(workspace, Permission.FORECAST_WRITE, command="civicflow forecast table") as act:
        with _progress(not as_json) as progress:
            stored, result = af.run_forecast(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                config=config, table=file, table_config=table_config, name=name,
                progress=progress, reason=f"civicflow forecast table {file.name} (command line)",
            )  # fmt: skip
        receipt = act.receipt(action="forecast.run", object_type="forecast", object_id=stored.id)
    _finish(stored, result, receipt, as_json=as_json, output=output)


@app.command("list")
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the stored forecasts, every version, newest first."""
    from civicflow.app import Permission
    from civicflow.app import forecasts as af

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow forecast list") as act:
        stored = af.list_forecasts(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        typer.echo(json.dumps([f.summary() for f in stored], indent=2))
        return
    t = Table(title="forecasts")
    for c in ("name", "version", "source", "series", "horizon", "MASE", "naive MASE", "id"):
        t.add_column(c, overflow="fold")
    for f in stored:
        s = f.summary()
        acc = s["accuracy"] or {}
        t.add_row(
            f.name, str(f.version), f"{f.source_kind}: {f.source}", str(s["series"]),
            str(s["horizon"]), str(acc.get("mase", "—")), str(acc.get("naive_mase", "—")), f.id,
        )  # fmt: skip
    console.print(t)


@app.command("show")
def show(
    forecast_id: Annotated[str, typer.Argument(help="The forecast's id (`forecast list`).")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """Show a stored forecast: the models, the accuracy and the forecast table."""
    from civicflow.app import Permission
    from civicflow.app import forecasts as af

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow forecast show") as act:
        stored = af.get_forecast(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            forecast_id=forecast_id,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(stored.to_dict(), indent=2))
        return
    console.print(
        f"forecast '{stored.name}' version {stored.version} of {stored.source_kind} "
        f"'{stored.source}'",
        highlight=False,
    )
    t = Table(title="forecast")
    rows = stored.result.get("forecasts", [])
    columns = list(rows[0]) if rows else []
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*("—" if r[c] is None else str(r[c]) for c in columns))
    console.print(t)
