"""A working calendar as sorted working intervals in UTC seconds, for the engine's hot loop: the
next working instant and "add so many working seconds" are one or two bisections on lists."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np
import pandas as pd

from civicflow.mining import WorkingCalendar

_DAY = 86_400.0
_CHUNK_DAYS = 366


class Timetable:
    """Working intervals of a :class:`WorkingCalendar` from a first day on, extended a year at a
    time when the simulation runs past them. Times are float seconds since the epoch (UTC)."""

    def __init__(self, calendar: WorkingCalendar, start: float) -> None:
        self.calendar = calendar
        local = pd.Timestamp(start, unit="s", tz="UTC").tz_convert(calendar.timezone)
        self.next_day = (local.normalize().tz_localize(None) - pd.Timedelta(days=1)).to_datetime64()
        self.opens: list[float] = []
        self.closes: list[float] = []
        self.cum_before: list[float] = []
        self.cum_after: list[float] = []
        self._extend()

    def _extend(self) -> None:
        cal = self.calendar
        days = self.next_day + np.arange(_CHUNK_DAYS).astype("timedelta64[D]")
        days = days.astype("datetime64[D]")
        self.next_day = days[-1] + np.timedelta64(1, "D")
        weekday = (days.astype(np.int64) + 3) % 7
        years = days.astype("datetime64[Y]").astype(np.int64) + 1970
        closed = cal.holiday_dates(int(years.min()), int(years.max()))
        closed_days = np.array(sorted(closed), dtype="datetime64[D]")
        keep = ~np.isin(days, closed_days)
        opens: list[np.datetime64] = []
        closes: list[np.datetime64] = []
        for d, wd, ok in zip(days, weekday, keep, strict=True):
            hours = cal.hours[int(wd)]
            if not ok or hours is None:
                continue
            base = d.astype("datetime64[s]")
            opens.append(base + np.timedelta64(_secs(hours[0]), "s"))
            closes.append(base + np.timedelta64(_secs(hours[1]), "s"))
        if not opens:
            # a year without a single working day: keep extending lazily (callers see no interval)
            self._extend_guard = getattr(self, "_extend_guard", 0) + 1
            if self._extend_guard > 5:
                raise ValueError("the working calendar has no working time in five years")
            self._extend()
            return
        o = _to_utc(np.array(opens), cal.timezone)
        c = _to_utc(np.array(closes), cal.timezone)
        total = self.cum_after[-1] if self.cum_after else 0.0
        lengths = np.maximum(c - o, 0.0)
        after = total + np.cumsum(lengths)
        self.opens.extend(o.tolist())
        self.closes.extend(c.tolist())
        self.cum_before.extend((after - lengths).tolist())
        self.cum_after.extend(after.tolist())

    def serve(self, t: float, work: float) -> tuple[float, float]:
        """Start at the first working instant at or after ``t`` and finish after ``work``
        working seconds: ``(start, end)``."""
        closes = self.closes
        i = bisect_right(closes, t)
        while i >= len(closes):
            self._extend()
            closes = self.closes
        start = self.opens[i]
        if start < t:
            start = t
        if work <= 0.0:
            return start, start
        target = self.cum_before[i] + (start - self.opens[i]) + work
        cum_after = self.cum_after
        if target <= cum_after[i]:
            return start, start + work
        while target > cum_after[-1]:
            self._extend()
            cum_after = self.cum_after
        j = bisect_left(cum_after, target)
        return start, self.opens[j] + (target - self.cum_before[j])

    def working_seconds(self, start: float, end: float) -> float:
        """Working seconds between two instants (for utilisation)."""
        return self._cum(end) - self._cum(start)

    def _cum(self, t: float) -> float:
        while t > self.closes[-1]:
            self._extend()
        i = bisect_right(self.closes, t)
        if i >= len(self.closes):
            return self.cum_after[-1]
        return self.cum_before[i] + max(0.0, t - self.opens[i])


def _secs(t: object) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second  # type: ignore[attr-defined]


def _to_utc(wall: np.ndarray, zone: str) -> np.ndarray:
    idx = pd.DatetimeIndex(wall.astype("datetime64[ns]"))
    stamps = idx.tz_localize(
        zone, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward"
    )
    return np.asarray(stamps.as_unit("ns").asi8, dtype=np.int64) / 1e9
