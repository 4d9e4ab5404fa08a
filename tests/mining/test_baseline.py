"""Baselines: freeze, list, load, compare; frozen means never overwritten, written whole or not at
all; a change of the underlying data is flagged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from civicflow.core import ConflictError, InputError, NotFoundError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import (
    Baseline,
    ChangeThresholds,
    EventLogFilter,
    KpiValue,
    LogView,
    SlaConfig,
    compare_baselines,
    compare_to_baseline,
    compute_kpis,
    freeze_baseline,
    list_baselines,
    load_baseline,
)

NAMES = ["case_count", "throughput_median_days", "rework_share", "sla_compliance_share"]
NORTH = EventLogFilter(case_attributes=(("district", ("North",)),))


@pytest.fixture
def demo(tmp_path: Path) -> tuple[EventStore, LogView]:
    ws, ds = build_demo_workspace(path=tmp_path / "ws", config=DemoConfig(cases=300, seed=4))
    return ws, LogView(engine=DuckDBEngine(), dataset=ds)


def test_freeze_list_load_roundtrip(demo: tuple[EventStore, LogView]) -> None:
    ws, view = demo
    sla = SlaConfig(deadline_attribute="deadline")
    frozen = freeze_baseline(
        workspace=ws,
        view=view.with_filter(NORTH),
        name="before-pilot",
        kpis=NAMES,
        description="North district before the pilot",
        sla=sla,
    )
    path = ws.path / "baselines" / "before-pilot.json"
    stored = json.loads(path.read_text())
    assert stored["dataset"]["fingerprint"] == view.dataset.manifest.fingerprint
    assert stored["dataset"]["cases"] == 300
    assert stored["filter"]["case_attributes"] == {"district": ["North"]}
    assert [k["name"] for k in stored["kpis"]] == NAMES
    assert all(k["definition"] for k in stored["kpis"])
    assert stored["engine"] == "duckdb" and stored["civicflow_version"]

    # the frozen values are those of the filtered view, not of the whole log
    north_cases = int((view.execute(view.cases)["district"] == "North").sum())
    assert frozen.value("case_count") == north_cases < 300
    assert frozen.cases == north_cases

    loaded = load_baseline(ws, "before-pilot")
    assert loaded == frozen
    assert loaded.sla_config() == sla
    freeze_baseline(workspace=ws, view=view, name="all-cases", kpis=["case_count"])
    assert [b.name for b in list_baselines(ws)] == ["before-pilot", "all-cases"]


def test_a_baseline_is_never_overwritten(demo: tuple[EventStore, LogView]) -> None:
    ws, view = demo
    freeze_baseline(workspace=ws, view=view, name="b1", kpis=["case_count"])
    path = ws.path / "baselines" / "b1.json"
    before = path.read_bytes()
    with pytest.raises(ConflictError, match="already exists") as err:
        freeze_baseline(workspace=ws, view=view.with_filter(NORTH), name="b1", kpis=["case_count"])
    assert err.value.fix and "another name" in err.value.fix
    assert path.read_bytes() == before


@pytest.mark.parametrize("failing", ["fsync", "link"])
def test_a_failed_write_leaves_no_file(
    demo: tuple[EventStore, LogView], monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    ws, view = demo

    def boom(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(RuntimeError, match="disk full"):
        freeze_baseline(workspace=ws, view=view, name="half", kpis=["case_count"])
    assert list((ws.path / "baselines").iterdir()) == []
    with pytest.raises(NotFoundError):
        load_baseline(ws, "half")


def test_compare_to_baseline_same_data_then_changed_data(
    demo: tuple[EventStore, LogView], tmp_path: Path
) -> None:
    ws, view = demo
    base = freeze_baseline(workspace=ws, view=view.with_filter(NORTH), name="b", kpis=NAMES[:3])
    # same data, and the baseline's filter is applied even though the view has none
    same = compare_to_baseline(view, base)
    assert not same.fingerprint_changed
    assert not same.filter_changed
    assert {c.assessment for c in same.changes} == {"no material change"}

    # other data (another seed): the fingerprint change is flagged and values are compared
    _, other_ds = build_demo_workspace(path=tmp_path / "ws2", config=DemoConfig(cases=400, seed=5))
    other = LogView(engine=DuckDBEngine(), dataset=other_ds)
    diff = compare_to_baseline(other, base)
    assert diff.fingerprint_changed
    recomputed = compute_kpis(other.with_filter(NORTH), names=NAMES[:3])
    for change in diff.changes:
        b, c = base.value(change.name), recomputed.value(change.name)
        assert change.baseline == b and change.current == pytest.approx(c)
        assert change.absolute_change == pytest.approx(c - b)


def _value(name: str, value: float | None, direction: str) -> KpiValue:
    return KpiValue(
        name=name,
        label=name,
        unit="x",
        direction=direction,  # type: ignore[arg-type]
        definition=f"def of {name}",
        value=value,
        dataset="d",
        fingerprint="f",
    )


def _baseline(name: str, fingerprint: str, values: list[KpiValue]) -> Baseline:
    return Baseline(
        name=name,
        description=None,
        created_at="2025-01-01T00:00:00+00:00",
        civicflow_version="0",
        engine="duckdb",
        dataset="d",
        fingerprint=fingerprint,
        dataset_events=10,
        dataset_cases=2,
        events=10,
        cases=2,
        filter=EventLogFilter(),
        sla=None,
        kpis=tuple(values),
    )


def test_compare_baselines_judges_by_direction() -> None:
    a = _baseline(
        "a",
        "f1",
        [
            _value("throughput", 10.0, "lower_is_better"),
            _value("rework", 0.2, "lower_is_better"),
            _value("sla", 0.8, "higher_is_better"),
            _value("volume", 100.0, "neutral"),
            _value("missing", None, "lower_is_better"),
            _value("zero", 0.0, "lower_is_better"),
            _value("flat", 3.0, "higher_is_better"),
        ],
    )
    b = _baseline(
        "b",
        "f2",
        [
            _value("throughput", 8.0, "lower_is_better"),
            _value("rework", 0.25, "lower_is_better"),
            _value("sla", 0.9, "higher_is_better"),
            _value("volume", 120.0, "neutral"),
            _value("missing", 1.0, "lower_is_better"),
            _value("zero", 2.0, "lower_is_better"),
            _value("flat", 3.0, "higher_is_better"),
        ],
    )
    cmp = compare_baselines(a, b)
    assert cmp.fingerprint_changed
    got = {c.name: (c.assessment, c.absolute_change, c.relative_change) for c in cmp.changes}
    assert got["throughput"] == ("better", -2.0, pytest.approx(-0.2))
    assert got["rework"][0] == "worse" and got["rework"][2] == pytest.approx(0.25)
    assert got["sla"][0] == "better"
    assert got["volume"] == ("changed", 20.0, pytest.approx(0.2))
    assert got["missing"] == ("not comparable", None, None)
    assert got["zero"] == ("worse", 2.0, None)  # no relative change from zero
    assert got["flat"][0] == "no material change"
    assert cmp.better == ("throughput", "sla") and cmp.worse == ("rework", "zero")
    assert cmp.to_dict()["changes"][0]["name"] == "throughput"
    assert not compare_baselines(a, a).fingerprint_changed


def test_unknown_and_unreadable_baselines(demo: tuple[EventStore, LogView]) -> None:
    ws, _ = demo
    with pytest.raises(NotFoundError, match="no baseline 'nope'"):
        load_baseline(ws, "nope")
    (ws.path / "baselines" / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot be read") as err:
        load_baseline(ws, "broken")
    assert err.value.where is not None and str(err.value.where.file).endswith("broken.json")
    with pytest.raises(InputError, match="not a valid baseline name"):
        freeze_baseline(workspace=ws, view=demo[1], name="../escape")


def test_float_noise_is_unchanged_but_a_real_change_is_not() -> None:
    # values a different summation order produces: equal up to the last bits
    noisy = {
        "sum_order": (0.1 + 0.2, 0.3),  # differ by 5.6e-17
        "one": (1.0, 1.0 + 1e-15),
        "near_zero": (0.0, 1e-15),
        "large": (86_400.0 * 42, 86_400.0 * 42 * (1 + 1e-15)),
        "negative": (-2.5, -2.5 - 1e-15),
    }
    real = {
        "small_real": (1.0, 1.0 + 1e-6),  # a millionth is a change, however small
        "share_real": (0.0, 1e-9),
    }
    names = {**noisy, **real}
    for before, after in names.values():
        assert before != after  # the test would be vacuous on equal floats
    a = _baseline("a", "f", [_value(n, b, "lower_is_better") for n, (b, _) in names.items()])
    b = _baseline("b", "f", [_value(n, v, "lower_is_better") for n, (_, v) in names.items()])
    # with no materiality threshold, only the engines' last-bit noise is no change
    exact = ChangeThresholds(relative=0.0, absolute_share=0.0, absolute_days=0.0)
    cmp = compare_baselines(a, b, thresholds=exact)
    assessed = {c.name: c.assessment for c in cmp.changes}
    assert {n: assessed[n] for n in noisy} == dict.fromkeys(noisy, "no material change")
    assert {n: assessed[n] for n in real} == {"small_real": "worse", "share_real": "worse"}
    assert cmp.better == () and cmp.worse == ("small_real", "share_real")
    # the raw difference stays visible: only the verdict ignores the noise
    assert cmp["one"].absolute_change == pytest.approx(1e-15, rel=0.2)
    # neutral KPIs: noise is "no material change", not "changed"
    n = compare_baselines(
        _baseline("a", "f", [_value("volume", 0.3, "neutral")]),
        _baseline("b", "f", [_value("volume", 0.1 + 0.2, "neutral")]),
    )
    assert n["volume"].assessment == "no material change"


def test_nan_is_not_comparable() -> None:
    a = _baseline("a", "f", [_value("x", float("nan"), "lower_is_better")])
    b = _baseline("b", "f", [_value("x", 1.0, "lower_is_better")])
    assert compare_baselines(a, b)["x"].assessment == "not comparable"
    assert compare_baselines(b, a)["x"].assessment == "not comparable"


def test_compare_to_baseline_recomputation_with_last_bit_noise(
    demo: tuple[EventStore, LogView],
) -> None:
    import dataclasses
    import math

    ws, view = demo
    base = freeze_baseline(workspace=ws, view=view, name="exact", kpis=NAMES)
    # the stored values one float step away from what recomputation gives (exact on DuckDB)
    shifted = tuple(
        dataclasses.replace(v, value=math.nextafter(v.value, math.inf))
        if v.value is not None
        else v
        for v in base.kpis
    )
    assert any(v.value is not None for v in shifted)
    noisy = dataclasses.replace(base, kpis=shifted)
    cmp = compare_to_baseline(view, noisy)
    for c in cmp.changes:
        if c.baseline is not None:
            assert c.current != c.baseline, c.name
            assert c.assessment == "no material change", (c.name, c.baseline, c.current)


def _sampled(name: str, value: float, unit: str, sample: dict | None) -> KpiValue:  # type: ignore[type-arg]
    return KpiValue(
        name=name, label=name, unit=unit, direction="lower_is_better", definition="d",
        value=value, dataset="d", fingerprint="f", sample=sample,
    )  # fmt: skip


def test_a_change_below_the_thresholds_is_no_material_change() -> None:
    """`baseline compare` called a change of 0.00 days "better": a change needs to reach both
    thresholds (5 % of the value and, in days, half a day; in shares, one point)."""
    rows = {
        "days_tiny": (16.09, 16.088, "days"),  # -0.002 d: was "better"
        "days_big_rel_small_abs": (0.2, 0.1, "days"),  # -50 % but 0.1 d < 0.5 d
        "days_real": (16.0, 12.0, "days"),
        "share_tiny": (0.345, 0.341, "share"),  # 0.4 points
        "share_real": (0.345, 0.30, "share"),
    }
    a = _baseline("a", "f", [_sampled(n, b, u, None) for n, (b, _, u) in rows.items()])
    b = _baseline("b", "f", [_sampled(n, c, u, None) for n, (_, c, u) in rows.items()])
    got = {c.name: c.assessment for c in compare_baselines(a, b).changes}
    assert got == {
        "days_tiny": "no material change",
        "days_big_rel_small_abs": "no material change",
        "days_real": "better",
        "share_tiny": "no material change",
        "share_real": "better",
    }
    # the thresholds are the caller's: 0.1 day makes the -0.1 d change material
    loose = ChangeThresholds(absolute_days=0.05)
    assert (
        compare_baselines(a, b, thresholds=loose)["days_big_rel_small_abs"].assessment == "better"
    )
    with pytest.raises(InputError, match="alpha"):
        ChangeThresholds(alpha=1.5)


def test_material_changes_are_tested_when_both_sides_keep_samples() -> None:
    from scipy import stats

    rng = np.random.default_rng(3)
    before = rng.exponential(10.0, 300)
    after = rng.exponential(7.0, 300)
    durations = ("throughput_median_days", "days")
    a = _baseline("a", "f", [
        _sampled(durations[0], float(np.median(before)), "days", {"values": before.tolist()}),
        _sampled("rework_share", 0.30, "share", {"successes": 90, "trials": 300}),
        _sampled("variant_count", 30.0, "variants", None),
        _sampled("median_waiting_days", 5.0, "days", None),
    ])  # fmt: skip
    b = _baseline("b", "f", [
        _sampled(durations[0], float(np.median(after)), "days", {"values": after.tolist()}),
        _sampled("rework_share", 0.25, "share", {"successes": 75, "trials": 300}),
        _sampled("variant_count", 20.0, "variants", None),
        _sampled("median_waiting_days", 3.0, "days", None),
    ])  # fmt: skip
    cmp = compare_baselines(a, b)
    t = cmp["throughput_median_days"]
    expected = stats.mannwhitneyu(before, after, alternative="two-sided").pvalue
    assert t.test == "Mann-Whitney U" and t.p_value == pytest.approx(expected)
    assert expected < 0.05 and t.significant is True
    assert t.test_note == "significant at 0.05 (Mann-Whitney U, p < 0.001)"
    r = cmp["rework_share"]
    # two-proportion z-test by hand: pooled p = 165/600
    pooled = 165 / 600
    z = (0.25 - 0.30) / np.sqrt(pooled * (1 - pooled) * (2 / 300))
    assert r.test == "two-proportion z-test"
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert r.significant is False and "not significant" in (r.test_note or "")
    assert (cmp["variant_count"].test_note or "").startswith("not tested: no test applies")
    assert (cmp["median_waiting_days"].test_note or "").startswith("not tested: the baseline")
    assert cmp["median_waiting_days"].p_value is None
    assert cmp.to_dict()["threshold_rules"]["relative"] == 0.05


def test_a_frozen_baseline_keeps_what_the_tests_need(demo: tuple[EventStore, LogView]) -> None:
    ws, view = demo
    base = freeze_baseline(
        workspace=ws, view=view, name="sampled",
        kpis=["throughput_median_days", "rework_share", "case_count"],
    )  # fmt: skip
    loaded = load_baseline(ws, "sampled")
    values = loaded["throughput_median_days"].sample
    assert values is not None and len(values["values"]) == base.cases
    assert np.median(values["values"]) / 86400 == pytest.approx(
        base.value("throughput_median_days")
    )
    rework = loaded["rework_share"].sample
    assert rework is not None and rework["trials"] == base.cases
    assert rework["successes"] / rework["trials"] == pytest.approx(base.value("rework_share"))
    assert loaded["case_count"].sample is None


def test_a_filter_that_keeps_no_case_freezes_nothing(demo: tuple[EventStore, LogView]) -> None:
    """A baseline of zero cases would hold only "–" and measure nothing: refused, naming the
    filter and the count, and no file is left."""
    ws, view = demo
    nowhere = EventLogFilter(case_attributes=(("district", ("Atlantis",)),))
    with pytest.raises(InputError, match="keeps no case") as err:
        freeze_baseline(workspace=ws, view=view.with_filter(nowhere), name="empty")
    assert err.value.where is not None and err.value.where.field == "filter"
    assert err.value.found is not None and err.value.found.startswith("0 of ")
    assert not list((ws.path / "baselines").glob("*empty*"))
