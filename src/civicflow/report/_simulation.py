"""The simulation report: a validation on held-out data or a scenario comparison as one
self-contained HTML file, and the charts the workbench draws of them.

The report reads the results in their stored JSON form (``ValidationReport.to_dict()``,
``ScenarioComparison.to_dict()``): the report layer does not import the planning domain.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from civicflow.core import InputError, Location
from civicflow.mining import format_duration, format_number, format_share
from civicflow.report._charts import grouped_bars
from civicflow.report._model import Chart, Figure, Section, Table

SERIES = ("Real", "Model", "Past replayed")


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def validation_charts(result: Mapping[str, Any]) -> list[Chart]:
    """Real, model and past replayed side by side, one chart per distribution."""
    charts = []
    for d in result["distributions"]:
        values = [
            {"bin": b, "series": name, "value": _num(v)}
            for i, b in enumerate(d["bins"])
            for name, v in zip(
                SERIES, (d["real"][i], d["simulated"][i], d["naive"][i]), strict=True
            )
        ]
        share = d["unit"] not in ("cases", "per case")
        spec = grouped_bars(
            title=d["title"], values=values, category="bin", series="series", measure="value",
            category_title=d["unit"], measure_title=d["title"],
            measure_format=".0%" if share else ",.2f", horizontal=d["key"] == "activities",
        )  # fmt: skip
        rows = tuple(
            (str(b), *(format_share(_num(x)) if share else format_number(round(_num(x), 2))
                       for x in (d["real"][i], d["simulated"][i], d["naive"][i])))
            for i, b in enumerate(d["bins"])
        )  # fmt: skip
        charts.append(
            Chart(
                id=f"sim-{d['key']}",
                label=f"{d['title']}: the held-out log, the model's simulation (mean of the "
                "replications) and the past replayed, side by side",
                spec=spec,
                table=Table(
                    caption=d["title"],
                    columns=(d["unit"], *SERIES),
                    rows=rows,
                    numeric=frozenset({1, 2, 3}),
                ),
            )
        )
    return charts


def _estimate(e: Mapping[str, Any] | None, fmt: Callable[[float], str]) -> str:
    if e is None or e.get("mean") is None:
        return "—"
    if e.get("low") is None:
        return fmt(_num(e["mean"]))
    return f"{fmt(_num(e['mean']))} ({fmt(_num(e['low']))} to {fmt(_num(e['high']))})"


def _outcome_metric(o: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    kind, _, name = key.partition(":")
    group = {
        "waiting": "waiting",
        "utilisation": "utilisation",
        "workload": "workload_hours_per_week",
    }
    value = o[group[kind]].get(name) if kind in group else o.get(key)
    return value if isinstance(value, Mapping) else None


def comparison_rows(result: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, ...]]]:
    """The outcomes table: the scenario names and one row per measure (mean and interval)."""
    outcomes = [result["as_is"], *result["scenarios"]]

    def money(v: float) -> str:
        return format_number(round(v, 2))

    rows: list[tuple[str, str, Callable[[float], str]]] = [
        ("Throughput time, median", "throughput_median", format_duration),
        ("Throughput time, 90th percentile", "throughput_p90", format_duration),
        ("Backlog (open cases on average)", "backlog", money),
        ("Cost per case", "cost_per_case", money),
        ("SLA compliance", "sla_compliance", format_share),
    ]
    rows += [
        (f"Utilisation: {p}", f"utilisation:{p}", format_share)
        for p in result["as_is"]["utilisation"]
    ]
    rows += [
        (f"Waiting before {a}", f"waiting:{a}", format_duration) for a in result["as_is"]["waiting"]
    ]
    table = [
        (label, *(_estimate(_outcome_metric(o, key), fmt) for o in outcomes))
        for label, key, fmt in rows
        if any(_outcome_metric(o, key) is not None for o in outcomes)
    ]
    return [str(o["name"]) for o in outcomes], table


def comparison_charts(result: Mapping[str, Any]) -> list[Chart]:
    """Throughput time, utilisation per pool and cost per case, scenarios side by side."""
    outcomes = [result["as_is"], *result["scenarios"]]
    throughput = [
        {"scenario": o["name"], "measure": label, "days": round(_num(o[key]["mean"]) / 86_400, 3)}
        for o in outcomes
        for label, key in (("median", "throughput_median"), ("90th percentile", "throughput_p90"))
        if o[key].get("mean") is not None
    ]
    util = [
        {"pool": p, "scenario": o["name"], "share": round(_num(o["utilisation"][p]["mean"]), 4)}
        for p in result["as_is"]["utilisation"]
        for o in outcomes
        if p in o["utilisation"] and o["utilisation"][p].get("mean") is not None
    ]
    cost = [
        {
            "scenario": o["name"],
            "measure": "cost per case",
            "value": round(_num(o["cost_per_case"]["mean"]), 2),
        }
        for o in outcomes
        if o["cost_per_case"].get("mean") is not None
    ]
    return [
        Chart(
            id="sim-throughput",
            label="Median and 90th-percentile throughput time per scenario, in days: "
            + "; ".join(f"{v['scenario']} {v['measure']} {v['days']}" for v in throughput),
            spec=grouped_bars(
                title="Throughput time (days)", values=throughput, category="scenario",
                series="measure", measure="days", category_title="scenario", measure_title="days",
            ),
        ),
        Chart(
            id="sim-utilisation",
            label="Utilisation of each pool per scenario: "
            + "; ".join(f"{v['pool']} {v['scenario']} {v['share']:.0%}" for v in util),
            spec=grouped_bars(
                title="Utilisation per pool", values=util, category="pool", series="scenario",
                measure="share", category_title="pool", measure_title="utilisation",
                measure_format=".0%",
            ),
        ),
        Chart(
            id="sim-cost",
            label="Cost per case per scenario: "
            + "; ".join(f"{v['scenario']} {v['value']}" for v in cost),
            spec=grouped_bars(
                title="Cost per case", values=cost, category="scenario", series="measure",
                measure="value", category_title="scenario", measure_title="cost per case",
            ),
        ),
    ]  # fmt: skip


def simulation_sections(kind: str, result: Mapping[str, Any]) -> tuple[Section, list[Section]]:
    """The header and sections of the report of a ``validate`` or ``compare`` result."""
    if kind == "validate":
        header = Section(
            id="summary",
            title="Validation on held-out data",
            figures=(
                Figure(label="Training cases", value=format_number(result["training_cases"]),
                       definition=f"cases that started before {result['split'][:10]}"),
                Figure(label="Held-out cases", value=format_number(result["held_out_cases"]),
                       definition=f"cases that started from {result['split'][:10]} to "
                       f"{result['held_out_end'][:10]}"),
                Figure(label="Replications", value=str(result["replications"]),
                       definition="simulations of the held-out period"),
            ),
        )  # fmt: skip
        measures = Table(
            caption="Distance to the held-out log (lower is better; log-distance-measures)",
            columns=("Measure", "Model", "± sd", "Past replayed", "Model as good"),
            rows=tuple(
                (f"{m['label']} ({m['unit']})", f"{_num(m['simulated']):,.3f}",
                 f"{_num(m['simulated_sd']):,.3f}", f"{_num(m['naive']):,.3f}",
                 "yes" if m["beats_naive"] else "no")
                for m in result["measures"]
            ),
            numeric=frozenset({1, 2, 3}),
            note="; ".join(m["note"] for m in result["measures"] if m.get("note")),
        )  # fmt: skip
        figures = Table(
            caption="Key figures of the held-out period",
            columns=("Figure", "Real", "Model", "Past replayed"),
            rows=tuple(
                (f["label"], format_number(f["real"]), format_number(f["simulated"]),
                 format_number(f["naive"]))
                for f in result["figures"]
            ),
            numeric=frozenset({1, 2, 3}),
        )  # fmt: skip
        sections = [
            Section(
                id="verdict", title="What the model can be trusted for", intro=result["verdict"],
                findings=tuple(f"{f['aspect'].capitalize()}: {f['trust']} — {f['reason']}" for f in result["findings"]),
                tables=(measures, figures),
            ),
            Section(
                id="distributions", title="Real and simulated, side by side",
                intro="The past replayed is the equally long stretch before the split, shifted "
                "into the held-out period: the model should do at least as well.",
                charts=tuple(validation_charts(result)),
            ),
        ]  # fmt: skip
        return header, sections
    if kind == "compare":
        config = result["config"]
        names, rows = comparison_rows(result)
        header = Section(
            id="summary",
            title=f"Scenario comparison: {result['model_name']}",
            figures=(
                Figure(label="Scenarios", value=str(len(result["scenarios"])),
                       definition="compared with the model as it is"),
                Figure(label="Replications", value=str(config["replications"]),
                       definition="per model, the same seeds for every model"),
                Figure(label="Cases", value=format_number(config.get("cases")),
                       definition="per replication, the first "
                       f"{round(100 * config['warmup'])} % left out as warm-up"),
            ),
        )  # fmt: skip
        sections = [
            Section(
                id="outcomes", title="Outcomes per scenario",
                findings=tuple(result["summary"]),
                tables=(Table(caption="Mean (95 % confidence interval) per scenario",
                              columns=("Measure", *names), rows=tuple(rows),
                              numeric=frozenset(range(1, len(names) + 1))),),
                charts=tuple(comparison_charts(result)),
            ),
        ]  # fmt: skip
        return header, sections
    raise InputError(
        f"there is no report of a '{kind}' run",
        where=Location(field="kind"),
        found=kind,
        expected="validate or compare",
        fix="pick a validation or a comparison",
    )


def build_simulation_report(
    *,
    kind: str,
    result: Mapping[str, Any],
    dataset: Any,
    out: Path,
    title: str | None = None,
) -> Path:
    """Write the report of a validation or comparison (``kind`` ``validate`` or ``compare``, its
    stored JSON ``result``, the manifest of its ``dataset``) as one self-contained HTML file."""
    from civicflow.report._report import render_sections

    out = Path(out)
    header, sections = simulation_sections(kind, result)
    html = render_sections(
        title=title or header.title, header=header, sections=sections, dataset=dataset,
        filter_lines=[], brand="civicflow simulation report",
    )  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return out
