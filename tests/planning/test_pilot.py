"""A pilot design evaluated on a demo log that reaches back more than a year: the seasonality
check runs on the same periods a year earlier; bad designs name their field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from civicflow.core import InputError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import AttributeStep, FilterStack, LogView
from civicflow.planning import Criterion, PilotDesign, evaluate_pilot

CRITERIA = (Criterion(kpi="throughput_median_days", target=3, direction="decrease"),
            Criterion(kpi="rework_share", target=0.05, direction="decrease"),
            Criterion(kpi="variant_count", target=10, direction="decrease"))  # fmt: skip


def test_the_same_periods_a_year_earlier_are_compared(tmp_path: Path) -> None:
    config = DemoConfig(cases=1500, seed=4, period_days=540, assessor_utilisation=0.6)
    _ws, ds = build_demo_workspace(path=tmp_path / "ws", config=config)
    view = LogView(engine=DuckDBEngine(), dataset=ds)
    scope = FilterStack((AttributeStep(attribute="district", values=("Centre", "North")),))
    design = PilotDesign(
        start=date(2025, 3, 1), end=date(2025, 5, 31), criteria=CRITERIA, scope=scope, n_boot=200
    )
    result = evaluate_pilot(view, design)
    assert result.baseline_period == (date(2024, 11, 29), date(2025, 2, 28))  # 92 days before
    assert result.season.checked and result.season.delta is not None
    assert "a year earlier, the same periods" in result.season.note
    assert result.season.delta.baseline_n > 1 and result.season.delta.pilot_n > 1
    duration, rework, variants = result.criteria
    assert duration.delta is not None and duration.delta.test == "Mann-Whitney U"
    assert rework.delta is not None and rework.delta.test == "two-proportion z-test"
    assert variants.delta is None and variants.note.startswith("not evaluated")
    assert any("no control group" in c for c in result.caveats)
    assert result.did is None and not result.succeeded
    assert result.to_json()["season"]["checked"] is True


def test_bad_designs_name_the_field() -> None:
    with pytest.raises(InputError) as err:
        PilotDesign(start=date(2025, 3, 1), end=date(2025, 2, 1), criteria=CRITERIA)
    assert err.value.where is not None and err.value.where.field == "end_date"
    with pytest.raises(InputError) as err:
        PilotDesign(start=date(2025, 3, 1), end=date(2025, 4, 1), criteria=CRITERIA,
                    baseline_start=date(2025, 2, 1), baseline_end=date(2025, 3, 10))  # fmt: skip
    assert err.value.where is not None and err.value.where.field == "baseline_end"
    with pytest.raises(InputError) as err:
        PilotDesign(start=date(2025, 3, 1), end=date(2025, 4, 1), criteria=())
    assert err.value.where is not None and err.value.where.field == "success_criteria"
