"""Uncertainty of a business case: a vectorised, seeded Monte Carlo run over every input given as
a :class:`Range` (P10/P50/P90 of the NPV, the chance of paying back within N years), and a
tornado analysis (how far the NPV swings when one input goes from its low to its high end with
every other input at its most likely value) — the data of a tornado chart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from civicflow.core import ConfigurationError, Location
from civicflow.planning._checks import check_at_least
from civicflow.planning._finance import BusinessCase, _payback_years
from civicflow.planning._ranges import Range

MAX_DRAWS = 2_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class MonteCarloConfig:
    """How the Monte Carlo run draws: ``draws`` samples of every range, from ``seed``."""

    draws: int = 100_000
    seed: int = 0
    payback_within: tuple[int, ...] = (1, 2, 3, 4, 5)
    """The horizons (years) to report the probability of simple payback within."""
    discounted_payback: bool = False
    """Count payback on the discounted cash flow instead of the simple one."""
    histogram_bins: int = 40

    def __post_init__(self) -> None:
        check_at_least(
            "MonteCarloConfig", draws=(self.draws, 100), histogram_bins=(self.histogram_bins, 1)
        )
        if self.draws > MAX_DRAWS:
            raise ConfigurationError(
                "MonteCarloConfig.draws is out of range",
                where=Location(field="draws"),
                found=repr(self.draws),
                expected=f"at most {MAX_DRAWS:,}",
                fix="pass draws=100_000",
            )
        bad = [n for n in self.payback_within if not isinstance(n, int) or n < 1]
        if bad:
            raise ConfigurationError(
                "MonteCarloConfig.payback_within holds a horizon below one year",
                where=Location(field="payback_within"),
                found=repr(self.payback_within),
                expected="whole numbers of years, 1 or more",
                fix="pass e.g. payback_within=(2, 3, 5)",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class NpvBin:
    low: float
    high: float
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MonteCarloResult:
    """The distribution of the NPV over ``draws`` draws of every uncertain input."""

    draws: int
    seed: int
    uncertain_inputs: tuple[str, ...]
    """Keys of the inputs that were ranges (the rest stayed fixed)."""
    npv_mean: float
    npv_p10: float
    npv_p50: float
    npv_p90: float
    probability_positive_npv: float
    payback_probability: dict[int, float]
    """Years → share of draws whose cumulative net cash flow reaches 0 within that many years."""
    discounted_payback: bool
    histogram: tuple[NpvBin, ...]


def monte_carlo(case: BusinessCase, config: MonteCarloConfig | None = None) -> MonteCarloResult:
    """Draw every :class:`Range` input ``config.draws`` times at once and evaluate the case on the
    whole matrix of draws (no loop per draw)."""
    cfg = config or MonteCarloConfig()
    rng = np.random.default_rng(cfg.seed)
    values: dict[str, np.ndarray | float] = {}
    uncertain: list[str] = []
    for item in case.inputs():
        if isinstance(item.value, Range):
            values[item.key] = item.value.sample(rng, cfg.draws)
            uncertain.append(item.key)
        else:
            values[item.key] = float(item.value)
    flows = case.flows(values)
    npv = flows.npv
    if npv.size == 1:
        npv = np.full(cfg.draws, float(npv[0]))
    net = flows.net * flows.factors if cfg.discounted_payback else flows.net
    net = np.broadcast_to(net, (cfg.draws, case.years))
    payback = _payback_years(np.ascontiguousarray(net))
    p10, p50, p90 = np.percentile(npv, [10, 50, 90])
    counts, edges = np.histogram(npv, bins=cfg.histogram_bins)
    return MonteCarloResult(
        draws=cfg.draws,
        seed=cfg.seed,
        uncertain_inputs=tuple(uncertain),
        npv_mean=float(npv.mean()),
        npv_p10=float(p10),
        npv_p50=float(p50),
        npv_p90=float(p90),
        probability_positive_npv=float((npv > 0).mean()),
        payback_probability={
            n: float(np.mean(~np.isnan(payback) & (payback <= n))) for n in cfg.payback_within
        },
        discounted_payback=cfg.discounted_payback,
        histogram=tuple(
            NpvBin(low=float(edges[i]), high=float(edges[i + 1]), count=int(counts[i]))
            for i in range(len(counts))
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TornadoBar:
    """One input's effect: the NPV with it at its low and at its high end, others at base."""

    key: str
    label: str
    low: float
    high: float
    npv_at_low: float
    npv_at_high: float

    @property
    def swing(self) -> float:
        """|NPV at high − NPV at low|: the length of the bar."""
        return abs(self.npv_at_high - self.npv_at_low)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tornado:
    """The base NPV and one bar per uncertain input, largest swing first."""

    base_npv: float
    bars: tuple[TornadoBar, ...]


def tornado(case: BusinessCase) -> Tornado:
    """Swing of the NPV per uncertain input between its low and high end, every other input at
    its most likely value; inputs given as plain numbers have no bar."""
    base = case.base_values()
    bars: list[TornadoBar] = []
    for item in case.inputs():
        if not isinstance(item.value, Range):
            continue
        values: dict[str, np.ndarray | float] = dict(base)
        values[item.key] = np.array([item.value.low, item.value.high])
        npv = case.flows(values).npv
        bars.append(
            TornadoBar(
                key=item.key,
                label=item.label,
                low=item.value.low,
                high=item.value.high,
                npv_at_low=float(npv[0]),
                npv_at_high=float(npv[1]),
            )
        )
    bars.sort(key=lambda b: (-b.swing, b.key))
    return Tornado(base_npv=float(case.flows().npv[0]), bars=tuple(bars))
