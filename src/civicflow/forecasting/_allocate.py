"""Allocate fairly: staff hours (or inspectors, vehicles, appointment slots) to areas and periods
from forecast demand, service times and limits, with the equity constraints a service owner
chooses — and the price of that fairness beside the efficient plan.

The programme (see :mod:`._allocation_lp`) is linear, mixed-integer when whole units are asked
for, solved by HiGHS. Two objectives:

* ``unmet``: minimise the cases not served in their period (demand a period cannot serve is lost);
* ``waiting``: minimise the waiting, as a fluid queue — a case not served in its period waits to
  the next (a backlog carried forward), and the objective is the sum of the backlog over the
  periods, i.e. case-periods waited (by Little's law the mean wait in periods is that sum divided
  by the cases). It is a linear stand-in for a queueing model: it counts waiting across periods
  and ignores the waiting inside a period that randomness causes (the simulation measures that).

Both can weight an area's cases by its population (``weight_by_population``). Equity: a minimum
service level in every area, a maximum gap between the best- and worst-served areas, max–min
fairness (maximise the lowest area's service level, then, holding it, minimise the objective:
lexicographic in two stages, not the full leximin order). A service level is the share of an
area's demand over the horizon that is served."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from civicflow.core import ConfigurationError, InputError, Location, Record, check_choice
from civicflow.forecasting._allocation_demand import DemandGrid, population_key
from civicflow.forecasting._allocation_lp import (
    EquityRows,
    Inputs,
    Layout,
    Programme,
    Solution,
    build,
    relaxed,
    rounded_start,
    solve,
)
from civicflow.forecasting._equity import EquityMeasures, impact_ratios, service_equity

if TYPE_CHECKING:
    from numpy.typing import NDArray

OBJECTIVES = ("unmet", "waiting")
TOLERANCE = 1e-6


def _bad(name: str, found: Any, expected: str, fix: str) -> ConfigurationError:
    return ConfigurationError(
        f"the allocation's {name.replace('_', ' ')} is not usable",
        where=Location(field=name),
        found=str(found),
        expected=expected,
        fix=fix,
    )


def _non_negative(name: str, value: float | None, fix: str) -> None:
    if value is not None and (not np.isfinite(value) or value < 0):
        raise _bad(name, value, "a finite number ≥ 0", fix)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits(Record):
    """What may be allocated. ``unit`` names it (``staff``, ``inspectors``, ``slots``,
    ``hours``); one unit gives ``hours_per_unit`` hours of work in a period (37.5 for a full-time
    person-week; 1 when the unit is the hour)."""

    unit: str = "hours"
    hours_per_unit: float = 1.0
    units_per_period: float | None = None
    """Units available in each period, over all areas."""
    budget: float | None = None
    """Money for the whole horizon; each unit in a period costs ``cost_per_unit``."""
    cost_per_unit: float = 1.0
    area_cap: float | None = None
    """Most units one area may get in a period (``area_caps`` overrides it per area)."""
    area_caps: Mapping[str, float] = field(default_factory=dict)
    area_minimum: float = 0.0
    """Fewest units every area gets in every period (an office kept open)."""
    integer: bool = False
    """Whole units only (a mixed-integer programme)."""
    _json = True

    def __post_init__(self) -> None:
        if not self.unit.strip():
            raise _bad(
                "unit", self.unit, "a name such as staff, inspectors or slots", "--unit staff"
            )
        if not np.isfinite(self.hours_per_unit) or self.hours_per_unit <= 0:
            raise _bad("hours_per_unit", self.hours_per_unit, "a number > 0", "e.g. 37.5")
        _non_negative("units_per_period", self.units_per_period, "e.g. --units-per-period 120")
        _non_negative("budget", self.budget, "e.g. --budget 250000")
        _non_negative("cost_per_unit", self.cost_per_unit, "e.g. --cost-per-unit 1400")
        _non_negative("area_cap", self.area_cap, "e.g. --area-cap 10")
        _non_negative("area_minimum", self.area_minimum, "e.g. --area-minimum 1")
        for area, cap in self.area_caps.items():
            _non_negative(f"area_caps.{area}", cap, "give each area's cap as a number ≥ 0")
        if self.units_per_period is None and self.budget is None:
            raise _bad(
                "units_per_period", None, "a limit: units per period or a budget",
                "pass --units-per-period or --budget (without a limit every need is met)",
            )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceTimes(Record):
    """Hours of work per case: one figure for every area, per area, or both (per area first).
    ``app.allocation.service_times_from_dataset`` measures them from an event log."""

    hours_per_case: float | None = None
    by_area: Mapping[str, float] = field(default_factory=dict)
    _json = True

    def __post_init__(self) -> None:
        values = [("hours_per_case", self.hours_per_case)] + [
            (f"by_area.{a}", v) for a, v in self.by_area.items()
        ]
        for name, value in values:
            if value is not None and (not np.isfinite(value) or value <= 0):
                raise _bad(name, value, "hours per case, a number > 0", "e.g. 0.75")
        if self.hours_per_case is None and not self.by_area:
            raise _bad(
                "hours_per_case",
                None,
                "a service time",
                "pass --hours-per-case or a service-times file",
            )

    def of(self, area: str) -> float:
        value = self.by_area.get(area, self.hours_per_case)
        if value is None:
            raise InputError(
                f"area '{area}' has no service time",
                where=Location(field="service_times"),
                found=f"service times for {len(self.by_area)} areas, no default",
                expected="a service time for every area of the demand table",
                fix="add the area to the service times, or give a default --hours-per-case",
            )
        return float(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Equity(Record):
    """The equity constraints the service owner chooses (none: the efficient plan only)."""

    min_service_level: float | None = None
    """Every area with demand gets at least this share of it served (0-1)."""
    max_gap: float | None = None
    """The best- and worst-served areas' service levels differ by at most this (0-1)."""
    max_min: bool = False
    """Maximise the lowest area's service level first, then the objective."""
    _json = True

    def __post_init__(self) -> None:
        for name in ("min_service_level", "max_gap"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and 0 <= value <= 1):
                raise _bad(name, value, "a share between 0 and 1", "e.g. 0.8 for 80 %")

    @property
    def chosen(self) -> bool:
        return self.min_service_level is not None or self.max_gap is not None or self.max_min

    def describe(self) -> str:
        parts = []
        if self.min_service_level is not None:
            parts.append(f"every area served at least {self.min_service_level:.0%}")
        if self.max_gap is not None:
            parts.append(f"best and worst area within {self.max_gap:.0%}")
        if self.max_min:
            parts.append("the worst-served area as well served as possible (max–min)")
        return "; ".join(parts) or "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationConfig(Record):
    limits: Limits
    service_times: ServiceTimes
    equity: Equity = field(default_factory=Equity)
    objective: str = "unmet"
    population: Mapping[str, float] = field(default_factory=dict)
    """Residents per area (keys like the series, or their last ``_`` part)."""
    weight_by_population: bool = False
    """Weigh each area's cases in the objective by its population relative to the mean."""
    time_limit: float = 60.0
    mip_rel_gap: float = 1e-4
    _json = True
    _skip = ("population",)

    def __post_init__(self) -> None:
        check_choice(self.objective, OBJECTIVES, what="objective", field="objective")
        if self.time_limit <= 0:
            raise _bad("time_limit", self.time_limit, "seconds > 0", "e.g. 60")
        if not 0 <= self.mip_rel_gap < 1:
            raise _bad("mip_rel_gap", self.mip_rel_gap, "in [0, 1)", "e.g. 0.0001")
        if self.weight_by_population and not self.population:
            raise _bad(
                "weight_by_population", True, "a population per area",
                "pass --population FILE (e.g. nyc_modzcta_population.csv)",
            )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan(Record):
    """One solved allocation (``efficient`` or ``fair``) in totals."""

    name: str
    status: str
    demand: float
    served: float
    unmet: float
    unmet_share: float
    weighted_unmet: float
    case_periods_waiting: float | None
    """The waiting objective's backlog summed over the periods (``None`` with ``unmet``)."""
    units: float
    cost: float
    equity: EquityMeasures
    p90_unmet: float
    """Cases not served over the horizon if demand is at the forecast's P90 (``hi_80``)."""
    p90_service_level: float | None
    seconds: float
    mip_gap: float | None
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaOutcome(Record):
    """What one area gets under each plan, and how the chosen plan holds at P90 demand."""

    area: str
    population: float | None
    demand: float
    demand_p90: float
    hours_per_case: float
    hours_needed: float
    units_efficient: float
    units_fair: float | None
    service_efficient: float | None
    service_fair: float | None
    unmet_efficient: float
    unmet_fair: float | None
    impact_ratio: float | None
    """The chosen plan's service level / the best-served area's (four-fifths rule below 0.8)."""
    unmet_p90: float
    service_p90: float | None
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceOfFairness(Record):
    """What the equity constraints cost against the efficient plan."""

    extra_unmet: float
    extra_unmet_share: float
    """Of all demand."""
    extra_weighted_unmet: float
    extra_case_periods_waiting: float | None
    lowest_level_efficient: float | None
    lowest_level_fair: float | None
    difference_efficient: float | None
    difference_fair: float | None
    areas_gaining: int
    areas_losing: int
    text: str
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationResult:
    """An allocation: the efficient plan, the fair one when equity was chosen, each area under
    both, the price of fairness and the P90 check. :meth:`to_dict` is its stored and ``--json``
    form; ``units`` holds the chosen plan's units per area and period."""

    config: AllocationConfig
    areas: tuple[str, ...]
    periods: tuple[str, ...]
    efficient: Plan
    fair: Plan | None
    outcomes: tuple[AreaOutcome, ...]
    price: PriceOfFairness | None
    units: NDArray[np.float64]
    served: NDArray[np.float64]
    rows: int
    columns: int
    seconds: float
    warnings: tuple[str, ...] = ()

    @property
    def chosen(self) -> Plan:
        return self.fair or self.efficient

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "unit": self.config.limits.unit,
            "areas": list(self.areas),
            "periods": list(self.periods),
            "programme": {"rows": self.rows, "columns": self.columns,
                          "seconds": round(self.seconds, 4)},
            "efficient": self.efficient.to_dict(),
            "fair": None if self.fair is None else self.fair.to_dict(),
            "price_of_fairness": None if self.price is None else self.price.to_dict(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "units": np.round(self.units, 4).tolist(),
            "warnings": list(self.warnings),
        }  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnosis(Record):
    """Why a programme has no solution: HiGHS's status, the constraints whose removal makes it
    solvable (a relaxation check, one family at a time), and what to change."""

    status: str
    culprits: tuple[str, ...]
    detail: str
    fix: str
    _json = True


class AllocationInfeasibleError(ConfigurationError):
    """The limits and equity constraints admit no allocation; ``diagnosis`` says which."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(
            "no allocation meets these limits and equity constraints",
            where=Location(field=diagnosis.culprits[0] if diagnosis.culprits else None),
            found=f"HiGHS: {diagnosis.status}; {diagnosis.detail}",
            expected="limits that leave room for the constraints",
            fix=diagnosis.fix,
        )
        self.diagnosis = diagnosis


# -- inputs ------------------------------------------------------------------------------------


def _inputs(grid: DemandGrid, config: AllocationConfig) -> tuple[Inputs, NDArray[np.float64]]:
    limits = config.limits
    n = len(grid.areas)
    hours = np.array([config.service_times.of(a) for a in grid.areas])
    pops = np.full(n, np.nan)
    for i, area in enumerate(grid.areas):
        key = population_key(area, config.population)
        if key is not None:
            pops[i] = config.population[key]
    if config.weight_by_population:
        if np.isnan(pops).any():
            missing = [a for a, p in zip(grid.areas, pops, strict=True) if np.isnan(p)]
            raise InputError(
                f"{len(missing)} areas have no population to weigh them by",
                where=Location(field="population"),
                found=", ".join(missing[:5]) + (" …" if len(missing) > 5 else ""),
                expected="a population for every area of the demand table",
                fix="add the areas to the population file, or drop --weight-by-population",
            )
        mean = float(pops.mean())
        weights = pops / mean if mean > 0 else np.ones(n)
    else:
        weights = np.ones(n)
    upper = np.array(
        [float(limits.area_caps.get(a, limits.area_cap if limits.area_cap is not None else np.inf))
         for a in grid.areas]
    )  # fmt: skip
    lower = np.full(n, float(limits.area_minimum))
    over = np.flatnonzero(lower > upper)
    if len(over):
        area = grid.areas[int(over[0])]
        raise ConfigurationError(
            f"area '{area}' must get more units than its cap allows",
            where=Location(field="area_minimum"),
            found=f"minimum {limits.area_minimum:g}, cap {upper[over[0]]:g}",
            expected="an area minimum at most every area's cap",
            fix="lower --area-minimum or raise the area's cap",
        )
    inputs = Inputs(
        demand=grid.mean,
        hours_per_case=hours,
        weights=weights,
        hours_per_unit=limits.hours_per_unit,
        unit_lower=lower,
        unit_upper=upper,
        units_per_period=limits.units_per_period,
        budget=limits.budget,
        cost_per_unit=limits.cost_per_unit,
        integer=limits.integer,
        backlog=config.objective == "waiting",
    )
    return inputs, pops


def _run(
    inputs: Inputs,
    equity: EquityRows,
    config: AllocationConfig,
    *,
    start: NDArray[np.float64] | None = None,
) -> tuple[Solution, Programme, Layout]:
    """Build and solve one programme; a whole-unit one starts from ``start`` (a feasible plan
    of the same columns, e.g. max–min's first stage for its second) or else from its rounded
    linear relaxation."""
    programme, layout = build(inputs, equity)
    if inputs.integer and start is None:
        # the linear relaxation first: its rounded units are the branch and bound's first
        # incumbent (and its bound); its time counts in the whole run's
        relaxation = solve(relaxed(programme), time_limit=config.time_limit)
        if relaxation.feasible and relaxation.x is not None:
            start = rounded_start(inputs, layout, programme, relaxation.x, equity)
        elif relaxation.status.lower().startswith("infeasible"):
            return relaxation, programme, layout
    solution = solve(
        programme, time_limit=config.time_limit, mip_rel_gap=config.mip_rel_gap, start=start
    )
    return solution, programme, layout


# -- evaluation --------------------------------------------------------------------------------


def _served_at(
    units: NDArray[np.float64], demand: NDArray[np.float64], inputs: Inputs
) -> NDArray[np.float64]:
    """Cases the units serve if the demand is ``demand``: capacity in cases is units × hours per
    unit / hours per case; unserved cases are lost (``unmet``) or wait for the next period."""
    capacity = units * inputs.hours_per_unit / inputs.hours_per_case[:, None]
    if not inputs.backlog:
        return np.minimum(demand, capacity)
    served = np.zeros_like(demand)
    backlog = np.zeros(demand.shape[0])
    for t in range(demand.shape[1]):
        waiting = backlog + demand[:, t]
        served[:, t] = np.minimum(waiting, capacity[:, t])
        backlog = waiting - served[:, t]
    return served


def _levels(served: NDArray[np.float64], demand: NDArray[np.float64]) -> NDArray[np.float64]:
    total = demand.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(total > 0, np.minimum(served.sum(axis=1) / total, 1.0), np.nan)
    return level


def _plan(
    name: str,
    solution: Solution,
    layout: Layout,
    inputs: Inputs,
    grid: DemandGrid,
    pops: NDArray[np.float64],
) -> tuple[Plan, NDArray[np.float64], NDArray[np.float64]]:
    assert solution.x is not None
    shape = grid.mean.shape
    units = np.clip(solution.x[layout.units].reshape(shape), 0, None)
    if inputs.integer:
        units = np.round(units)
    served = np.clip(solution.x[layout.served].reshape(shape), 0, None)
    demand = float(grid.mean.sum())
    unmet = max(demand - float(served.sum()), 0.0)
    weighted = float(inputs.weights @ np.clip(grid.mean - served, 0, None).sum(axis=1))
    waiting = None
    if layout.backlog is not None:
        waiting = float(
            np.clip(solution.x[layout.backlog : layout.backlog + layout.cells], 0, None).sum()
        )
    levels = _levels(served, grid.mean)
    level_map = {a: float(v) for a, v in zip(grid.areas, levels, strict=True) if np.isfinite(v)}
    population = {a: float(p) for a, p in zip(grid.areas, pops, strict=True) if np.isfinite(p)}
    p90_served = _served_at(units, grid.p90, inputs)
    p90_demand = float(grid.p90.sum())
    plan = Plan(
        name=name,
        status=solution.status,
        demand=demand,
        served=float(served.sum()),
        unmet=unmet,
        unmet_share=unmet / demand if demand > 0 else 0.0,
        weighted_unmet=weighted,
        case_periods_waiting=waiting,
        units=float(units.sum()),
        cost=float(units.sum()) * inputs.cost_per_unit,
        equity=service_equity(level_map, population=population or None),
        p90_unmet=max(p90_demand - float(p90_served.sum()), 0.0),
        p90_service_level=float(p90_served.sum()) / p90_demand if p90_demand > 0 else None,
        seconds=solution.seconds,
        mip_gap=solution.mip_gap,
    )
    return plan, units, served


def _opt(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _price(
    efficient: Plan, fair: Plan, gaining: int, losing: int, equity: Equity
) -> PriceOfFairness:
    extra = fair.unmet - efficient.unmet
    share = extra / fair.demand if fair.demand > 0 else 0.0
    extra_wait = (
        None
        if fair.case_periods_waiting is None or efficient.case_periods_waiting is None
        else fair.case_periods_waiting - efficient.case_periods_waiting
    )
    lo_e, lo_f = efficient.equity.lowest_level, fair.equity.lowest_level
    if abs(extra) <= TOLERANCE * max(fair.demand, 1.0) and (
        extra_wait is None or abs(extra_wait) <= TOLERANCE * max(fair.demand, 1.0)
    ):
        cost_text = "costs nothing: the fair plan serves as many cases as the efficient one"
    else:
        cost_text = f"leaves {extra:,.1f} more cases unserved ({share:.2%} of demand)" + (
            f" and adds {extra_wait:,.1f} case-periods of waiting" if extra_wait else ""
        )
    levels = ""
    if lo_e is not None and lo_f is not None:
        levels = (
            f"; in return the worst-served area gets {lo_f:.1%} of its demand served instead of "
            f"{lo_e:.1%}"
        )
    text = (
        f"Fairness ({equity.describe()}) {cost_text}{levels}. "
        f"{gaining} area{'s gain' if gaining != 1 else ' gains'} and {losing} "
        f"lose{'s' if losing == 1 else ''} against the efficient plan."
    )
    return PriceOfFairness(
        extra_unmet=extra,
        extra_unmet_share=share,
        extra_weighted_unmet=fair.weighted_unmet - efficient.weighted_unmet,
        extra_case_periods_waiting=extra_wait,
        lowest_level_efficient=lo_e,
        lowest_level_fair=lo_f,
        difference_efficient=efficient.equity.difference,
        difference_fair=fair.equity.difference,
        areas_gaining=gaining,
        areas_losing=losing,
        text=text,
    )


# -- infeasibility -----------------------------------------------------------------------------


def _diagnose(
    solution: Solution,
    inputs: Inputs,
    equity: EquityRows,
    config: AllocationConfig,
    grid: DemandGrid,
) -> Diagnosis:
    """Which constraint family makes the programme infeasible: drop each in turn and re-solve."""
    limits = config.limits
    families: dict[str, tuple[Inputs, EquityRows]] = {}
    if equity.min_level is not None:
        families["min_service_level"] = (inputs, replace(equity, min_level=None))
    if limits.area_minimum > 0:
        families["area_minimum"] = (
            replace(inputs, unit_lower=np.zeros_like(inputs.unit_lower)),
            equity,
        )
    if equity.lowest_at_least is not None:
        families["max_min"] = (inputs, replace(equity, lowest_at_least=None))
    culprits = []
    for name, (inp, eq) in families.items():
        relaxed, _, _ = _run(inp, eq, config)
        if relaxed.feasible:
            culprits.append(name)
    periods = len(grid.periods)
    details: list[str] = []
    fixes: list[str] = []
    if "area_minimum" in culprits or (not culprits and limits.area_minimum > 0):
        floor = limits.area_minimum * len(grid.areas)
        if limits.units_per_period is not None and floor > limits.units_per_period:
            details.append(
                f"the area minimum needs {floor:g} {limits.unit} per period; "
                f"{limits.units_per_period:g} are available"
            )
        if limits.budget is not None and floor * periods * limits.cost_per_unit > limits.budget:
            details.append(
                f"the area minimum costs {floor * periods * limits.cost_per_unit:,.0f}; "
                f"the budget is {limits.budget:,.0f}"
            )
        fixes.append("lower --area-minimum or raise the units per period / budget")
    if "min_service_level" in culprits and equity.min_level is not None:
        best = _best_lowest_level(inputs, replace(equity, min_level=None), config)
        short = _capped_areas(inputs, grid, equity.min_level)
        if short:
            details.append(
                f"{len(short)} area(s) cannot reach {equity.min_level:.0%} within their cap: "
                + ", ".join(short[:5]) + (" …" if len(short) > 5 else "")
            )  # fmt: skip
        if best is not None:
            details.append(f"the highest minimum service level these limits allow is {best:.1%}")
        need = float((inputs.demand.sum(axis=1) * inputs.hours_per_case).sum())
        details.append(
            f"{equity.min_level:.0%} of all demand needs about "
            f"{equity.min_level * need / limits.hours_per_unit:,.0f} {limits.unit}-periods"
        )
        fixes.append(
            "lower --min-service-level"
            + (f" to at most {np.floor(best * 1000) / 1000:.1%}" if best is not None else "")
            + ", or raise the limits (units per period, budget, area caps)"
        )
    if not culprits:
        details.append("no single constraint family explains it; the limits conflict together")
        fixes.append("relax the equity constraints one at a time, or raise the limits")
    return Diagnosis(
        status=solution.status,
        culprits=tuple(culprits),
        detail="; ".join(details),
        fix="; ".join(dict.fromkeys(fixes)),
    )


def _best_lowest_level(
    inputs: Inputs, equity: EquityRows, config: AllocationConfig
) -> float | None:
    solution, _, layout = _run(
        inputs, replace(equity, maximise_lowest=True, lowest_at_least=None), config
    )
    if not solution.feasible or solution.x is None or layout.lowest is None:
        return None
    return float(solution.x[layout.lowest])


def _capped_areas(inputs: Inputs, grid: DemandGrid, level: float) -> list[str]:
    periods = grid.mean.shape[1]
    reach = inputs.unit_upper * periods * inputs.hours_per_unit / inputs.hours_per_case
    total = grid.mean.sum(axis=1)
    return [
        a
        for a, r, d in zip(grid.areas, reach, total, strict=True)
        if d > 0 and r < level * d * (1 - 1e-9)
    ]


# -- the entry point ---------------------------------------------------------------------------


def allocate(grid: DemandGrid, config: AllocationConfig) -> AllocationResult:
    """Solve the efficient allocation and, when equity is chosen, the fair one; compare them per
    area; check the chosen plan at P90 demand. An infeasible programme raises
    :class:`AllocationInfeasibleError` with its :class:`Diagnosis`."""
    started = time.perf_counter()
    inputs, pops = _inputs(grid, config)
    warnings: list[str] = []
    if grid.clipped:
        warnings.append(f"{grid.clipped} negative forecast value(s) were read as zero demand")
    efficient_rows = EquityRows()
    solution, programme, layout = _run(inputs, efficient_rows, config)
    if not solution.feasible:
        raise _unsolved(solution, inputs, efficient_rows, config, grid)
    _warn(solution, "efficient", warnings)
    efficient, units_e, served_e = _plan("efficient", solution, layout, inputs, grid, pops)
    rows, columns = programme.shape
    fair = None
    units_f = served_f = None
    eq = config.equity
    if eq.chosen:
        fair_rows = EquityRows(min_level=eq.min_service_level, max_gap=eq.max_gap)
        if eq.max_min:
            stage1, _, layout1 = _run(inputs, replace(fair_rows, maximise_lowest=True), config)
            if not stage1.feasible or stage1.x is None or layout1.lowest is None:
                raise _unsolved(stage1, inputs, fair_rows, config, grid)
            best = float(stage1.x[layout1.lowest])
            fair_rows = replace(fair_rows, lowest_at_least=max(best - 1e-7, 0.0))
        # max–min's second stage starts from its first stage's plan, which keeps the lowest
        # level it fixes (whole units: rounding the relaxation again need not)
        second_start = stage1.x if eq.max_min and inputs.integer else None
        solution, programme, layout = _run(inputs, fair_rows, config, start=second_start)
        if not solution.feasible:
            raise _unsolved(solution, inputs, fair_rows, config, grid)
        _warn(solution, "fair", warnings)
        rows, columns = programme.shape
        fair, units_f, served_f = _plan("fair", solution, layout, inputs, grid, pops)

    units = units_f if units_f is not None else units_e
    served = served_f if served_f is not None else served_e
    levels_e = _levels(served_e, grid.mean)
    levels_f = None if served_f is None else _levels(served_f, grid.mean)
    chosen_levels = levels_f if levels_f is not None else levels_e
    ratios = impact_ratios(
        {a: float(v) for a, v in zip(grid.areas, chosen_levels, strict=True) if np.isfinite(v)}
    )
    p90_served = _served_at(units, grid.p90, inputs)
    p90_levels = _levels(p90_served, grid.p90)
    outcomes = []
    gaining = losing = 0
    for i, area in enumerate(grid.areas):
        d = float(grid.mean[i].sum())
        unmet_f = None if served_f is None else max(d - float(served_f[i].sum()), 0.0)
        if levels_f is not None and np.isfinite(levels_f[i]):
            delta = levels_f[i] - levels_e[i]
            gaining += int(delta > 1e-6)
            losing += int(delta < -1e-6)
        outcomes.append(
            AreaOutcome(
                area=area,
                population=_opt(pops[i]),
                demand=d,
                demand_p90=float(grid.p90[i].sum()),
                hours_per_case=float(inputs.hours_per_case[i]),
                hours_needed=d * float(inputs.hours_per_case[i]),
                units_efficient=float(units_e[i].sum()),
                units_fair=None if units_f is None else float(units_f[i].sum()),
                service_efficient=_opt(levels_e[i]),
                service_fair=None if levels_f is None else _opt(levels_f[i]),
                unmet_efficient=max(d - float(served_e[i].sum()), 0.0),
                unmet_fair=unmet_f,
                impact_ratio=ratios.get(area),
                unmet_p90=max(float(grid.p90[i].sum() - p90_served[i].sum()), 0.0),
                service_p90=_opt(p90_levels[i]),
            )
        )
    price = None if fair is None else _price(efficient, fair, gaining, losing, eq)
    return AllocationResult(
        config=config,
        areas=grid.areas,
        periods=grid.periods,
        efficient=efficient,
        fair=fair,
        outcomes=tuple(outcomes),
        price=price,
        units=units,
        served=served,
        rows=rows,
        columns=columns,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
    )


def _unsolved(
    solution: Solution,
    inputs: Inputs,
    equity: EquityRows,
    config: AllocationConfig,
    grid: DemandGrid,
) -> ConfigurationError:
    """The error of a programme HiGHS found no allocation for: infeasible (diagnosed), or stopped
    before it found one (a time limit on a hard mixed-integer programme)."""
    if solution.status.lower().startswith("infeasible"):
        return AllocationInfeasibleError(_diagnose(solution, inputs, equity, config, grid))
    return ConfigurationError(
        "HiGHS stopped before it found an allocation",
        where=Location(field="time_limit"),
        found=f"HiGHS: {solution.status} after {solution.seconds:.1f} s",
        expected="a solved programme",
        fix="raise the time limit, loosen the MIP gap, or allow fractional units (drop --integer)",
    )


def _warn(solution: Solution, name: str, warnings: list[str]) -> None:
    if not solution.optimal:
        warnings.append(
            f"the {name} plan is the best HiGHS found before it stopped ({solution.status}), "
            "not proven optimal"
        )
