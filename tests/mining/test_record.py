"""The one ``to_dict`` of result rows and tables gives the keys, and in the order, spelled out
before (JSON output and the web read them)."""

from __future__ import annotations

import pytest

from civicflow.mining import KPI_DEFINITIONS
from civicflow.mining._baseline import BaselineComparison, KpiChange
from civicflow.mining._conformance import Deviation
from civicflow.mining._resources import Handover, HandoverNetwork, ResourceLoad, ResourceWorkload


def test_a_table_gives_its_fields_then_its_rows_under_their_name() -> None:
    load = ResourceLoad(
        resource="r1", events=4, cases=2, activities=3, active_days=2, events_per_active_day=2.0
    )
    res = ResourceWorkload(resources=(load,), events_without_resource=1)
    assert list(res.to_dict()) == ["reason", "events_without_resource", "resources"]
    assert res.to_dict()["resources"] == [load.to_dict()]
    assert res.frame.to_dict("records") == [load.to_dict()]
    edge = Handover(source="a", target="b", count=3, cases=2, mean_seconds=None)
    net = HandoverNetwork(edges=(edge,), include_self=False)
    assert list(net.to_dict()) == ["definition", "include_self", "reason", "edges"]


def test_a_comparison_names_its_keys_a_property_included_and_looks_rows_up_by_name() -> None:
    change = KpiChange(
        name="case_count",
        label="Cases",
        unit="cases",
        direction="neutral",
        baseline=1.0,
        current=2.0,
        absolute_change=1.0,
        relative_change=1.0,
        assessment="changed",
    )
    cmp = BaselineComparison(
        baseline="b",
        current="current data",
        baseline_fingerprint="x",
        current_fingerprint="y",
        filter_changed=False,
        changes=(change,),
    )
    data = cmp.to_dict()
    assert list(data) == [
        "baseline",
        "current",
        "baseline_fingerprint",
        "current_fingerprint",
        "fingerprint_changed",
        "filter_changed",
        "threshold_rules",
        "changes",
    ]
    assert data["fingerprint_changed"] is True
    assert cmp["case_count"] is change
    with pytest.raises(KeyError):
        cmp["lead_time"]


def test_a_row_skips_the_fields_it_names_and_adds_the_properties_it_names() -> None:
    d = KPI_DEFINITIONS["case_count"].to_dict()
    assert "compute" not in d
    assert list(d) == ["name", "label", "unit", "direction", "definition", "needs_sla"]
    dev = Deviation(
        kind="skipped", activity="A", context="at the start", cases=2, share=0.5, occurrences=2
    )
    assert dev.to_dict()["description"] == dev.description
    assert list(dev.to_dict())[-1] == "description"
