"""Group metrics from confusion counts, and their Poisson bootstrap.

Every metric of a decision audit is a function of four counts per group (true positives, false
positives, false negatives, true negatives). A Poisson bootstrap gives each row a weight drawn from
Poisson(1); the weighted count of a cell holding ``c`` rows is then Poisson(``c``), independently
of every other cell. So the bootstrap of every count metric is drawn from the group-level counts
alone — ``groups × 4 × replicates`` numbers, whatever the number of rows — and is exactly the
bootstrap a row-level Poisson resampling would give.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

TP, FP, FN, TN = 0, 1, 2, 3
"""Index of each count on the last axis of a counts array."""


@dataclass(frozen=True, slots=True)
class MetricDefinition:
    name: str
    title: str
    numerator: tuple[int, ...]
    denominator: tuple[int, ...]
    needs_label: bool
    words: str
    """What a higher value means for the people in a group, in plain language."""
    favourable_when_high: bool | None
    """True/False when a higher value favours the group (given a favourable positive outcome)."""


ALL = (TP, FP, FN, TN)

METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "selection_rate",
        "selection rate",
        (TP, FP),
        ALL,
        False,
        "receive the positive outcome",
        True,
    ),
    MetricDefinition(
        "base_rate", "base rate", (TP, FN), ALL, True, "are positive in the true label", None
    ),
    MetricDefinition(
        "tpr",
        "true positive rate",
        (TP,),
        (TP, FN),
        True,
        "of those truly positive, receive the positive outcome (true positive rate)",
        True,
    ),
    MetricDefinition(
        "fpr",
        "false positive rate",
        (FP,),
        (FP, TN),
        True,
        "of those truly negative, wrongly receive the positive outcome (false positive rate)",
        True,
    ),
    MetricDefinition(
        "fnr",
        "false negative rate",
        (FN,),
        (TP, FN),
        True,
        "of those truly positive, wrongly receive the negative outcome (false negative rate)",
        False,
    ),
    MetricDefinition(
        "tnr",
        "true negative rate",
        (TN,),
        (FP, TN),
        True,
        "of those truly negative, receive the negative outcome (true negative rate)",
        False,
    ),
    MetricDefinition(
        "ppv",
        "positive predictive value",
        (TP,),
        (TP, FP),
        True,
        "of those given the positive outcome, are truly positive (precision)",
        None,
    ),
    MetricDefinition(
        "npv",
        "negative predictive value",
        (TN,),
        (TN, FN),
        True,
        "of those given the negative outcome, are truly negative",
        None,
    ),
    MetricDefinition(
        "fdr",
        "false discovery rate",
        (FP,),
        (TP, FP),
        True,
        "of those given the positive outcome, are truly negative (false discovery rate)",
        None,
    ),
    MetricDefinition(
        "for",
        "false omission rate",
        (FN,),
        (TN, FN),
        True,
        "of those given the negative outcome, are truly positive (false omission rate)",
        None,
    ),
    MetricDefinition(
        "accuracy",
        "accuracy",
        (TP, TN),
        ALL,
        True,
        "are decided in line with the true label (accuracy)",
        None,
    ),
)
METRIC_NAMES: tuple[str, ...] = ("count", *(m.name for m in METRICS))
BY_NAME = {m.name: m for m in METRICS}


def confusion_counts(
    codes: NDArray[np.int64], n_groups: int, predicted: NDArray[np.bool_], label: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Counts per group, shape (groups, 4): TP, FP, FN, TN (one ``bincount`` over the rows)."""
    cell = np.where(predicted, np.where(label, TP, FP), np.where(label, FN, TN))
    flat = np.bincount(codes * 4 + cell, minlength=n_groups * 4)
    return flat.reshape(n_groups, 4).astype(np.int64)


def metric_parts(
    counts: NDArray[np.floating] | NDArray[np.int64], metric: MetricDefinition
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Numerator and denominator of ``metric`` on the last axis of ``counts``."""
    c = np.asarray(counts, dtype=np.float64)
    num = c[..., list(metric.numerator)].sum(axis=-1)
    den = c[..., list(metric.denominator)].sum(axis=-1)
    return num, den


def metric_values(
    counts: NDArray[np.floating] | NDArray[np.int64], metric: MetricDefinition
) -> NDArray[np.float64]:
    """``metric`` for every group (and replicate) of ``counts``; NaN where the denominator is 0."""
    num, den = metric_parts(counts, metric)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def poisson_replicates(
    counts: NDArray[np.int64], *, replicates: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """``replicates`` Poisson-bootstrap draws of ``counts``: shape (replicates, *counts.shape)."""
    lam = np.broadcast_to(np.asarray(counts, dtype=np.float64), (replicates, *np.shape(counts)))
    return rng.poisson(lam).astype(np.float64)


def percentile_interval(
    draws: NDArray[np.float64], confidence: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Percentile interval over the first axis, ignoring NaN draws (a replicate that emptied a
    group's denominator)."""
    alpha = (1.0 - confidence) / 2.0
    with np.errstate(invalid="ignore"), quiet():
        low = np.nanquantile(draws, alpha, axis=0)
        high = np.nanquantile(draws, 1.0 - alpha, axis=0)
    return low, high


@contextmanager
def quiet() -> Iterator[None]:
    """Silence numpy's 'All-NaN slice' and 'Mean of empty slice' warnings (an empty group has
    no value: NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def binned_auc(pos: NDArray[np.float64], neg: NDArray[np.float64]) -> NDArray[np.float64]:
    """AUC from counts of positives and negatives per ascending score bin (last axis): the
    Mann-Whitney statistic with ties counted half. Exact when each bin holds one score value."""
    neg_below = np.cumsum(neg, axis=-1) - neg
    p, n = pos.sum(axis=-1), neg.sum(axis=-1)
    wins = (pos * (neg_below + 0.5 * neg)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((p > 0) & (n > 0), wins / np.where(p * n > 0, p * n, 1.0), np.nan)


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p-value that two proportions are equal: Fisher's exact test when an expected
    cell is under 5, else the pooled two-proportion z-test. None when a group is empty."""
    from scipy import stats

    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    expected = min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
    if expected < 5:
        table = [[int(x1), int(n1 - x1)], [int(x2), int(n2 - x2)]]
        return float(stats.fisher_exact(table).pvalue)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm's step-down adjustment (family-wise error); None stays None."""
    idx = [i for i, p in enumerate(p_values) if p is not None]
    m = len(idx)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: p_values[i])):  # type: ignore[arg-type,return-value]
        p = p_values[i]
        assert p is not None
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def benjamini_hochberg(p_values: list[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjustment (false discovery rate); None stays None."""
    idx = [i for i, p in enumerate(p_values) if p is not None]
    m = len(idx)
    out: list[float | None] = [None] * len(p_values)
    order = sorted(idx, key=lambda i: p_values[i], reverse=True)  # type: ignore[arg-type,return-value]
    running = 1.0
    for k, i in enumerate(order):
        p = p_values[i]
        assert p is not None
        rank = m - k
        running = min(running, p * m / rank)
        out[i] = min(1.0, running)
    return out
