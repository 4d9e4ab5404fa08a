"""The options module: filters and SLA/calendar options read the same way from command-line
options, query parameters and stored JSON; to_dict and from_dict round trip; errors name the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicflow.core import ConfigurationError, InputError
from civicflow.mining import (
    FILTER_OPTIONS,
    SLA_OPTIONS,
    EventLogFilter,
    FilterOptions,
    SlaConfig,
    SlaOptions,
    WorkingCalendar,
    filter_options,
    query_values,
    sla_options,
)

DAY = 86400.0

_times = st.times().map(lambda t: t.replace(microsecond=0))
_day_hours = st.one_of(
    st.none(),
    st.tuples(_times, _times).filter(lambda p: p[0] < p[1]),
)
_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)
calendars = st.builds(
    WorkingCalendar,
    hours=st.tuples(*[_day_hours] * 7),
    timezone=st.sampled_from(["UTC", "Europe/Amsterdam", "America/New_York"]),
    country=st.sampled_from([None, "NL", "DE"]),
    subdivision=st.none(),
    closed_dates=st.lists(st.dates(), max_size=3).map(tuple),
)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def sla_configs(draw: st.DrawFn) -> SlaConfig:
    fixed = draw(st.booleans())
    return SlaConfig(
        target_seconds=draw(st.floats(min_value=1, max_value=1e9)) if fixed else None,
        deadline_attribute=None if fixed else draw(_text),
        calendar=draw(st.none() | calendars),
        end_activities=tuple(draw(st.lists(_text, max_size=3))),
        as_of=draw(st.none() | moments),
        period=draw(st.sampled_from(["day", "week", "month", "quarter", "year"])),
        worst=draw(st.integers(min_value=0, max_value=100)),
    )


filters = st.builds(
    EventLogFilter,
    start=st.none() | moments,
    end=st.none() | moments,
    time_mode=st.sampled_from(["intersecting", "contained", "started", "completed"]),
    case_attributes=st.lists(
        st.tuples(_text, st.lists(_text, min_size=1, max_size=3).map(tuple)),
        max_size=3,
        unique_by=lambda p: p[0],
    ).map(tuple),
    variants=st.lists(_text, max_size=3).map(tuple),
    activities_present=st.lists(_text, max_size=3).map(tuple),
    activities_absent=st.lists(_text, max_size=3).map(tuple),
    min_throughput_seconds=st.none() | st.floats(min_value=0, max_value=1e9),
    max_throughput_seconds=st.none() | st.floats(min_value=0, max_value=1e9),
)


@settings(max_examples=60, deadline=None)
@given(sla_configs())
def test_sla_round_trips_through_its_dict(config: SlaConfig) -> None:
    assert SlaConfig.from_dict(config.to_dict()) == config


@settings(max_examples=60, deadline=None)
@given(calendars)
def test_calendar_round_trips_through_its_dict(calendar: WorkingCalendar) -> None:
    assert WorkingCalendar.from_dict(calendar.to_dict()) == calendar


@settings(max_examples=60, deadline=None)
@given(filters)
def test_filter_round_trips_through_its_dict(f: EventLogFilter) -> None:
    assert EventLogFilter.from_dict(f.to_dict()) == f


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d["calendar"]["hours"].update(mon=["8:30 am", "17:00"]),
            "sla.calendar.hours.mon",
        ),
        (lambda d: d["calendar"]["hours"].update(tue=["08:30"]), "sla.calendar.hours.tue"),
        (lambda d: d["calendar"].update(closed_dates=["someday"]), "sla.calendar.closed_dates"),
        (lambda d: d["calendar"].update(timezone=3), "sla.calendar.timezone"),
        (lambda d: d.update(target_seconds="5 days"), "sla.target_seconds"),
        (lambda d: d.update(as_of="yesterday"), "sla.as_of"),
        (lambda d: d.update(worst="ten"), "sla.worst"),
    ],
)
def test_a_stored_sla_that_cannot_be_read_names_the_field(change, field: str) -> None:
    data = SlaConfig(
        target_seconds=DAY, calendar=WorkingCalendar.office_hours(country="NL")
    ).to_dict()
    change(data)
    with pytest.raises(ConfigurationError) as err:
        SlaConfig.from_dict(data)
    assert err.value.where is not None and err.value.where.field == field


def test_the_same_options_from_the_command_line_and_the_query_string() -> None:
    cli = {
        "start": "2024-01-01",
        "end": "2024-02-01",
        "time_mode": "started",
        "where": ["district=north", "district=east"],
        "variant": ["abc"],
        "with_activity": ["Check"],
        "without_activity": ["Appeal"],
        "min_throughput": "2d",
        "max_throughput": "30d",
    }
    query = {k: v if isinstance(v, list) else [v] for k, v in cli.items()}
    from_cli = filter_options(cli).to_filter(door="cli")
    from_query = filter_options(query_values(lambda k: query.get(k, []))).to_filter(door="query")
    assert from_cli == from_query
    assert from_cli.case_attributes == (("district", ("north", "east")),)
    assert from_cli.min_throughput_seconds == 2 * DAY
    # the web forms' older names mean the same
    legacy = {
        "start": ["2024-01-01"],
        "end": ["2024-02-01"],
        "time_mode": ["started"],
        "attr": ["district"],
        "attr_value": ["north", "east"],
        "variant": ["abc"],
        "present": ["Check"],
        "absent": ["Appeal"],
        "min_days": ["2"],
        "max_days": ["30"],
    }
    assert filter_options(query_values(lambda k: legacy.get(k, []))).to_filter() == from_cli


def test_sla_options_with_a_working_calendar() -> None:
    values = {
        "target": "10d",
        "end_activity": ["Decide"],
        "working_hours": "08:00-16:30",
        "timezone": "Europe/Amsterdam",
        "holidays": "DE",
        "subdivision": "BY",
    }
    config = sla_options(values).to_config()
    assert config is not None
    assert config.target_seconds == 10 * DAY and config.end_activities == ("Decide",)
    assert config.calendar == WorkingCalendar.office_hours(
        start="08:00", end="16:30", timezone="Europe/Amsterdam", country="DE", subdivision="BY"
    )
    # Bavaria's Epiphany is a holiday there, not in all of Germany
    assert date(2024, 1, 6) in config.calendar.holiday_dates(2024, 2024)
    query = {k: v if isinstance(v, list) else [v] for k, v in values.items()}
    assert sla_options(query_values(lambda k: query.get(k, [])), door="query").to_config() == config
    assert SlaConfig.from_dict(config.to_dict()) == config
    assert config.calendar.hours[0] == (time(8, 0), time(16, 30))


@pytest.mark.parametrize(
    ("door", "field"),
    [
        ("cli", "--target / --sla-days / --deadline-attribute"),
        ("query", "target / sla_days / deadline_attribute"),
    ],
)
def test_errors_name_the_option_as_the_door_spells_it(door, field: str) -> None:
    with pytest.raises(InputError) as both:
        SlaOptions(target="3d", sla_days=3).to_config(door=door)
    assert both.value.where is not None and both.value.where.field == field
    with pytest.raises(InputError) as hours:
        SlaOptions(sla_days=3, working_hours="08:30").to_config(door=door)
    assert hours.value.where.field == ("--working-hours" if door == "cli" else "working_hours")
    with pytest.raises(InputError) as window:
        FilterOptions(start="2024-02-01", end="2024-01-01").to_filter(door=door)
    assert window.value.where.field == ("--to" if door == "cli" else "end")
    assert SlaOptions().to_config(door=door) is None


def test_every_option_is_a_field_of_its_options_type() -> None:
    from dataclasses import fields

    assert [f.name for f in fields(FilterOptions)] == [o.name for o in FILTER_OPTIONS]
    assert [f.name for f in fields(SlaOptions)] == [o.name for o in SLA_OPTIONS]
    flags = [f for o in (*FILTER_OPTIONS, *SLA_OPTIONS) for f in o.flags]
    assert len(flags) == len(set(flags))
