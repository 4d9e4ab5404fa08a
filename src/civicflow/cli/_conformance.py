"""``civicflow conformance``: how well the cases of a dataset follow a BPMN reference flow.

Prints the overall fitness, how case fitness is distributed and the most common deviations
(skipped, inserted and out-of-order steps) as Rich tables, or everything as JSON with ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civicflow.cli._filters import ViewOptions, view_command
from civicflow.cli._output import emit_json, table
from civicflow.core import InputError, Location
from civicflow.mining import (
    ConformanceConfig,
    ConformanceResult,
    InductiveConfig,
    conformance,
    discover_process_tree,
    read_bpmn,
)

console = Console()
err_console = Console(stderr=True)

_KIND = {"skipped": "skipped", "inserted": "inserted", "out_of_order": "out of order"}


def _labels(items: list[str]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for item in items:
        model_name, sep, activity = item.partition("=")
        if not sep or not model_name.strip() or not activity.strip():
            raise InputError(
                f"cannot read the label mapping '{item}'",
                where=Location(field="--label"),
                found=item,
                expected="'model task name=log activity'",
                fix="write --label 'Check application=T02 Check confirmation of receipt'",
            )
        pairs.append((" ".join(model_name.split()), activity.strip()))
    return tuple(pairs)


@view_command
def conformance_command(
    *,
    options: ViewOptions,
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", help="BPMN 2.0 file of the reference flow."),
    ] = None,
    discovered: Annotated[
        bool,
        typer.Option(
            "--discovered",
            help="Check against the model the Inductive Miner discovers from the same cases "
            "(instead of --model).",
        ),
    ] = False,
    noise: Annotated[
        float, typer.Option("--noise", help="With --discovered: the miner's noise threshold.")
    ] = 0.2,
    process: Annotated[
        str | None,
        typer.Option("--process", help="Process (pool) id, when the file holds several."),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            help="Map a task name to the log's activity: 'model name=log activity' (repeatable).",
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option("--method", help="alignments (exact deviations) or token_replay (fast)."),
    ] = "alignments",
    max_states: Annotated[
        int,
        typer.Option(
            "--max-states",
            help="Alignment search budget per variant; beyond it token replay is used.",
        ),
    ] = 200_000,
    top: Annotated[int, typer.Option("--top", help="How many deviations to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the cases against a BPMN reference flow (or the discovered model): fitness,
    precision and the most common deviations."""
    config = ConformanceConfig(
        method=cast(Any, method),  # ConformanceConfig names the valid ones
        labels=_labels(label or []),
        max_states=max_states,
        top=top,
    )
    if (model is None) == (not discovered):
        raise InputError(
            "say what to check the cases against",
            where=Location(field="--model"),
            found="both --model and --discovered" if discovered else "neither",
            expected="--model FILE.bpmn or --discovered",
            fix="pass a BPMN file with --model, or --discovered for the Inductive Miner's model",
        )
    bpmn = read_bpmn(model, process=process) if model is not None else None
    with options.open() as view:
        net = None
        if discovered:
            tree = discover_process_tree(view, config=InductiveConfig(noise_threshold=noise))
            net = tree.to_workflow_net(name=f"discovered (Inductive Miner, noise {noise:g})")
        if as_json:
            result = conformance(view, model=bpmn, net=net, config=config)
        else:
            with Progress(
                TextColumn("replaying variants"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task("replay", total=None)
                result = conformance(
                    view,
                    model=bpmn,
                    net=net,
                    config=config,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
    if as_json:
        emit_json({**result.to_dict(include_variants=False), "dataset": options.dataset})
        return
    _print(result, options.dataset)


def _print(result: ConformanceResult, dataset: str) -> None:
    console.print(
        f"[bold]Conformance of {dataset}[/] to {result.model} ({result.method.replace('_', ' ')})"
    )
    console.print(
        f"fitness {result.fitness:.3f} · mean case fitness {result.average_case_fitness:.3f} · "
        f"{result.fitting_cases:,} of {result.cases:,} cases fit ({result.fitting_share:.1%})"
        + (f" · precision {result.precision:.3f}" if result.precision is not None else ""),
        highlight=False,
    )
    rows = []
    for b in result.fitness_distribution():
        if b["from"] == b["to"]:
            span = "1 (fits)"
        else:
            span = f"{'[' if b['from'] == 0 else '('}{b['from']:.1f}, {b['to']:.1f}{')' if b['to'] == 1 else ']'}"
        share = b["cases"] / result.cases if result.cases else 0.0
        rows.append((span, b["cases"], f"{share:.1%}"))
    table(console, "Case fitness", ("fitness", "cases", "share"), rows, numeric=(1, 2))
    table(
        console,
        f"Top {len(result.top_deviations)} deviations",
        ("kind", "activity", "where", "cases", "share"),
        [
            (_KIND[d.kind], d.activity, d.context, d.cases, f"{d.share:.1%}")
            for d in result.top_deviations
        ],
        numeric=(3, 4),
    )
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
