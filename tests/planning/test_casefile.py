"""The business case as a document: it round-trips, a bad one is refused naming the field, costs
come from budget lines and benefits from a scenario comparison."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sim_models import single_queue

from civicflow.core import CivicflowError
from civicflow.planning import (
    ActivityDuration,
    BusinessCase,
    ComparisonConfig,
    CostLine,
    FasterService,
    HoursSaved,
    OtherBenefit,
    Range,
    ReworkAvoided,
    Scenario,
    benefits_from_comparison,
    case_from_dict,
    case_to_dict,
    compare_scenarios,
    costs_from_budget,
    monte_carlo,
    monte_carlo_to_dict,
    result_to_dict,
    tornado,
    tornado_to_dict,
)

CASE = BusinessCase(
    name="e-intake", start=date(2025, 1, 1), years=5,
    discount_rate=Range(low=0.03, likely=0.04, high=0.06, shape="triangular"),
    costs=(
        CostLine(title="Build", amount=Range(low=40_000, likely=50_000, high=80_000),
                 start=date(2025, 1, 1), category="software"),
        CostLine(title="Licence", amount=10_000, start=date(2025, 1, 1), category="software",
                 recurrence="recurring", period="year"),
        CostLine(title="Course", amount=800, start=date(2025, 3, 1), end=date(2025, 12, 31),
                 category="training", recurrence="recurring", period="month"),
    ),
    benefits=(
        HoursSaved(role="intake", hours_per_year=Range(low=600, likely=900, high=1_100),
                   hourly_cost=60),
        ReworkAvoided(activity="Check completeness", cases_per_year=200, cost_per_case=40),
        FasterService(cases_per_year=3_000, days_saved=Range(low=1, likely=2, high=4),
                      value_per_day=1.5, first_year=2),
        OtherBenefit(title="fewer complaints", amount_per_year=2_000, first_year=2, last_year=3),
    ),
)  # fmt: skip


def test_a_case_round_trips_through_json() -> None:
    doc = case_to_dict(CASE)
    again = case_from_dict(json.loads(json.dumps(doc)))
    assert again == CASE
    assert case_to_dict(again) == doc


def test_faster_service_is_cases_times_days_times_value() -> None:
    result = CASE.evaluate()
    assert result.years[1].benefits_by_kind.get("faster service", 0) == 0
    assert result.years[2].benefits_by_kind["faster service"] == pytest.approx(3_000 * 2 * 1.5)
    assert result.years[4].benefits_by_kind["fewer complaints"] == 0


def test_results_are_json() -> None:
    doc = {
        "result": result_to_dict(CASE.evaluate()),
        "mc": monte_carlo_to_dict(monte_carlo(CASE)),
        "tornado": tornado_to_dict(tornado(CASE)),
    }
    back = json.loads(json.dumps(doc))
    assert len(back["result"]["years"]) == 5
    assert back["mc"]["npv_p10"] < back["mc"]["npv_p50"] < back["mc"]["npv_p90"]
    assert back["tornado"]["bars"][0]["swing"] >= back["tornado"]["bars"][-1]["swing"]


def _doc(**changes: object) -> dict:
    doc = case_to_dict(CASE)
    for path, value in changes.items():
        target = doc
        *head, last = path.split("__")
        for part in head:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return doc


@pytest.mark.parametrize(
    ("changes", "field", "found"),
    [
        ({"costs__1__amount": {"low": 5, "likely": 4, "high": 3}}, "costs[1].amount.low", "low=5"),
        ({"costs__0__amount": {"low": 1, "likely": 9, "high": 3}}, "costs[0].amount.likely", "likely=9"),
        ({"costs__2__amount": -5}, "costs[2].amount", "-5"),
        ({"discount_rate": 1.5}, "discount_rate", "1.5"),
        ({"discount_rate": {"low": -0.1, "likely": 0.02, "high": 0.1}}, "discount_rate", "-0.1"),
        ({"benefits__0__hourly_cost": "sixty"}, "benefits[0].hourly_cost", "sixty"),
        ({"benefits__1__kind": "magic"}, "benefits[1].kind", "magic"),
        ({"costs__0__colour": "red"}, "costs[0].colour", "colour"),
        ({"costs__1__period": None}, "costs[1].period", "None"),
        ({"years": 0}, "years", "0"),
        ({"start": "soon"}, "start", "soon"),
        ({"benefits__2__first_year": 3, "benefits__2__last_year": 1}, "benefits[2].first_year", "last_year=1"),
    ],
)  # fmt: skip
def test_bad_documents_name_the_field_and_value(changes: dict, field: str, found: str) -> None:
    with pytest.raises(CivicflowError) as err:
        case_from_dict(_doc(**changes))
    assert err.value.where is not None and err.value.where.field == field
    assert found in str(err.value.found)


@dataclass
class Line:
    title: str
    category: str
    recurrence: str
    amount: Decimal
    start_date: date
    period: str | None = None
    end_date: date | None = None


def test_costs_come_from_budget_lines() -> None:
    lines = [
        Line("Scanner", "hardware", "one_off", Decimal("1200.50"), date(2025, 2, 1)),
        Line("Support", "maintenance", "recurring", Decimal("100"), date(2025, 1, 1), "month"),
    ]
    costs = costs_from_budget(lines)
    case = BusinessCase(name="b", start=date(2025, 1, 1), years=2, costs=costs)
    years = case.evaluate().years
    assert years[0].costs_by_category == {"hardware": 1200.5, "maintenance": 1200.0}
    assert years[1].costs == 1200.0
    with pytest.raises(CivicflowError) as err:
        costs_from_budget([Line("Bad", "hardware", "one_off", Decimal(-1), date(2025, 1, 1))])
    assert err.value.where is not None and err.value.where.field == "budget_lines[0].amount"


def test_benefits_come_from_a_scenario_comparison() -> None:
    model = single_queue(mean_gap=600.0, mean_service=900.0, servers=2)
    faster = Scenario(name="faster", changes=[ActivityDuration(activity="serve", factor=0.7)])
    cmp = compare_scenarios(
        model, [faster], ComparisonConfig(cases=2_000, replications=4, seed=1, workers=1)
    )
    saved = benefits_from_comparison(
        cmp, "faster", hourly_cost=50.0, cases_per_year=10_000, value_per_day=2.0
    )
    [hours] = saved.hours
    assert hours.role == "servers"
    per_week = cmp.as_is.workload_hours_per_week["servers"].mean
    after = cmp.outcome("faster").workload_hours_per_week["servers"].mean
    likely = (
        hours.hours_per_year.likely
        if isinstance(hours.hours_per_year, Range)
        else hours.hours_per_year
    )
    assert likely == pytest.approx((per_week - after) * 52, rel=1e-6)
    assert 0.2 < likely / (per_week * 52) < 0.4  # about 30 % of the work
    assert saved.faster is not None and saved.faster.cases_per_year == 10_000
    case = BusinessCase(name="from scenario", start=date(2025, 1, 1), benefits=saved.benefits)
    assert case.evaluate().npv > 0
    nothing = benefits_from_comparison(cmp, "faster", hourly_cost={"elsewhere": 40.0})
    assert nothing.hours == () and "servers: no hourly cost given" in nothing.notes[0]
