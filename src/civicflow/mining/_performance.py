"""How long cases take and how many there are over time: throughput-time distribution, arrivals per
period, and work in progress per period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

import ibis
import pandas as pd
import pyarrow as pa

from civicflow.core import ConfigurationError, check_choice
from civicflow.mining._durations import PERCENTILES, clean_float
from civicflow.mining._record import Record
from civicflow.mining._view import LogView

Freq = Literal["day", "week", "month"]
_UNITS: dict[str, str] = {"day": "D", "week": "W", "month": "M"}
_OFFSETS: dict[str, str] = {"day": "D", "week": "W-MON", "month": "MS"}


@dataclass(frozen=True, slots=True, kw_only=True)
class DurationSummary(Record):
    """Summary statistics of a set of durations, in seconds (percentiles interpolate linearly)."""

    count: int
    mean: float | None
    median: float | None
    p10: float | None
    p25: float | None
    p75: float | None
    p90: float | None
    p95: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HistogramBin(Record):
    """Cases whose throughput lies in [low, high) — the last bin also holds its upper edge."""

    low: float
    high: float
    cases: int


@dataclass(frozen=True, kw_only=True)
class ThroughputTimes:
    """Throughput time per case (last minus first event) with its summary and a histogram."""

    summary: DurationSummary
    histogram: tuple[HistogramBin, ...]
    case_table: pa.Table | None = None
    """case_id, case_start, case_end, throughput_seconds as Arrow, in case order (None if not
    requested)"""

    @cached_property
    def cases(self) -> pd.DataFrame | None:
        """:attr:`case_table` as a pandas DataFrame (converted on first use: millions of cases
        take longer to convert than to compute)."""
        return None if self.case_table is None else self.case_table.to_pandas()

    @property
    def histogram_frame(self) -> pd.DataFrame:
        return pd.DataFrame([b.to_dict() for b in self.histogram], columns=["low", "high", "cases"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_dict(),
            "histogram": [b.to_dict() for b in self.histogram],
        }


def throughput_times(
    view: LogView, *, bins: int = 30, include_cases: bool = True
) -> ThroughputTimes:
    """Throughput time of every case in the view: its last minus its first timestamp, in seconds.

    The summary and the ``bins`` equal-width histogram bins (from the shortest to the longest case)
    are computed in the engine; ``include_cases=False`` skips fetching the per-case table, which
    matters on very large logs.
    """
    if bins < 1:
        raise ConfigurationError(
            "a histogram needs at least one bin",
            found=str(bins),
            expected="bins >= 1",
            fix="pass e.g. bins=30",
        )
    spans = view.spans
    t = spans.throughput_seconds
    stats = view.execute(
        spans.aggregate(
            count=spans.count(),
            mean=t.mean(),
            min=t.min(),
            max=t.max(),
            # one sort for every percentile (one quantile each would sort once each)
            quantiles=t.quantile(list(PERCENTILES)),
        )
    ).iloc[0]
    count = int(stats["count"])
    by_q = dict(zip(PERCENTILES, stats["quantiles"] if count else [], strict=False))

    def q(p: float) -> float | None:
        return clean_float(by_q.get(p)) if count else None

    summary = DurationSummary(
        count=count,
        mean=clean_float(stats["mean"]) if count else None,
        median=q(0.5),
        p10=q(0.1),
        p25=q(0.25),
        p75=q(0.75),
        p90=q(0.9),
        p95=q(0.95),
        min=clean_float(stats["min"]) if count else None,
        max=clean_float(stats["max"]) if count else None,
    )
    histogram: tuple[HistogramBin, ...] = ()
    if count:
        lo, hi = float(stats["min"]), float(stats["max"])
        width = (hi - lo) / bins if hi > lo else 1.0
        n_bins = bins if hi > lo else 1
        index = ((t - lo) / width).floor().cast("int64")
        binned = spans.mutate(bin=ibis.least(index, n_bins - 1))
        counts = view.execute(binned.group_by("bin").aggregate(cases=binned.count()))
        by_bin = {int(b): int(c) for b, c in zip(counts["bin"], counts["cases"], strict=True)}
        histogram = tuple(
            HistogramBin(low=lo + i * width, high=lo + (i + 1) * width, cases=by_bin.get(i, 0))
            for i in range(n_bins)
        )
    cases = view.execute_arrow(view.spans_in_case_order) if include_cases else None
    return ThroughputTimes(summary=summary, histogram=histogram, case_table=cases)


@dataclass(frozen=True, kw_only=True)
class PeriodCounts:
    """A count per period (every period from the first to the last, zeros included)."""

    freq: str
    periods: tuple[datetime, ...]
    values: tuple[int, ...]
    label: str

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"period": list(self.periods), self.label: list(self.values)})

    def to_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "label": self.label,
            "periods": [p.isoformat() for p in self.periods],
            "values": list(self.values),
        }


@dataclass(frozen=True, kw_only=True)
class WorkInProgress:
    """Open cases per period, with the cases started and completed in each period."""

    freq: str
    periods: tuple[datetime, ...]
    open: tuple[int, ...]
    started: tuple[int, ...]
    completed: tuple[int, ...]

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "period": list(self.periods),
                "open": list(self.open),
                "started": list(self.started),
                "completed": list(self.completed),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "periods": [p.isoformat() for p in self.periods],
            "open": list(self.open),
            "started": list(self.started),
            "completed": list(self.completed),
        }


def arrivals(view: LogView, *, freq: Freq = "week") -> PeriodCounts:
    """Cases started per period: a case arrives in the period holding its first event.

    Periods are calendar days, ISO weeks (starting Monday) or calendar months, in UTC.
    """
    unit = _unit(freq)
    spans = view.spans
    per = spans.mutate(period=spans.case_start.truncate(unit))
    df = view.execute(per.group_by("period").aggregate(cases=per.count()))
    periods, values = _fill(df, "period", "cases", freq)
    return PeriodCounts(freq=freq, periods=periods, values=values, label="cases")


def work_in_progress(view: LogView, *, freq: Freq = "week") -> WorkInProgress:
    """Cases open during each period.

    A case is open in the period [p, next p) when it started before the period ends
    (first event < next p) and was not completed before the period started (last event >= p).
    So a case counts in every period from the one holding its first event to the one holding its
    last event, both included. ``started``/``completed`` count cases whose first/last event falls
    in the period. Periods as in :func:`arrivals`.
    """
    unit = _unit(freq)
    spans = view.spans
    per = spans.mutate(
        start_period=spans.case_start.truncate(unit), end_period=spans.case_end.truncate(unit)
    )
    started_df = view.execute(per.group_by("start_period").aggregate(n=per.count()))
    completed_df = view.execute(per.group_by("end_period").aggregate(n=per.count()))
    if started_df.empty:
        return WorkInProgress(freq=freq, periods=(), open=(), started=(), completed=())
    started_s = _series(started_df, "start_period", "n")
    completed_s = _series(completed_df, "end_period", "n")
    first = min(started_s.index.min(), completed_s.index.min())
    last = max(started_s.index.max(), completed_s.index.max())
    index = pd.date_range(first, last, freq=_OFFSETS[freq])
    started_full = started_s.reindex(index, fill_value=0)
    completed_full = completed_s.reindex(index, fill_value=0)
    # open(p) = cases started in or before p minus cases completed strictly before p
    open_ = started_full.cumsum() - completed_full.cumsum().shift(1, fill_value=0)
    return WorkInProgress(
        freq=freq,
        periods=tuple(p.to_pydatetime() for p in index),
        open=tuple(int(v) for v in open_),
        started=tuple(int(v) for v in started_full),
        completed=tuple(int(v) for v in completed_full),
    )


def _unit(freq: str) -> str:
    check_choice(freq, _UNITS, what="period", fix="pass freq='day', freq='week' or freq='month'")
    return _UNITS[freq]


def _series(df: pd.DataFrame, key: str, value: str) -> pd.Series:
    idx = pd.DatetimeIndex(pd.to_datetime(df[key], utc=True))
    return pd.Series(df[value].astype("int64").to_numpy(), index=idx).sort_index()


def _fill(
    df: pd.DataFrame, key: str, value: str, freq: str
) -> tuple[tuple[datetime, ...], tuple[int, ...]]:
    if df.empty:
        return (), ()
    s = _series(df, key, value)
    index = pd.date_range(s.index.min(), s.index.max(), freq=_OFFSETS[freq])
    full = s.reindex(index, fill_value=0)
    return tuple(p.to_pydatetime() for p in index), tuple(int(v) for v in full)
