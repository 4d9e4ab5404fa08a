"""Variants: the distinct activity sequences cases follow, how often, and how long they take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from civicflow.mining._checks import check_limit, check_share
from civicflow.mining._derived import VARIANT_SEPARATOR, variant_id
from civicflow.mining._record import Record
from civicflow.mining._view import LogView


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantsConfig(Record):
    """``top``: how many variants to list (None lists all); ``coverage``: the share of cases the
    "how many variants cover it" figure refers to (0.8 answers "80 % of cases follow N variants")."""

    top: int | None = 20
    coverage: float = 0.8

    def __post_init__(self) -> None:
        check_limit("top", self.top, of="variants", fix="pass top=None to list every variant")
        check_share("coverage", self.coverage, zero=False, fix="pass e.g. coverage=0.8")


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    id: str
    """short stable id (see :func:`variant_id`), usable in filters and URLs"""
    activities: tuple[str, ...]
    cases: int
    share: float
    """share of the view's cases that follow this variant"""
    median_throughput_seconds: float
    mean_throughput_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "activities": list(self.activities),
            "length": len(self.activities),
            "cases": self.cases,
            "share": self.share,
            "median_throughput_seconds": self.median_throughput_seconds,
            "mean_throughput_seconds": self.mean_throughput_seconds,
        }


@dataclass(frozen=True, kw_only=True)
class VariantsResult:
    """The listed variants (most frequent first) and a summary of the long tail behind them."""

    variants: tuple[Variant, ...]
    total_variants: int
    total_cases: int
    tail_variants: int
    """variants not listed"""
    tail_cases: int
    """cases that follow a variant not listed"""
    listed_share: float
    """share of cases the listed variants cover"""
    variants_for_coverage: int
    """the fewest variants (most frequent first) that together cover ``config.coverage`` of cases"""
    config: VariantsConfig = field(default_factory=VariantsConfig)

    @property
    def frame(self) -> pd.DataFrame:
        rows = [v.to_dict() for v in self.variants]
        for r in rows:
            r["activities"] = " → ".join(r["activities"])
        return pd.DataFrame(
            rows,
            columns=[
                "id",
                "activities",
                "length",
                "cases",
                "share",
                "median_throughput_seconds",
                "mean_throughput_seconds",
            ],
        )

    def counts(self) -> dict[tuple[str, ...], int]:
        """Listed variants as {activity sequence: cases}."""
        return {v.activities: v.cases for v in self.variants}

    def to_dict(self) -> dict[str, Any]:
        return {
            "variants": [v.to_dict() for v in self.variants],
            "total_variants": self.total_variants,
            "total_cases": self.total_cases,
            "tail_variants": self.tail_variants,
            "tail_cases": self.tail_cases,
            "listed_share": self.listed_share,
            "variants_for_coverage": self.variants_for_coverage,
            "config": self.config.to_dict(),
        }


def variants(
    view: LogView, *, top: int | object | None = ..., config: VariantsConfig | None = None
) -> VariantsResult:
    """Variants of the view's cases, most frequent first (ties: by activity sequence).

    ``top`` overrides ``config.top`` when given (``top=None`` lists every variant). Throughput time
    of a case is its last minus its first timestamp; medians are exact.
    """
    config = config or VariantsConfig()
    if top is not ...:
        config = VariantsConfig(top=top, coverage=config.coverage)  # type: ignore[arg-type]
    # each case's variant code and throughput time were derived once per dataset: grouping the
    # case summary by variant is a scan, not an ordered aggregation over the events
    cs = view.case_summary
    seconds = cs.throughput_us.cast("float64") / 1_000_000
    grouped = cs.group_by("variant").aggregate(
        cases=cs.count(),
        mean_throughput_seconds=seconds.mean(),
        median_throughput_seconds=seconds.quantile(0.5),
    )
    table = view.variant_table
    named = grouped.join(table, grouped.variant == table.variant).select(
        "variant_key", "cases", "mean_throughput_seconds", "median_throughput_seconds"
    )
    df = view.execute(named)
    rows = [
        (
            tuple(str(r["variant_key"]).split(VARIANT_SEPARATOR)),
            str(r["variant_key"]),
            int(r["cases"]),
            float(r["median_throughput_seconds"]),
            float(r["mean_throughput_seconds"]),
        )
        for r in df.to_dict("records")
    ]
    rows.sort(key=lambda r: (-r[2], r[0]))
    total_cases = sum(r[2] for r in rows)
    listed = rows if config.top is None else rows[: config.top]
    shown = tuple(
        Variant(
            id=variant_id(key),
            activities=acts,
            cases=n,
            share=n / total_cases if total_cases else 0.0,
            median_throughput_seconds=median,
            mean_throughput_seconds=mean,
        )
        for acts, key, n, median, mean in listed
    )
    listed_cases = sum(v.cases for v in shown)
    needed = 0
    running = 0
    for r in rows:
        if total_cases and running >= config.coverage * total_cases:
            break
        running += r[2]
        needed += 1
    return VariantsResult(
        variants=shown,
        total_variants=len(rows),
        total_cases=total_cases,
        tail_variants=len(rows) - len(shown),
        tail_cases=total_cases - listed_cases,
        listed_share=listed_cases / total_cases if total_cases else 1.0,
        variants_for_coverage=needed,
        config=config,
    )
