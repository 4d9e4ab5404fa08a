"""Working calendars: durations that count only working time (office hours, weekends and public
holidays closed), vectorised so that hundreds of thousands of cases take milliseconds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from civicflow.core import ConfigurationError, Location, check_timezone
from civicflow.mining._view import case_spans

if TYPE_CHECKING:
    from civicflow.mining._view import LogView

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DayHours = tuple[time, time] | None
"""Opening and closing wall-clock time of one weekday, or None when the day is closed."""

_NS = 1_000_000_000


def _parse_time(value: time | str, *, field: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise ConfigurationError(
            f"'{value}' is not a time of day",
            where=Location(field=field),
            found=str(value),
            expected="HH:MM or HH:MM:SS, e.g. 08:30",
            fix="write the opening and closing times as 24-hour clock times",
        ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkingCalendar:
    """When work happens: one opening interval per weekday in a time zone, minus public holidays.

    ``hours`` has seven entries, Monday first; each is ``(open, close)`` wall-clock times with
    ``open < close`` (a shift across midnight is not supported) or ``None`` for a closed day.
    Public holidays come from the offline ``holidays`` package for ``country`` (ISO code such as
    ``"NL"``) and optional ``subdivision``; ``closed_dates`` adds local closures.
    """

    hours: tuple[DayHours, ...] = (
        *((time(8, 30), time(17, 0)),) * 5,
        None,
        None,
    )
    timezone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None
    closed_dates: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ConfigurationError(
                "a working calendar needs the hours of all seven weekdays",
                where=Location(field="hours"),
                found=f"{len(self.hours)} entries",
                expected="7 entries, Monday first; None for a closed day",
                fix="use WorkingCalendar.office_hours(...) or list seven (open, close) pairs",
            )
        for name, day in zip(WEEKDAY_NAMES, self.hours, strict=True):
            if day is not None and not day[0] < day[1]:
                raise ConfigurationError(
                    f"working hours on {name} close before they open",
                    where=Location(field=f"hours.{name}"),
                    found=f"{day[0]:%H:%M}-{day[1]:%H:%M}",
                    expected="open < close within one day",
                    fix="split a night shift at midnight or set the day to None",
                )
        check_timezone(
            self.timezone, field="timezone", fix="use the zone in which the office hours apply"
        )
        if self.country is not None:
            self.holiday_dates(2000, 2000)  # fails early on an unknown country/subdivision

    @classmethod
    def office_hours(
        cls,
        *,
        start: time | str = "08:30",
        end: time | str = "17:00",
        days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri"),
        timezone: str = "UTC",
        country: str | None = None,
        subdivision: str | None = None,
        closed_dates: tuple[date, ...] = (),
    ) -> WorkingCalendar:
        """The same hours on each of ``days`` (e.g. Mon-Fri 08:30-17:00), other days closed."""
        opening = _parse_time(start, field="start")
        closing = _parse_time(end, field="end")
        wanted = {d.lower()[:3] for d in days}
        unknown = wanted - set(WEEKDAY_NAMES)
        if unknown:
            raise ConfigurationError(
                "unknown weekday name",
                where=Location(field="days"),
                found=", ".join(sorted(unknown)),
                expected="mon, tue, wed, thu, fri, sat, sun",
                fix="name the working days by their three-letter English abbreviation",
            )
        hours = tuple((opening, closing) if d in wanted else None for d in WEEKDAY_NAMES)
        return cls(
            hours=hours,
            timezone=timezone,
            country=country,
            subdivision=subdivision,
            closed_dates=tuple(closed_dates),
        )

    def holiday_dates(self, first_year: int, last_year: int) -> set[date]:
        """Public holidays and explicit closures between two years (inclusive)."""
        closed = set(self.closed_dates)
        if self.country is None:
            return closed
        import holidays

        try:
            calendar = holidays.country_holidays(
                self.country, subdiv=self.subdivision, years=range(first_year, last_year + 1)
            )
        except NotImplementedError as exc:
            raise ConfigurationError(
                f"no public-holiday calendar for country '{self.country}'"
                + (f" subdivision '{self.subdivision}'" if self.subdivision else ""),
                where=Location(field="country"),
                found=f"{self.country}/{self.subdivision or '-'}",
                expected="an ISO 3166 country code the holidays package knows (e.g. NL, DE, US)",
                fix="check the code, or leave country empty and list closures in closed_dates",
            ) from exc
        return closed | set(calendar.keys())

    def working_seconds_between(self, start: Any, end: Any) -> np.ndarray:
        """Working seconds from ``start`` to ``end``, element-wise, as float64.

        Accepts arrays, Series or sequences of timestamps (naive values are UTC) or single values;
        always returns an array. Missing values give NaN; ``end < start`` gives a negative count.
        Each day's working interval is converted to an instant in the calendar's time zone, so a
        clock change inside working hours counts the real elapsed time, and a change at night
        shifts the UTC opening time without changing the day's length.
        """
        s = _utc_ns(start)
        e = _utc_ns(end)
        if s.shape != e.shape:
            raise ConfigurationError(
                "start and end must have the same length",
                found=f"{s.shape[0]} starts, {e.shape[0]} ends",
                expected="one end per start",
                fix="pass aligned columns (e.g. case start and case end)",
            )
        out = np.full(s.shape, np.nan)
        valid = (s != _NAT) & (e != _NAT)
        if not valid.any():
            return out
        table = _DayTable(self, np.concatenate([s[valid], e[valid]]))
        out[valid] = (table.cumulative(e[valid]) - table.cumulative(s[valid])) / _NS
        return out

    def describe(self) -> str:
        """``Mon–Fri 08:30–17:00, Europe/Amsterdam, without the public holidays of NL``."""
        groups: list[tuple[list[str], DayHours]] = []
        for name, day in zip(WEEKDAY_NAMES, self.hours, strict=True):
            if day is None:
                continue
            if groups and groups[-1][1] == day and _next_day(groups[-1][0][-1]) == name:
                groups[-1][0].append(name)
            else:
                groups.append(([name], day))
        parts = [
            f"{_day(days[0])}{'–' + _day(days[-1]) if len(days) > 1 else ''} "
            f"{hours[0]:%H:%M}–{hours[1]:%H:%M}"
            for days, hours in groups
            if hours is not None
        ]
        text = (", ".join(parts) or "never open") + f", {self.timezone}"
        if self.country:
            region = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
            text += f", without the public holidays of {region}"
        if self.closed_dates:
            text += f" and {len(self.closed_dates)} closing day(s)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "hours": {
                name: None if day is None else [f"{day[0]:%H:%M:%S}", f"{day[1]:%H:%M:%S}"]
                for name, day in zip(WEEKDAY_NAMES, self.hours, strict=True)
            },
            "timezone": self.timezone,
            "country": self.country,
            "subdivision": self.subdivision,
            "closed_dates": [d.isoformat() for d in self.closed_dates],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "calendar") -> WorkingCalendar:
        """The calendar of :meth:`to_dict`; an error names the field (``calendar.hours.mon``)."""
        hours_data = stored_field(data, "hours", dict, where)
        hours: list[DayHours] = []
        for name in WEEKDAY_NAMES:
            day = hours_data.get(name)
            field = f"{where}.hours.{name}"
            if day is None:
                hours.append(None)
                continue
            if not isinstance(day, list | tuple) or len(day) != 2:
                raise stored_field_error(
                    field, day, "[opening, closing] such as ['08:30', '17:00'] or null"
                )
            hours.append((_parse_time(day[0], field=field), _parse_time(day[1], field=field)))
        closed: list[date] = []
        for value in stored_field(data, "closed_dates", list, where, default=[]):
            try:
                closed.append(date.fromisoformat(value))
            except (TypeError, ValueError):
                raise stored_field_error(f"{where}.closed_dates", value, "ISO dates") from None
        return cls(
            hours=tuple(hours),
            timezone=stored_field(data, "timezone", str, where, default="UTC"),
            country=stored_field(data, "country", str, where, default=None),
            subdivision=stored_field(data, "subdivision", str, where, default=None),
            closed_dates=tuple(closed),
        )


def _day(name: str) -> str:
    return name.capitalize()


def _next_day(name: str) -> str:
    return WEEKDAY_NAMES[(WEEKDAY_NAMES.index(name) + 1) % 7]


def stored_field(data: Mapping[str, Any], key: str, kind: Any, where: str, **default: Any) -> Any:
    """``data[key]`` of type ``kind`` (None allowed when the default is None)."""
    if key not in data or (data[key] is None and "default" in default):
        if "default" in default:
            return default["default"]
        raise stored_field_error(f"{where}.{key}", None, _kind_name(kind))
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise stored_field_error(f"{where}.{key}", value, _kind_name(kind))
    return value


def _kind_name(kind: Any) -> str:
    return "a " + " or ".join(k.__name__ for k in getattr(kind, "__args__", (kind,)))


def stored_field_error(field: str, value: Any, expected: str) -> ConfigurationError:
    return ConfigurationError(
        f"the stored setting '{field}' cannot be read",
        where=Location(field=field),
        found=repr(value),
        expected=expected,
        fix="write it as civicflow stores it (see to_dict), or freeze the baseline again",
    )


_NAT = np.iinfo(np.int64).min


def _utc_ns(values: Any) -> np.ndarray:
    if isinstance(values, (datetime, date, pd.Timestamp, np.datetime64, str)):
        values = [values]
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    stamps = pd.to_datetime(series, utc=True)
    return np.asarray(pd.DatetimeIndex(stamps).as_unit("ns").asi8, dtype=np.int64)


class _DayTable:
    """Per local day from the first to the last day seen: its working interval as UTC instants
    and the cumulative working time before it, so a working-time count is two lookups."""

    def __init__(self, calendar: WorkingCalendar, instants_ns: np.ndarray) -> None:
        self.zone = calendar.timezone
        local_days = self._local_days(instants_ns)
        self.first = local_days.min()
        days = np.arange(self.first, local_days.max() + np.timedelta64(1, "D"))
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        open_s = np.array(
            [0 if h is None else _seconds(h[0]) for h in calendar.hours], dtype=np.int64
        )
        close_s = np.array(
            [0 if h is None else _seconds(h[1]) for h in calendar.hours], dtype=np.int64
        )
        has_hours = np.array([h is not None for h in calendar.hours])
        years = days.astype("datetime64[Y]").astype(np.int64) + 1970
        closed = calendar.holiday_dates(int(years.min()), int(years.max()))
        closed_days = np.array(sorted(closed), dtype="datetime64[D]")
        working = has_hours[weekday] & ~np.isin(days, closed_days)
        day_ns = days.astype("datetime64[ns]").astype(np.int64)
        self.open = self._to_utc(day_ns + open_s[weekday] * _NS)
        close = self._to_utc(day_ns + close_s[weekday] * _NS)
        self.length = np.where(working, close - self.open, 0)
        self.before = np.concatenate([[0], np.cumsum(self.length)[:-1]])

    def _local_days(self, instants_ns: np.ndarray) -> np.ndarray:
        local = pd.DatetimeIndex(instants_ns.astype("datetime64[ns]"), tz="UTC").tz_convert(
            self.zone
        )
        return np.asarray(local.tz_localize(None).values.astype("datetime64[D]"))

    def _to_utc(self, wall_ns: np.ndarray) -> np.ndarray:
        wall = pd.DatetimeIndex(wall_ns.astype("datetime64[ns]"))
        # an opening time inside a spring-forward gap opens at the end of the gap; inside a
        # fall-back repeat it opens at the first occurrence
        stamps = wall.tz_localize(
            self.zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
        )
        return np.asarray(stamps.as_unit("ns").asi8, dtype=np.int64)

    def cumulative(self, instants_ns: np.ndarray) -> np.ndarray:
        idx = (self._local_days(instants_ns) - self.first).astype(np.int64)
        inside = np.clip(instants_ns - self.open[idx], 0, self.length[idx])
        return (self.before[idx] + inside).astype(np.float64)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def working_throughput(view: LogView, *, calendar: WorkingCalendar) -> pd.DataFrame:
    """One row per case: ``case_id, case_start, case_end, throughput_seconds`` (elapsed) and
    ``working_seconds`` (the same span counted in the calendar's working time)."""
    spans = view.execute(case_spans(view))
    spans = spans.sort_values("case_id", ignore_index=True)
    spans["working_seconds"] = calendar.working_seconds_between(
        spans["case_start"], spans["case_end"]
    )
    return spans
