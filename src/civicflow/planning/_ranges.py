"""Uncertain inputs of a business case: a value given as a range (low, most likely, high) with a
shape — triangular or PERT — sampled a whole array at a time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from civicflow.core import ConfigurationError, Location

RangeShape = Literal["triangular", "pert"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Range:
    """An uncertain value: ``low`` <= ``likely`` <= ``high``.

    ``triangular`` puts straight lines from the low and high ends to the most likely value;
    ``pert`` is the smoother beta-PERT distribution with the same three points (shape 4: its mean
    is ``(low + 4 * likely + high) / 6``). The base case of a business case uses ``likely``.
    """

    low: float
    likely: float
    high: float
    shape: RangeShape = "pert"

    def __post_init__(self) -> None:
        for name in ("low", "likely", "high"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigurationError(
                    f"a range's {name} is not a finite number",
                    where=Location(field=name),
                    found=repr(value),
                    expected="a finite number",
                    fix=f"pass Range(low=..., likely=..., high=...) with a number as {name}",
                )
        if not self.low <= self.likely <= self.high:
            raise ConfigurationError(
                "a range's values are out of order",
                where=Location(field="low" if self.low > self.high else "likely"),
                found=f"low={self.low:g}, likely={self.likely:g}, high={self.high:g}",
                expected="low <= likely <= high",
                fix="swap or correct the values so the lowest comes first",
            )
        if self.shape not in ("triangular", "pert"):
            raise ConfigurationError(
                f"unknown range shape '{self.shape}'",
                where=Location(field="shape"),
                found=str(self.shape),
                expected="triangular or pert",
                fix="pass shape='triangular' or shape='pert'",
            )

    @property
    def mean(self) -> float:
        if self.shape == "triangular":
            return (self.low + self.likely + self.high) / 3.0
        return (self.low + 4.0 * self.likely + self.high) / 6.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws as a float array (all equal to ``likely`` when the range is a point)."""
        lo, mode, hi = self.low, self.likely, self.high
        if hi == lo:
            return np.full(size, lo, dtype=np.float64)
        if self.shape == "triangular":
            return rng.triangular(lo, mode, hi, size=size)
        alpha = 1.0 + 4.0 * (mode - lo) / (hi - lo)
        beta = 1.0 + 4.0 * (hi - mode) / (hi - lo)
        return lo + rng.beta(alpha, beta, size=size) * (hi - lo)


Uncertain = float | Range
"""A number, or a :class:`Range` when it is not known exactly."""


def likely(value: Uncertain) -> float:
    """The base-case value: the number itself, or a range's most likely value."""
    return value.likely if isinstance(value, Range) else float(value)


def check_not_negative(owner: str, name: str, value: Uncertain) -> None:
    """Refuse a negative amount (or a range reaching below zero), naming the field and value."""
    low = value.low if isinstance(value, Range) else value
    if not isinstance(low, int | float) or not math.isfinite(low) or low < 0:
        raise ConfigurationError(
            f"{owner}.{name} is negative or not a number",
            where=Location(field=name),
            found=repr(value),
            expected="a finite number of 0 or more (for a range: a low end of 0 or more)",
            fix=f"give {name} as a positive amount; savings belong in the benefits, not as a "
            "negative cost",
        )
