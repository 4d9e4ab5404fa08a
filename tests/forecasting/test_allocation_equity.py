"""The allocation's equity measures agree with the fairness audit's on the same groups."""

from __future__ import annotations

import pandas as pd
import pytest

from civicflow.fairness import AuditConfig, audit_decisions
from civicflow.forecasting import impact_ratios, service_equity


def test_equity_agrees_with_the_fairness_audit() -> None:
    # each area's cases, served or not: the audit's decisions table of the same allocation
    served = {"north": (80, 100), "south": (45, 90), "east": (60, 60), "west": (10, 40)}
    rows = [
        {"area": area, "served": int(i < s)}
        for area, (s, total) in served.items()
        for i in range(total)
    ]
    audit = audit_decisions(
        pd.DataFrame(rows), AuditConfig(outcome="served", groups=("area",), bootstrap=0)
    )
    levels = {a: s / t for a, (s, t) in served.items()}
    ours = service_equity(levels)
    assert ours.difference == pytest.approx(
        audit.summary("area", "demographic_parity_difference").value
    )
    assert ours.ratio == pytest.approx(audit.summary("area", "demographic_parity_ratio").value)
    ratios = impact_ratios(levels)
    for row in audit.four_fifths:
        assert ratios[row.group] == pytest.approx(row.impact_ratio)
        assert (row.group in ours.four_fifths_violations) == row.violation
    assert ours.four_fifths_violations == ("south", "west")
    assert ours.lowest_area == "west" and ours.highest_area == "east"


def test_population_weighted_level_and_empty_levels() -> None:
    ours = service_equity({"a": 1.0, "b": 0.5}, population={"a": 100.0, "b": 300.0})
    assert ours.population_weighted_level == pytest.approx((100 + 150) / 400)
    assert ours.mean_level == pytest.approx(0.75)
    empty = service_equity({})
    assert empty.areas == 0 and empty.difference is None
    assert impact_ratios({"a": 0.0, "b": 0.0}) == {"a": None, "b": None}
