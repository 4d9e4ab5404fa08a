"""The allocation's linear programme as matrices, and HiGHS (``highspy``) solving it.

Columns, cell ``k = area × periods + period``: ``units[k]`` (staff, inspectors, slots …: what is
allocated), ``served[k]`` (cases served), then ``backlog[k]`` (the waiting objective only), then
the lowest and highest area service levels (equity only). Rows: capacity (``hours_per_case ×
served ≤ hours_per_unit × units``), units per period, budget, backlog balance, minimum service
level, and the levels' bounds. The same matrices go to SciPy's ``linprog`` in the benchmark."""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from scipy.sparse import csc_matrix

INF = float("inf")
_BANNER_LOCK = threading.Lock()
_banner_done = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Programme:
    """A linear (or mixed-integer) programme: minimise ``cost @ x`` subject to
    ``row_lower ≤ A x ≤ row_upper`` and ``col_lower ≤ x ≤ col_upper``."""

    cost: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    matrix: csc_matrix
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    integer: NDArray[np.bool_]
    offset: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.matrix.shape
        return int(rows), int(cols)


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    status: str
    optimal: bool
    feasible: bool
    x: NDArray[np.float64] | None
    objective: float | None
    seconds: float
    mip_gap: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Where each family of columns starts (``None``: not in the programme)."""

    cells: int
    backlog: int | None
    lowest: int | None
    highest: int | None
    columns: int

    @property
    def units(self) -> slice:
        return slice(0, self.cells)

    @property
    def served(self) -> slice:
        return slice(self.cells, 2 * self.cells)


def _highs() -> Any:
    """A silent ``highspy.Highs``. HiGHS prints its banner on stdout when the first one of a
    process is made, before any option can be set; that one is made with stdout pointed at the
    null device (``--json`` output must stay JSON)."""
    global _banner_done
    import highspy

    with _BANNER_LOCK:
        if _banner_done:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    return h


def solve(
    programme: Programme,
    *,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    threads: int = 1,
    start: NDArray[np.float64] | None = None,
) -> Solution:
    """Solve with HiGHS; ``status`` is HiGHS's model status in its own words. ``start`` (a
    mixed-integer programme's feasible point, e.g. :func:`rounded_start`) is handed to HiGHS as
    its first incumbent, so the branch and bound starts with a bound to prune by."""
    import highspy

    h = _highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", int(threads))
    lp = highspy.HighsLp()
    rows, cols = programme.shape
    lp.num_col_ = cols
    lp.num_row_ = rows
    lp.col_cost_ = programme.cost
    lp.col_lower_ = np.where(np.isinf(programme.col_lower), -highspy.kHighsInf, programme.col_lower)
    lp.col_upper_ = np.where(np.isinf(programme.col_upper), highspy.kHighsInf, programme.col_upper)
    lp.row_lower_ = np.where(np.isinf(programme.row_lower), -highspy.kHighsInf, programme.row_lower)
    lp.row_upper_ = np.where(np.isinf(programme.row_upper), highspy.kHighsInf, programme.row_upper)
    lp.offset_ = programme.offset
    a = programme.matrix
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_ = cols
    lp.a_matrix_.num_row_ = rows
    if programme.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in programme.integer
        ]
    h.passModel(lp)
    if start is not None:
        incumbent = highspy.HighsSolution()
        incumbent.col_value = np.asarray(start, dtype=float).tolist()
        incumbent.value_valid = True
        h.setSolution(incumbent)
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status = h.getModelStatus()
    info = h.getInfo()
    feasible = int(info.primal_solution_status) == 2
    optimal = status == highspy.HighsModelStatus.kOptimal
    x = np.asarray(h.getSolution().col_value, dtype=float) if feasible else None
    gap = float(info.mip_gap) if programme.integer.any() and feasible else None
    return Solution(
        status=h.modelStatusToString(status),
        optimal=optimal,
        feasible=feasible,
        x=x,
        objective=float(info.objective_function_value) if feasible else None,
        seconds=seconds,
        mip_gap=gap,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Inputs:
    """The numbers a programme is built from (areas × periods)."""

    demand: NDArray[np.float64]
    hours_per_case: NDArray[np.float64]
    weights: NDArray[np.float64]
    hours_per_unit: float
    unit_lower: NDArray[np.float64]
    unit_upper: NDArray[np.float64]
    units_per_period: float | None
    budget: float | None
    cost_per_unit: float
    integer: bool
    backlog: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class EquityRows:
    """Which equity rows a programme carries; ``maximise_lowest`` makes its objective the lowest
    area service level (stage one of max–min fairness); ``lowest_at_least`` fixes it from below
    (stage two)."""

    min_level: float | None = None
    max_gap: float | None = None
    maximise_lowest: bool = False
    lowest_at_least: float | None = None

    @property
    def needs_lowest(self) -> bool:
        return self.max_gap is not None or self.maximise_lowest or self.lowest_at_least is not None


def _unit_upper(inputs: Inputs) -> NDArray[np.float64]:
    """Each cell's upper bound on units: its cap, tightened to the units that serve every case
    that can be there (the period's demand; with a backlog, all demand up to the period). More
    units than that serve nobody (they only cost), so no optimum loses by the bound; with whole
    units it is rounded up, and it never goes below the area minimum. On the benchmark most
    areas need less than one person a week, so the integer columns become binary and the
    mixed-integer programme's branching shrinks accordingly."""
    n, periods = inputs.demand.shape
    reach = np.cumsum(inputs.demand, axis=1) if inputs.backlog else inputs.demand
    need = reach * inputs.hours_per_case[:, None] / inputs.hours_per_unit
    if inputs.integer:
        need = np.ceil(need - 1e-9)
    cap = np.repeat(inputs.unit_upper, periods).reshape(n, periods)
    low = np.repeat(inputs.unit_lower, periods).reshape(n, periods)
    return np.minimum(cap, np.maximum(need, low)).reshape(-1)


def build(inputs: Inputs, equity: EquityRows) -> tuple[Programme, Layout]:
    """The programme of one allocation (efficient with an empty ``equity``)."""
    from scipy.sparse import coo_matrix

    n, periods = inputs.demand.shape
    cells = n * periods
    d = inputs.demand.reshape(-1)
    s = np.repeat(inputs.hours_per_case, periods)
    w = np.repeat(inputs.weights, periods)
    col = 2 * cells
    backlog = None
    if inputs.backlog:
        backlog, col = col, col + cells
    lowest = highest = None
    if equity.needs_lowest:
        lowest, col = col, col + 1
        if equity.max_gap is not None:
            highest, col = col, col + 1
    layout = Layout(cells=cells, backlog=backlog, lowest=lowest, highest=highest, columns=col)

    rows_i: list[NDArray[Any]] = []
    cols_i: list[NDArray[Any]] = []
    vals: list[NDArray[Any]] = []
    lower: list[NDArray[np.float64]] = []
    upper: list[NDArray[np.float64]] = []
    next_row = 0

    def add(r: NDArray[Any], c: NDArray[Any], v: NDArray[Any]) -> None:
        rows_i.append(np.asarray(r))
        cols_i.append(np.asarray(c))
        vals.append(np.asarray(v, dtype=float))

    k = np.arange(cells)
    # capacity: hours_per_case × served − hours_per_unit × units ≤ 0
    add(next_row + k, cells + k, s)
    add(next_row + k, k, np.full(cells, -inputs.hours_per_unit))
    lower.append(np.full(cells, -INF))
    upper.append(np.zeros(cells))
    next_row += cells
    # units per period: Σ_area units ≤ limit
    if inputs.units_per_period is not None:
        t = np.tile(np.arange(periods), n)
        add(next_row + t, k, np.ones(cells))
        lower.append(np.full(periods, -INF))
        upper.append(np.full(periods, inputs.units_per_period))
        next_row += periods
    # budget over the horizon
    if inputs.budget is not None:
        add(np.full(cells, next_row), k, np.full(cells, inputs.cost_per_unit))
        lower.append(np.array([-INF]))
        upper.append(np.array([inputs.budget]))
        next_row += 1
    # backlog balance: served + backlog[t] − backlog[t−1] = demand
    if backlog is not None:
        add(next_row + k, cells + k, np.ones(cells))
        add(next_row + k, backlog + k, np.ones(cells))
        prev = k[(k % periods) != 0]
        add(next_row + prev, backlog + prev - 1, -np.ones(len(prev)))
        lower.append(d.copy())
        upper.append(d.copy())
        next_row += cells
    # area service levels: Σ_t served / demand of the area
    total = inputs.demand.sum(axis=1)
    has = np.flatnonzero(total > 0)
    area_of = np.repeat(np.arange(n), periods)
    in_has = np.isin(area_of, has)
    level_coef = np.zeros(cells)
    level_coef[in_has] = 1.0 / total[area_of[in_has]]
    row_of_area = np.full(n, -1)
    row_of_area[has] = np.arange(len(has))
    if equity.min_level is not None and len(has):
        add(next_row + row_of_area[area_of[in_has]], cells + k[in_has], level_coef[in_has])
        lower.append(np.full(len(has), equity.min_level))
        upper.append(np.full(len(has), INF))
        next_row += len(has)
    if lowest is not None and len(has):
        # level − lowest ≥ 0
        add(next_row + row_of_area[area_of[in_has]], cells + k[in_has], level_coef[in_has])
        add(next_row + np.arange(len(has)), np.full(len(has), lowest), -np.ones(len(has)))
        lower.append(np.zeros(len(has)))
        upper.append(np.full(len(has), INF))
        next_row += len(has)
    if highest is not None and lowest is not None and equity.max_gap is not None and len(has):
        # level − highest ≤ 0; highest − lowest ≤ gap
        add(next_row + row_of_area[area_of[in_has]], cells + k[in_has], level_coef[in_has])
        add(next_row + np.arange(len(has)), np.full(len(has), highest), -np.ones(len(has)))
        lower.append(np.full(len(has), -INF))
        upper.append(np.zeros(len(has)))
        next_row += len(has)
        add(np.array([next_row, next_row]), np.array([highest, lowest]), np.array([1.0, -1.0]))
        lower.append(np.array([-INF]))
        upper.append(np.array([equity.max_gap]))
        next_row += 1

    matrix = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_i))),
        shape=(next_row, col),
    ).tocsc()

    col_lower = np.zeros(col)
    col_upper = np.full(col, INF)
    col_lower[:cells] = np.repeat(inputs.unit_lower, periods)
    col_upper[:cells] = _unit_upper(inputs)
    if backlog is None:
        col_upper[cells : 2 * cells] = d
    if lowest is not None:
        col_upper[lowest] = 1.0
        if equity.lowest_at_least is not None:
            col_lower[lowest] = min(equity.lowest_at_least, 1.0)
    if highest is not None:
        col_upper[highest] = 1.0
    integer = np.zeros(col, dtype=bool)
    if inputs.integer:
        integer[:cells] = True

    cost = np.zeros(col)
    offset = 0.0
    if equity.maximise_lowest and lowest is not None:
        cost[lowest] = -1.0
    else:
        # a unit costs a little, so no unit is placed where it serves nobody; small enough that
        # a unit that serves anyone is always worth it
        useful = inputs.hours_per_unit / max(float(inputs.hours_per_case.max()), 1e-12)
        epsilon = 1e-6 * float(inputs.weights.min(initial=1.0)) * useful
        cost[:cells] = epsilon
        if backlog is None:
            cost[cells : 2 * cells] = -w
            offset = float(w @ d)
        else:
            cost[backlog : backlog + cells] = w
    programme = Programme(
        cost=cost,
        col_lower=col_lower,
        col_upper=col_upper,
        matrix=matrix,
        row_lower=np.concatenate(lower),
        row_upper=np.concatenate(upper),
        integer=integer,
        offset=offset,
    )
    return programme, layout


def relaxed(programme: Programme) -> Programme:
    """The programme with every integrality dropped (its linear relaxation)."""
    return replace(programme, integer=np.zeros_like(programme.integer))


def rounded_start(
    inputs: Inputs,
    layout: Layout,
    programme: Programme,
    relaxation: NDArray[np.float64],
    equity: EquityRows | None = None,
) -> NDArray[np.float64]:
    """A whole-unit start for the mixed-integer programme from its relaxation's solution: the
    units rounded down (so no limit is broken), then — with the ``unmet`` objective — each
    period's spare units (and spare budget) given one at a time to the cell where a unit serves
    the most weighted cases (the greedy step is exact for one period's units alone: the cases a
    cell's units serve are concave in them); the cases served, the backlog and the levels follow
    from the units. HiGHS checks it and drops it if an equity row rejects it."""
    n, periods = inputs.demand.shape
    cells = layout.cells
    upper = programme.col_upper[:cells].reshape(n, periods)
    lower = np.ceil(programme.col_lower[:cells].reshape(n, periods) - 1e-9)
    units = np.floor(relaxation[:cells].reshape(n, periods) + 1e-6)
    units = np.minimum(np.maximum(units, lower), upper)
    per_unit = inputs.hours_per_unit / inputs.hours_per_case  # cases one unit serves, per area
    demand = inputs.demand
    if not inputs.backlog:
        spare_budget = (
            np.inf
            if inputs.budget is None
            else np.floor(
                (inputs.budget - inputs.cost_per_unit * units.sum())
                / max(inputs.cost_per_unit, 1e-12)
                + 1e-9
            )
        )
        floor = _floor_level(equity)
        if floor is not None:
            spare_budget = _lift_to_floor(
                inputs, units, upper, lower, per_unit, floor=floor, spare_budget=spare_budget
            )
        for t in range(periods):
            spare = (
                np.inf
                if inputs.units_per_period is None
                else np.floor(inputs.units_per_period - units[:, t].sum() + 1e-9)
            )
            while spare >= 1 and spare_budget >= 1:
                left = np.clip(demand[:, t] - units[:, t] * per_unit, 0, None)
                gain = inputs.weights * np.minimum(left, per_unit)
                gain[units[:, t] + 1 > upper[:, t]] = 0.0
                best = int(np.argmax(gain))
                if gain[best] <= 1e-12:
                    break
                units[best, t] += 1
                spare -= 1
                spare_budget -= 1
    capacity = units * per_unit[:, None]
    if inputs.backlog:
        served = np.zeros_like(demand)
        waiting_after = np.zeros_like(demand)
        carried = np.zeros(n)
        for t in range(periods):
            waiting = carried + demand[:, t]
            served[:, t] = np.minimum(waiting, capacity[:, t])
            carried = waiting - served[:, t]
            waiting_after[:, t] = carried
    else:
        served = np.minimum(demand, capacity)
        if equity is not None and equity.max_gap is not None:
            served = _cap_to_gap(served, demand, equity.max_gap)
    x = np.zeros(layout.columns)
    x[:cells] = units.reshape(-1)
    x[cells : 2 * cells] = served.reshape(-1)
    if layout.backlog is not None:
        x[layout.backlog : layout.backlog + cells] = waiting_after.reshape(-1)
    total = demand.sum(axis=1)
    has = total > 0
    if has.any():
        levels = served.sum(axis=1)[has] / total[has]
        if layout.lowest is not None:
            x[layout.lowest] = float(levels.min())
        if layout.highest is not None:
            x[layout.highest] = float(levels.max())
    return x


def _floor_level(equity: EquityRows | None) -> float | None:
    """The service level every area must reach in a programme with these equity rows."""
    if equity is None:
        return None
    floors = [v for v in (equity.min_level, equity.lowest_at_least) if v is not None]
    return max(floors) if floors else None


def _levels_of(units: NDArray[np.float64], inputs: Inputs) -> NDArray[np.float64]:
    per_unit = inputs.hours_per_unit / inputs.hours_per_case
    served = np.minimum(inputs.demand, units * per_unit[:, None]).sum(axis=1)
    total = inputs.demand.sum(axis=1)
    return np.divide(served, total, out=np.ones_like(total), where=total > 0)


def _lift_to_floor(
    inputs: Inputs,
    units: NDArray[np.float64],
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
    per_unit: NDArray[np.float64],
    *,
    floor: float,
    spare_budget: float,
) -> float:
    """Whole units (in place) that bring every area to the minimum service level, where rounding
    the relaxation down left it short: the area furthest below gets one more unit in the period
    where it serves the most of its cases, from the period's spare units, else moved from the
    area with the most to spare above the floor in that period. Without it the rounded start
    breaks the level rows, HiGHS drops it and branches with no incumbent (at 200 areas × 52
    weeks it then stops at its time limit with no plan at all). Returns the budget left."""
    demand = inputs.demand
    total = demand.sum(axis=1)
    limit = np.inf if inputs.units_per_period is None else inputs.units_per_period
    for _ in range(int(upper.sum()) + 1):
        levels = _levels_of(units, inputs)
        short = np.flatnonzero((levels < floor - 1e-9) & (total > 0))
        if not len(short):
            break
        area = int(short[np.argmin(levels[short])])
        left = np.clip(demand[area] - units[area] * per_unit[area], 0, None)
        gain = np.minimum(left, per_unit[area])
        gain[units[area] + 1 > upper[area] + 1e-9] = 0.0
        placed = False
        for t in np.argsort(-gain):
            if gain[t] <= 1e-12:
                break
            if spare_budget >= 1 and units[:, t].sum() + 1 <= limit + 1e-9:
                units[area, t] += 1
                spare_budget -= 1
                placed = True
                break
            # move a unit from the area that keeps the most above the floor without it
            donors = np.flatnonzero(units[:, t] - 1 >= lower[:, t] - 1e-9)
            donors = donors[donors != area]
            if not len(donors):
                continue
            served_now = np.minimum(demand[donors, t], units[donors, t] * per_unit[donors])
            served_less = np.minimum(demand[donors, t], (units[donors, t] - 1) * per_unit[donors])
            after = levels[donors] - np.divide(
                served_now - served_less,
                total[donors],
                out=np.zeros(len(donors)),
                where=total[donors] > 0,
            )
            ok = after >= floor + 1e-9
            if not ok.any():
                continue
            donor = int(donors[ok][np.argmax(after[ok])])
            units[donor, t] -= 1
            units[area, t] += 1
            placed = True
            break
        if not placed:
            break  # no whole-unit plan found this way; HiGHS searches from nothing
    return spare_budget


def _cap_to_gap(
    served: NDArray[np.float64], demand: NDArray[np.float64], gap: float
) -> NDArray[np.float64]:
    """Cases served scaled down in the areas above the lowest level plus the allowed gap (a plan
    may serve fewer cases than its units could), so the start keeps the max-gap row."""
    total = demand.sum(axis=1)
    has = total > 0
    if not has.any():
        return served
    levels = np.divide(served.sum(axis=1), total, out=np.ones_like(total), where=has)
    ceiling = float(levels[has].min()) + gap
    scale = np.where(has & (levels > ceiling), ceiling / np.maximum(levels, 1e-12), 1.0)
    return served * scale[:, None]
