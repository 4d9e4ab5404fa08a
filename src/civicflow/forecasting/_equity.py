"""Equity of an allocation, measured the way civicflow's fairness audit measures groups.

An area is a group and its service level (the share of its demand served) is its favourable
rate. The measures are the audit's: Fairlearn's between-groups summaries (``difference`` = highest
− lowest rate, ``ratio`` = lowest / highest) and the four-fifths rule (each group's rate divided
by the highest group's; below 0.8 is a violation). Areas without demand have no service level and
are left out, as the audit leaves out empty groups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from civicflow.core import Record

FOUR_FIFTHS = 0.8


@dataclass(frozen=True, slots=True, kw_only=True)
class EquityMeasures(Record):
    """How evenly an allocation serves its areas."""

    areas: int
    lowest_area: str | None
    lowest_level: float | None
    highest_area: str | None
    highest_level: float | None
    difference: float | None
    """Highest − lowest service level (the audit's ``demographic_parity_difference``)."""
    ratio: float | None
    """Lowest / highest service level (the audit's ``demographic_parity_ratio``)."""
    four_fifths_violations: tuple[str, ...]
    """Areas served at less than 0.8 of the best-served area's level."""
    mean_level: float | None
    population_weighted_level: float | None
    """Mean service level weighted by residents (when populations are known)."""
    _json = True


def impact_ratios(levels: Mapping[str, float]) -> dict[str, float | None]:
    """Each area's service level divided by the highest (the four-fifths rule's impact ratio);
    ``None`` when no area is served at all."""
    top = max(levels.values(), default=0.0)
    return {a: (v / top if top > 0 else None) for a, v in levels.items()}


def service_equity(
    levels: Mapping[str, float], *, population: Mapping[str, float] | None = None
) -> EquityMeasures:
    """The equity measures of service levels by area (areas without demand already left out)."""
    if not levels:
        return EquityMeasures(
            areas=0, lowest_area=None, lowest_level=None, highest_area=None, highest_level=None,
            difference=None, ratio=None, four_fifths_violations=(), mean_level=None,
            population_weighted_level=None,
        )  # fmt: skip
    low = min(levels, key=lambda a: (levels[a], a))
    high = max(levels, key=lambda a: (levels[a], a))
    top = levels[high]
    ratios = impact_ratios(levels)
    violations = tuple(sorted(a for a, r in ratios.items() if r is not None and r < FOUR_FIFTHS))
    weighted = None
    if population:
        pops = {a: population[a] for a in levels if a in population}
        total = sum(pops.values())
        if total > 0:
            weighted = sum(levels[a] * p for a, p in pops.items()) / total
    return EquityMeasures(
        areas=len(levels),
        lowest_area=low,
        lowest_level=levels[low],
        highest_area=high,
        highest_level=top,
        difference=top - levels[low],
        ratio=levels[low] / top if top > 0 else None,
        four_fifths_violations=violations,
        mean_level=sum(levels.values()) / len(levels),
        population_weighted_level=weighted,
    )
