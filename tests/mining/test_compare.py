"""Comparing two views: values recomputed independently on each side's own samples, and every
p-value checked against scipy called directly on the same samples."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from civicflow.core import ConfigurationError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import (
    CompareConfig,
    EventLogFilter,
    FilterOptions,
    LogView,
    SlaConfig,
    compare_views,
    sla_compliance,
)
from civicflow.mining._compare import (
    DECREASE,
    INCREASE,
    NEUTRAL,
    change_colour,
    mann_whitney,
    proportions_test,
    verdict,
)
from realdata import make_dataset, real_dataset

H1 = FilterOptions(start="2024-01-01", end="2024-03-01", time_mode="started").to_filter()
H2 = FilterOptions(start="2024-03-01", end="2025-01-01", time_mode="started").to_filter()
SLA = SlaConfig(target_seconds=30 * 86400.0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    path = tmp_path_factory.mktemp("cmp") / "ws"
    _, ds = build_demo_workspace(path=path, config=DemoConfig(cases=600, seed=7))
    return LogView(engine=DuckDBEngine(), dataset=ds)


def _throughput_days(view: LogView) -> np.ndarray:
    # independently of the comparison: first to last timestamp per case, from the raw events
    df = view.execute(view.events.select("case_id", "timestamp"))
    g = df.groupby("case_id")["timestamp"]
    return ((g.max() - g.min()).dt.total_seconds() / 86400).to_numpy()


def test_durations_match_scipy_mann_whitney_on_the_same_samples(demo: LogView) -> None:
    a, b = demo.with_filter(H1), demo.with_filter(H2)
    cmp = compare_views(a, b, config=CompareConfig(sla=SLA))
    ta, tb = _throughput_days(a), _throughput_days(b)
    row = cmp["throughput_median_days"]
    assert row.a == pytest.approx(np.median(ta))
    assert row.b == pytest.approx(np.median(tb))
    assert cmp["throughput_mean_days"].a == pytest.approx(ta.mean())
    expected = stats.mannwhitneyu(ta, tb, alternative="two-sided")
    assert row.test is not None and row.test.test == "Mann-Whitney U"
    assert row.test.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert row.test.statistic == pytest.approx(expected.statistic)
    assert (row.test.n_a, row.test.n_b) == (len(ta), len(tb))
    assert cmp["case_count"].a == len(ta) and cmp["case_count"].b == len(tb)


def test_sla_and_rework_shares_match_scipy_proportion_tests(demo: LogView) -> None:
    a, b = demo.with_filter(H1), demo.with_filter(H2)
    cmp = compare_views(a, b, config=CompareConfig(sla=SLA))
    ra, rb = sla_compliance(a, config=SLA), sla_compliance(b, config=SLA)
    na, nb = ra.compliant + ra.breached, rb.compliant + rb.breached
    row = cmp["sla_compliance_share"]
    assert row.a == pytest.approx(ra.compliant / na) and row.b == pytest.approx(rb.compliant / nb)
    # the pooled two-proportion z-test, as scipy's chi-square on the 2x2 table without
    # continuity correction gives it (chi2 = z^2, same p-value)
    table = [[ra.compliant, ra.breached], [rb.compliant, rb.breached]]
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert row.test is not None and row.test.test == "two-proportion z"
    assert row.test.p_value == pytest.approx(p, rel=1e-9)
    assert row.test.statistic**2 == pytest.approx(chi2, rel=1e-9)
    assert cmp["rework_share"].test is not None


def test_small_counts_use_fisher_exact() -> None:
    res = proportions_test(1, 8, 6, 9)
    assert res is not None and res.test == "Fisher exact"
    expected = stats.fisher_exact([[1, 7], [6, 3]], alternative="two-sided")
    assert res.p_value == pytest.approx(expected.pvalue)
    assert proportions_test(0, 0, 3, 5) is None


def test_waits_per_activity_match_scipy(demo: LogView) -> None:
    from civicflow.mining._activities import activity_instances

    a, b = demo.with_filter(H1), demo.with_filter(H2)
    cmp = compare_views(a, b)
    row = next(w for w in cmp.waits if w.name == "Assess application")

    def waits(view: LogView) -> np.ndarray:
        inst = activity_instances(view.events)
        df = view.execute(inst.select("activity", "wait_seconds"))
        return df[(df.activity == "Assess application") & df.wait_seconds.notna()][
            "wait_seconds"
        ].to_numpy()

    wa, wb = waits(a), waits(b)
    assert (row.instances_a, row.instances_b) == (len(wa), len(wb))
    assert row.median_wait_a == pytest.approx(np.median(wa))
    expected = stats.mannwhitneyu(wa, wb, alternative="two-sided")
    assert row.test is not None and row.test.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_the_same_view_on_both_sides_is_no_change_everywhere(demo: LogView) -> None:
    cmp = compare_views(demo, demo, config=CompareConfig(sla=SLA))
    assert {k.verdict for k in cmp.kpis} == {"no change"}
    assert {w.verdict for w in cmp.waits} <= {"no change", "not comparable"}
    assert all(e.frequency_change == 0 for e in cmp.edges)
    assert all(e.presence == "both" for e in cmp.edges)
    dot = cmp.to_dot("b")
    assert INCREASE not in dot.split("cluster_legend")[0]
    assert DECREASE not in dot.split("cluster_legend")[0]


def test_verdicts_follow_threshold_significance_and_direction() -> None:
    cfg = CompareConfig(min_change=0.05, alpha=0.05)
    sig = mann_whitney(np.arange(50.0), np.arange(50.0) + 100)
    flat = mann_whitney(np.arange(5.0), np.arange(5.0) + 0.5)
    assert sig is not None and sig.p_value < 0.05
    assert flat is not None and flat.p_value >= 0.05
    assert verdict(a=10, b=10.4, direction="lower_is_better", test=sig, config=cfg) == "no change"
    assert verdict(a=10, b=20, direction="lower_is_better", test=sig, config=cfg) == "worse"
    assert verdict(a=10, b=5, direction="lower_is_better", test=sig, config=cfg) == "better"
    assert verdict(a=10, b=20, direction="higher_is_better", test=sig, config=cfg) == "better"
    assert verdict(a=10, b=20, direction="lower_is_better", test=flat, config=cfg) == (
        "not significant"
    )
    assert verdict(a=10, b=20, direction="neutral", test=None, config=cfg) == "changed"
    assert verdict(a=None, b=20, direction="neutral", test=None, config=cfg) == "not comparable"


def test_map_changes_are_per_case_and_coloured(workspace: object, tmp_path: Path) -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)

    def ev(case: str, acts: str, day: int) -> list[tuple[str, str, datetime]]:
        return [(case, a, t0 + timedelta(days=day, hours=i)) for i, a in enumerate(acts)]

    # A (January): 2 cases a-b-c; B (March): 2 cases a-b-c and 2 cases a-c
    events = ev("1", "abc", 1) + ev("2", "abc", 2) + ev("3", "abc", 60) + ev("4", "abc", 61)
    events += ev("5", "ac", 62) + ev("6", "ac", 63)
    ds = make_dataset(workspace, "tiny", events)  # type: ignore[arg-type]
    view = LogView(engine=DuckDBEngine(), dataset=ds)
    a = view.with_filter(EventLogFilter(end=datetime(2024, 2, 1, tzinfo=UTC)))
    b = view.with_filter(EventLogFilter(start=datetime(2024, 2, 1, tzinfo=UTC)))
    cmp = compare_views(a, b, config=CompareConfig(label_a="Jan", label_b="Mar"))
    ab = cmp.edge("a", "b")
    assert ab is not None and (ab.per_case_a, ab.per_case_b) == (1.0, 0.5)
    assert ab.frequency_change == pytest.approx(-0.5) and ab.presence == "both"
    ac = cmp.edge("a", "c")
    assert ac is not None and ac.presence == "only B" and ac.frequency_change is None
    node_b = cmp.node("b")
    assert node_b is not None and node_b.frequency_change == pytest.approx(-0.5)
    dot = cmp.to_dot("b", "frequency")
    assert f'"a" -> "c" [label="2 (only B)", color="{INCREASE}"' in dot
    assert '"a" -> "b" [label="2 (-50 %)"' in dot
    assert "Mar against Jan" in dot
    assert change_colour(0.01, "both", threshold=0.05) == NEUTRAL
    assert cmp["case_count"].a == 2 and cmp["case_count"].b == 4
    assert math.isclose(cmp["throughput_median_days"].a or 0, 2 / 24)


def test_two_datasets_are_refused(demo: LogView, workspace: object) -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    ds = make_dataset(workspace, "other", [("1", "a", t0)])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="one dataset"):
        compare_views(demo, LogView(engine=demo.engine, dataset=ds))


def test_on_a_real_log_the_tests_match_scipy() -> None:
    ds = real_dataset("Sepsis_Cases-Event_Log")
    view = LogView(engine=DuckDBEngine(), dataset=ds)
    a = view.with_filter(FilterOptions(end="2014-07-01", time_mode="started").to_filter())
    b = view.with_filter(FilterOptions(start="2014-07-01", time_mode="started").to_filter())
    cmp = compare_views(a, b)
    ta, tb = _throughput_days(a), _throughput_days(b)
    assert cmp["case_count"].a == len(ta) > 100 and cmp["case_count"].b == len(tb) > 100
    expected = stats.mannwhitneyu(ta, tb, alternative="two-sided")
    row = cmp["throughput_median_days"]
    assert row.test is not None and row.test.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert len(cmp.map_a.edges) > 10 and cmp.edges
