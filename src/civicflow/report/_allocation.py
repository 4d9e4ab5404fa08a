"""Allocation in the report: the "Allocation" section — each scenario at its latest version, the
efficient plan beside the fair one, the price of fairness in words, and, when the areas have
coordinates, maps of demand, allocated units and the change efficient → fair.

Like the fairness section, this reads stored JSON (``StoredAllocation.to_dict()``): the report
layer does not import the forecasting domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from civicflow.mining import format_share
from civicflow.report._model import Figure, Section, Table
from civicflow.report._symbol_map import SymbolMap, allocation_maps


def _share(x: float | None) -> str:
    return "—" if x is None else format_share(x)


def _cases(x: float | None) -> str:
    return "—" if x is None else f"{x:,.1f}"


def allocation_section(scenarios: Sequence[Mapping[str, Any]]) -> Section | None:
    """The report's "Allocation" section from the latest version of each scenario (newest
    first), or None without scenarios."""
    if not scenarios:
        return None
    rows = []
    findings = []
    maps: list[SymbolMap] = []
    for index, s in enumerate(scenarios):
        result = s.get("result") or {}
        efficient = result.get("efficient") or {}
        fair = result.get("fair") or {}
        chosen = fair or efficient
        rows.append((
            str(s["name"]), str(s["version"]), str(s.get("source", "")),
            str(len(result.get("areas", []))),
            _share(efficient.get("unmet_share")), _share(fair.get("unmet_share")),
            _share((efficient.get("equity") or {}).get("lowest_level")),
            _share((fair.get("equity") or {}).get("lowest_level")),
            _cases(chosen.get("p90_unmet")),
        ))  # fmt: skip
        maps += allocation_maps(result, prefix=f"allocation-{index}")
        price = result.get("price_of_fairness")
        if price:
            findings.append(f"{s['name']} (version {s['version']}): {price['text']}")
    return Section(
        id="allocation",
        title="Allocation",
        intro="How staff hours (or inspectors, slots) are allocated to areas and periods from "
        "forecast demand: each scenario's efficient plan (the fewest cases left unserved) beside "
        "the fair plan the service owner chose, the share of demand each leaves unserved, the "
        "worst-served area's service level, and the cases the chosen plan would leave unserved if "
        "demand reached the forecast's P90.",
        figures=(
            Figure(
                label="Scenarios",
                value=str(len(scenarios)),
                definition="named allocation scenarios, latest versions",
            ),
        ),
        findings=tuple(findings),
        maps=tuple(maps),
        tables=(
            Table(
                caption="Allocation scenarios (latest versions)",
                columns=(
                    "Scenario",
                    "Version",
                    "Demand",
                    "Areas",
                    "Unmet, efficient",
                    "Unmet, fair",
                    "Worst area, efficient",
                    "Worst area, fair",
                    "Unserved at P90",
                ),
                rows=tuple(rows),
                numeric=frozenset({1, 3, 4, 5, 6, 7, 8}),
            ),
        ),
    )
