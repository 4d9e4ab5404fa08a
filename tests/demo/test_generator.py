"""Statistical properties of the demo generator, checked with plain pandas on its output."""

from __future__ import annotations

import re
from datetime import date

import holidays
import pandas as pd
import pytest

from civicflow.core import ConfigurationError
from civicflow.demo import BOTTLENECK_ACTIVITY, DemoConfig, generate_demo_log, simulate_demo

TZ = "Europe/Amsterdam"


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame]:
    log = simulate_demo(config=DemoConfig(cases=2000, seed=11))
    return log.events.to_pandas(), log.cases.to_pandas()


def test_same_seed_same_log_other_seed_other_log() -> None:
    cfg = DemoConfig(cases=300, seed=5)
    a = generate_demo_log(config=cfg)
    b = generate_demo_log(config=cfg)
    c = generate_demo_log(config=DemoConfig(cases=300, seed=6))
    assert a.equals(b)
    assert not a.equals(c)


def test_fewer_arrivals_on_weekends_and_none_on_holidays(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    events, _ = demo
    arrivals = events.loc[events.activity == "Submit application", "timestamp"].dt.tz_convert(TZ)
    days = arrivals.dt.date
    per_day = days.value_counts()
    all_days = pd.Series(0, index=pd.date_range(days.min(), days.max(), freq="D").date)
    per_day = all_days.add(per_day, fill_value=0)
    nl = holidays.country_holidays("NL", years=range(2024, 2027))
    weekday = [d for d in per_day.index if d.weekday() < 5 and d not in nl]
    weekend = [d for d in per_day.index if d.weekday() >= 5 and d not in nl]
    assert per_day[weekend].mean() < 0.5 * per_day[weekday].mean()
    assert per_day[weekend].sum() > 0  # online applications still arrive on weekends
    assert not any(d in nl for d in days)


def test_staff_work_office_hours_on_working_days_only(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    events, _ = demo
    staffed = events[events.resource.notna()]
    nl = holidays.country_holidays("NL", years=range(2024, 2027))
    for column in ("start_timestamp", "timestamp"):
        local = staffed[column].dt.tz_convert(TZ)
        hours = local.dt.hour + local.dt.minute / 60 + local.dt.second / 3600
        assert hours.min() >= 8.5
        assert hours.max() <= 17.0
        assert (local.dt.day_of_week < 5).all()
        assert not any(d in nl for d in local.dt.date.unique())


def test_assessment_queue_is_the_bottleneck(demo: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    events, _ = demo
    ev = events.sort_values(["case_id", "timestamp", "position"])
    previous_end = ev.groupby("case_id").timestamp.shift()
    ev = ev.assign(wait=(ev.start_timestamp - previous_end).dt.total_seconds())
    total_wait = ev.groupby("activity").wait.sum().sort_values(ascending=False)
    assert total_wait.index[0] == BOTTLENECK_ACTIVITY
    # the queue is real: half of all assessments wait more than a working day
    assert ev.loc[ev.activity == BOTTLENECK_ACTIVITY, "wait"].median() > 86_400


def _rework_share(events: pd.DataFrame) -> float:
    repeats = events.groupby(["case_id", "activity"]).size()
    return repeats[repeats > 1].reset_index().case_id.nunique() / events.case_id.nunique()


@pytest.mark.parametrize("incomplete", [0.1, 0.3, 0.5])
def test_rework_share_follows_the_configured_probability(incomplete: float) -> None:
    cfg = DemoConfig(cases=1500, seed=3, incomplete_probability=incomplete)
    share = _rework_share(simulate_demo(config=cfg).events.to_pandas())
    # repeated checks come from incomplete applications that are not withdrawn; sent-back
    # assessments add at most send_back_probability on top
    low = incomplete * (1 - cfg.withdraw_probability) - 0.04
    high = incomplete + cfg.send_back_probability + 0.03
    assert low <= share <= high


def test_every_case_has_its_statutory_deadline(demo: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    events, cases = demo
    first = events.groupby("case_id").timestamp.min()
    deadline = cases.set_index("case_id").deadline
    assert deadline.notna().all()
    assert ((deadline - first.reindex(deadline.index)) == pd.Timedelta(days=56)).all()
    assert set(cases.outcome) == {"granted", "rejected", "withdrawn"}


def test_paths_attributes_and_pseudonymous_applicants(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    events, cases = demo
    acts = set(events.activity)
    for path in (
        "Fast-track decision",
        "Request missing documents",
        "Register withdrawal",
        "Send rejection",
        "Request external advice",
    ):
        assert path in acts
    assert set(cases.channel) == {"online", "counter", "mail"}
    assert cases.district.nunique() >= 5
    assert cases.permit_type.nunique() >= 5
    assert all(re.fullmatch(r"A-[0-9a-f]{10}", a) for a in cases.applicant_id)
    assert (events.start_timestamp <= events.timestamp).all()
    staffed = events[events.resource.notna()]
    assert (staffed.cost > 0).all()
    assert staffed.resource.str.fullmatch(r"(intake|officer|assessor|manager)-\d\d").all()


def test_other_country_calendar() -> None:
    log = simulate_demo(config=DemoConfig(cases=400, seed=1, country="BE", start=date(2025, 1, 1)))
    local = log.events.to_pandas().start_timestamp.dt.tz_convert(TZ).dt.date
    be = holidays.country_holidays("BE", years=[2025, 2026])
    assert not any(d in be for d in local.unique())


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="incomplete_probability") as err:
        DemoConfig(incomplete_probability=1.5)
    assert err.value.fix
    with pytest.raises(ConfigurationError, match="no calendar"):
        simulate_demo(config=DemoConfig(cases=10, country="XX"))
