"""Financial functions of the business case: hand-worked values, and agreement with
numpy-financial (BSD, a test oracle only) to the cent."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy_financial as npf
import pytest

from civicflow.core import ConfigurationError
from civicflow.planning import (
    BusinessCase,
    CostLine,
    HoursSaved,
    OtherBenefit,
    Range,
    ReworkAvoided,
    irr,
    npv,
    payback_period,
    roi,
)

START = date(2025, 1, 1)


def cents(x: float) -> int:
    return round(x * 100)


def test_hand_worked_npv_irr_payback_roi() -> None:
    # -1000 + 300/1.1 + 400/1.21 + 500/1.331 = -1000 + 272.73 + 330.58 + 375.66 = -21.04
    assert cents(npv(0.10, [-1000, 300, 400, 500])) == -2104
    assert npv(0.0, [-1000, 300, 400, 500]) == 200.0
    assert irr([-100, 110]) == pytest.approx(0.10, abs=1e-12)
    assert irr([-1000, 0, 1210]) == pytest.approx(0.10, abs=1e-12)
    assert irr([100, 50]) is None  # never negative: no rate makes the NPV 0
    # cumulative -100, -70, -40, -10, +20: turns in year 4, 3 + 10/30 years
    assert payback_period([-100, 30, 30, 30, 30]) == pytest.approx(10 / 3)
    assert payback_period([-100, 30, 30]) is None
    assert payback_period([0, 30]) == 0.0
    # discounted at 10 %: -1000, 454.55, 413.22, 375.66 -> cumulative -132.23 after year 2
    assert payback_period([-1000, 500, 500, 500], rate=0.10) == pytest.approx(
        2 + (1000 - 500 / 1.1 - 500 / 1.21) / (500 / 1.331)
    )
    assert roi(benefits=[0, 600, 600], costs=[1000, 100, 100]) == 0.0
    assert roi(benefits=[0, 900, 900], costs=[1000, 100, 100]) == pytest.approx(0.5)
    assert roi(benefits=[0, 110], costs=[100, 0], rate=0.10) == pytest.approx(0.0)
    assert roi(benefits=[1, 1], costs=[0, 0]) is None


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_numpy_financial_to_the_cent(seed: int) -> None:
    rng = np.random.default_rng(seed)
    years = int(rng.integers(2, 15))
    flows = rng.normal(20_000, 40_000, size=years).round(2)
    flows[0] = -abs(rng.normal(200_000, 50_000))
    rate = float(rng.uniform(0, 0.2))
    assert cents(npv(rate, flows)) == cents(npf.npv(rate, flows))
    expected = npf.irr(flows)
    got = irr(flows)
    if np.isnan(expected):
        assert got is None or abs(npv(got, flows)) < 0.01
    else:
        assert got == pytest.approx(expected, abs=1e-9)
        # at the IRR the NPV is zero to the cent
        assert cents(float(np.sum(flows / (1 + got) ** np.arange(years)))) == 0


def hand_case(**overrides: object) -> BusinessCase:
    fields: dict[str, object] = {
        "name": "e-intake",
        "start": START,
        "years": 5,
        "discount_rate": 0.04,
        "costs": (
            CostLine(title="Build", amount=50_000, start=START, category="software"),
            CostLine(
                title="Licence",
                amount=10_000,
                start=START,
                category="software",
                recurrence="recurring",
                period="year",
            ),
            CostLine(
                title="Course",
                amount=800,
                start=date(2025, 3, 1),
                end=date(2025, 12, 31),
                category="training",
                recurrence="recurring",
                period="month",
            ),
            CostLine(
                title="Support",
                amount=1_500,
                start=date(2026, 1, 1),
                category="maintenance",
                recurrence="recurring",
                period="quarter",
            ),
        ),
        "benefits": (
            HoursSaved(role="intake", hours_per_year=900, hourly_cost=60),
            ReworkAvoided(activity="Check completeness", cases_per_year=200, cost_per_case=40),
            OtherBenefit(title="fewer complaints", amount_per_year=2_000, first_year=2),
        ),
    }
    fields.update(overrides)
    return BusinessCase(**fields)  # type: ignore[arg-type]


def test_cash_flow_per_year_by_category_hand_worked() -> None:
    result = hand_case().evaluate()
    y0, y1, y2 = result.years[:3]
    # year 0: build 50,000 + licence 10,000 + 10 months of the course (March-December) 8,000
    assert y0.costs == 68_000 and y0.benefits == 0
    assert y0.costs_by_category == {"maintenance": 0, "software": 60_000, "training": 8_000}
    # year 1: licence + 4 quarters of support; benefits 900 h x 60 + 200 x 40 = 62,000
    assert y1.costs == 16_000 and y1.costs_by_category["maintenance"] == 6_000
    assert y1.benefits == 62_000
    assert y1.benefits_by_kind == {
        "fewer complaints": 0,
        "hours saved: intake": 54_000,
        "rework avoided: Check completeness": 8_000,
    }
    assert y2.benefits == 64_000 and y2.net == 48_000
    flows = [-68_000, 46_000, 48_000, 48_000, 48_000]
    assert result.cash_flows == flows
    assert [y.cumulative for y in result.years] == [-68_000, -22_000, 26_000, 74_000, 122_000]
    assert cents(result.npv) == cents(npf.npv(0.04, flows))
    assert result.irr == pytest.approx(npf.irr(flows), abs=1e-9)
    assert result.payback_years == pytest.approx(1 + 22_000 / 48_000)
    total_b, total_c = 62_000 + 3 * 64_000, 68_000 + 4 * 16_000  # 254,000 and 132,000
    assert result.roi == pytest.approx((total_b - total_c) / total_c)
    d = [f / 1.04**i for i, f in enumerate(flows)]
    assert result.discounted_payback_years == pytest.approx(1 + -(d[0] + d[1]) / d[2])


def test_a_line_ending_stops_and_a_line_before_the_start_counts_in_year_zero() -> None:
    line = CostLine(
        title="Licence",
        amount=100,
        start=date(2024, 7, 1),
        end=date(2026, 6, 30),
        recurrence="recurring",
        period="quarter",
    )
    # 2024-07, 2024-10 (before the case: year 0), 2025-01/04/07/10 (year 0), 2026-01/04 (year 1)
    assert line.occurrences(start=START, years=3).tolist() == [6, 2, 0]
    month_end = CostLine(
        title="x", amount=1, start=date(2025, 1, 31), recurrence="recurring", period="month"
    )
    assert month_end.occurrences(start=START, years=2).tolist() == [12, 12]


@pytest.mark.parametrize(
    ("make", "field", "found"),
    [
        (lambda: Range(low=1, likely=5, high=3), "likely", "likely=5"),
        (lambda: Range(low=10, likely=12, high=8), "low", "high=8"),
        (lambda: CostLine(title="Build", amount=-5, start=START), "amount", "-5"),
        (
            lambda: CostLine(title="Build", amount=Range(low=-1, likely=2, high=3), start=START),
            "amount",
            "low=-1",
        ),
        (lambda: hand_case(discount_rate=1.5), "discount_rate", "1.5"),
        (lambda: hand_case(discount_rate=-0.01), "discount_rate", "-0.01"),
        (
            lambda: hand_case(discount_rate=Range(low=0.01, likely=0.03, high=1.2)),
            "discount_rate",
            "high=1.2",
        ),
        (lambda: npv(2.0, [1, 2]), "discount_rate", "2.0"),
        (
            lambda: CostLine(title="Licence", amount=5, start=START, recurrence="recurring"),
            "period",
            "None",
        ),
        (
            lambda: HoursSaved(role="intake", hours_per_year=-3, hourly_cost=50),
            "hours_per_year",
            "-3",
        ),
        (lambda: hand_case(years=0), "years", "0"),
        (lambda: npv(0.1, []), "cash_flows", "[]"),
    ],
)
def test_bad_input_names_the_field_and_the_value(make, field: str, found: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError) as info:
        make()
    assert info.value.where is not None and info.value.where.field == field
    assert found in (info.value.found or "")
