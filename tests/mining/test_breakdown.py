"""KPI breakdown by a case attribute: per-group values worked out by hand, and the overall value
equal to the KPI registry's own computation (compute_kpis, a separate numpy implementation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import KPI_DEFINITIONS, LogView, SlaConfig, breakdown, compute_kpis
from realdata import make_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
D = 86400.0


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


# throughput days: c1 2, c2 4 (rework), c3 10, c4 1 (rework), c5 3 (no district)
EVENTS = [
    ("c1", "a", at(0)),
    ("c1", "b", at(2)),
    ("c2", "a", at(0)),
    ("c2", "a", at(1)),
    ("c2", "b", at(4)),
    ("c3", "a", at(5)),
    ("c3", "b", at(15)),
    ("c4", "a", at(6)),
    ("c4", "b", at(6.5)),
    ("c4", "b", at(7)),
    ("c5", "a", at(0)),
    ("c5", "b", at(3)),
]
DISTRICTS = {
    "c1": {"district": "north"},
    "c2": {"district": "north"},
    "c3": {"district": "south"},
    "c4": {"district": "north"},
    "c5": {"channel": "web"},
}


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("bd"))
    ds = make_dataset(ws, "bd", EVENTS, case_attributes=DISTRICTS)
    return LogView(engine=DuckDBEngine(), dataset=ds)


def values(view: LogView, kpi: str, **kw) -> dict[str, tuple[int, float | None]]:  # type: ignore[no-untyped-def]
    b = breakdown(view, kpi=kpi, by="district", **kw)
    return {g.value: (g.cases, g.kpi_value) for g in b.groups}


def test_per_group_values_by_hand(view: LogView) -> None:
    assert values(view, "case_count") == {
        "north": (3, 3.0),
        "south": (1, 1.0),
        "(missing)": (1, 1.0),
    }
    north = values(view, "throughput_median_days")["north"]
    assert north == (3, pytest.approx(2.0))  # median of 2, 4, 1
    assert values(view, "throughput_mean_days")["north"][1] == pytest.approx(7 / 3)
    # p90 of [1, 2, 4]: position 1.8 -> 2 + 0.8 * 2 = 3.6
    assert values(view, "throughput_p90_days")["north"][1] == pytest.approx(3.6)
    assert values(view, "rework_share")["north"][1] == pytest.approx(2 / 3)
    assert values(view, "events_per_case")["north"][1] == pytest.approx(8 / 3)
    sla = SlaConfig(target_seconds=3 * D)
    shares = values(view, "sla_compliance_share", sla=sla)
    assert shares == {
        "north": (3, pytest.approx(2 / 3)),
        "south": (1, 0.0),
        "(missing)": (1, 1.0),
    }


@pytest.mark.parametrize("kpi", sorted(KPI_DEFINITIONS))
def test_overall_equals_the_kpi_registry(view: LogView, kpi: str) -> None:
    sla = SlaConfig(target_seconds=3 * D)
    b = breakdown(view, kpi=kpi, by="district", sla=sla)
    expected = compute_kpis(view, names=[kpi], sla=sla).value(kpi)
    if expected is None:
        assert b.overall is None
    else:
        assert b.overall == pytest.approx(expected)
    assert b.definition.startswith(KPI_DEFINITIONS[kpi].definition)
    assert b.cases == 5
    assert sum(g.cases for g in b.groups) == 5


def test_other_kpis_are_computed_per_group_on_filtered_views(view: LogView) -> None:
    b = breakdown(view, kpi="variant_count", by="district")
    # north: c1 <a,b>, c2 <a,a,b>, c4 <a,b,b> -> 3 variants; south: 1
    assert {g.value: g.kpi_value for g in b.groups} == {
        "north": 3.0,
        "south": 1.0,
        "(missing)": None,
    }
    assert b.note and "missing" in b.note


def test_clear_errors(view: LogView) -> None:
    with pytest.raises(InputError, match="no such case attribute") as err:
        breakdown(view, kpi="case_count", by="distrct")
    assert "channel" in (err.value.expected or "") and "district" in (err.value.expected or "")
    with pytest.raises(InputError, match="unknown KPI"):
        breakdown(view, kpi="happiness", by="district")
    with pytest.raises(ConfigurationError, match="needs an SLA"):
        breakdown(view, kpi="sla_compliance_share", by="district")


def test_to_dict(view: LogView) -> None:
    d = breakdown(view, kpi="rework_share", by="district").to_dict()
    assert d["unit"] == "share" and d["overall"] == pytest.approx(2 / 5)
    assert [g["value"] for g in d["groups"]] == ["north", "(missing)", "south"]
