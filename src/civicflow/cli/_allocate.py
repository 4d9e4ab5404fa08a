"""``civicflow allocate``: allocate staff hours (or inspectors, slots) to areas and periods from a
forecast table, with the equity constraints the service owner chooses; the efficient plan beside
the fair one and the price of fairness. Each run is stored as a version of a named scenario and
ledgered through ``civicflow.app.allocation``; ``--json`` everywhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ._filters import WorkspaceOpt
from ._operator import acting, print_receipt

if TYPE_CHECKING:
    from civicflow.forecasting import AllocationResult

app = typer.Typer(
    help="Allocate staff hours (or inspectors, vehicles, slots) to areas and periods from "
    "forecast demand, fairly: the efficient plan beside the fair one and what fairness costs.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:,.1f}"


def _two_columns(path: Path, *, what: str) -> dict[str, float]:
    """``area,value`` rows of a CSV (a header row is skipped when its value is not a number)."""
    from civicflow.core import InputError, Location

    out: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 2:
                raise InputError(
                    f"a row of the {what} file has no value",
                    where=Location(file=str(path), line=line),
                    found=",".join(row),
                    expected="area,value",
                    fix="give two columns: the area and the number",
                )
            try:
                out[row[0].strip()] = float(row[1])
            except ValueError as exc:
                if line == 1:
                    continue
                raise InputError(
                    f"the {what} file has a value that is not a number",
                    where=Location(file=str(path), line=line, field=row[0]),
                    found=row[1],
                    expected="a number",
                    fix="correct the row",
                ) from exc
    return out


@app.command("run")
def run(
    workspace: WorkspaceOpt,
    demand: Annotated[
        Path | None,
        typer.Argument(
            help="Forecast table (CSV or Parquet): series, period, mean, lo_80, hi_80, lo_95, "
            "hi_95, model — what `civicflow forecast` writes. Or --forecast."
        ),
    ] = None,
    forecast: Annotated[
        str | None,
        typer.Option(
            "--forecast",
            help="A stored forecast's id, or its name (the latest version): its area series are "
            "the demand (instead of DEMAND).",
        ),
    ] = None,
    units_per_period: Annotated[
        float | None,
        typer.Option("--units-per-period", help="Units available per period, all areas."),
    ] = None,
    budget: Annotated[
        float | None, typer.Option("--budget", help="Money for the whole horizon.")
    ] = None,
    cost_per_unit: Annotated[
        float, typer.Option("--cost-per-unit", help="Cost of one unit for one period.")
    ] = 1.0,
    unit: Annotated[
        str, typer.Option("--unit", help="What is allocated: hours, staff, inspectors, slots…")
    ] = "hours",
    hours_per_unit: Annotated[
        float,
        typer.Option("--hours-per-unit", help="Hours of work one unit gives in a period."),
    ] = 1.0,
    hours_per_case: Annotated[
        float | None,
        typer.Option("--hours-per-case", help="Service time: hours of work per case."),
    ] = None,
    service_times: Annotated[
        Path | None,
        typer.Option("--service-times", help="CSV of area,hours_per_case (per-area times)."),
    ] = None,
    times_dataset: Annotated[
        str | None,
        typer.Option(
            "--times-from",
            help="Measure service times from this dataset's handling times, per --area-attribute.",
        ),
    ] = None,
    area_attribute: Annotated[
        str | None,
        typer.Option(
            "--area-attribute", help="The case attribute holding the area (--times-from)."
        ),
    ] = None,
    area_cap: Annotated[
        float | None, typer.Option("--area-cap", help="Most units an area gets in a period.")
    ] = None,
    area_caps: Annotated[
        Path | None, typer.Option("--area-caps", help="CSV of area,cap (per-area caps).")
    ] = None,
    area_minimum: Annotated[
        float, typer.Option("--area-minimum", help="Fewest units every area gets per period.")
    ] = 0.0,
    integer: Annotated[
        bool, typer.Option("--integer", help="Whole units only (a mixed-integer programme).")
    ] = False,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="unmet (cases not served in their period are lost) or waiting (they wait: "
            "minimise case-periods in the backlog).",
        ),
    ] = "unmet",
    min_service_level: Annotated[
        float | None,
        typer.Option("--min-service-level", help="Every area served at least this share (0-1)."),
    ] = None,
    max_gap: Annotated[
        float | None,
        typer.Option("--max-gap", help="Best and worst area's service levels within this (0-1)."),
    ] = None,
    max_min: Annotated[
        bool,
        typer.Option("--max-min", help="Serve the worst-served area as well as possible first."),
    ] = False,
    population: Annotated[
        Path | None,
        typer.Option("--population", help="CSV of residents per area (nyc_modzcta_population)."),
    ] = None,
    population_area: Annotated[
        str, typer.Option("--population-area", help="The population file's area column.")
    ] = "MODIFIED_ZCTA",
    population_column: Annotated[
        str, typer.Option("--population-column", help="The population file's residents column.")
    ] = "POP_DENOMINATOR",
    rates_per: Annotated[
        float | None,
        typer.Option(
            "--rates-per",
            help="The forecast is a rate per this many residents (100000 for NYC's case rates): "
            "turn it into cases with --population.",
        ),
    ] = None,
    weight_by_population: Annotated[
        bool,
        typer.Option("--weight-by-population", help="Weigh each area's cases by its residents."),
    ] = False,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds HiGHS may take per programme.")
    ] = 60.0,
    mip_gap: Annotated[
        float,
        typer.Option(
            "--mip-gap",
            help="With --integer: stop when the plan is proven within this relative gap of the "
            "best possible (reported with each plan).",
        ),
    ] = 1e-4,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="The scenario's name: a new version of it is stored."),
    ] = None,
    no_register: Annotated[
        bool,
        typer.Option("--no-register", help="Do not add the scenario to the governance register."),
    ] = False,
    plan_csv: Annotated[
        Path | None,
        typer.Option("--plan-csv", help="Write the chosen plan per area and period to this CSV."),
    ] = None,
    areas_shown: Annotated[
        int, typer.Option("--areas", help="Areas shown in the table (worst-served first).")
    ] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Allocate from the forecast table DEMAND: the efficient plan and, with equity options, the
    fair one beside it, each area under both, the price of fairness and the plan at P90 demand;
    stored as the next version of the scenario and ledgered (``allocation.run``)."""
    from civicflow.app import Permission
    from civicflow.app import allocation as al
    from civicflow.forecasting import (
        AllocationConfig,
        Equity,
        Limits,
        ServiceTimes,
        rates_to_cases,
        read_demand,
        read_population,
    )

    pops = (
        read_population(population, area_column=population_area,
                        population_column=population_column)
        if population is not None
        else {}
    )  # fmt: skip
    limits = Limits(
        unit=unit, hours_per_unit=hours_per_unit, units_per_period=units_per_period,
        budget=budget, cost_per_unit=cost_per_unit, area_cap=area_cap,
        area_caps=_two_columns(area_caps, what="area caps") if area_caps else {},
        area_minimum=area_minimum, integer=integer,
    )  # fmt: skip
    equity = Equity(min_service_level=min_service_level, max_gap=max_gap, max_min=max_min)
    by_area = _two_columns(service_times, what="service times") if service_times else {}
    if times_dataset is not None and area_attribute is None:
        from civicflow.core import ConfigurationError, Location

        raise ConfigurationError(
            "--times-from needs the case attribute that holds the area",
            where=Location(field="area_attribute"),
            expected="--area-attribute NAME",
            fix="pass --area-attribute district (or the attribute your log uses)",
        )

    def make_config(measured: ServiceTimes | None) -> AllocationConfig:
        default = hours_per_case
        areas = dict(by_area)
        if measured is not None:
            areas = {**measured.by_area, **by_area}
            default = hours_per_case if hours_per_case is not None else measured.hours_per_case
        return AllocationConfig(
            limits=limits, service_times=ServiceTimes(hours_per_case=default, by_area=areas),
            equity=equity, objective=objective, population=pops,
            weight_by_population=weight_by_population, time_limit=time_limit,
            mip_rel_gap=mip_gap,
        )  # fmt: skip

    config = make_config(None) if times_dataset is None else None
    if (demand is None) == (forecast is None):
        from civicflow.core import InputError, Location

        raise InputError(
            "give the demand once: a forecast table file or --forecast",
            where=Location(field="DEMAND"),
            found="both" if demand is not None else "neither",
            expected="DEMAND (a CSV/Parquet forecast table) or --forecast ID",
            fix="pass the forecast table's path, or the stored forecast's id or name",
        )
    frame = read_demand(demand) if demand is not None else None
    if rates_per is not None and frame is not None:
        if not pops:
            from civicflow.core import ConfigurationError, Location

            raise ConfigurationError(
                "--rates-per needs the population of each area",
                where=Location(field="rates_per"),
                expected="--population FILE",
                fix="pass --population nyc_modzcta_population.csv (or drop --rates-per)",
            )
        frame = rates_to_cases(frame, pops, per=rates_per)
    import hashlib

    digest = hashlib.sha256(demand.read_bytes()).hexdigest() if demand is not None else None
    source = demand.name if demand is not None else str(forecast)
    with acting(workspace, Permission.FORECAST_WRITE, command="civicflow allocate run") as act:
        if frame is None:
            frame, source, digest = al.forecast_demand(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                forecast=str(forecast),
            )  # fmt: skip
            if rates_per is not None and pops:
                frame = rates_to_cases(frame, pops, per=rates_per)
        scenario = name or al.default_name(demand.stem if demand is not None else str(forecast))
        if config is None:
            with err_console.status("measuring service times from the log…"):
                measured = al.service_times_from_dataset(
                    act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                    dataset_name=str(times_dataset), attribute=str(area_attribute),
                )  # fmt: skip
            config = make_config(measured.service_times)
        with err_console.status("solving the allocation with HiGHS…"):
            stored, result = al.run_allocation(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                demand=frame, config=config, name=scenario, source=source,
                source_sha256=digest, register=not no_register,
                reason=f"civicflow allocate run {source} (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="allocation.run", object_type="allocation", object_id=stored.id
        )
    if plan_csv is not None:
        _write_plan(plan_csv, result)
    if as_json:
        doc = {k: v for k, v in stored.to_dict().items() if k != "result"}
        typer.echo(json.dumps({**doc, **result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    console.print(
        f"allocation '{stored.name}' version {stored.version}: {len(result.areas)} areas × "
        f"{len(result.periods)} periods, {result.rows:,} × {result.columns:,} programme, "
        f"{result.seconds:.2f} s",
        highlight=False,
    )
    _show(result, areas_shown)
    if stored.system_id:
        console.print(f"governance register: {stored.system_id}", highlight=False)
    print_receipt(receipt, out=console)


def _write_plan(path: Path, result: AllocationResult) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["area", "period", "units", "served"])
        for i, area in enumerate(result.areas):
            for t, period in enumerate(result.periods):
                writer.writerow(
                    [area, period, f"{result.units[i, t]:.4f}", f"{result.served[i, t]:.4f}"]
                )


def _show(result: AllocationResult, areas_shown: int) -> None:
    plans = [result.efficient] + ([result.fair] if result.fair else [])
    t = Table(title="plans")
    t.add_column("")
    for p in plans:
        t.add_column(p.name, justify="right")
    rows = [
        ("unmet cases", [_num(p.unmet) for p in plans]),
        ("unmet share", [_pct(p.unmet_share) for p in plans]),
        (f"{result.config.limits.unit} used", [_num(p.units) for p in plans]),
        ("worst-served area", [f"{p.equity.lowest_area} {_pct(p.equity.lowest_level)}"
                               for p in plans]),
        ("best − worst", [_pct(p.equity.difference) for p in plans]),
        ("worst / best", ["—" if p.equity.ratio is None else f"{p.equity.ratio:.2f}"
                          for p in plans]),
        ("below four-fifths", [str(len(p.equity.four_fifths_violations)) for p in plans]),
        ("unmet at P90 demand", [_num(p.p90_unmet) for p in plans]),
        ("HiGHS", [p.status for p in plans]),
    ]  # fmt: skip
    if any(p.mip_gap is not None for p in plans):
        rows.append((f"MIP gap (accepted {result.config.mip_rel_gap:g})",
                     ["—" if p.mip_gap is None else f"{p.mip_gap:.5f}" for p in plans]))  # fmt: skip
    if any(p.case_periods_waiting is not None for p in plans):
        rows.insert(2, ("case-periods waiting", [_num(p.case_periods_waiting) for p in plans]))
    for label, values in rows:
        t.add_row(label, *values)
    console.print(t)
    if result.price is not None:
        console.print(f"[bold]Price of fairness[/bold]: {result.price.text}")
    fair = result.fair is not None
    t = Table(title=f"areas (worst-served first, {min(areas_shown, len(result.outcomes))} of "
                    f"{len(result.outcomes)})")  # fmt: skip
    for c in ("area", "demand", "efficient", "fair" if fair else None, "impact ratio",
              "unmet at P90"):  # fmt: skip
        if c is not None:
            t.add_column(c, justify="left" if c == "area" else "right")
    key = (lambda o: (o.service_fair if o.service_fair is not None else 2.0)) if fair else (
        lambda o: (o.service_efficient if o.service_efficient is not None else 2.0)
    )  # fmt: skip
    for o in sorted(result.outcomes, key=key)[:areas_shown]:
        cells = [o.area, _num(o.demand), f"{_num(o.units_efficient)} ({_pct(o.service_efficient)})"]
        if fair:
            cells.append(f"{_num(o.units_fair)} ({_pct(o.service_fair)})")
        cells += ["—" if o.impact_ratio is None else f"{o.impact_ratio:.2f}", _num(o.unmet_p90)]
        t.add_row(*cells)
    console.print(t)
    for w in result.warnings:
        err_console.print(f"warning: {w}", highlight=False)


@app.command("list")
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the stored allocation scenarios, every version, newest first."""
    from civicflow.app import Permission
    from civicflow.app import allocation as al

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow allocate list") as act:
        stored = al.list_allocations(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        typer.echo(
            json.dumps([{k: v for k, v in a.to_dict().items() if k != "result"} for a in stored],
                       indent=2)
        )  # fmt: skip
        return
    t = Table(title="allocation scenarios")
    for c in ("name", "version", "source", "unmet (chosen)", "worst-served", "created", "id"):
        t.add_column(c, overflow="fold")
    for a in stored:
        plan = a.result.get("fair") or a.result["efficient"]
        t.add_row(
            a.name, str(a.version), a.source, _pct(plan["unmet_share"]),
            _pct(plan["equity"]["lowest_level"]), a.created_at.strftime("%Y-%m-%d %H:%M"), a.id,
        )  # fmt: skip
    console.print(t)


@app.command("show")
def show(
    allocation_id: Annotated[
        str, typer.Argument(help="The stored allocation's id, or a scenario name (its latest).")
    ],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """Show a stored allocation: its plans, the price of fairness and every area."""
    from civicflow.app import Permission
    from civicflow.app import allocation as al

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow allocate show") as act:
        stored = al.get_allocation(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            allocation_id=allocation_id,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(stored.to_dict(), indent=2))
        return
    r = stored.result
    console.print(f"allocation '{stored.name}' version {stored.version} ({stored.source})",
                  highlight=False)  # fmt: skip
    if r.get("price_of_fairness"):
        console.print(f"[bold]Price of fairness[/bold]: {r['price_of_fairness']['text']}")
    t = Table(title="areas")
    for c in ("area", "demand", "efficient", "fair", "unmet at P90"):
        t.add_column(c, justify="left" if c == "area" else "right")
    for o in r["outcomes"]:
        t.add_row(
            o["area"], _num(o["demand"]), _pct(o["service_efficient"]), _pct(o["service_fair"]),
            _num(o["unmet_p90"]),
        )  # fmt: skip
    console.print(t)
