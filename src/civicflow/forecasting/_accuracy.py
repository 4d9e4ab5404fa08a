"""Forecast accuracy on held-out periods: MASE, sMAPE and interval coverage, beside the seasonal
naive forecast (next period = the same period one season ago) a forecast has to beat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from civicflow.core import Record

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def mase_scale(history: FloatArray, season: int) -> float:
    """The in-sample mean absolute error of the seasonal naive forecast (season 1 if the history
    is shorter than two seasons): MASE's denominator. NaN when the history is constant."""
    m = season if len(history) > 2 * season else 1
    if len(history) <= m:
        return float("nan")
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    return scale if scale > 0 else float("nan")


def mase(actual: FloatArray, forecast: FloatArray, scale: float) -> float:
    """Mean absolute scaled error: the forecast's mean absolute error over ``scale`` (below 1
    beats the in-sample seasonal naive forecast)."""
    if not np.isfinite(scale) or scale <= 0:
        return float("nan")
    return float(np.mean(np.abs(actual - forecast)) / scale)


def smape(actual: FloatArray, forecast: FloatArray) -> float:
    """Symmetric mean absolute percentage error in percent (0–200); a period where both are zero
    counts as an exact forecast."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(
        2 * np.abs(actual - forecast),
        denominator,
        out=np.zeros_like(denominator, dtype=np.float64),
        where=denominator > 0,
    )
    return float(100 * np.mean(ratio))


def coverage(actual: FloatArray, lo: FloatArray, hi: FloatArray) -> float:
    """Share of held-out values inside their interval (an 80 % interval should hold about 0.8)."""
    return float(np.mean((actual >= lo) & (actual <= hi)))


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesAccuracy(Record):
    """One series on the held-out periods: the chosen model's MASE, sMAPE and coverage of each
    interval level, and the same for seasonal naive. NaN MASE: the history is constant."""

    _json = True
    series: str
    model: str
    periods: int
    mase: float
    smape: float
    coverage: dict[str, float]
    naive_mase: float
    naive_smape: float
    naive_coverage: dict[str, float]

    @property
    def beats_naive(self) -> bool:
        """The chosen model's MASE is below seasonal naive's (sMAPE when MASE is undefined)."""
        if np.isfinite(self.mase) and np.isfinite(self.naive_mase):
            return self.mase < self.naive_mase
        return self.smape < self.naive_smape


@dataclass(frozen=True, slots=True, kw_only=True)
class AccuracyReport(Record):
    """Accuracy over the held-out periods (the last ``holdout`` periods of every series, never
    seen when the model was chosen), per series and summed up."""

    _json = True
    _extra = ("summary",)
    holdout: int
    series: tuple[SeriesAccuracy, ...]

    @property
    def summary(self) -> dict[str, Any]:
        """Mean MASE and sMAPE of the forecasts and of seasonal naive, mean coverage per level,
        and the share of series where the forecast beats seasonal naive."""
        if not self.series:
            return {"series": 0}

        def mean(values: list[float]) -> float | None:
            finite = [v for v in values if np.isfinite(v)]
            return round(float(np.mean(finite)), 4) if finite else None

        levels = list(self.series[0].coverage)
        return {
            "series": len(self.series),
            "mase": mean([s.mase for s in self.series]),
            "naive_mase": mean([s.naive_mase for s in self.series]),
            "smape": mean([s.smape for s in self.series]),
            "naive_smape": mean([s.naive_smape for s in self.series]),
            "coverage": {lv: mean([s.coverage[lv] for s in self.series]) for lv in levels},
            "naive_coverage": {
                lv: mean([s.naive_coverage[lv] for s in self.series]) for lv in levels
            },
            "beats_naive_share": round(float(np.mean([s.beats_naive for s in self.series])), 4),
        }

    def frame(self) -> Any:
        """One row per series (a pandas frame)."""
        import pandas as pd

        rows = []
        for s in self.series:
            row: dict[str, Any] = {
                "series": s.series, "model": s.model, "periods": s.periods, "mase": s.mase,
                "smape": s.smape, "naive_mase": s.naive_mase, "naive_smape": s.naive_smape,
            }  # fmt: skip
            for lv, v in s.coverage.items():
                row[f"coverage_{lv}"] = v
            for lv, v in s.naive_coverage.items():
                row[f"naive_coverage_{lv}"] = v
            rows.append(row)
        return pd.DataFrame(rows)
