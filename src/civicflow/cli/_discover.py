"""``civicflow discover``: a sound, block-structured process model (Inductive Miner) from the
cases of a dataset, printed as a process tree and written as BPMN 2.0 or PNML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from civicflow.cli._filters import ViewOptions, view_command
from civicflow.cli._output import emit_json
from civicflow.mining import InductiveConfig, discover_process_tree

console = Console()

NOISE_HELP = (
    "Infrequent-behaviour filter of the Inductive Miner (IMf), 0 to 1: directly-follows edges "
    "rarer than this share of the most frequent edge out of the same activity are ignored; "
    "0 keeps everything (every case fits)."
)


@view_command
def discover_command(
    *,
    options: ViewOptions,
    noise: Annotated[float, typer.Option("--noise", help=NOISE_HELP)] = 0.2,
    bpmn: Annotated[
        Path | None, typer.Option("--bpmn", help="Write the model as BPMN 2.0 XML (with diagram).")
    ] = None,
    pnml: Annotated[
        Path | None, typer.Option("--pnml", help="Write the model as a Petri net (PNML).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Discover a process model (Inductive Miner): a sound, block-structured process tree."""
    config = InductiveConfig(noise_threshold=noise)
    with options.open() as view:
        tree = discover_process_tree(view, config=config)
    net = tree.to_workflow_net(name=f"{options.dataset}-discovered")
    if bpmn is not None:
        bpmn.write_text(
            tree.to_bpmn(process_id="discovered", name=f"{options.dataset} (discovered)")
        )
    if pnml is not None:
        pnml.write_text(net.to_pnml())
    if as_json:
        emit_json(
            {
                "dataset": options.dataset,
                "noise_threshold": noise,
                "tree": str(tree),
                "structure": tree.to_dict(),
                "activities": sorted(tree.activities),
                "places": len(net.places),
                "transitions": len(net.transitions),
                "bpmn": str(bpmn) if bpmn else None,
                "pnml": str(pnml) if pnml else None,
            }
        )
        return
    console.print(
        f"[bold]Process model of {options.dataset}[/] (Inductive Miner, noise {noise:g}): "
        f"{len(tree.activities)} activities, {len(net.places)} places, "
        f"{len(net.transitions)} transitions",
        highlight=False,
    )
    console.print(str(tree), highlight=False, soft_wrap=True)
    for what, path in (("BPMN", bpmn), ("PNML", pnml)):
        if path is not None:
            console.print(f"{what} written to {path}", highlight=False)
