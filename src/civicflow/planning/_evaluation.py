"""Did the pilot work? A sample-size helper for a drop in median throughput, KPI deltas between a
baseline and a pilot period with bootstrap confidence intervals (and Mann-Whitney or a
two-proportion test), and difference-in-differences against a control group.

Methods, stated once:

- Sample size: normal approximation on log durations. A drop ``d`` in the median of a duration
  whose log has standard deviation ``sigma`` (a proportional effect: every case ``d`` faster) is a
  shift ``delta = -log(1 - d)`` of the mean log duration; a two-sided two-sample test at level
  ``alpha`` has power ``power`` with ``n = 2 (z[1 - alpha/2] + z[power])² sigma² / delta²`` cases in
  each group. ``sigma`` comes from the baseline's durations.
- KPI delta: pilot minus baseline of the median (or mean, or share); a percentile bootstrap
  interval of the difference (groups resampled independently, seeded); the p-value from
  Mann-Whitney U for durations and from a two-proportion z-test for rates.
- Difference-in-differences on mean log durations: ``(treated after − treated before) −
  (control after − control before)``; ``exp(did) − 1`` is the relative change the pilot caused
  beyond what the control group saw (season, workload). A percentile bootstrap interval, and a
  p-value from the normal approximation with the four groups' variances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import stats

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.mining._format import format_share
from civicflow.mining._significance import mann_whitney, normal_p_value, two_proportion_z
from civicflow.planning._checks import check_at_least

if TYPE_CHECKING:
    from civicflow.mining import LogView

Statistic = Literal["median", "mean", "share"]
Numbers = Sequence[float] | np.ndarray

SAMPLE_SIZE_METHOD = (
    "normal approximation on log durations: n per group = 2 (z[1-alpha/2] + z[power])² sigma² / "
    "delta², delta = -log(1 - drop), sigma = standard deviation of the baseline's log durations"
)


def _check_fraction(name: str, value: float, *, low: float = 0.0, high: float = 1.0) -> None:
    if not isinstance(value, int | float) or not low < value < high:
        raise ConfigurationError(
            f"{name} is out of range",
            where=Location(field=name),
            found=repr(value),
            expected=f"a fraction between {low:g} and {high:g} (exclusive)",
            fix=f"give {name} as a fraction: 15 % is 0.15",
        )


def _values(name: str, values: Numbers, *, positive: bool = False, minimum: int = 2) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)] if array.ndim == 1 else array
    if array.ndim != 1 or array.size < minimum:
        raise InputError(
            f"the {name} has too few cases to compare",
            where=Location(field=name),
            found=f"{array.size} values",
            expected=f"at least {minimum} cases",
            fix="widen the period or the scope so it holds cases",
        )
    if positive and np.any(array <= 0):
        raise InputError(
            f"the {name} holds durations of 0 or less",
            where=Location(field=name),
            found=f"{int(np.sum(array <= 0))} values <= 0 (smallest {array.min():g})",
            expected="durations above 0 seconds",
            fix="leave out cases with a single event (no duration) before comparing",
        )
    return array


def throughput_seconds(view: LogView) -> np.ndarray:
    """The throughput time (first to last event) of every case in the view, in seconds; cases
    whose first and last event coincide are left out (no duration to compare)."""
    summary = view.case_summary
    frame = view.execute(summary.select(summary.throughput_us))
    values = frame["throughput_us"].to_numpy(dtype=np.float64) / 1e6
    return values[values > 0]


# -- sample size --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleSize:
    """Cases needed in each group (baseline and pilot) to detect ``drop`` in median throughput."""

    per_group: int
    drop: float
    alpha: float
    power: float
    sigma_log: float
    method: str = SAMPLE_SIZE_METHOD

    @property
    def sentence(self) -> str:
        return (
            f"you need about {self.per_group:,} cases in the pilot (and as many in the baseline) "
            f"to detect a {format_share(self.drop)} drop in median throughput "
            f"(power {format_share(self.power)}, significance {format_share(self.alpha)})"
        )


def sample_size_for_median_drop(
    *,
    durations: Numbers | None = None,
    sigma_log: float | None = None,
    drop: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> SampleSize:
    """Cases per group to detect a ``drop`` (0.15 = 15 %) in median throughput (see the module's
    method); give the baseline's ``durations`` (seconds) or the spread of their logs."""
    _check_fraction("drop", drop)
    _check_fraction("alpha", alpha)
    _check_fraction("power", power)
    if sigma_log is None:
        if durations is None:
            raise ConfigurationError(
                "the sample size needs the baseline's spread",
                where=Location(field="durations"),
                found="neither durations nor sigma_log",
                expected="the baseline's durations in seconds, or sigma_log",
                fix="pass durations=throughput_seconds(baseline_view)",
            )
        sigma = float(np.std(np.log(_values("durations", durations, positive=True)), ddof=1))
    else:
        sigma = float(sigma_log)
        if not math.isfinite(sigma) or sigma <= 0:
            raise ConfigurationError(
                "sigma_log is not a positive number",
                where=Location(field="sigma_log"),
                found=repr(sigma_log),
                expected="the standard deviation of log durations, above 0",
                fix="leave sigma_log out and pass durations instead",
            )
    delta = -math.log(1.0 - drop)
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    n = math.ceil(2.0 * z * z * sigma * sigma / (delta * delta))
    return SampleSize(per_group=n, drop=drop, alpha=alpha, power=power, sigma_log=sigma)


# -- KPI deltas ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiDelta:
    """A KPI in the baseline and in the pilot period, the difference and its uncertainty."""

    statistic: Statistic
    baseline: float
    pilot: float
    delta: float
    """pilot − baseline."""
    relative: float | None
    """delta / baseline (None when the baseline is 0)."""
    ci_low: float
    ci_high: float
    """Bootstrap interval of ``delta`` at ``confidence``."""
    confidence: float
    p_value: float
    test: str
    baseline_n: int
    pilot_n: int

    @property
    def significant(self) -> bool:
        """The interval excludes 0 and the test agrees at 1 − confidence."""
        return (self.ci_low > 0 or self.ci_high < 0) and self.p_value < 1 - self.confidence

    @property
    def verdict(self) -> str:
        change = (
            f"{format_share(abs(self.relative))} {'lower' if self.delta < 0 else 'higher'}"
            if self.relative is not None
            else f"{abs(self.delta):g} {'lower' if self.delta < 0 else 'higher'}"
        )
        if self.significant:
            return (
                f"the pilot's {self.statistic} is {change} than the baseline's, beyond chance "
                f"({self.test}, p = {self.p_value:.3g}; {format_share(self.confidence)} interval "
                f"{self.ci_low:,.4g} to {self.ci_high:,.4g})"
            )
        return (
            f"no difference beyond chance: the pilot's {self.statistic} is {change} "
            f"({self.test}, p = {self.p_value:.3g}; the {format_share(self.confidence)} interval "
            f"{self.ci_low:,.4g} to {self.ci_high:,.4g} includes no change). Caveat: the periods "
            "may differ in season and workload — use a control group where there is one"
        )


def _stat(samples: np.ndarray, statistic: Statistic) -> np.ndarray:
    if statistic == "median":
        return np.median(samples, axis=-1)
    return np.mean(samples, axis=-1)


def _boot(
    values: np.ndarray, rng: np.random.Generator, n_boot: int, statistic: Statistic
) -> np.ndarray:
    """``n_boot`` bootstrap replicates of the statistic, in chunks to bound the memory."""
    out = np.empty(n_boot)
    chunk = max(1, 4_000_000 // max(1, values.size))
    for i in range(0, n_boot, chunk):
        k = min(chunk, n_boot - i)
        idx = rng.integers(0, values.size, size=(k, values.size))
        out[i : i + k] = _stat(values[idx], statistic)
    return out


def _check_boot(n_boot: int, confidence: float) -> None:
    check_at_least("the bootstrap", n_boot=(n_boot, 100))
    _check_fraction("confidence", confidence, low=0.5)


def kpi_delta(
    *,
    baseline: Numbers,
    pilot: Numbers,
    statistic: Statistic = "median",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> KpiDelta:
    """Compare a KPI between the baseline's cases and the pilot's: durations (``median`` or
    ``mean``, tested by Mann-Whitney U) or a rate (``share`` of 0/1 values, tested by a
    two-proportion z-test)."""
    if statistic not in ("median", "mean", "share"):
        raise ConfigurationError(
            f"unknown statistic '{statistic}'",
            where=Location(field="statistic"),
            found=str(statistic),
            expected="median, mean or share",
            fix="pass statistic='median'",
        )
    _check_boot(n_boot, confidence)
    b, p = _values("baseline", baseline), _values("pilot", pilot)
    if statistic == "share" and not (np.isin(b, (0, 1)).all() and np.isin(p, (0, 1)).all()):
        raise InputError(
            "a share needs values of 0 and 1",
            where=Location(field="baseline"),
            found="other values",
            expected="1 where the case meets the criterion, 0 where it does not",
            fix="pass e.g. (throughput <= sla).astype(int)",
        )
    rng = np.random.default_rng(seed)
    diffs = _boot(p, rng, n_boot, statistic) - _boot(b, rng, n_boot, statistic)
    tail = (1 - confidence) / 2
    low, high = np.quantile(diffs, [tail, 1 - tail])
    base_value = float(_stat(b, statistic))
    pilot_value = float(_stat(p, statistic))
    if statistic == "share":
        tested = two_proportion_z(int(b.sum()), b.size, int(p.sum()), p.size)
        test = "two-proportion z-test"
    else:
        tested = mann_whitney(p, b)
        test = "Mann-Whitney U"
    p_value = tested.p_value if tested is not None else 1.0
    delta = pilot_value - base_value
    return KpiDelta(
        statistic=statistic,
        baseline=base_value,
        pilot=pilot_value,
        delta=delta,
        relative=delta / base_value if base_value else None,
        ci_low=float(low),
        ci_high=float(high),
        confidence=confidence,
        p_value=p_value,
        test=test,
        baseline_n=int(b.size),
        pilot_n=int(p.size),
    )


# -- difference in differences ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffInDiff:
    """The pilot's effect on throughput beyond the control group's change (on log durations)."""

    did: float
    """(treated after − before) − (control after − before) of the mean log duration."""
    relative_effect: float
    """exp(did) − 1: −0.2 means the pilot made cases 20 % faster."""
    ci_low: float
    ci_high: float
    """Bootstrap interval of the relative effect at ``confidence``."""
    confidence: float
    p_value: float
    treated_change: float
    control_change: float
    """Relative change of each group's geometric-mean duration between the periods."""
    counts: dict[str, int]

    @property
    def significant(self) -> bool:
        return (self.ci_low > 0 or self.ci_high < 0) and self.p_value < 1 - self.confidence

    @property
    def verdict(self) -> str:
        direction = "faster" if self.relative_effect < 0 else "slower"
        summary = (
            f"treated cases changed {self.treated_change:+.1%}, the control group "
            f"{self.control_change:+.1%}"
        )
        if self.significant:
            return (
                f"the pilot made cases {format_share(abs(self.relative_effect))} {direction} "
                f"beyond the control group's change (p = {self.p_value:.3g}; "
                f"{format_share(self.confidence)} interval {self.ci_low:+.1%} to "
                f"{self.ci_high:+.1%}); {summary}"
            )
        return (
            f"no effect beyond chance (p = {self.p_value:.3g}; interval {self.ci_low:+.1%} to "
            f"{self.ci_high:+.1%}); {summary}. Caveat: this assumes both groups would have "
            "changed alike without the pilot (parallel trends)"
        )


def difference_in_differences(
    *,
    treated_before: Numbers,
    treated_after: Numbers,
    control_before: Numbers,
    control_after: Numbers,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> DiffInDiff:
    """Difference-in-differences of throughput (seconds, each above 0) between a pilot's units
    (treated) and comparable units without it (control), before and during the pilot."""
    _check_boot(n_boot, confidence)
    groups = {
        "treated_before": treated_before,
        "treated_after": treated_after,
        "control_before": control_before,
        "control_after": control_after,
    }
    logs = {k: np.log(_values(k, v, positive=True)) for k, v in groups.items()}
    means = {k: float(v.mean()) for k, v in logs.items()}
    did = (means["treated_after"] - means["treated_before"]) - (
        means["control_after"] - means["control_before"]
    )
    se = math.sqrt(sum(float(v.var(ddof=1)) / v.size for v in logs.values()))
    p_value = normal_p_value(did / se) if se > 0 else 1.0
    rng = np.random.default_rng(seed)
    boot = {k: _boot(v, rng, n_boot, "mean") for k, v in logs.items()}
    boot_did = (boot["treated_after"] - boot["treated_before"]) - (
        boot["control_after"] - boot["control_before"]
    )
    tail = (1 - confidence) / 2
    low, high = np.quantile(np.expm1(boot_did), [tail, 1 - tail])
    return DiffInDiff(
        did=did,
        relative_effect=math.expm1(did),
        ci_low=float(low),
        ci_high=float(high),
        confidence=confidence,
        p_value=p_value,
        treated_change=math.expm1(means["treated_after"] - means["treated_before"]),
        control_change=math.expm1(means["control_after"] - means["control_before"]),
        counts={k: int(v.size) for k, v in logs.items()},
    )
