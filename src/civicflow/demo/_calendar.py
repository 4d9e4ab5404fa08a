"""Working-time arithmetic for the demo generator: office hours on working days, public holidays off.

Times are seconds since local midnight of the calendar's first day (naive local time), so the hot
loop of the simulation does integer/float arithmetic only.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays as holidays_lib
import numpy as np

from civicflow.core import ConfigurationError

DAY = 86_400.0


class WorkCalendar:
    """Office hours on working days (Monday-Friday minus the country's public holidays)."""

    def __init__(
        self,
        *,
        first_day: date,
        country: str,
        subdivision: str | None,
        day_start_hour: float,
        day_end_hour: float,
        initial_days: int,
    ) -> None:
        if not 0 <= day_start_hour < day_end_hour <= 24:
            raise ConfigurationError(
                "office hours must start before they end, within one day",
                found=f"{day_start_hour}-{day_end_hour}",
                expected="0 <= workday_start_hour < workday_end_hour <= 24",
                fix="use for example workday_start_hour=8.5, workday_end_hour=17",
            )
        try:
            holidays_lib.country_holidays(country, subdiv=subdivision, years=first_day.year)
        except NotImplementedError as exc:
            raise ConfigurationError(
                f"the holidays package has no calendar for country '{country}'",
                found=country,
                expected="an ISO 3166 country code the `holidays` package supports, such as NL, BE, DE",
                fix="pass DemoConfig(country=...) with a supported code",
            ) from exc
        self.first_day = first_day
        self.country = country
        self.subdivision = subdivision
        self.start = day_start_hour * 3600.0
        self.end = day_end_hour * 3600.0
        self._working = np.zeros(0, dtype=bool)
        self._next: list[int] = []
        self._extend(max(initial_days, 366))

    def _extend(self, days: int) -> None:
        years = range(self.first_day.year, (self.first_day + timedelta(days=days)).year + 2)
        hol = holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=years)
        dates = [self.first_day + timedelta(days=i) for i in range(days)]
        working = np.array([d.weekday() < 5 and d not in hol for d in dates], dtype=bool)
        # next working day at or after each day; the last days point past the end and trigger growth
        nxt = np.empty(days, dtype=np.int64)
        upcoming = days
        for i in range(days - 1, -1, -1):
            if working[i]:
                upcoming = i
            nxt[i] = upcoming
        self._working = working
        self._next = nxt.tolist()
        self._working_list: list[bool] = working.tolist()
        self._holidays = hol

    @property
    def days(self) -> int:
        return len(self._next)

    def is_working_day(self, day: int) -> bool:
        self._ensure(day)
        return self._working_list[day]

    def is_holiday(self, d: date) -> bool:
        return d in self._holidays

    def working_mask(self, days: int) -> np.ndarray:
        self._ensure(days)
        return self._working[:days].copy()

    def holiday_mask(self, days: int) -> np.ndarray:
        self._ensure(days)
        return np.array(
            [(self.first_day + timedelta(days=i)) in self._holidays for i in range(days)],
            dtype=bool,
        )

    def _ensure(self, day: int) -> None:
        if day + 14 >= len(self._next):
            self._extend(max(2 * len(self._next), day + 400))

    def _next_working(self, day: int) -> int:
        if day + 14 >= len(self._next):
            self._ensure(day)
        return self._next[day]

    def to_working_time(self, t: float) -> float:
        """The earliest moment at or after ``t`` inside office hours."""
        day = int(t // DAY)
        if day < 0:
            day, t = 0, 0.0
        sod = t - day * DAY
        if sod < self.end and self._next_working(day) == day:
            return day * DAY + max(sod, self.start)
        return self._next_working(day + 1) * DAY + self.start

    def add_working_time(self, t: float, seconds: float) -> float:
        """``t`` (inside office hours) plus ``seconds`` of office time, skipping nights and days off."""
        while True:
            day = int(t // DAY)
            end_of_day = day * DAY + self.end
            if t + seconds <= end_of_day:
                return t + seconds
            seconds -= end_of_day - t
            t = self._next_working(day + 1) * DAY + self.start
