"""Automation opportunities in the report and the workbench: the ranking of a view's activities
(and frequent sequences) with each signal's score and evidence, and the decision rules in words.

Like the business case, this reads the ranking's JSON form (``opportunities_to_dict`` in
``civicflow.app.business_case``), so the report layer does not import the planning domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicflow.report._charts import bar_chart
from civicflow.report._model import Chart, Section, Table


def opportunities_chart(data: Mapping[str, Any], *, top: int = 10) -> Chart | None:
    """The top activities and sequences by score, one bar each (None when there are none)."""
    ranked = sorted(
        [*data["opportunities"], *data.get("sequences", [])], key=lambda o: -o["score"]
    )[:top]
    if not ranked:
        return None
    values = [{"activity": o["activity"], "score": round(o["score"], 1)} for o in ranked]
    spec = bar_chart(
        title="Automation opportunities by score (0-100)", values=values, category="activity",
        measure="score", category_title="Activity or sequence", measure_title="Score",
        measure_format=",.1f",
    )  # fmt: skip
    return Chart(
        id="opportunities-scores",
        label="The activities and frequent sequences with the highest automation scores",
        spec=spec,
        table=Table(
            caption="Scores", columns=("Activity or sequence", "Score"),
            rows=tuple((v["activity"], f"{v['score']:.1f}") for v in values),
            numeric=frozenset({1}),
        ),
    )  # fmt: skip


def _signal_rows(items: list[Mapping[str, Any]], names: list[str]) -> tuple[tuple[str, ...], ...]:
    rows = []
    for o in items:
        by_name = {s["name"]: s for s in o["signals"]}
        rows.append(
            (o["activity"], f"{o['score']:.1f}", *(f"{by_name[n]['score']:.2f}" for n in names))
        )
    return tuple(rows)


def rules_in_words(data: Mapping[str, Any]) -> list[str]:
    """The decisions after the ranked activities that case attributes predict, in words."""
    found = []
    for o in data["opportunities"]:
        decision = o["decision"]
        if decision["rule"] and decision["rule_likeness"] >= 0.01:
            rule = next(s for s in o["signals"] if s["name"] == "rule")
            found.append(f"{o['activity']}: {rule['evidence']}")
    return found


def opportunities_section(data: Mapping[str, Any], *, top: int = 10) -> Section | None:
    """The report's "Automation opportunities" section (None when the view has no activity)."""
    if not data["opportunities"]:
        return None
    names = list(data["definitions"])
    weights = ", ".join(f"{k} {v:g}" for k, v in data["weights"].items())
    tables = [
        Table(
            caption="Activities ranked as automation opportunities",
            columns=("Activity", "Score", *names),
            rows=_signal_rows(data["opportunities"][:top], names),
            numeric=frozenset(range(1, 2 + len(names))),
            note=f"Weights: {weights}. Each signal is scored 0-1 against the other activities.",
        )
    ]
    if data.get("sequences"):
        tables.append(
            Table(
                caption="Frequent sequences of activities (2-3 in a row)",
                columns=("Sequence", "Score", *names),
                rows=_signal_rows(data["sequences"][:top], names),
                numeric=frozenset(range(1, 2 + len(names))),
            )
        )
    chart = opportunities_chart(data, top=top)
    return Section(
        id="opportunities",
        title="Automation opportunities",
        intro=(
            "Every activity scored on volume, handling and waiting time, rework, variability, "
            "the people involved and how rule-like the decision after it is; a score is a "
            "weighted mean of the signals, not a verdict. "
            + " ".join(f"{k}: {v}." for k, v in data["definitions"].items())
        ),
        findings=tuple(rules_in_words(data)),
        charts=(chart,) if chart is not None else (),
        tables=tuple(tables),
    )
