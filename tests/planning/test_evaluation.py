"""Pilot evaluation, proven on demo logs with a known injected effect: over repeated seeds the
evaluation finds an effect that is there and not one that is not, at the stated error rates.

The injection: the demo generator's log (civicflow/demo/_generator.py), cases in three districts
(the pilot's units) that start in the second half of the period have every event moved towards
the case's start by ``effect`` (a 30 % effect makes each such case 30 % faster); the other
districts are the control group. Nothing else changes, so the true effect is known exactly.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from civicflow.core import ConfigurationError, InputError
from civicflow.demo import DemoConfig, build_demo_workspace, simulate_demo
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import LogView
from civicflow.planning import (
    difference_in_differences,
    kpi_delta,
    sample_size_for_median_drop,
    throughput_seconds,
)

PILOT_DISTRICTS = {"Centre", "North", "East"}
SEEDS = range(10)
EFFECT = 0.30
CASES = 6000


@cache
def demo_cases(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    log = simulate_demo(config=DemoConfig(cases=CASES, seed=seed))
    events = log.events.select(["case_id", "timestamp", "start_timestamp"]).to_pandas()
    cases = log.cases.select(["case_id", "district"]).to_pandas().set_index("case_id")
    first = events.groupby("case_id")["start_timestamp"].min()
    cases["t0"] = first
    middle = first.min() + (first.max() - first.min()) / 2
    cases["after"] = cases["t0"] >= middle
    cases["treated"] = cases["district"].isin(PILOT_DISTRICTS)
    return events.join(first.rename("t0"), on="case_id"), cases


def throughput(events: pd.DataFrame, faster: pd.Index, effect: float) -> pd.Series:
    """Throughput per case after moving the events of ``faster`` cases towards their start."""
    ts = events["timestamp"].copy()
    hit = events["case_id"].isin(faster)
    t0 = events.loc[hit, "t0"]
    ts[hit] = t0 + (ts[hit] - t0) * (1.0 - effect)
    end = ts.groupby(events["case_id"]).max()
    return (end - events.groupby("case_id")["t0"].first()).dt.total_seconds()


def did_groups(seed: int, effect: float) -> dict[str, np.ndarray]:
    events, cases = demo_cases(seed)
    duration = throughput(events, cases.index[cases.after & cases.treated], effect)

    def group(treated: bool, after: bool) -> np.ndarray:
        ids = cases.index[(cases.treated == treated) & (cases.after == after)]
        return duration[ids].to_numpy()

    return {
        "treated_before": group(True, False),
        "treated_after": group(True, True),
        "control_before": group(False, False),
        "control_after": group(False, True),
    }


def test_difference_in_differences_error_rates_over_seeds() -> None:
    # stated rates: false positives at most 2 of 10 (nominal 5 %: P(3 or more) = 1.2 %);
    # a 30 % effect found at least 7 times of 10 (designed power about 90 % at these sizes:
    # P(6 or fewer) = 1.3 %)
    false_positives = found = 0
    for seed in SEEDS:
        null = difference_in_differences(**did_groups(seed, 0.0), seed=seed, n_boot=500)
        real = difference_in_differences(**did_groups(seed, EFFECT), seed=seed, n_boot=500)
        false_positives += null.significant
        found += real.significant and real.relative_effect < 0
        # every treated case after the start is exactly 30 % faster, so the estimate moves by
        # exactly log(0.7) against the same log without the effect
        assert real.did == pytest.approx(null.did + np.log(1 - EFFECT), abs=1e-9)
    assert false_positives <= 2
    assert found >= 7


def test_a_before_after_comparison_without_control_is_fooled_by_the_season() -> None:
    # the demo's queue and season change between the halves: with no effect at all, comparing the
    # pilot units before and after "finds" a change on several seeds, the control group removes it
    naive = sum(
        kpi_delta(
            baseline=g["treated_before"], pilot=g["treated_after"], seed=seed, n_boot=500
        ).significant
        for seed in SEEDS
        for g in [did_groups(seed, 0.0)]
    )
    controlled = sum(
        difference_in_differences(**did_groups(seed, 0.0), seed=seed, n_boot=500).significant
        for seed in SEEDS
    )
    assert naive >= 3 > controlled


def test_kpi_delta_error_rates_in_a_randomised_pilot() -> None:
    # cases of the same period assigned to the pilot at random: no season between the groups;
    # stated rates as above (false positives <= 2 of 10, a 30 % effect found >= 7 of 10)
    false_positives = found = 0
    for seed in SEEDS:
        events, cases = demo_cases(seed)
        rng = np.random.default_rng(seed)
        in_pilot = rng.random(len(cases)) < 0.5
        ids = cases.index
        for effect in (0.0, EFFECT):
            duration = throughput(events, ids[in_pilot], effect)
            result = kpi_delta(
                baseline=duration[ids[~in_pilot]].to_numpy(),
                pilot=duration[ids[in_pilot]].to_numpy(),
                seed=seed,
                n_boot=500,
            )
            if effect == 0.0:
                false_positives += result.significant
            else:
                found += result.significant and result.delta < 0
    assert false_positives <= 2
    assert found >= 7


def test_kpi_delta_hand_worked_and_rates() -> None:
    result = kpi_delta(baseline=[10, 20, 30, 40, 50], pilot=[5, 10, 15, 20, 25], n_boot=500)
    assert (result.baseline, result.pilot, result.delta) == (30.0, 15.0, -15.0)
    assert result.relative == -0.5
    assert result.p_value == pytest.approx(
        stats.mannwhitneyu([5, 10, 15, 20, 25], [10, 20, 30, 40, 50]).pvalue
    )
    rates = kpi_delta(baseline=[1] * 80 + [0] * 20, pilot=[1] * 60 + [0] * 40, statistic="share")
    assert rates.baseline == 0.8 and rates.pilot == 0.6
    # pooled share 0.7: z = -0.2 / sqrt(0.21 * 0.02) = -3.086
    assert rates.p_value == pytest.approx(2 * stats.norm.sf(0.2 / np.sqrt(0.21 * 0.02)))
    assert rates.significant and rates.test == "two-proportion z-test"
    assert "lower than the baseline's, beyond chance" in rates.verdict


def test_sample_size_hand_worked_and_checked_by_simulation() -> None:
    # sigma 1, 15 % drop: delta = -log(0.85) = 0.1625; 2 x (1.95996 + 0.84162)^2 / 0.1625^2 = 594.4
    size = sample_size_for_median_drop(sigma_log=1.0, drop=0.15)
    assert size.per_group == 595
    assert "595 cases" in size.sentence and "15.0 % drop" in size.sentence
    # simulated: log-normal durations, the median 15 % lower in the pilot, a t-test on the logs
    # at that size detects it about 80 % of the time (2,000 trials: 0.80 +- 0.03)
    rng = np.random.default_rng(0)
    n = size.per_group
    base = rng.normal(0.0, 1.0, size=(2000, n))
    pilot = rng.normal(np.log(0.85), 1.0, size=(2000, n))
    p = stats.ttest_ind(pilot, base, axis=1).pvalue
    assert np.mean(p < 0.05) == pytest.approx(0.80, abs=0.03)


def test_sample_size_and_throughput_from_a_view(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _ws, ds = build_demo_workspace(path=tmp_path / "ws", config=DemoConfig(cases=500, seed=2))
    durations = throughput_seconds(LogView(engine=DuckDBEngine(), dataset=ds))
    events, _cases = demo_cases_small()
    expected = (
        events.groupby("case_id")["timestamp"].max() - events.groupby("case_id")["t0"].first()
    ).dt.total_seconds()
    assert sorted(durations.round(3)) == sorted(expected[expected > 0].round(3))
    size = sample_size_for_median_drop(durations=durations, drop=0.15)
    assert size.sigma_log == pytest.approx(np.std(np.log(durations), ddof=1))


def demo_cases_small() -> tuple[pd.DataFrame, pd.DataFrame]:
    log = simulate_demo(config=DemoConfig(cases=500, seed=2))
    events = log.events.select(["case_id", "timestamp", "start_timestamp"]).to_pandas()
    first = events.groupby("case_id")["timestamp"].min()
    return events.join(first.rename("t0"), on="case_id"), log.cases.to_pandas()


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda: sample_size_for_median_drop(sigma_log=1, drop=1.5), ConfigurationError, "drop"),
        (
            lambda: sample_size_for_median_drop(sigma_log=1, drop=0.1, alpha=0),
            ConfigurationError,
            "alpha",
        ),
        (lambda: sample_size_for_median_drop(drop=0.1), ConfigurationError, "durations"),
        (lambda: kpi_delta(baseline=[], pilot=[1, 2]), InputError, "baseline"),
        (lambda: kpi_delta(baseline=[1, 2], pilot=[1]), InputError, "pilot"),
        (lambda: kpi_delta(baseline=[1, 2], pilot=[1, 2], n_boot=5), ConfigurationError, "n_boot"),
        (
            lambda: difference_in_differences(
                treated_before=[1, 2],
                treated_after=[0, 2],
                control_before=[1, 2],
                control_after=[1, 2],
            ),
            InputError,
            "treated_after",
        ),
    ],
)
def test_bad_input_names_the_field(call, error, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        call()
    assert info.value.where is not None and info.value.where.field == field
