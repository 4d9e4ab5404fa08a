"""The two-sample tests civicflow uses, in one place: Mann-Whitney U for durations (and other
per-case values), a pooled two-proportion z-test for shares (Fisher's exact test where an
expected count is below 5, on request), and the two-sided normal p-value of a z statistic.

Used by ``compare`` (two views side by side), ``baseline compare`` and objectives' progress (a
baseline against now) and the pilot evaluation (``civicflow.planning``), so one change is tested
the same way everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from civicflow.mining._record import Record

Test = Literal["Mann-Whitney U", "two-proportion z", "Fisher exact"]

MANN_WHITNEY: Test = "Mann-Whitney U"
TWO_PROPORTION: Test = "two-proportion z"
FISHER: Test = "Fisher exact"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult(Record):
    """A two-sample test: its name, statistic, two-sided p-value and the sample sizes."""

    test: Test
    statistic: float
    p_value: float
    n_a: int
    n_b: int

    def significant(self, alpha: float) -> bool:
        """p < alpha."""
        return self.p_value < alpha


def normal_p_value(z: float) -> float:
    """The two-sided p-value of a standard-normal statistic ``z``."""
    from scipy.stats import norm

    return float(2 * norm.sf(abs(z)))


def mann_whitney(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray
) -> TestResult | None:
    """Two-sided Mann-Whitney U test of A against B (scipy's default method); None when a side
    has no value. A p-value scipy cannot compute (every value equal) is 1."""
    from scipy.stats import mannwhitneyu

    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if not len(x) or not len(y):
        return None
    res = mannwhitneyu(x, y, alternative="two-sided")
    p = float(res.pvalue)
    return TestResult(
        test=MANN_WHITNEY,
        statistic=float(res.statistic),
        p_value=1.0 if math.isnan(p) else p,
        n_a=len(x),
        n_b=len(y),
    )


def two_proportion_z(successes_a: int, n_a: int, successes_b: int, n_b: int) -> TestResult | None:
    """A pooled two-proportion z-test (two-sided) of B's share against A's; None when a side has
    no case or every case on both sides has the same outcome (no spread to test against)."""
    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return None
    z = (successes_b / n_b - successes_a / n_a) / se
    return TestResult(test=TWO_PROPORTION, statistic=z, p_value=normal_p_value(z), n_a=n_a, n_b=n_b)


def proportions_test(successes_a: int, n_a: int, successes_b: int, n_b: int) -> TestResult | None:
    """Two shares compared: a pooled two-proportion z-test (two-sided), or Fisher's exact test when
    an expected count of the 2x2 table is below 5. None when a side has no case."""
    if n_a <= 0 or n_b <= 0:
        return None
    total = n_a + n_b
    hits = successes_a + successes_b
    expected = [n * k / total for n in (n_a, n_b) for k in (hits, total - hits)]
    if min(expected) < 5:
        from scipy.stats import fisher_exact

        table = [[successes_a, n_a - successes_a], [successes_b, n_b - successes_b]]
        odds, p = fisher_exact(table, alternative="two-sided")
        return TestResult(test=FISHER, statistic=float(odds), p_value=float(p), n_a=n_a, n_b=n_b)
    return two_proportion_z(successes_a, n_a, successes_b, n_b)


def format_p(p: float) -> str:
    """A p-value as people read it: ``p < 0.001`` or ``p = 0.042``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
