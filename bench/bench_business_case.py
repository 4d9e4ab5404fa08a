"""Business-case Monte Carlo benchmark: civicflow's vectorised run vs a per-draw loop.

The case: a five-year e-intake project with 9 uncertain inputs (PERT and triangular ranges: the
discount rate, three of four cost lines — one-off, yearly, quarterly, monthly — and five benefit
factors).

- civicflow: ``monte_carlo`` with ``--draws`` draws (100,000 by default): sampling, the cash flow
  of every draw, NPV, payback and percentiles; best of ``--repeat`` runs, wall time;
- the peer: the spreadsheet way — one draw at a time, the cash flow built per draw and its NPV by
  ``numpy_financial.npv`` (BSD, a test dependency) — on ``--loop-draws`` draws, scaled to
  ``--draws``; prints both times and the ratio.

Usage (from the project root)::

    python bench/bench_business_case.py

Results go to docs/benchmarks.md "## Business case". Speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.planning import (  # noqa: E402
    BusinessCase,
    CostLine,
    HoursSaved,
    MonteCarloConfig,
    OtherBenefit,
    Range,
    ReworkAvoided,
    monte_carlo,
)

START = date(2025, 1, 1)


def bench_case() -> BusinessCase:
    return BusinessCase(
        name="e-intake",
        start=START,
        years=5,
        discount_rate=Range(low=0.02, likely=0.04, high=0.06),
        costs=(
            CostLine(title="Build", amount=Range(low=40e3, likely=50e3, high=80e3), start=START),
            CostLine(
                title="Licence",
                amount=Range(low=9e3, likely=10e3, high=14e3, shape="triangular"),
                start=START,
                recurrence="recurring",
                period="year",
            ),
            CostLine(
                title="Support",
                amount=Range(low=1e3, likely=1.5e3, high=2.5e3),
                start=date(2026, 1, 1),
                recurrence="recurring",
                period="quarter",
                category="maintenance",
            ),
            CostLine(
                title="Course",
                amount=800,
                start=date(2025, 3, 1),
                end=date(2025, 12, 31),
                recurrence="recurring",
                period="month",
                category="training",
            ),
        ),
        benefits=(
            HoursSaved(
                role="intake",
                hours_per_year=Range(low=600, likely=900, high=1100),
                hourly_cost=Range(low=55, likely=60, high=70),
            ),
            HoursSaved(
                role="assessor",
                hours_per_year=Range(low=100, likely=300, high=400, shape="triangular"),
                hourly_cost=74,
            ),
            ReworkAvoided(
                activity="Check completeness",
                cases_per_year=Range(low=100, likely=200, high=300),
                cost_per_case=Range(low=30, likely=40, high=60),
            ),
            OtherBenefit(title="fewer complaints", amount_per_year=2_000, first_year=2),
        ),
    )


def loop_npv(case: BusinessCase, draws: int, seed: int) -> float:
    import numpy_financial as npf

    rng = np.random.default_rng(seed)
    inputs = case.inputs()
    started = time.perf_counter()
    for _ in range(draws):
        values = {
            i.key: float(i.value.sample(rng, 1)[0]) if isinstance(i.value, Range) else i.value
            for i in inputs
        }
        flows = case.flows(values)  # type: ignore[arg-type]
        npf.npv(values["discount_rate"], flows.net[0])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--loop-draws", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    case = bench_case()
    uncertain = sum(isinstance(i.value, Range) for i in case.inputs())
    monte_carlo(case, MonteCarloConfig(draws=1_000))  # warm up imports
    best = float("inf")
    result = None
    for r in range(args.repeat):
        started = time.perf_counter()
        result = monte_carlo(case, MonteCarloConfig(draws=args.draws, seed=r))
        best = min(best, time.perf_counter() - started)
    assert result is not None
    loop = loop_npv(case, args.loop_draws, seed=0) * args.draws / args.loop_draws
    print(f"inputs: {uncertain} uncertain, {case.years} years")
    print(
        f"civicflow monte_carlo: {args.draws:,} draws in {best * 1000:.0f} ms (best of {args.repeat})"
    )
    print(
        f"per-draw loop + numpy_financial.npv: {args.loop_draws:,} draws timed, "
        f"{loop:.1f} s for {args.draws:,} (scaled)"
    )
    print(f"ratio: {loop / best:,.0f}x")
    print(
        f"NPV P10/P50/P90: {result.npv_p10:,.0f} / {result.npv_p50:,.0f} / {result.npv_p90:,.0f}; "
        f"payback within 2 years: {result.payback_probability[2]:.1%}"
    )


if __name__ == "__main__":
    main()
