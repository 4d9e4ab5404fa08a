"""Benchmark of the allocation (issue 17): 200 areas × 52 weeks, target under 10 s.

Synthetic seeded demand (seasonal, areas of different sizes and service times), a staff limit
that covers about 70 % of the need, and three runs of ``civicflow.forecasting.allocate``:
efficient only, fair with a minimum service level and a maximum gap, fair with max–min (three
programmes: efficient, max–min stage one, stage two); then the same run with whole staff
members (mixed-integer, efficient only: with equity rows the MIP of this size runs into the
time limit). The peer solves the same efficient linear programme (the same
matrices) with SciPy's ``linprog`` (HiGHS inside SciPy) and, when PuLP's CBC is installed,
the same model written in PuLP and solved by CBC; the objectives must agree.

    PYTHONPATH=src .venv/bin/python bench/bench_allocate.py [areas] [weeks]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from civicflow.forecasting import (
    AllocationConfig,
    Equity,
    Limits,
    ServiceTimes,
    allocate,
    demand_grid,
)
from civicflow.forecasting._allocate import _inputs
from civicflow.forecasting._allocation_lp import EquityRows, build


def demand(areas: int, weeks: int, seed: int = 17) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.lognormal(3.0, 0.8, areas)
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(weeks) / 52)
    mean = size[:, None] * season[None, :] * rng.gamma(20, 1 / 20, (areas, weeks))
    names = [f"area_{i:03d}" for i in range(areas)]
    periods = pd.date_range("2027-01-04", periods=weeks, freq="W-MON")
    return pd.DataFrame(
        {
            "series": np.repeat(names, weeks),
            "period": np.tile(periods, areas),
            "mean": mean.ravel(),
            "lo_80": mean.ravel() * 0.8,
            "hi_80": mean.ravel() * 1.25,
            "lo_95": mean.ravel() * 0.7,
            "hi_95": mean.ravel() * 1.4,
            "model": "AutoETS",
        }
    )


def main() -> None:
    areas = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    weeks = int(sys.argv[2]) if len(sys.argv) > 2 else 52
    rng = np.random.default_rng(3)
    frame = demand(areas, weeks)
    grid = demand_grid(frame)
    hours = {a: float(h) for a, h in zip(grid.areas, rng.uniform(0.5, 2.0, areas), strict=True)}
    need = float(sum(grid.mean[i].sum() * hours[a] for i, a in enumerate(grid.areas)) / weeks)
    staff = round(0.7 * need / 37.5)
    limits = Limits(unit="staff", hours_per_unit=37.5, units_per_period=staff, area_cap=40)
    times = ServiceTimes(by_area=hours)
    print(f"{areas} areas × {weeks} weeks; {staff} staff per week (~70 % of the need)")
    runs = {
        "efficient": Equity(),
        "min 50 %, gap 30 %": Equity(min_service_level=0.5, max_gap=0.3),
        "max–min": Equity(max_min=True),
    }
    print("| run | programmes | rows × columns | seconds | unmet share | lowest level |")
    print("|---|---|---|---|---|---|")
    for label, equity in runs.items():
        cfg = AllocationConfig(limits=limits, service_times=times, equity=equity)
        started = time.perf_counter()
        result = allocate(grid, cfg)
        seconds = time.perf_counter() - started
        plan = result.chosen
        count = 1 + (equity.chosen) + (equity.max_min)
        print(f"| {label} | {count} | {result.rows:,} × {result.columns:,} | {seconds:.2f} | "
              f"{plan.unmet_share:.3f} | {plan.equity.lowest_level:.3f} |")  # fmt: skip
    whole = AllocationConfig(
        limits=Limits(unit="staff", hours_per_unit=37.5, units_per_period=staff, area_cap=40,
                      integer=True),
        service_times=times, mip_rel_gap=1e-3,
    )  # fmt: skip
    started = time.perf_counter()
    result = allocate(grid, whole)
    seconds = time.perf_counter() - started
    print(f"| whole staff (MIP, gap 0.1 %), efficient | 1 | {result.rows:,} × {result.columns:,} | "
          f"{seconds:.2f} | {result.chosen.unmet_share:.3f} | "
          f"{result.chosen.equity.lowest_level:.3f} |")  # fmt: skip
    _plain_mip(grid, whole, seconds, result.chosen.weighted_unmet, result.chosen.mip_gap)
    # whole staff with equity rows: not proven optimal at this size; the equity-keeping start
    # gives HiGHS a plan, and the time limit ends each programme with the gap it reached
    for label, equity in (("min 50 %, gap 30 %", Equity(min_service_level=0.5, max_gap=0.3)),
                          ("max–min", Equity(max_min=True))):  # fmt: skip
        fair = replace(whole, equity=equity, time_limit=4.0)
        started = time.perf_counter()
        result = allocate(grid, fair)
        seconds = time.perf_counter() - started
        plan = result.chosen
        gap = "–" if plan.mip_gap is None else f"{plan.mip_gap:.1%}"
        print(f"| whole staff, {label} (time limit 4 s per programme, gap {gap}) | "
              f"{1 + 1 + equity.max_min} | {result.rows:,} × {result.columns:,} | {seconds:.2f} | "
              f"{plan.unmet_share:.3f} | {plan.equity.lowest_level:.3f} |")  # fmt: skip

    # the peers on the efficient programme
    cfg = AllocationConfig(limits=limits, service_times=times)
    inputs, _ = _inputs(grid, cfg)
    programme, _ = build(inputs, EquityRows())
    started = time.perf_counter()
    ours = allocate(grid, cfg)
    ours_seconds = time.perf_counter() - started
    from scipy.optimize import linprog

    started = time.perf_counter()
    peer = linprog(
        programme.cost,
        bounds=list(zip(programme.col_lower, programme.col_upper, strict=True)),
        method="highs",
        **_scipy_rows(programme),
    )
    peer_seconds = time.perf_counter() - started
    peer_unmet = float(peer.fun + programme.offset)
    ours_objective = ours.efficient.weighted_unmet
    print()
    print("| efficient LP | seconds | unmet cases | ratio to civicflow |")
    print("|---|---|---|---|")
    print(f"| civicflow (highspy, build + solve + evaluation) | {ours_seconds:.2f} | "
          f"{ours_objective:,.2f} | 1.00 |")  # fmt: skip
    print(f"| SciPy linprog (HiGHS), same matrices | {peer_seconds:.2f} | {peer_unmet:,.2f} | "
          f"{peer_seconds / ours_seconds:.2f} |")  # fmt: skip
    agree = abs(peer_unmet - ours_objective) <= 1e-3 * max(1.0, abs(ours_objective))
    pulp_line = _pulp(grid, inputs, ours_objective, ours_seconds)
    if pulp_line:
        print(pulp_line)
    print(f"objectives agree: {agree}")
    if not agree:
        raise SystemExit(1)


def _plain_mip(
    grid: object, config: AllocationConfig, ours: float, ours_unmet: float, gap: float | None
) -> None:
    """The same whole-staff programme as it was before issue 17's speed work: units bounded by
    the area cap only (not by the cell's need) and no start, so HiGHS branches from nothing."""
    from dataclasses import replace

    from civicflow.forecasting._allocation_lp import solve

    inputs, _ = _inputs(grid, config)  # type: ignore[arg-type]
    programme, layout = build(inputs, EquityRows())
    upper = programme.col_upper.copy()
    upper[layout.units] = np.repeat(inputs.unit_upper, inputs.demand.shape[1])
    plain = replace(programme, col_upper=upper)
    started = time.perf_counter()
    solution = solve(plain, time_limit=config.time_limit, mip_rel_gap=config.mip_rel_gap)
    seconds = time.perf_counter() - started
    unmet = float("nan") if solution.objective is None else solution.objective
    print()
    print("| whole staff MIP | seconds | weighted unmet | MIP gap | ratio to civicflow |")
    print("|---|---|---|---|---|")
    print(f"| civicflow (need bounds + rounded LP start; whole allocate) | {ours:.2f} | "
          f"{ours_unmet:,.1f} | {gap if gap is not None else float('nan'):.5f} | 1.00 |")  # fmt: skip
    print(f"| cap bounds, no start (solve only) | {seconds:.2f} | {unmet:,.1f} | "
          f"{solution.mip_gap if solution.mip_gap is not None else float('nan'):.5f} | "
          f"{seconds / ours:.2f} |")  # fmt: skip


def _scipy_rows(programme: object) -> dict[str, object]:
    """``lower ≤ A x ≤ upper`` as SciPy's ``A_ub x ≤ b_ub`` and ``A_eq x = b_eq``."""
    from scipy.sparse import vstack

    a = programme.matrix.tocsr()  # type: ignore[attr-defined]
    lo, hi = programme.row_lower, programme.row_upper  # type: ignore[attr-defined]
    eq = lo == hi
    upper = ~eq & np.isfinite(hi)
    lower = ~eq & np.isfinite(lo)
    out: dict[str, object] = {}
    parts = [a[upper], -a[lower]]
    out["A_ub"] = vstack(parts).tocsr()
    out["b_ub"] = np.concatenate([hi[upper], -lo[lower]])
    if eq.any():
        out["A_eq"] = a[eq]
        out["b_eq"] = lo[eq]
    return out


def _pulp(grid: object, inputs: object, ours: float, ours_seconds: float) -> str | None:
    try:
        import pulp
    except ImportError:
        return None
    solver = pulp.PULP_CBC_CMD(msg=False)
    if not solver.available():
        return None
    d = inputs.demand  # type: ignore[attr-defined]
    s = inputs.hours_per_case  # type: ignore[attr-defined]
    n, periods = d.shape
    started = time.perf_counter()
    m = pulp.LpProblem("allocation", pulp.LpMaximize)
    cap = inputs.unit_upper  # type: ignore[attr-defined]
    y = [[pulp.LpVariable(f"y_{i}_{t}", 0, cap[i]) for t in range(periods)] for i in range(n)]
    z = [[pulp.LpVariable(f"z_{i}_{t}", 0, d[i, t]) for t in range(periods)] for i in range(n)]
    m += pulp.lpSum(z[i][t] for i in range(n) for t in range(periods))
    for i in range(n):
        for t in range(periods):
            m += s[i] * z[i][t] <= inputs.hours_per_unit * y[i][t]  # type: ignore[attr-defined]
    for t in range(periods):
        m += pulp.lpSum(y[i][t] for i in range(n)) <= inputs.units_per_period  # type: ignore[attr-defined]
    m.solve(solver)
    seconds = time.perf_counter() - started
    unmet = float(d.sum() - pulp.value(m.objective))
    agree = abs(unmet - ours) <= 1e-3 * max(1.0, abs(ours))
    return (
        f"| PuLP model + CBC (build + solve) | {seconds:.2f} | {unmet:,.2f} | "
        f"{seconds / ours_seconds:.2f} |" + ("" if agree else " (objective differs!)")
    )


if __name__ == "__main__":
    main()
