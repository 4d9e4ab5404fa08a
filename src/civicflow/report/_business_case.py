"""The business case in the report and the workbench: the charts of an evaluated case version
(cash flow per year, the distribution of the NPV with P10/P50/P90, the chance of payback, the
tornado) and the report section listing the workspace's cases.

Like the simulation report, this reads the stored JSON (``StoredCase.to_dict()``, whose versions
carry ``result`` = ``{"base", "monte_carlo", "tornado"}``): the report layer does not import the
planning domain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from civicflow.mining import format_number, format_share
from civicflow.report._charts import ACCENT, _base, bar_chart, grouped_bars
from civicflow.report._model import Chart, Figure, Section, Table


def money(value: float | None, currency: str = "") -> str:
    """An amount rounded to whole units with thousands separators (— when unknown)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{currency} {value:,.0f}".strip()


def _plain(value: float) -> str:
    """An input's value: whole thousands with separators, small numbers as they are."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _years(value: float | None) -> str:
    return "not within the horizon" if value is None else f"{value:.1f} years"


def cash_flow_chart(base: Mapping[str, Any], *, id_prefix: str = "bc") -> Chart:
    """Costs, benefits and net cash flow per year of the base case."""
    values = []
    for y in base["years"]:
        label = f"year {y['year']}"
        values += [
            {"year": label, "series": "Costs", "value": -(y["costs"] or 0.0)},
            {"year": label, "series": "Benefits", "value": y["benefits"] or 0.0},
            {"year": label, "series": "Net", "value": y["net"] or 0.0},
        ]
    spec = grouped_bars(
        title="Cash flow per year (base case)", values=values, category="year", series="series",
        measure="value", category_title="Year", measure_title=base.get("currency", "amount"),
        measure_format=",.0f",
    )  # fmt: skip
    rows = tuple(
        (f"year {y['year']} (from {y['starts']})", money(y["costs"]), money(y["benefits"]),
         money(y["net"]), money(y["cumulative"]))
        for y in base["years"]
    )  # fmt: skip
    return Chart(
        id=f"{id_prefix}-cash-flow",
        label="Costs (below zero), benefits and the net cash flow of each year of the base case",
        spec=spec,
        table=Table(
            caption="Cash flow per year", columns=("Year", "Costs", "Benefits", "Net", "Cumulative"),
            rows=rows, numeric=frozenset({1, 2, 3, 4}),
        ),
    )  # fmt: skip


def npv_histogram(mc: Mapping[str, Any], *, id_prefix: str = "bc") -> Chart:
    """The Monte Carlo distribution of the NPV with its P10, P50 and P90 marked."""
    bins = [
        {"low": b["low"], "high": b["high"], "count": b["count"]}
        for b in mc["histogram"]
        if b["low"] is not None and b["high"] is not None
    ]
    marks = [
        {"label": f"{name} {money(mc[key])}", "npv": mc[key]}
        for name, key in (("P10", "npv_p10"), ("P50", "npv_p50"), ("P90", "npv_p90"))
        if mc.get(key) is not None
    ]
    spec = _base(f"NPV over {format_number(mc['draws'])} draws", bins)
    spec["layer"] = [
        {
            "mark": {"type": "bar", "color": ACCENT, "tooltip": True, "binSpacing": 0},
            "encoding": {
                "x": {"field": "low", "type": "quantitative", "bin": {"binned": True},
                      "title": "NPV", "axis": {"format": ",.0f"}},
                "x2": {"field": "high"},
                "y": {"field": "count", "type": "quantitative", "title": "Draws"},
            },
        },
        {
            "data": {"values": marks},
            "mark": {"type": "rule", "color": "#b00020", "strokeWidth": 2, "strokeDash": [4, 3]},
            "encoding": {"x": {"field": "npv", "type": "quantitative"},
                         "tooltip": {"field": "label", "type": "nominal"}},
        },
        {
            "data": {"values": marks},
            "mark": {"type": "text", "align": "left", "dx": 3, "dy": -6, "color": "#222",
                     "baseline": "bottom", "y": 0},
            "encoding": {"x": {"field": "npv", "type": "quantitative"},
                         "text": {"field": "label", "type": "nominal"}},
        },
    ]  # fmt: skip
    rows = tuple(
        (f"{money(b['low'])} to {money(b['high'])}", format_number(b["count"])) for b in bins
    )
    return Chart(
        id=f"{id_prefix}-npv",
        label=f"Histogram of the NPV over {format_number(mc['draws'])} Monte Carlo draws; P10 "
        f"{money(mc.get('npv_p10'))}, P50 {money(mc.get('npv_p50'))}, P90 "
        f"{money(mc.get('npv_p90'))}",
        spec=spec,
        table=Table(
            caption="NPV distribution", columns=("NPV", "Draws"), rows=rows, numeric=frozenset({1})
        ),
    )


def payback_chart(mc: Mapping[str, Any], *, id_prefix: str = "bc") -> Chart:
    """The share of draws paid back within each horizon."""
    values = [
        {"within": f"within {n} year{'s' if str(n) != '1' else ''}", "share": p}
        for n, p in mc["payback_probability"].items()
    ]
    kind = "discounted" if mc.get("discounted_payback") else "simple"
    spec = bar_chart(
        title=f"Chance of payback ({kind})", values=values, category="within", measure="share",
        category_title="Horizon", measure_title="Share of draws", measure_format=".0%",
        horizontal=False,
    )  # fmt: skip
    return Chart(
        id=f"{id_prefix}-payback",
        label="Share of the Monte Carlo draws whose cumulative net cash flow reaches zero within "
        "each horizon: " + "; ".join(f"{v['within']} {format_share(v['share'])}" for v in values),
        spec=spec,
        table=Table(
            caption="Chance of payback",
            columns=("Horizon", "Share of draws"),
            rows=tuple((v["within"], format_share(v["share"])) for v in values),
            numeric=frozenset({1}),
        ),
    )


def tornado_chart(t: Mapping[str, Any], *, id_prefix: str = "bc", top: int = 12) -> Chart:
    """One bar per uncertain input from the NPV at its low end to the NPV at its high end, the
    largest swing on top; the rule is the base NPV."""
    bars = list(t["bars"])[:top]
    values = [
        {"input": b["label"], "from": min(b["npv_at_low"], b["npv_at_high"]),
         "to": max(b["npv_at_low"], b["npv_at_high"]),
         "at_low": money(b["npv_at_low"]), "at_high": money(b["npv_at_high"])}
        for b in bars
    ]  # fmt: skip
    spec = _base("What matters most: NPV at each input's low and high end", values,
                 height=max(120, 26 * len(values)))  # fmt: skip
    order = [v["input"] for v in values]
    spec["layer"] = [
        {
            "mark": {"type": "bar", "color": ACCENT},
            "encoding": {
                "y": {"field": "input", "type": "nominal", "sort": order, "title": None},
                "x": {"field": "from", "type": "quantitative", "title": "NPV",
                      "axis": {"format": ",.0f"}},
                "x2": {"field": "to"},
                "tooltip": [{"field": "input", "title": "Input"},
                            {"field": "at_low", "title": "NPV at low"},
                            {"field": "at_high", "title": "NPV at high"}],
            },
        },
        {
            "data": {"values": [{"base": t["base_npv"]}]},
            "mark": {"type": "rule", "color": "#b00020", "strokeWidth": 2},
            "encoding": {"x": {"field": "base", "type": "quantitative"}},
        },
    ]  # fmt: skip
    return Chart(
        id=f"{id_prefix}-tornado",
        label=f"Tornado chart: how far the NPV (base {money(t['base_npv'])}) swings when one "
        "input goes from its low to its high end, the others at their most likely value; "
        + ("largest: " + bars[0]["label"] if bars else "no uncertain input"),
        spec=spec,
        table=Table(
            caption="Tornado",
            columns=("Input", "Low", "High", "NPV at low", "NPV at high", "Swing"),
            rows=tuple(
                (
                    b["label"],
                    _plain(b["low"]),
                    _plain(b["high"]),
                    money(b["npv_at_low"]),
                    money(b["npv_at_high"]),
                    money(b["swing"]),
                )
                for b in bars
            ),
            numeric=frozenset({1, 2, 3, 4, 5}),
        ),
    )


def business_case_charts(
    base: Mapping[str, Any], result: Mapping[str, Any] | None, *, id_prefix: str = "bc"
) -> list[Chart]:
    """The charts of one case version: the cash flow of its base case and, once evaluated, the
    NPV distribution, the chance of payback and the tornado."""
    charts = [cash_flow_chart(base, id_prefix=id_prefix)]
    if result:
        mc = result.get("monte_carlo")
        if mc:
            charts += [
                npv_histogram(mc, id_prefix=id_prefix),
                payback_chart(mc, id_prefix=id_prefix),
            ]
        t = result.get("tornado")
        if t and t.get("bars"):
            charts.append(tornado_chart(t, id_prefix=id_prefix))
    return charts


def business_case_section(cases: Sequence[Mapping[str, Any]]) -> Section | None:
    """The report's "Business case" section: every case of the workspace with its latest
    version's figures, and the charts of each evaluated case. ``cases`` are
    ``StoredCase.to_dict()`` with ``base`` (the latest version's base case) added; None without
    cases."""
    if not cases:
        return None
    rows = []
    charts: list[Chart] = []
    findings = []
    for i, c in enumerate(cases):
        latest = c["versions"][-1]
        base = c["base"]
        mc = (latest.get("result") or {}).get("monte_carlo")
        currency = base.get("currency", "")
        rows.append((
            c["name"], str(latest["version"]), money(base["npv"], currency),
            "—" if base["irr"] is None else format_share(base["irr"]),
            "—" if base["roi"] is None else format_share(base["roi"]),
            _years(base["payback_years"]),
            f"{money(mc['npv_p10'])} / {money(mc['npv_p50'])} / {money(mc['npv_p90'])}"
            if mc else "not evaluated",
            format_share(mc["probability_positive_npv"]) if mc else "—",
        ))  # fmt: skip
        if mc:
            pay = "; ".join(
                f"{format_share(p)} within {n} years" for n, p in mc["payback_probability"].items()
            )
            findings.append(
                f"{c['name']} (version {latest['version']}): NPV {money(base['npv'], currency)} "
                f"at {format_share(base['discount_rate'])}; over {format_number(mc['draws'])} "
                f"draws P10 {money(mc['npv_p10'])}, P90 {money(mc['npv_p90'])}, positive in "
                f"{format_share(mc['probability_positive_npv'])} of the draws; payback {pay}."
            )
            charts += business_case_charts(base, latest.get("result"), id_prefix=f"bc{i}")
    evaluated = sum(1 for c in cases if (c["versions"][-1].get("result") or {}).get("monte_carlo"))
    return Section(
        id="business-case",
        title="Business case",
        intro="The workspace's business cases, each at its latest version: the base case (every "
        "range at its most likely value) and, for evaluated versions, the Monte Carlo run over "
        "every range. Discounting: year 0 is not discounted; payback is when the cumulative net "
        "cash flow first reaches zero. Hours saved are hours freed for other work, not a "
        "headcount.",
        figures=(
            Figure(
                label="Business cases", value=str(len(cases)), definition="saved in this workspace"
            ),
            Figure(
                label="Evaluated",
                value=str(evaluated),
                definition="latest versions with a Monte Carlo run",
            ),
        ),
        findings=tuple(findings),
        tables=(
            Table(
                caption="Business cases (latest versions)",
                columns=(
                    "Case",
                    "Version",
                    "NPV",
                    "IRR",
                    "ROI",
                    "Payback",
                    "NPV P10 / P50 / P90",
                    "NPV above 0",
                ),
                rows=tuple(rows),
                numeric=frozenset({1, 2, 3, 4, 7}),
            ),
        ),
        charts=tuple(charts),
    )
