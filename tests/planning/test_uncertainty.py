"""Monte Carlo and tornado of a business case, checked against values worked out independently
(means of ranges, analytic probabilities, hand-computed swings)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from civicflow.core import ConfigurationError
from civicflow.planning import (
    BusinessCase,
    CostLine,
    HoursSaved,
    MonteCarloConfig,
    Range,
    monte_carlo,
    tornado,
)

START = date(2025, 1, 1)


def uncertain_case(rate: float | Range = 0.05) -> BusinessCase:
    return BusinessCase(
        name="uncertain",
        start=START,
        years=5,
        discount_rate=rate,
        costs=(
            CostLine(
                title="Build",
                amount=Range(low=40_000, likely=50_000, high=80_000, shape="triangular"),
                start=START,
            ),
            CostLine(
                title="Licence",
                amount=Range(low=8_000, likely=10_000, high=15_000),
                start=START,
                recurrence="recurring",
                period="year",
            ),
        ),
        benefits=(
            HoursSaved(
                role="intake",
                hours_per_year=Range(low=500, likely=900, high=1_000),
                hourly_cost=Range(low=55, likely=60, high=70, shape="triangular"),
            ),
        ),
    )


def npv_at(case: BusinessCase, values: dict[str, float]) -> float:
    return float(case.flows(values).npv[0])


def test_mean_npv_matches_the_npv_at_the_ranges_means() -> None:
    # with a fixed rate the NPV is linear in each cost and in the product of two independent
    # benefit factors, so its mean is the NPV at the inputs' means
    case = uncertain_case()
    means = {i.key: i.value.mean if isinstance(i.value, Range) else i.value for i in case.inputs()}
    expected = npv_at(case, means)  # type: ignore[arg-type]
    result = monte_carlo(case, MonteCarloConfig(draws=200_000, seed=3))
    assert result.npv_mean == pytest.approx(expected, rel=0.005)
    assert result.npv_p10 < result.npv_p50 < result.npv_p90
    assert result.uncertain_inputs == (
        "costs[0].amount",
        "costs[1].amount",
        "benefits[0].hours_per_year",
        "benefits[0].hourly_cost",
    )
    assert sum(b.count for b in result.histogram) == 200_000


def test_range_samples_have_their_stated_means_and_bounds() -> None:
    rng = np.random.default_rng(0)
    for shape in ("triangular", "pert"):
        r = Range(low=2, likely=3, high=10, shape=shape)  # type: ignore[arg-type]
        x = r.sample(rng, 200_000)
        assert x.min() >= 2 and x.max() <= 10
        assert x.mean() == pytest.approx(r.mean, rel=0.01)
    assert Range(low=2, likely=3, high=10, shape="pert").mean == pytest.approx((2 + 4 * 3 + 10) / 6)


def test_payback_probability_is_analytic() -> None:
    # an investment symmetric around 100 (triangular 0-100-200) paid back by 100 a year from year
    # 1: paid back within 1 year exactly when it is at most 100 (half the time), within 2 always
    case = BusinessCase(
        name="payback",
        start=START,
        years=3,
        discount_rate=0.0,
        costs=(
            CostLine(
                title="x",
                amount=Range(low=0, likely=100, high=200, shape="triangular"),
                start=START,
            ),
        ),
        benefits=(HoursSaved(role="r", hours_per_year=1, hourly_cost=100),),
    )
    result = monte_carlo(case, MonteCarloConfig(draws=100_000, seed=1, payback_within=(1, 2)))
    assert result.payback_probability[1] == pytest.approx(0.5, abs=0.01)
    assert result.payback_probability[2] == 1.0
    assert result.probability_positive_npv == 1.0


def test_seeded_and_no_ranges_gives_a_point() -> None:
    case = uncertain_case()
    a = monte_carlo(case, MonteCarloConfig(draws=1_000, seed=9))
    b = monte_carlo(case, MonteCarloConfig(draws=1_000, seed=9))
    assert a == b
    point = BusinessCase(
        name="point",
        start=START,
        costs=(CostLine(title="x", amount=1_000, start=START),),
        benefits=(HoursSaved(role="r", hours_per_year=10, hourly_cost=50),),
    )
    result = monte_carlo(point, MonteCarloConfig(draws=500))
    base = point.evaluate().npv
    assert result.npv_p10 == result.npv_p50 == result.npv_p90 == pytest.approx(base)
    assert result.uncertain_inputs == ()


def test_tornado_swings_are_hand_worked_and_sorted() -> None:
    case = uncertain_case(rate=Range(low=0.02, likely=0.05, high=0.08))
    t = tornado(case)
    assert t.base_npv == pytest.approx(case.evaluate().npv)
    bars = {b.key: b for b in t.bars}
    assert set(bars) == {i.key for i in case.inputs()}
    # a one-off cost in year 0 moves the NPV by exactly its own range, downwards
    build = bars["costs[0].amount"]
    assert build.npv_at_low - build.npv_at_high == pytest.approx(40_000)
    # hours saved: (1000 - 500) h x 60 a year in years 1-4, discounted at 5 %
    annuity = sum(1.05**-i for i in range(1, 5))
    assert bars["benefits[0].hours_per_year"].swing == pytest.approx(500 * 60 * annuity)
    # a yearly licence paid in years 0-4
    assert bars["costs[1].amount"].swing == pytest.approx(7_000 * sum(1.05**-i for i in range(5)))
    swings = [b.swing for b in t.bars]
    assert swings == sorted(swings, reverse=True)
    assert t.bars[0].key == "benefits[0].hours_per_year"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"draws": 5}, "draws"), ({"payback_within": (0, 3)}, "payback_within")],
)
def test_bad_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        MonteCarloConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.where is not None and info.value.where.field == field
