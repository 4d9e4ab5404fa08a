"""The allocation programme: limits, objectives, equity constraints, the price of fairness, the
P90 check, infeasibility diagnoses, and the demand table it reads."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.conftest import shared_file

from civicflow.core import ConfigurationError, InputError
from civicflow.forecasting import (
    AllocationConfig,
    AllocationInfeasibleError,
    Equity,
    Limits,
    ServiceTimes,
    allocate,
    demand_grid,
    population_key,
    rates_to_cases,
    read_population,
)


def table(demand: dict[str, list[float]], *, p90: float = 1.2) -> pd.DataFrame:
    """A forecast table as the forecasting half writes it."""
    rows = []
    for area, values in demand.items():
        for t, m in enumerate(values):
            rows.append(
                {"series": area, "period": f"2027-W{t + 1:02d}", "mean": m, "lo_80": m * 0.8,
                 "hi_80": m * p90, "lo_95": m * 0.7, "hi_95": m * 1.3, "model": "AutoETS"}
            )  # fmt: skip
    return pd.DataFrame(rows)


FIVE = {f"A{a}": [10.0 * (a + 1)] * 4 for a in range(5)}
SLOW_A0 = ServiceTimes(hours_per_case=1.0, by_area={"A0": 3.0})


def config(**kw: object) -> AllocationConfig:
    base: dict[str, object] = {
        "limits": Limits(units_per_period=60),
        "service_times": SLOW_A0,
    }
    base.update(kw)
    return AllocationConfig(**base)  # type: ignore[arg-type]


def test_efficient_plan_serves_the_cheapest_cases_first() -> None:
    grid = demand_grid(table({"fast": [10.0], "slow": [10.0]}))
    cfg = AllocationConfig(
        limits=Limits(units_per_period=15),
        service_times=ServiceTimes(hours_per_case=1.0, by_area={"slow": 2.0}),
    )
    result = allocate(grid, cfg)
    by = {o.area: o for o in result.outcomes}
    # 10 hours serve every fast case; the 5 left serve 2.5 slow cases
    assert by["fast"].units_efficient == pytest.approx(10)
    assert by["slow"].units_efficient == pytest.approx(5)
    assert by["slow"].service_efficient == pytest.approx(0.25)
    assert result.efficient.unmet == pytest.approx(7.5)
    assert result.fair is None and result.price is None
    assert result.chosen is result.efficient


def test_max_min_levels_every_area_at_capacity_over_need() -> None:
    result = allocate(demand_grid(table(FIVE)), config(equity=Equity(max_min=True)))
    assert result.fair is not None and result.price is not None
    need = 120 + 80 + 120 + 160 + 200  # hours: demand × hours per case over 4 periods
    best = 240 / need
    levels = [o.service_fair for o in result.outcomes]
    assert min(levels) == pytest.approx(best, abs=1e-5)  # type: ignore[type-var]
    # max–min then efficiency: every hour is used
    assert result.fair.units == pytest.approx(240, rel=1e-6)
    # the efficient plan leaves the slow area unserved; fairness serves it at a price
    assert result.efficient.equity.lowest_level == pytest.approx(0)
    assert result.efficient.equity.lowest_area == "A0"
    assert result.price.extra_unmet > 0
    assert result.price.extra_unmet == pytest.approx(result.fair.unmet - result.efficient.unmet)
    assert result.price.lowest_level_fair == pytest.approx(best, abs=1e-5)
    assert "more cases unserved" in result.price.text


def test_minimum_service_level_and_maximum_gap_hold() -> None:
    result = allocate(
        demand_grid(table(FIVE)), config(equity=Equity(min_service_level=0.3, max_gap=0.1))
    )
    assert result.fair is not None
    levels = [o.service_fair for o in result.outcomes if o.service_fair is not None]
    assert min(levels) >= 0.3 - 1e-6
    assert max(levels) - min(levels) <= 0.1 + 1e-6
    assert result.fair.equity.difference == pytest.approx(max(levels) - min(levels))
    # the efficient plan breaks both; the constraint costs cases
    assert result.efficient.equity.lowest_level is not None
    assert result.efficient.equity.lowest_level < 0.3
    assert result.fair.unmet >= result.efficient.unmet - 1e-6


def test_a_loose_constraint_costs_nothing() -> None:
    result = allocate(demand_grid(table(FIVE)), config(equity=Equity(max_gap=1.0)))
    assert result.price is not None
    assert result.price.extra_unmet == pytest.approx(0, abs=1e-6)
    assert "costs nothing" in result.price.text


def test_whole_staff_members_with_hours_caps_and_budget() -> None:
    limits = Limits(
        unit="staff", hours_per_unit=37.5, units_per_period=5, budget=24 * 1000.0,
        cost_per_unit=1000.0, area_cap=3, area_caps={"A4": 1}, integer=True,
    )  # fmt: skip
    demand = {f"A{a}": [40.0 * (a + 1)] * 6 for a in range(5)}
    result = allocate(
        demand_grid(table(demand)),
        AllocationConfig(limits=limits, service_times=ServiceTimes(hours_per_case=1.0)),
    )
    units = result.units
    assert np.allclose(units, np.round(units))
    assert (units.sum(axis=0) <= 5 + 1e-9).all()
    assert units.max() <= 3
    assert units[result.areas.index("A4")].max() <= 1
    assert result.efficient.cost <= 24_000 + 1e-6
    assert result.efficient.units == pytest.approx(24)
    assert result.efficient.mip_gap is not None


def test_waiting_objective_carries_the_backlog_and_unmet_loses_it() -> None:
    grid = demand_grid(table({"a": [10.0, 0.0, 0.0]}))
    limits = Limits(units_per_period=5)
    times = ServiceTimes(hours_per_case=1.0)
    lost = allocate(grid, AllocationConfig(limits=limits, service_times=times))
    waited = allocate(
        grid, AllocationConfig(limits=limits, service_times=times, objective="waiting")
    )
    assert lost.efficient.unmet == pytest.approx(5)
    assert waited.efficient.unmet == pytest.approx(0, abs=1e-6)
    # 5 cases wait one period
    assert waited.efficient.case_periods_waiting == pytest.approx(5)
    assert lost.efficient.case_periods_waiting is None


def test_population_weighting_prefers_the_larger_area() -> None:
    grid = demand_grid(table({"small": [10.0], "large": [10.0]}))
    cfg = AllocationConfig(
        limits=Limits(units_per_period=10),
        service_times=ServiceTimes(hours_per_case=1.0, by_area={"large": 1.5}),
        population={"small": 1000.0, "large": 9000.0},
        weight_by_population=True,
    )
    by = {o.area: o for o in allocate(grid, cfg).outcomes}
    # unweighted the faster area would win; weighted by 9× the residents, the large one does
    assert by["large"].units_efficient == pytest.approx(10)
    assert by["large"].population == 9000.0


def test_p90_check_counts_the_cases_the_plan_cannot_serve() -> None:
    grid = demand_grid(table({"a": [10.0, 10.0], "b": [10.0, 10.0]}, p90=1.5))
    cfg = AllocationConfig(
        limits=Limits(units_per_period=20), service_times=ServiceTimes(hours_per_case=1.0)
    )
    result = allocate(grid, cfg)
    # the plan meets the mean exactly; at P90 each area has 2 × 5 cases more
    for o in result.outcomes:
        assert o.unmet_efficient == pytest.approx(0, abs=1e-6)
        assert o.unmet_p90 == pytest.approx(10)
        assert o.service_p90 == pytest.approx(2 / 3)
    assert result.efficient.p90_unmet == pytest.approx(20)


def test_infeasible_minimum_level_names_the_constraint_and_the_best_level() -> None:
    with pytest.raises(AllocationInfeasibleError) as caught:
        allocate(demand_grid(table(FIVE)), config(equity=Equity(min_service_level=0.9)))
    diagnosis = caught.value.diagnosis
    assert diagnosis.status == "Infeasible"
    assert diagnosis.culprits == ("min_service_level",)
    assert "35.2%" in diagnosis.fix  # 240 / 680 hours, rounded down
    assert caught.value.where is not None and caught.value.where.field == "min_service_level"


def test_infeasible_area_minimum_says_what_it_needs() -> None:
    cfg = config(limits=Limits(units_per_period=4, area_minimum=1))
    with pytest.raises(AllocationInfeasibleError) as caught:
        allocate(demand_grid(table(FIVE)), cfg)
    assert caught.value.diagnosis.culprits == ("area_minimum",)
    assert "needs 5 hours per period; 4 are available" in caught.value.diagnosis.detail


def test_configuration_errors_name_the_field() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Limits()
    assert caught.value.where is not None and caught.value.where.field == "units_per_period"
    with pytest.raises(ConfigurationError):
        Equity(min_service_level=1.5)
    with pytest.raises(ConfigurationError):
        ServiceTimes(hours_per_case=0)
    with pytest.raises(ConfigurationError):
        config(objective="profit")
    with pytest.raises(InputError) as missing:
        allocate(
            demand_grid(table({"a": [1.0], "b": [1.0]})),
            AllocationConfig(
                limits=Limits(units_per_period=1), service_times=ServiceTimes(by_area={"a": 1.0})
            ),
        )
    assert "'b'" in missing.value.what


def test_result_is_json() -> None:
    result = allocate(demand_grid(table(FIVE)), config(equity=Equity(min_service_level=0.2)))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["fair"]["name"] == "fair"
    assert len(data["units"]) == 5 and len(data["units"][0]) == 4
    assert data["outcomes"][0]["area"] == "A0"
    assert data["config"]["equity"]["min_service_level"] == 0.2


# -- the demand table -----------------------------------------------------------------------


def test_demand_table_errors_say_where() -> None:
    good = table({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    with pytest.raises(InputError) as caught:
        demand_grid(good.drop(columns=["hi_80"]))
    assert caught.value.where is not None and caught.value.where.field == "hi_80"
    with pytest.raises(InputError) as caught:
        demand_grid(good.drop(index=3))
    assert "series b has no row for period 2027-W02" in str(caught.value.found)
    with pytest.raises(InputError) as caught:
        demand_grid(pd.concat([good, good.iloc[[0]]]))
    assert "two rows" in caught.value.what
    bad = good.astype({"mean": object})
    bad.loc[2, "mean"] = "n/a"
    with pytest.raises(InputError) as caught:
        demand_grid(bad)
    assert caught.value.where is not None and caught.value.where.row == 3


def test_negative_forecasts_are_read_as_zero_and_periods_sorted() -> None:
    frame = table({"a": [5.0, -2.0]})
    frame["period"] = pd.to_datetime(["2027-01-11", "2027-01-04"])
    grid = demand_grid(frame)
    assert grid.periods == ("2027-01-04", "2027-01-11")
    assert grid.mean.tolist() == [[0.0, 5.0]]
    assert grid.clipped == 2  # mean and hi_80 of the negative row


def test_nyc_rates_become_cases_with_the_population() -> None:
    population = read_population(shared_file("forecasting", "nyc_modzcta_population.csv"))
    assert len(population) == 177
    assert population_key("CASERATE_10001", population) == "10001"
    rates = pd.read_csv(shared_file("forecasting", "nyc_caserate_by_modzcta_weekly.csv"))
    last = rates.dropna(subset=["CASERATE_10001"]).tail(8)
    columns = [c for c in rates.columns if c.startswith("CASERATE_1")]
    rows = [
        {"series": c, "period": w, "mean": float(v), "hi_80": float(v) * 1.3}
        for c in columns
        for w, v in zip(last["week_ending"], last[c].fillna(0.0), strict=True)
    ]
    cases = rates_to_cases(pd.DataFrame(rows), population)
    first = cases[cases["series"] == "CASERATE_10001"].iloc[0]
    assert first["mean"] == pytest.approx(
        float(last["CASERATE_10001"].iloc[0]) * population["10001"] / 100_000
    )
    grid = demand_grid(cases)
    assert len(grid.areas) == len(columns) and len(grid.periods) == 8
    weekly_need = grid.mean.sum() / 8 * 0.5  # half an hour per case
    result = allocate(
        grid,
        AllocationConfig(
            limits=Limits(unit="staff", hours_per_unit=37.5,
                          units_per_period=round(0.6 * weekly_need / 37.5)),
            service_times=ServiceTimes(hours_per_case=0.5),
            equity=Equity(min_service_level=0.4),
            population=population,
        ),
    )  # fmt: skip
    assert result.fair is not None
    assert result.fair.equity.lowest_level is not None
    assert result.fair.equity.lowest_level >= 0.4 - 1e-6
    assert result.fair.equity.population_weighted_level is not None
    with pytest.raises(InputError):
        rates_to_cases(pd.DataFrame([{"series": "nowhere", "mean": 1.0}]), population)


def test_whole_units_are_bounded_by_need_and_start_from_the_rounded_relaxation() -> None:
    """The speed work on the mixed-integer programme changes how it is solved, not what it
    finds: the tightened bounds cap a cell at the whole units its demand needs, the rounded
    relaxation is a feasible start, and the optimum equals the plain programme's."""
    from dataclasses import replace

    from civicflow.forecasting._allocate import _inputs
    from civicflow.forecasting._allocation_lp import (
        EquityRows,
        build,
        relaxed,
        rounded_start,
        solve,
    )

    rng = np.random.default_rng(5)
    demand = {f"A{a}": list(rng.uniform(5, 60, 6)) for a in range(12)}
    grid = demand_grid(table(demand))
    cfg = AllocationConfig(
        limits=Limits(unit="staff", hours_per_unit=37.5, units_per_period=9, area_cap=5,
                      integer=True),
        service_times=ServiceTimes(hours_per_case=1.5),
        mip_rel_gap=0.0,
    )  # fmt: skip
    inputs, _ = _inputs(grid, cfg)
    programme, layout = build(inputs, EquityRows())
    need = np.ceil(grid.mean * 1.5 / 37.5 - 1e-9).reshape(-1)
    assert np.array_equal(programme.col_upper[layout.units], np.minimum(need, 5))
    assert (need < 5).any()  # the bound is tighter than the cap somewhere

    relaxation = solve(relaxed(programme))
    start = rounded_start(inputs, layout, programme, relaxation.x)  # type: ignore[arg-type]
    units = start[layout.units].reshape(grid.mean.shape)
    assert np.array_equal(units, np.round(units))
    assert (units.sum(axis=0) <= 9).all()
    assert (start[layout.units] <= programme.col_upper[layout.units]).all()

    result = allocate(grid, cfg)
    upper = programme.col_upper.copy()
    upper[layout.units] = 5.0
    plain = solve(replace(programme, col_upper=upper), mip_rel_gap=0.0)
    assert plain.objective is not None
    assert result.efficient.weighted_unmet == pytest.approx(
        plain.objective, abs=0.01
    )  # + ε per unit
    assert result.efficient.mip_gap is not None and result.efficient.mip_gap <= 1e-6


@pytest.mark.parametrize(
    "equity",
    [
        pytest.param({"min_level": 0.6}, id="minimum level"),
        pytest.param({"min_level": 0.5, "max_gap": 0.2}, id="minimum level and gap"),
    ],
)
def test_a_whole_unit_start_keeps_the_equity_rows(equity: dict[str, float]) -> None:
    """Rounding the fair relaxation down leaves areas below the minimum level (whole people,
    most areas needing less than one): the start lifts them with spare or moved units and caps
    the best-served areas' cases to the gap, so every row of the fair programme holds and
    HiGHS gets an incumbent (without one, 200 areas × 52 weeks stopped with no plan at all)."""
    from civicflow.forecasting._allocate import _inputs
    from civicflow.forecasting._allocation_lp import (
        EquityRows,
        build,
        relaxed,
        rounded_start,
        solve,
    )

    rng = np.random.default_rng(11)
    demand = {f"A{a}": list(rng.uniform(2, 30, 8)) for a in range(15)}
    grid = demand_grid(table(demand))
    cfg = AllocationConfig(
        limits=Limits(unit="staff", hours_per_unit=37.5, units_per_period=10, area_cap=3,
                      integer=True),
        service_times=ServiceTimes(hours_per_case=2.0),
    )  # fmt: skip
    inputs, _ = _inputs(grid, cfg)
    rows = EquityRows(**equity)
    programme, layout = build(inputs, rows)
    relaxation = solve(relaxed(programme))
    assert relaxation.x is not None
    floored = np.floor(relaxation.x[layout.units] + 1e-6).reshape(grid.mean.shape)
    per_unit = 37.5 / 2.0
    levels = np.minimum(grid.mean, floored * per_unit).sum(axis=1) / grid.mean.sum(axis=1)
    assert (levels < rows.min_level).any()  # plain rounding would break the level rows

    start = rounded_start(inputs, layout, programme, relaxation.x, rows)
    activity = programme.matrix @ start
    assert (activity >= programme.row_lower - 1e-6).all()
    assert (activity <= programme.row_upper + 1e-6).all()
    assert (start >= programme.col_lower - 1e-9).all() and (
        start <= programme.col_upper + 1e-9
    ).all()
    units = start[layout.units]
    assert np.array_equal(units, np.round(units))
