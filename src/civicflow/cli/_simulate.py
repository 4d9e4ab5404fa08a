"""``civicflow simulate``: discover a simulation model, validate it on held-out data, run it (the
simulated log becomes a dataset), compare what-if scenarios — each stored and ledgered through
``civicflow.app.planning``, each with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from civicflow.core import InputError, Location
from civicflow.mining import format_duration, format_number, format_share, parse_time

from ._filters import ViewOptions, WorkspaceOpt, view_command
from ._operator import Acting, acting, print_receipt

if TYPE_CHECKING:
    from civicflow.app.planning import StoredModel
    from civicflow.planning import Estimate, ScenarioComparison, ValidationReport

app = typer.Typer(
    help="Simulation: discover a model of the process from a dataset, validate it on held-out "
    "data, run it, compare what-if scenarios.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="The stored model (name or id).")]
TimezoneOpt = Annotated[
    str,
    typer.Option("--timezone", help="The organisation's time zone (hour-of-week, calendars)."),
]
CountryOpt = Annotated[
    str | None,
    typer.Option("--country", help="Public holidays of the working calendars (ISO code, e.g. NL)."),
]
ReplicationsOpt = Annotated[int, typer.Option("--replications", "-r", help="Replications.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")]
ScenarioOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario",
        "-s",
        help="A scenario: a JSON file (stored, or updated by its name) or a stored scenario's "
        "name or id. Repeatable.",
    ),
]


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr; yields the ``progress(done, total)`` callback."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


def _discovery(timezone: str, country: str | None, name: str | None = None) -> Any:
    from civicflow.planning import DiscoveryConfig

    return DiscoveryConfig(timezone=timezone, country=country, name=name)


@app.command("discover")
@view_command
def discover(
    *,
    options: ViewOptions,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the model.")] = None,
    timezone: TimezoneOpt = "UTC",
    country: CountryOpt = None,
    training_end: Annotated[
        str | None,
        typer.Option("--training-end", help="Train on the cases that start before this date."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the model's JSON here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Discover a simulation model from a dataset (through the filters) and store it in the
    workspace; recorded in the audit ledger."""
    from dataclasses import replace

    from civicflow.app import Permission
    from civicflow.app import planning as ap

    cfg = _discovery(timezone, country, name)
    if training_end:
        cfg = replace(cfg, end=parse_time(training_end, option="--training-end"))
    with acting(
        options.workspace, Permission.SIMULATION_WRITE, command="civicflow simulate discover"
    ) as act:
        with err_console.status("discovering the model…"):
            stored = ap.discover(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                dataset_name=options.dataset, config=cfg, filter=options.filter, name=name,
                reason="civicflow simulate discover (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="simulation_model.create", object_type="simulation_model", object_id=stored.id
        )
    if out is not None:
        stored.model.to_json(out)
    if as_json:
        typer.echo(json.dumps({**stored.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _show_model(stored)
    if out is not None:
        console.print(f"model written to {out}", highlight=False)
    print_receipt(receipt, out=console)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A model JSON document (e.g. an edited one).")],
    workspace: WorkspaceOpt,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Replace this stored model (name or id)."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the model.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store a model document (validated first: an error names the field), as a new model or
    in place of ``--model``; recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import planning as ap
    from civicflow.planning import SimulationModel

    document = SimulationModel.from_json(file)
    with acting(workspace, Permission.SIMULATION_WRITE, command="civicflow simulate import") as act:
        ws = act.operator.workspace_id
        model_id = None
        if model is not None:
            existing = ap.find_model(act.ctx, actor=act.operator.actor, workspace_id=ws, ref=model)
            model_id, name = existing.id, name or existing.name
        stored = ap.save_model(
            act.ctx, actor=act.operator.actor, workspace_id=ws, model=document, name=name,
            model_id=model_id, reason=f"civicflow simulate import {file.name}",
        )  # fmt: skip
        action = "simulation_model.update" if model_id else "simulation_model.create"
        receipt = act.receipt(action=action, object_type="simulation_model", object_id=stored.id)
    if as_json:
        typer.echo(json.dumps({**stored.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _show_model(stored)
    print_receipt(receipt, out=console)


@app.command("list")
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the stored models with their scenarios, and the runs."""
    from civicflow.app import Permission
    from civicflow.app import planning as ap

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow simulate list") as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        models = ap.list_models(act.ctx, actor=actor, workspace_id=ws)
        scenarios = {
            m.id: ap.list_scenarios(act.ctx, actor=actor, workspace_id=ws, model_id=m.id)
            for m in models
        }
        runs = ap.list_runs(act.ctx, actor=actor, workspace_id=ws)
    if as_json:
        data = {
            "models": [
                {"id": m.id, "name": m.name, "dataset": m.dataset,
                 "scenarios": [{"id": s.id, "name": s.name} for s in scenarios[m.id]]}
                for m in models
            ],
            "runs": [
                {"id": r.id, "kind": r.kind, "model_id": r.model_id, "dataset": r.dataset,
                 "created_at": r.created_at.isoformat(), "seconds": round(r.seconds, 2)}
                for r in runs
            ],
        }  # fmt: skip
        typer.echo(json.dumps(data, indent=2))
        return
    if not models and not runs:
        console.print("no simulation models yet: discover one with `civicflow simulate discover`")
        return
    table = Table(title="Simulation models")
    for col in ("name", "id", "dataset", "scenarios"):
        table.add_column(col)
    for m in models:
        table.add_row(m.name, m.id, m.dataset or "", ", ".join(s.name for s in scenarios[m.id]))
    console.print(table)
    runs_table = Table(title="Runs")
    for col in ("id", "kind", "model", "dataset", "when", "seconds"):
        runs_table.add_column(col)
    for r in runs:
        runs_table.add_row(
            r.id, r.kind, r.model_id or "", r.dataset or "", r.created_at.isoformat()[:19],
            f"{r.seconds:.1f}",
        )  # fmt: skip
    console.print(runs_table)


def _scenario_ids(act: Acting, model: StoredModel, refs: list[str]) -> list[str]:
    """Each ``--scenario``: a JSON file (stored, or replacing the model's scenario of its name),
    or a stored scenario's name or id."""
    from civicflow.app import planning as ap
    from civicflow.planning import Scenario

    actor, ws = act.operator.actor, act.operator.workspace_id
    stored = {s.name: s for s in ap.list_scenarios(act.ctx, actor=actor, workspace_id=ws, model_id=model.id)}  # fmt: skip
    by_id = {s.id: s for s in stored.values()}
    ids = []
    for ref in refs:
        path = Path(ref)
        if path.suffix == ".json" and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise InputError(
                    "the scenario file is not JSON",
                    where=Location(file=str(path), row=exc.lineno),
                    found=exc.msg,
                    expected='{"name": ..., "changes": [...]}',
                    fix="correct the file (see docs/SIMULATION.md, Scenarios)",
                ) from None
            scenario = Scenario.from_dict(data, file=str(path))
            old = stored.get(scenario.name)
            saved = ap.save_scenario(
                act.ctx, actor=actor, workspace_id=ws, model_id=model.id, scenario=scenario,
                scenario_id=None if old is None else old.id,
                reason=f"civicflow simulate (command line): {path.name}",
            )  # fmt: skip
            stored[saved.name] = saved
            ids.append(saved.id)
        elif ref in stored:
            ids.append(stored[ref].id)
        elif ref in by_id:
            ids.append(ref)
        else:
            raise InputError(
                f"there is no scenario '{ref}' of model '{model.name}'",
                where=Location(field="--scenario"),
                found=ref,
                expected="a scenario JSON file, or one of: " + (", ".join(stored) or "(none yet)"),
                fix="pass a JSON file such as "
                '{"name": "4 assessors", "changes": [{"kind": "staffing", "pool": "assessor", '
                '"size": 4}]}',
            )
    return ids


@app.command("run")
def run(
    workspace: WorkspaceOpt,
    model: ModelOpt,
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", help="Name of the dataset the simulated log becomes.")
    ],
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", "-s", help="Apply this scenario (JSON file, name or id)."),
    ] = None,
    cases: Annotated[int | None, typer.Option("--cases", "-n", help="Cases to simulate.")] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First arrival (default: the model's start).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="No arrival at or after this date.")
    ] = None,
    replications: ReplicationsOpt = 1,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a stored model (optionally with a scenario); the first replication becomes a
    dataset of the workspace. Both are recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import planning as ap
    from civicflow.planning import SimulationConfig

    if cases is None and until is None:
        cases = 1000
    config = SimulationConfig(
        cases=cases,
        start=parse_time(start, option="--start") if start else None,
        end=parse_time(until, option="--until") if until else None,
        replications=replications,
        seed=seed,
    )
    with acting(workspace, Permission.SIMULATION_WRITE, command="civicflow simulate run") as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        stored = ap.find_model(act.ctx, actor=actor, workspace_id=ws, ref=model)
        scenario_id = _scenario_ids(act, stored, [scenario])[0] if scenario else None
        with _progress("simulating cases") as progress:
            done = ap.run_simulation(
                act.ctx, actor=actor, workspace_id=ws, model_id=stored.id, config=config,
                dataset_name=dataset, scenario_id=scenario_id, progress=progress,
                reason="civicflow simulate run (command line)",
            )  # fmt: skip
        receipt = act.receipt(action="simulation.run", object_type="simulation_run", object_id=done.id)  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**done.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    r = done.result
    console.print(
        f"simulated {r['cases']:,} cases, {r['events']:,} events in {done.seconds:.1f} s "
        f"({r['events_per_second']:,} events/s); dataset [bold]{r['dataset']}[/] stored",
        highlight=False,
    )
    print_receipt(receipt, out=console)


@app.command("validate")
@view_command
def validate(
    *,
    options: ViewOptions,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", "-m", help="Validate this stored model (default: discover on training)."
        ),
    ] = None,
    holdout: Annotated[
        float, typer.Option("--holdout", help="Share of the time span held out (0-0.5).")
    ] = 0.2,
    split: Annotated[
        str | None, typer.Option("--split", help="Hold out from this date instead.")
    ] = None,
    replications: ReplicationsOpt = 3,
    seed: SeedOpt = 0,
    timezone: TimezoneOpt = "UTC",
    country: CountryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a simulation model on held-out data: discover on the training period, simulate
    the held-out period, measure the distance to what happened beside the past replayed, and
    say what the model can be trusted for. Stored and recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import planning as ap
    from civicflow.planning import ValidationConfig

    config = ValidationConfig(
        holdout=holdout,
        split=parse_time(split, option="--split") if split else None,
        replications=replications,
        seed=seed,
        discovery=_discovery(timezone, country),
    )
    with acting(
        options.workspace, Permission.SIMULATION_WRITE, command="civicflow simulate validate"
    ) as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        model_id = (
            ap.find_model(act.ctx, actor=actor, workspace_id=ws, ref=model).id if model else None
        )
        with _progress("simulating the held-out period") as progress:
            done = ap.validate(
                act.ctx, actor=actor, workspace_id=ws, dataset_name=options.dataset,
                config=config, filter=options.filter, model_id=model_id, progress=progress,
                reason="civicflow simulate validate (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="simulation.validate", object_type="simulation_run", object_id=done.id
        )
    if as_json:
        data = done.to_dict()
        data["result"] = {k: v for k, v in data["result"].items() if k != "model"}
        typer.echo(json.dumps({**data, "ledger_entry": receipt}, indent=2))
        return
    _show_validation(done.validation())
    print_receipt(receipt, out=console)


@app.command("compare")
def compare(
    workspace: WorkspaceOpt,
    model: ModelOpt,
    scenario: ScenarioOpt = None,
    cases: Annotated[int, typer.Option("--cases", "-n", help="Cases per replication.")] = 1000,
    replications: ReplicationsOpt = 5,
    seed: SeedOpt = 0,
    warmup: Annotated[
        float, typer.Option("--warmup", help="Share of each replication's first cases ignored.")
    ] = 0.1,
    sla_days: Annotated[
        float | None, typer.Option("--sla-days", help="SLA in calendar days, arrival to end.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare what-if scenarios with the model as it is over replications: throughput time,
    waiting per activity, backlog, utilisation, cost per case, SLA compliance, with 95 %
    confidence intervals and a plain summary. Stored and recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import planning as ap
    from civicflow.planning import ComparisonConfig

    config = ComparisonConfig(
        cases=cases, replications=replications, seed=seed, warmup=warmup, sla_days=sla_days
    )
    with acting(
        workspace, Permission.SIMULATION_WRITE, command="civicflow simulate compare"
    ) as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        stored = ap.find_model(act.ctx, actor=actor, workspace_id=ws, ref=model)
        ids = _scenario_ids(act, stored, scenario or [])
        with _progress("simulating the as-is model and the scenarios") as progress:
            done = ap.compare(
                act.ctx, actor=actor, workspace_id=ws, model_id=stored.id, scenario_ids=ids,
                config=config, progress=progress,
                reason="civicflow simulate compare (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="simulation.compare", object_type="simulation_run", object_id=done.id
        )
    if as_json:
        typer.echo(json.dumps({**done.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _show_comparison(done.comparison())
    print_receipt(receipt, out=console)


# --------------------------------------------------------------------------------------------


def _show_model(stored: StoredModel) -> None:
    m = stored.model
    console.print(
        f"[bold]{stored.name}[/] ({stored.id}) from dataset {stored.dataset or '—'}: "
        f"{len(m.activities)} activities, {len(m.pools)} pools, "
        f"{604_800 / m.arrivals.interarrival.mean:,.1f} cases a week",
        highlight=False,
    )
    table = Table(title="Resource pools")
    for col in ("pool", "size", "cost per hour", "calendar", "activities"):
        table.add_column(col)
    for name, pool in m.pools.items():
        acts = [a for a, am in m.activities.items() if am.pool == name]
        cal = pool.working_calendar()
        table.add_row(
            name, str(pool.size), format_number(pool.cost_per_hour),
            "always" if cal is None else "office hours", ", ".join(acts),
        )  # fmt: skip
    console.print(table)


def _show_validation(report: ValidationReport) -> None:
    console.print(
        f"held out from {report.split.isoformat()[:10]}: {report.training_cases:,} training "
        f"cases, {report.held_out_cases:,} held out; {report.replications} replications",
        highlight=False,
    )
    table = Table(title="Distance to the held-out log (lower is better)")
    for col in ("measure", "model", "± sd", "past replayed", "model as good"):
        table.add_column(col)
    for m in report.measures:
        table.add_row(
            f"{m.label} ({m.unit})", f"{m.simulated:,.3f}", f"{m.simulated_sd:,.3f}",
            f"{m.naive:,.3f}", "yes" if m.beats_naive else "no",
        )  # fmt: skip
    console.print(table)
    figures = Table(title="Key figures")
    for col in ("figure", "real", "model", "past replayed"):
        figures.add_column(col)
    for fig in report.figures:
        figures.add_row(
            fig.label, format_number(fig.real), format_number(fig.simulated),
            format_number(fig.naive),
        )  # fmt: skip
    console.print(figures)
    for finding in report.findings:
        console.print(
            f"- {finding.aspect}: [bold]{finding.trust}[/] — {finding.reason}", highlight=False
        )
    console.print(report.verdict, highlight=False)


def _est(e: Estimate | None, fmt: Callable[[float], str]) -> str:
    if e is None:
        return "—"
    if e.low != e.low:  # NaN: one replication
        return fmt(e.mean)
    return f"{fmt(e.mean)} ({fmt(e.low)} – {fmt(e.high)})"


def _show_comparison(cmp: ScenarioComparison) -> None:
    outcomes = [cmp.as_is, *cmp.scenarios]
    table = Table(title=f"{cmp.model_name}: mean (95 % confidence interval)")
    table.add_column("measure")
    for o in outcomes:
        table.add_column(o.name)
    rows: list[tuple[str, str, Callable[[float], str]]] = [
        ("throughput time, median", "throughput_median", format_duration),
        ("throughput time, 90th percentile", "throughput_p90", format_duration),
        ("backlog (open cases)", "backlog", lambda v: format_number(round(v, 2))),
        ("cost per case", "cost_per_case", lambda v: format_number(round(v, 2))),
        ("SLA compliance", "sla_compliance", format_share),
    ]
    rows += [(f"utilisation {p}", f"utilisation:{p}", format_share) for p in cmp.as_is.utilisation]
    rows += [(f"waiting before {a}", f"waiting:{a}", format_duration) for a in cmp.as_is.waiting]
    for label, key, fmt in rows:
        table.add_row(label, *(_est(o.metric(key), fmt) for o in outcomes))
    console.print(table)
    for line in cmp.summary:
        console.print(line, highlight=False)
