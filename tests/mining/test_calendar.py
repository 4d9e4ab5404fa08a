"""Working time on hand-computed examples (weekends, holidays, DST in Europe/Amsterdam, overnight
spans, times outside the hours) and against a minute-by-minute count done with zoneinfo."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from civicflow.core import ConfigurationError
from civicflow.mining import WorkingCalendar

AMS = ZoneInfo("Europe/Amsterdam")
H = 3600.0
OFFICE = WorkingCalendar.office_hours(timezone="Europe/Amsterdam")  # Mon-Fri 08:30-17:00
OFFICE_NL = WorkingCalendar.office_hours(timezone="Europe/Amsterdam", country="NL")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def hours(cal: WorkingCalendar, start: datetime, end: datetime) -> float:
    return float(cal.working_seconds_between([start], [end])[0]) / H


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Mon 2024-01-08, inside the hours
        (local(2024, 1, 8, 9, 0), local(2024, 1, 8, 11, 30), 2.5),
        # before opening to after closing: the whole day
        (local(2024, 1, 8, 6, 0), local(2024, 1, 8, 20, 0), 8.5),
        # overnight Tue 16:00 -> Wed 09:30: 1 h + 1 h
        (local(2024, 1, 9, 16, 0), local(2024, 1, 10, 9, 30), 2.0),
        # Fri 16:00 -> Mon 09:00 over a weekend: 1 h + 0.5 h
        (local(2024, 1, 12, 16, 0), local(2024, 1, 15, 9, 0), 1.5),
        # Saturday to Sunday: nothing
        (local(2024, 1, 13, 10, 0), local(2024, 1, 14, 16, 0), 0.0),
        # a full working week Mon 00:00 -> next Mon 00:00
        (local(2024, 1, 8, 0, 0), local(2024, 1, 15, 0, 0), 42.5),
        # start after closing, end before the next opening
        (local(2024, 1, 8, 18, 0), local(2024, 1, 9, 7, 0), 0.0),
        # reversed: negative
        (local(2024, 1, 8, 11, 30), local(2024, 1, 8, 9, 0), -2.5),
        # spring forward on Sun 2024-03-31: Fri 16:00 CET -> Mon 09:30 CEST is still 1 h + 1 h
        (local(2024, 3, 29, 16, 0), local(2024, 4, 1, 9, 30), 2.0),
        # fall back on Sun 2024-10-27: Fri 16:00 CEST -> Mon 09:30 CET
        (local(2024, 10, 25, 16, 0), local(2024, 10, 28, 9, 30), 2.0),
    ],
)
def test_office_hours_hand_computed(start: datetime, end: datetime, expected: float) -> None:
    assert hours(OFFICE, start, end) == pytest.approx(expected)


def test_utc_input_is_converted_to_the_calendar_zone() -> None:
    # Mon 2024-04-01 07:00 UTC is 09:00 in Amsterdam (CEST): half an hour after opening
    start = datetime(2024, 4, 1, 6, 0, tzinfo=UTC)
    end = datetime(2024, 4, 1, 7, 0, tzinfo=UTC)
    assert hours(OFFICE, start, end) == pytest.approx(0.5)
    # naive numpy values are UTC too
    arr = OFFICE.working_seconds_between(
        np.array(["2024-04-01T06:00"], dtype="datetime64[us]"),
        np.array(["2024-04-01T07:00"], dtype="datetime64[us]"),
    )
    assert arr[0] == pytest.approx(0.5 * H)


def test_public_holidays_and_extra_closed_dates() -> None:
    # Christmas 2024: Wed 25 and Thu 26 December are Dutch public holidays
    start, end = local(2024, 12, 24, 16, 0), local(2024, 12, 27, 9, 30)
    assert hours(OFFICE, start, end) == pytest.approx(1 + 8.5 + 8.5 + 1)
    assert hours(OFFICE_NL, start, end) == pytest.approx(1 + 1)
    bridge = WorkingCalendar.office_hours(
        timezone="Europe/Amsterdam", country="NL", closed_dates=(date(2024, 12, 27),)
    )
    assert hours(bridge, start, local(2024, 12, 30, 9, 30)) == pytest.approx(1 + 1)
    # Good Friday and Easter Monday 2024 (29 March, 1 April) around the clock change
    assert hours(OFFICE_NL, local(2024, 3, 28, 16, 0), local(2024, 4, 2, 9, 0)) == pytest.approx(
        1 + 0.5
    )


def test_clock_change_inside_working_hours_counts_real_time() -> None:
    # open 01:00-04:00 every day; on 2024-03-31 the clock jumps 02:00 -> 03:00 (2 real hours),
    # on 2024-10-27 it falls back 03:00 -> 02:00 (4 real hours)
    night = WorkingCalendar(hours=((time(1), time(4)),) * 7, timezone="Europe/Amsterdam")
    spring = (local(2024, 3, 31, 0, 0), local(2024, 3, 31, 6, 0))
    autumn = (datetime(2024, 10, 26, 21, 0, tzinfo=UTC), datetime(2024, 10, 27, 5, 0, tzinfo=UTC))
    assert hours(night, *spring) == pytest.approx(2.0)
    assert hours(night, *autumn) == pytest.approx(4.0)


def test_vectorised_missing_values_and_sub_seconds() -> None:
    starts = pd.Series(
        [local(2024, 1, 8, 9, 0), None, local(2024, 1, 8, 9, 0)], dtype="datetime64[us, UTC]"
    )
    ends = pd.Series(
        [local(2024, 1, 8, 9, 0, 1) + timedelta(microseconds=250_000), local(2024, 1, 8, 10), None],
        dtype="datetime64[us, UTC]",
    )
    out = OFFICE.working_seconds_between(starts, ends)
    assert out[0] == pytest.approx(1.25, abs=1e-9)
    assert np.isnan(out[1]) and np.isnan(out[2])


def _brute_force_minutes(cal: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Count working minutes one by one in local time (spans start and end on whole minutes)."""
    closed = cal.holiday_dates(start.year - 1, end.year + 1)
    zone = ZoneInfo(cal.timezone)
    n, t = 0, start
    while t < end:
        lt = t.astimezone(zone)
        hours_today = cal.hours[lt.weekday()]
        open_now = (
            hours_today is not None
            and lt.date() not in closed
            and hours_today[0] <= lt.time().replace(tzinfo=None) < hours_today[1]
        )
        n += int(open_now)
        t += timedelta(minutes=1)
    return n


def test_matches_a_minute_by_minute_count() -> None:
    cal = WorkingCalendar(
        hours=(
            (time(8, 30), time(17)),
            (time(8, 30), time(17)),
            (time(9), time(12, 15)),
            (time(8, 30), time(17)),
            (time(7), time(15, 45)),
            (time(10), time(13)),
            None,
        ),
        timezone="Europe/Amsterdam",
        country="NL",
    )
    rng = np.random.default_rng(7)
    base = datetime(2024, 3, 20, tzinfo=UTC)  # spans cross Easter and the spring clock change
    starts = [base + timedelta(minutes=int(m)) for m in rng.integers(0, 20 * 1440, 25)]
    ends = [
        s + timedelta(minutes=int(m))
        for s, m in zip(starts, rng.integers(0, 5 * 1440, 25), strict=True)
    ]
    got = cal.working_seconds_between(starts, ends)
    expected = [_brute_force_minutes(cal, s, e) * 60 for s, e in zip(starts, ends, strict=True)]
    assert got.tolist() == pytest.approx(expected)


def test_many_cases_at_once() -> None:
    n = 200_000
    rng = np.random.default_rng(1)
    start = np.datetime64("2020-01-01T00:00") + rng.integers(0, 4 * 365 * 1440, n).astype(
        "timedelta64[m]"
    )
    end = start + rng.integers(0, 90 * 1440, n).astype("timedelta64[m]")
    out = OFFICE_NL.working_seconds_between(start, end)
    assert out.shape == (n,)
    assert np.all(out >= 0)
    # never more than the whole span, and at most 8.5 h per calendar day touched
    span = (end - start).astype("timedelta64[s]").astype(np.float64)
    assert np.all(out <= span + 1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: WorkingCalendar.office_hours(timezone="Mars/Olympus"),
        lambda: WorkingCalendar.office_hours(start="17:00", end="08:30"),
        lambda: WorkingCalendar.office_hours(start="8h30"),
        lambda: WorkingCalendar.office_hours(days=("mon", "funday")),
        lambda: WorkingCalendar.office_hours(country="XX"),
        lambda: WorkingCalendar(hours=(None,) * 6),
    ],
)
def test_bad_calendars_are_clear_errors(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError) as err:
        make()
    assert err.value.fix


def test_to_dict_names_every_weekday() -> None:
    d = OFFICE_NL.to_dict()
    assert d["hours"]["mon"] == ["08:30:00", "17:00:00"]
    assert d["hours"]["sun"] is None
    assert d["country"] == "NL"


def test_working_throughput_per_case(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from civicflow.eventlog import DuckDBEngine, EventStore
    from civicflow.mining import LogView, working_throughput
    from realdata import make_dataset

    ws = EventStore.create(tmp_path / "ws")
    events = [
        # Fri 2024-01-12 16:00 -> Mon 09:00 Amsterdam (CET = UTC+1): 1 h + 0.5 h of work
        ("late", "a", datetime(2024, 1, 12, 15, 0, tzinfo=UTC)),
        ("late", "b", datetime(2024, 1, 15, 8, 0, tzinfo=UTC)),
        # inside one morning: 2.5 h
        ("quick", "a", datetime(2024, 1, 8, 8, 0, tzinfo=UTC)),
        ("quick", "b", datetime(2024, 1, 8, 10, 30, tzinfo=UTC)),
    ]
    view = LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "wt", events))
    df = working_throughput(view, calendar=OFFICE).set_index("case_id")
    assert df.loc["late", "working_seconds"] == pytest.approx(1.5 * H)
    assert df.loc["late", "throughput_seconds"] == pytest.approx(65 * H)
    assert df.loc["quick", "working_seconds"] == pytest.approx(2.5 * H)
