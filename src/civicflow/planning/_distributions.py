"""Duration distributions of a simulation model: named parameters an analyst can read and edit,
fitted to observed durations by goodness of fit (Kolmogorov-Smirnov), with an empirical fallback.

Every value is in seconds. Sampling draws a whole array at once from a numpy generator, so the
engine never calls a random function per event.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

DistributionKind = Literal["fixed", "expon", "gamma", "lognorm", "weibull", "norm", "empirical"]

PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "expon": ("mean",),
    "gamma": ("shape", "scale"),
    "lognorm": ("sigma", "median"),
    "weibull": ("shape", "scale"),
    "norm": ("mean", "std"),
    "empirical": (),
}
"""The parameters of each kind, in seconds where they are times (``shape`` and ``sigma`` have no
unit). ``norm`` is truncated at ``minimum`` (0 by default); ``empirical`` lists ``quantiles``."""

FITTED_KINDS: tuple[str, ...] = ("expon", "norm", "lognorm", "gamma", "weibull")
"""The families tried, simplest first: within 0.005 of the best KS distance the simpler wins."""


class GoodnessOfFit(BaseModel):
    """How well the chosen distribution fits the observations it was fitted to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = Field(ge=0, description="observations")
    ks_statistic: float = Field(ge=0, description="Kolmogorov-Smirnov distance (0 = perfect)")
    p_value: float = Field(ge=0, le=1)
    candidates: dict[str, float] = Field(
        default_factory=dict, description="KS distance of every kind tried"
    )


class Distribution(BaseModel):
    """A distribution of seconds: ``kind``, its named ``params``, optional bounds.

    ``{"kind": "lognorm", "params": {"sigma": 0.35, "median": 1200}}`` is a log-normal duration
    around 20 minutes; ``{"kind": "fixed", "params": {"value": 60}}`` a fixed minute.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DistributionKind
    params: dict[str, float] = Field(default_factory=dict)
    quantiles: list[float] | None = Field(
        default=None,
        description="empirical only: equally spaced quantiles from the minimum (0) to the maximum (1)",
    )
    minimum: float = Field(default=0.0, ge=0.0)
    maximum: float | None = Field(default=None, ge=0.0)
    fit: GoodnessOfFit | None = None

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        wanted = PARAMETERS[self.kind]
        missing = [p for p in wanted if p not in self.params]
        if missing:
            raise ValueError(
                f"a {self.kind} distribution needs params {', '.join(wanted)}; "
                f"missing {', '.join(missing)}"
            )
        extra = sorted(set(self.params) - set(wanted))
        if extra:
            raise ValueError(
                f"unknown params {', '.join(extra)} for a {self.kind} distribution "
                f"(it takes {', '.join(wanted) or 'none: list quantiles'})"
            )
        for name, value in self.params.items():
            if not math.isfinite(value) or value < 0 or (value == 0 and name != "value"):
                if name in ("mean", "value") and value == 0 and self.kind in ("norm", "fixed"):
                    continue
                raise ValueError(f"param {name} must be a positive number of seconds, not {value}")
        if self.kind == "empirical":
            q = self.quantiles
            if not q or len(q) < 2:
                raise ValueError("an empirical distribution needs at least two quantiles")
            if any(not math.isfinite(v) or v < 0 for v in q) or any(
                b < a for a, b in itertools.pairwise(q)
            ):
                raise ValueError("quantiles must be non-negative and non-decreasing")
        elif self.quantiles is not None:
            raise ValueError(f"quantiles are for the empirical kind only, not {self.kind}")
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValueError("maximum must not be below minimum")
        return self

    @classmethod
    def fixed(cls, seconds: float) -> Distribution:
        return cls(kind="fixed", params={"value": float(seconds)})

    @classmethod
    def exponential(cls, mean: float) -> Distribution:
        return cls(kind="expon", params={"mean": float(mean)})

    @property
    def mean(self) -> float:
        """The distribution's mean in seconds (before the bounds clip it)."""
        p = self.params
        if self.kind == "fixed":
            return p["value"]
        if self.kind in ("expon", "norm"):
            return p["mean"]
        if self.kind == "gamma":
            return p["shape"] * p["scale"]
        if self.kind == "lognorm":
            return p["median"] * math.exp(p["sigma"] ** 2 / 2)
        if self.kind == "weibull":
            return p["scale"] * math.gamma(1 + 1 / p["shape"])
        q = np.asarray(self.quantiles, dtype=float)
        return float(np.trapezoid(q, dx=1 / (len(q) - 1)))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws in seconds, within ``[minimum, maximum]``."""
        p = self.params
        if self.kind == "fixed":
            out = np.full(size, p["value"], dtype=float)
        elif self.kind == "expon":
            out = rng.exponential(p["mean"], size)
        elif self.kind == "gamma":
            out = rng.gamma(p["shape"], p["scale"], size)
        elif self.kind == "lognorm":
            out = p["median"] * np.exp(p["sigma"] * rng.standard_normal(size))
        elif self.kind == "weibull":
            out = p["scale"] * rng.weibull(p["shape"], size)
        elif self.kind == "norm":
            out = rng.normal(p["mean"], p["std"], size)
            # truncated, not clipped: redraw what falls below the minimum (a few rounds suffice)
            for _ in range(20):
                low = out < self.minimum
                if not low.any():
                    break
                out[low] = rng.normal(p["mean"], p["std"], int(low.sum()))
        else:
            q = np.asarray(self.quantiles, dtype=float)
            out = np.interp(rng.random(size), np.linspace(0.0, 1.0, len(q)), q)
        return np.clip(out, self.minimum, self.maximum if self.maximum is not None else np.inf)

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every time multiplied by ``factor`` (a faster or slower task)."""
        params = {k: (v if k in ("shape", "sigma") else v * factor) for k, v in self.params.items()}
        return self.model_copy(
            update={
                "params": params,
                "quantiles": None
                if self.quantiles is None
                else [v * factor for v in self.quantiles],
                "minimum": self.minimum * factor,
                "maximum": None if self.maximum is None else self.maximum * factor,
                "fit": None,
            }
        )

    def describe(self) -> str:
        """A short text such as ``lognorm(sigma=0.35, median=1200) mean 1,275 s``."""
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{self.kind}({params}) mean {self.mean:,.0f} s"


def fit_distribution(
    values: Any,
    *,
    max_ks: float = 0.1,
    sample_size: int = 5000,
    quantiles: int = 101,
    seed: int = 0,
) -> Distribution:
    """The kind among ``FITTED_KINDS`` with the smallest Kolmogorov-Smirnov distance to
    ``values`` (seconds; the simpler family on a near tie), or an empirical distribution when
    none comes within ``max_ks``.

    One value repeated (or fewer than 2 observations) gives ``fixed``. At most ``sample_size``
    observations (a seeded random subset) are used for the fits and the tests.
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    x = np.maximum(x, 0.0)
    if len(x) == 0:
        return Distribution.fixed(0.0)
    if len(x) < 2 or float(np.ptp(x)) <= 1e-9 * max(1.0, float(np.max(x))):
        return Distribution.fixed(float(np.median(x)))
    if len(x) > sample_size:
        x = np.random.default_rng(seed).choice(x, sample_size, replace=False)
    n = len(x)
    empirical = Distribution(
        kind="empirical",
        quantiles=[float(v) for v in np.quantile(x, np.linspace(0, 1, quantiles))],
    )
    if np.mean(x == 0) > 0.2:
        # a point mass at zero (instant events) fits no continuous family: keep the data's shape
        return empirical.model_copy(update={"fit": GoodnessOfFit(n=n, ks_statistic=0, p_value=1)})
    pos = np.maximum(x, 1e-3)
    mean, std = float(np.mean(x)), float(np.std(x))
    candidates: dict[str, tuple[Distribution, Any]] = {}
    candidates["expon"] = (Distribution.exponential(mean), stats.expon(scale=mean))
    if std > 0:
        candidates["norm"] = (
            Distribution(kind="norm", params={"mean": mean, "std": std}),
            _truncated_normal(stats, mean, std),
        )
    logs = np.log(pos)
    sigma = float(np.std(logs))
    if sigma > 0:
        median = float(np.exp(np.mean(logs)))
        candidates["lognorm"] = (
            Distribution(kind="lognorm", params={"sigma": sigma, "median": median}),
            stats.lognorm(sigma, scale=median),
        )
    try:
        a, _, scale = stats.gamma.fit(pos, floc=0)
        candidates["gamma"] = (
            Distribution(kind="gamma", params={"shape": float(a), "scale": float(scale)}),
            stats.gamma(a, scale=scale),
        )
    except (ValueError, RuntimeError, FloatingPointError):
        pass
    try:
        c, _, scale = stats.weibull_min.fit(pos, floc=0)
        if np.isfinite(c) and c > 0:
            candidates["weibull"] = (
                Distribution(kind="weibull", params={"shape": float(c), "scale": float(scale)}),
                stats.weibull_min(c, scale=scale),
            )
    except (ValueError, RuntimeError, FloatingPointError):
        pass
    scores: dict[str, tuple[float, float]] = {}
    for kind, (_, frozen) in candidates.items():
        result = stats.kstest(x, frozen.cdf)
        scores[kind] = (float(result.statistic), float(result.pvalue))
    lowest = min(v[0] for v in scores.values())
    # parsimony: the simplest family within a hair of the best (an exponential is a gamma and a
    # Weibull with shape 1; their extra parameter fits noise)
    best = next(k for k in FITTED_KINDS if k in scores and scores[k][0] <= lowest + 0.005)
    ks, p = scores[best]
    fit = GoodnessOfFit(
        n=n,
        ks_statistic=round(ks, 6),
        p_value=round(p, 6),
        candidates={k: round(v[0], 6) for k, v in sorted(scores.items())},
    )
    if ks > max_ks:
        return empirical.model_copy(update={"fit": fit})
    return candidates[best][0].model_copy(update={"fit": fit})


def _truncated_normal(stats: Any, mean: float, std: float) -> Any:
    return stats.truncnorm((0.0 - mean) / std, np.inf, loc=mean, scale=std)
