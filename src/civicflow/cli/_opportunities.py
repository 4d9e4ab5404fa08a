"""``civicflow opportunities``: the activities of a dataset ranked as automation opportunities.

Prints the ranking with each signal's score and the learned decision rules as Rich tables, or
everything (signals with their evidence, the rules in words, the weights) as JSON with ``--json``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from civicflow.cli._filters import ViewOptions, view_command
from civicflow.cli._output import emit_json, table
from civicflow.core import ConfigurationError, Location
from civicflow.planning import (
    SIGNALS,
    OpportunityConfig,
    OpportunityWeights,
    automation_opportunities,
)

console = Console()


def _weights(items: list[str]) -> OpportunityWeights:
    values: dict[str, float] = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip()
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not sep or name not in SIGNALS or value != value:
            raise ConfigurationError(
                f"cannot read the weight '{item}'",
                where=Location(field="--weight"),
                found=item,
                expected=f"'signal=number' with a signal of: {', '.join(SIGNALS)}",
                fix="write --weight rule=2 --weight waiting=0",
            )
        values[name] = value
    return OpportunityWeights(**values)


@view_command
def opportunities_command(
    *,
    options: ViewOptions,
    weight: Annotated[
        list[str] | None,
        typer.Option(
            "--weight",
            help="A signal's weight: 'signal=number' (repeatable; volume, handling, waiting, "
            "rework, consistency, people, rule).",
        ),
    ] = None,
    exclude_attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-attribute",
            help="A case attribute the decision tree may not use, e.g. an outcome (repeatable).",
        ),
    ] = None,
    depth: Annotated[int, typer.Option("--depth", help="Depth of the decision tree.")] = 2,
    top: Annotated[int, typer.Option("--top", help="How many activities to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Rank the activities as automation opportunities, with each score's evidence."""
    config = OpportunityConfig(
        weights=_weights(weight or []),
        exclude_attributes=tuple(exclude_attribute or ()),
        tree_depth=depth,
    )
    with options.open() as view:
        result = automation_opportunities(view, config)
    if as_json:
        from civicflow.app.business_case import opportunities_to_dict

        emit_json({"dataset": options.dataset} | opportunities_to_dict(result, top=top))
        return
    shown = result.opportunities[: max(0, top)]
    names = list(SIGNALS)
    table(
        console,
        f"Automation opportunities in {options.dataset}",
        ("activity", "score", *names),
        [
            (o.activity, f"{o.score:.1f}", *(f"{o.signal(n).score:.2f}" for n in names))
            for o in shown
        ],
        numeric=range(1, 2 + len(names)),
    )
    if result.sequences:
        table(
            console,
            "Frequent sequences of activities (2-3 in a row, in at least 5 % of the cases)",
            ("sequence", "score", *names),
            [
                (o.activity, f"{o.score:.1f}", *(f"{o.signal(n).score:.2f}" for n in names))
                for o in result.sequences[: max(0, top)]
            ],
            numeric=range(1, 2 + len(names)),
        )
    weights = ", ".join(f"{k} {v:g}" for k, v in result.weights.as_dict().items())
    console.print(f"weights: {weights}", highlight=False)
    for o in shown:
        if o.decision.rule and o.decision.rule_likeness >= 0.01:
            console.print(f"[bold]{o.activity}[/]: {o.signal('rule').evidence}", highlight=False)
