"""civicflow's own seeded discrete-event generator of a building-permit application process.

No third-party data: arrivals, routing, staff and their queues are simulated. Arrivals follow weekly
and yearly patterns (fewer on weekends, none on public holidays); staff work office hours on working
days; every staffed role is a pool of resources with a FIFO queue, and the assessors are deliberately
few, so waiting before "Assess application" is the process's bottleneck. Incomplete applications
loop through "Request missing documents" -> "Receive documents" -> "Check completeness"; simple
permits take a fast track; applications are granted, rejected or withdrawn.

The simulation keeps the per-event Python work small (one heap push/pop and a few arithmetic
operations) and builds the columns with numpy, so a million events take seconds.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from civicflow.core import ConfigurationError
from civicflow.demo._calendar import DAY, WorkCalendar
from civicflow.eventlog import CORE_EVENT_SCHEMA, TIMESTAMP_TYPE

# Activities, their staffed role (None: the applicant or the outside world) and hourly cost rate.
SUBMIT = "Submit application"
CHECK = "Check completeness"
REQUEST_DOCS = "Request missing documents"
RECEIVE_DOCS = "Receive documents"
WITHDRAW = "Register withdrawal"
FAST_TRACK = "Fast-track decision"
ASSESS = "Assess application"
REQUEST_ADVICE = "Request external advice"
RECEIVE_ADVICE = "Receive external advice"
DECIDE = "Decide on application"
SEND_PERMIT = "Send permit"
SEND_REJECTION = "Send rejection"

ACTIVITIES: tuple[str, ...] = (
    SUBMIT,
    CHECK,
    REQUEST_DOCS,
    RECEIVE_DOCS,
    WITHDRAW,
    FAST_TRACK,
    ASSESS,
    REQUEST_ADVICE,
    RECEIVE_ADVICE,
    DECIDE,
    SEND_PERMIT,
    SEND_REJECTION,
)
BOTTLENECK_ACTIVITY = ASSESS
"""The activity whose queue the generator makes the bottleneck (too few assessors)."""

ROLES: tuple[str, ...] = ("intake", "officer", "assessor", "manager")
_ROLE_OF: dict[str, str | None] = {
    SUBMIT: None,
    CHECK: "intake",
    REQUEST_DOCS: "intake",
    RECEIVE_DOCS: "intake",
    WITHDRAW: "intake",
    FAST_TRACK: "officer",
    ASSESS: "assessor",
    REQUEST_ADVICE: "intake",
    RECEIVE_ADVICE: "intake",
    DECIDE: "manager",
    SEND_PERMIT: "intake",
    SEND_REJECTION: "intake",
}
HOURLY_RATE: dict[str, float] = {"intake": 48.0, "officer": 62.0, "assessor": 74.0, "manager": 95.0}
"""Euros per hour of service time; an event's cost is its service time times its role's rate."""

# Median service minutes per activity (log-normal around it, sigma 0.35).
_SERVICE_MINUTES: dict[str, float] = {
    CHECK: 20.0,
    REQUEST_DOCS: 10.0,
    RECEIVE_DOCS: 6.0,
    WITHDRAW: 5.0,
    FAST_TRACK: 35.0,
    ASSESS: 150.0,
    REQUEST_ADVICE: 15.0,
    RECEIVE_ADVICE: 6.0,
    DECIDE: 25.0,
    SEND_PERMIT: 10.0,
    SEND_REJECTION: 15.0,
}

# permit type: (share, simple?, assessment-time factor, chance it needs external advice)
PERMIT_TYPES: dict[str, tuple[float, bool, float, float]] = {
    "tree felling": (0.12, True, 0.6, 0.0),
    "dormer": (0.18, True, 0.8, 0.05),
    "extension": (0.32, False, 1.0, 0.15),
    "new build": (0.15, False, 1.6, 0.5),
    "change of use": (0.10, False, 1.2, 0.4),
    "demolition": (0.08, False, 0.8, 0.3),
    "monument": (0.05, False, 1.8, 0.9),
}
CHANNELS: dict[str, float] = {"online": 0.62, "counter": 0.20, "mail": 0.18}
DISTRICTS: dict[str, float] = {
    "Centre": 0.22,
    "North": 0.18,
    "East": 0.17,
    "South": 0.16,
    "West": 0.15,
    "Harbour": 0.12,
}
APPLICANT_TYPES: dict[str, float] = {
    "private person": 0.70,
    "business": 0.22,
    "housing association": 0.08,
}
# Arrival windows (local hours) per channel: online any day, the counter and mail room on working days.
_ARRIVAL_HOURS: dict[str, tuple[float, float]] = {
    "online": (7.0, 23.0),
    "counter": (9.0, 16.0),
    "mail": (9.0, 12.0),
}
_WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.85)
_TARGET_UTILISATION = {"intake": 0.55, "officer": 0.5, "manager": 0.55}


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoConfig:
    """What the demo generator simulates. Every field has a default that gives a realistic log."""

    cases: int = 2000
    seed: int = 42
    start: date = date(2024, 1, 1)
    """First day applications can arrive."""
    period_days: int | None = None
    """Days over which applications arrive; None: about 40 applications a week (28-730 days)."""
    country: str = "NL"
    """Public-holiday calendar (ISO code understood by the `holidays` package)."""
    subdivision: str | None = None
    timezone: str = "Europe/Amsterdam"
    """Local time of the office; timestamps are stored in UTC."""
    workday_start_hour: float = 8.5
    workday_end_hour: float = 17.0
    weekend_arrival_factor: float = 0.2
    """Online applications on a weekend day, relative to an average weekday."""
    incomplete_probability: float = 0.3
    """Chance that the first completeness check finds the application incomplete."""
    withdraw_probability: float = 0.1
    """Chance that an applicant asked for documents withdraws instead."""
    fast_track_probability: float = 0.8
    """Chance that a simple permit (tree felling, dormer) takes the fast track."""
    send_back_probability: float = 0.12
    """Chance that the decision-maker sends an assessment back to be redone."""
    rejection_probability: float = 0.12
    assessors: int | None = None
    """Number of assessors; None: sized so that they are busy `assessor_utilisation` of the time."""
    assessor_utilisation: float = 1.0
    statutory_term_days: int = 56
    """The legal decision term (8 weeks for a regular Dutch environmental permit): the deadline."""
    effect: float = 0.0
    """A known injected effect, to prove a pilot evaluation: cases of ``effect_districts`` that
    arrive on or after ``effect_start`` are this share faster (0.3: 30 %), every event moved
    towards the case's arrival after the simulation. 0: no effect."""
    effect_start: date | None = None
    """First day of the effect (None: the middle of the arrival period)."""
    effect_districts: tuple[str, ...] = ()
    """Districts the effect applies to (empty: all)."""

    def __post_init__(self) -> None:
        checks: list[tuple[str, bool, str]] = [
            ("cases", self.cases >= 1, "at least 1"),
            ("period_days", self.period_days is None or self.period_days >= 7, "at least 7"),
            ("assessors", self.assessors is None or self.assessors >= 1, "at least 1"),
            (
                "assessor_utilisation",
                0.05 <= self.assessor_utilisation <= 1.5,
                "between 0.05 and 1.5",
            ),
            ("statutory_term_days", self.statutory_term_days >= 1, "at least 1"),
            ("weekend_arrival_factor", self.weekend_arrival_factor >= 0, "0 or more"),
        ]
        for name in (
            "incomplete_probability",
            "withdraw_probability",
            "fast_track_probability",
            "send_back_probability",
            "rejection_probability",
        ):
            checks.append((name, 0.0 <= getattr(self, name) < 1.0, "a probability in [0, 1)"))
        checks.append(("effect", 0.0 <= self.effect < 1.0, "a share in [0, 1)"))
        unknown = sorted(set(self.effect_districts) - set(DISTRICTS))
        checks.append(("effect_districts", not unknown, "districts of: " + ", ".join(DISTRICTS)))
        for name, ok, expected in checks:
            if not ok:
                raise ConfigurationError(
                    f"DemoConfig.{name} is out of range",
                    found=str(getattr(self, name)),
                    expected=expected,
                    fix=f"pass DemoConfig({name}=...) within the range",
                )

    @property
    def effective_period_days(self) -> int:
        if self.period_days is not None:
            return self.period_days
        return int(min(730, max(28, math.ceil(self.cases / 40 * 7))))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"] = self.start.isoformat()
        out["effect_start"] = self.effect_start.isoformat() if self.effect_start else None
        out["effect_districts"] = list(self.effect_districts)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoLog:
    """A generated log: events (canonical columns + ``role``) and one row of attributes per case."""

    events: pa.Table
    cases: pa.Table
    config: DemoConfig
    staff: dict[str, int] = field(default_factory=dict)
    """Resources per role the simulation used."""

    def flat(self) -> pa.Table:
        """Events with their case's attributes as extra columns (the shape of a CSV export)."""
        cases = self.cases
        index = pa.array(
            pd.Index(cases.column("case_id").to_numpy(zero_copy_only=False)).get_indexer(
                self.events.column("case_id").to_numpy(zero_copy_only=False)
            )
        )
        table = self.events
        for name in cases.column_names:
            if name != "case_id":
                table = table.append_column(name, cases.column(name).take(index))
        return table


def generate_demo_log(*, config: DemoConfig | None = None) -> pa.Table:
    """A seeded permit-application event log, one row per event with its case's attributes.

    Deterministic for a given config (including ``seed``). Use :func:`simulate_demo` for events
    and case attributes as separate tables.
    """
    return simulate_demo(config=config).flat()


def simulate_demo(
    *, config: DemoConfig | None = None, progress: Callable[[int, int], None] | None = None
) -> DemoLog:
    """Run the simulation; ``progress(done_cases, total_cases)`` is called now and then."""
    cfg = config or DemoConfig()
    nrng = np.random.default_rng(cfg.seed)
    prng = random.Random(cfg.seed)
    period = cfg.effective_period_days
    cal = WorkCalendar(
        first_day=cfg.start,
        country=cfg.country,
        subdivision=cfg.subdivision,
        day_start_hour=cfg.workday_start_hour,
        day_end_hour=cfg.workday_end_hour,
        initial_days=period + 400,
    )
    n = cfg.cases

    # --- case attributes and arrivals (vectorised) ---
    channel = _draw(nrng, CHANNELS, n)
    district = _draw(nrng, DISTRICTS, n)
    applicant_type = _draw(nrng, APPLICANT_TYPES, n)
    permit_type = _draw(nrng, {k: v[0] for k, v in PERMIT_TYPES.items()}, n)
    arrival = _arrivals(nrng, cal, cfg, channel, period)
    order = np.argsort(arrival, kind="stable")
    arrival, channel, district = arrival[order], channel[order], district[order]
    applicant_type, permit_type = applicant_type[order], permit_type[order]
    applicant_id = np.array([f"A-{x:010x}" for x in nrng.integers(0, 2**40, size=n)], dtype=object)

    staff, assess_scale = _staffing(cfg, cal, period)
    pools: dict[str, list[tuple[float, int]]] = {
        role: [(0.0, i) for i in range(count)] for role, count in staff.items()
    }
    resource_names = {
        role: [f"{role}-{i + 1:02d}" for i in range(count)] for role, count in staff.items()
    }

    # --- the discrete-event simulation: tasks leave a FIFO queue per role in ready-time order ---
    ev_case: list[int] = []
    ev_act: list[str] = []
    ev_start: list[float] = []
    ev_end: list[float] = []
    ev_res: list[str | None] = []
    ev_role: list[str | None] = []
    ev_cost: list[float] = []
    outcome = np.empty(n, dtype=object)
    checks_done = [0] * n
    assessments = [0] * n
    # arrivals come from their sorted list; the heap holds only the follow-up tasks of open cases
    arrivals = arrival.astype(np.float64).tolist()
    next_arrival = 0
    heap: list[tuple[float, int, int, str]] = []
    seq = 0
    finished = 0
    # service-time noise (log-normal, sigma 0.35) drawn in bulk: per-event random calls are slow
    noise: list[float] = []
    k = 0
    while heap or next_arrival < n:
        if next_arrival < n and (not heap or arrivals[next_arrival] <= heap[0][0]):
            case = next_arrival
            ready, activity = arrivals[case], SUBMIT
            next_arrival += 1
        else:
            ready, _, case, activity = heapq.heappop(heap)
        role = _ROLE_OF[activity]
        if role is None:
            start = end = ready
            resource = None
            cost = 0.0
        else:
            pool = pools[role]
            free_at, who = heapq.heappop(pool)
            start = cal.to_working_time(ready if ready > free_at else free_at)
            minutes = _SERVICE_MINUTES[activity]
            if activity == ASSESS:
                minutes *= PERMIT_TYPES[permit_type[case]][2] * assess_scale
            if k == len(noise):
                noise = np.exp(nrng.normal(0.0, 0.35, size=max(10_000, 2 * n))).tolist()
                k = 0
            service = max(60.0, round(minutes * 60.0 * noise[k]))
            k += 1
            end = cal.add_working_time(start, service)
            heapq.heappush(pool, (end, who))
            resource = resource_names[role][who]
            cost = round(service / 3600.0 * HOURLY_RATE[role], 2)
        ev_case.append(case)
        ev_act.append(activity)
        ev_start.append(start)
        ev_end.append(end)
        ev_res.append(resource)
        ev_role.append(role)
        ev_cost.append(cost)

        nxt, delay = _route(
            activity,
            case,
            cfg,
            prng,
            permit_type,
            applicant_type,
            checks_done,
            assessments,
            outcome,
        )
        if nxt is None:
            finished += 1
            if progress is not None and finished % 5000 == 0:
                progress(finished, n)
            continue
        seq += 1
        heapq.heappush(heap, (end + delay, seq, case, nxt))
    if progress is not None:
        progress(n, n)

    if cfg.effect:
        ev_start, ev_end = _inject_effect(cfg, period, arrival, district, ev_case, ev_start, ev_end)
    events = _events_table(cfg, ev_case, ev_act, ev_start, ev_end, ev_res, ev_role, ev_cost)
    base = np.datetime64(cfg.start.isoformat(), "s")
    submitted = _to_utc(base + arrival.astype("timedelta64[s]"), cfg.timezone)
    deadline = submitted + pd.Timedelta(days=cfg.statutory_term_days)
    cases = pa.table(
        {
            "case_id": pa.array(_case_ids(cfg, n), pa.string()),
            "applicant_id": pa.array(applicant_id, pa.string()),
            "applicant_type": pa.array(applicant_type, pa.string()),
            "district": pa.array(district, pa.string()),
            "channel": pa.array(channel, pa.string()),
            "permit_type": pa.array(permit_type, pa.string()),
            "statutory_term_days": pa.array([cfg.statutory_term_days] * n, pa.int64()),
            "deadline": pa.array(deadline, TIMESTAMP_TYPE),
            "outcome": pa.array(outcome, pa.string()),
        }
    )
    return DemoLog(events=events, cases=cases, config=cfg, staff=dict(staff))


def _inject_effect(
    cfg: DemoConfig,
    period: int,
    arrival: np.ndarray,
    district: np.ndarray,
    ev_case: list[int],
    ev_start: list[float],
    ev_end: list[float],
) -> tuple[list[float], list[float]]:
    """Every event of an affected case moved towards the case's arrival by ``cfg.effect``: the
    case is exactly that share faster (see ``DemoConfig.effect``)."""
    first = (
        (cfg.effect_start - cfg.start).days * 86400.0
        if cfg.effect_start is not None
        else period * 86400.0 / 2
    )
    hit = arrival >= first
    if cfg.effect_districts:
        hit &= np.isin(district, list(cfg.effect_districts))
    cases = np.asarray(ev_case)
    t0 = arrival[cases].astype(np.float64)
    factor = np.where(hit[cases], 1.0 - cfg.effect, 1.0)
    start = t0 + (np.asarray(ev_start, dtype=np.float64) - t0) * factor
    end = t0 + (np.asarray(ev_end, dtype=np.float64) - t0) * factor
    return start.tolist(), end.tolist()


def _route(
    activity: str,
    case: int,
    cfg: DemoConfig,
    rng: random.Random,
    permit_type: np.ndarray,
    applicant_type: np.ndarray,
    checks_done: list[int],
    assessments: list[int],
    outcome: np.ndarray,
) -> tuple[str | None, float]:
    """The case's next activity and the calendar delay before it is ready (applicant, advisers)."""
    if activity == SUBMIT:
        return CHECK, 0.0
    if activity == CHECK:
        checks_done[case] += 1
        # a re-check after new documents finds gaps less often
        p = cfg.incomplete_probability / (1 if checks_done[case] == 1 else 3)
        if rng.random() < p:
            return REQUEST_DOCS, 0.0
        ptype = permit_type[case]
        if PERMIT_TYPES[ptype][1] and rng.random() < cfg.fast_track_probability:
            return FAST_TRACK, 0.0
        return ASSESS, 0.0
    if activity == REQUEST_DOCS:
        if rng.random() < cfg.withdraw_probability:
            return WITHDRAW, rng.lognormvariate(math.log(6.0), 0.6) * DAY
        return RECEIVE_DOCS, rng.lognormvariate(math.log(7.0), 0.6) * DAY
    if activity == RECEIVE_DOCS:
        return CHECK, 0.0
    if activity == WITHDRAW:
        outcome[case] = "withdrawn"
        return None, 0.0
    if activity == FAST_TRACK:
        outcome[case] = "granted"
        return SEND_PERMIT, 0.0
    if activity == ASSESS:
        assessments[case] += 1
        if assessments[case] == 1 and rng.random() < PERMIT_TYPES[permit_type[case]][3]:
            return REQUEST_ADVICE, 0.0
        return DECIDE, 0.0
    if activity == REQUEST_ADVICE:
        return RECEIVE_ADVICE, rng.lognormvariate(math.log(18.0), 0.5) * DAY
    if activity == RECEIVE_ADVICE:
        return DECIDE, 0.0
    if activity == DECIDE:
        if assessments[case] == 1 and rng.random() < cfg.send_back_probability:
            return ASSESS, 0.0
        p_reject = cfg.rejection_probability * (1.25 if applicant_type[case] == "business" else 1.0)
        if rng.random() < p_reject:
            outcome[case] = "rejected"
            return SEND_REJECTION, 0.0
        outcome[case] = "granted"
        return SEND_PERMIT, 0.0
    return None, 0.0  # SEND_PERMIT, SEND_REJECTION end the case


def _draw(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    names = list(shares)
    p = np.array([shares[k] for k in names], dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=n, p=p / p.sum())]


def _day_weights(cal: WorkCalendar, cfg: DemoConfig, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Relative arrival intensity per day: (online, counter and mail)."""
    days = np.arange(period)
    first = pd.Timestamp(cfg.start)
    dates = pd.DatetimeIndex(first + pd.to_timedelta(days, unit="D"))
    doy = dates.day_of_year.to_numpy()
    dow = dates.day_of_week.to_numpy()
    # spring peak (renovation season), a summer-holiday dip and a quiet Christmas fortnight
    yearly = 1.0 + 0.35 * np.cos(2 * np.pi * (doy - 120) / 365.25)
    yearly = np.where((doy >= 196) & (doy <= 238), yearly * 0.75, yearly)
    yearly = np.where((doy >= 355) | (doy <= 3), yearly * 0.6, yearly)
    weekday = np.array([*_WEEKDAY_FACTOR, 0.0, 0.0])[dow]
    holiday = cal.holiday_mask(period)
    working = cal.working_mask(period)
    online = yearly * np.where(dow >= 5, cfg.weekend_arrival_factor, weekday)
    online = np.where(holiday, 0.0, online)
    office = np.where(working, yearly * weekday, 0.0)
    return online, office


def _arrivals(
    rng: np.random.Generator,
    cal: WorkCalendar,
    cfg: DemoConfig,
    channel: np.ndarray,
    period: int,
) -> np.ndarray:
    """Arrival moment of each case, in local seconds since the first day."""
    online_w, office_w = _day_weights(cal, cfg, period)
    if office_w.sum() == 0:
        raise ConfigurationError(
            "the demo period has no working day for applications to arrive on",
            found=f"{cfg.start.isoformat()} + {period} days",
            expected="a period with at least one working day",
            fix="choose a longer period_days or another start date",
        )
    out = np.empty(len(channel), dtype=np.int64)
    for name, (lo, hi) in _ARRIVAL_HOURS.items():
        idx = np.flatnonzero(channel == name)
        w = online_w if name == "online" else office_w
        day = rng.choice(period, size=len(idx), p=w / w.sum())
        sec = rng.uniform(lo * 3600, hi * 3600, size=len(idx))
        out[idx] = day.astype(np.int64) * 86_400 + sec.astype(np.int64)
    return out


def _staffing(cfg: DemoConfig, cal: WorkCalendar, period: int) -> tuple[dict[str, int], float]:
    """Resources per role for the average load at a target utilisation, and the factor on the
    assessment time that makes the assessors' utilisation exact."""
    work_days = max(1, int(cal.working_mask(period).sum()))
    cases_per_day = cfg.cases / work_days
    hours_per_day = cfg.workday_end_hour - cfg.workday_start_hour
    simple_share = sum(v[0] for v in PERMIT_TYPES.values() if v[1])
    p_inc = cfg.incomplete_probability
    p_kept = 1.0 - p_inc * cfg.withdraw_probability
    p_fast = simple_share * cfg.fast_track_probability
    assess_factor = sum(v[0] * v[2] for v in PERMIT_TYPES.values() if not v[1]) / max(
        1e-9, 1.0 - simple_share
    )
    normal = p_kept * (1.0 - p_fast)
    minutes = {
        "intake": _SERVICE_MINUTES[CHECK] * (1 + p_inc)
        + p_inc * (_SERVICE_MINUTES[REQUEST_DOCS] + _SERVICE_MINUTES[RECEIVE_DOCS])
        + _SERVICE_MINUTES[SEND_PERMIT]
        + 0.1 * _SERVICE_MINUTES[RECEIVE_ADVICE],
        "officer": p_kept * p_fast * _SERVICE_MINUTES[FAST_TRACK],
        "assessor": normal
        * (1 + cfg.send_back_probability)
        * (_SERVICE_MINUTES[ASSESS] * assess_factor + 0.25 * _SERVICE_MINUTES[REQUEST_ADVICE]),
        "manager": normal * (1 + cfg.send_back_probability) * _SERVICE_MINUTES[DECIDE],
    }
    # log-normal service times (sigma 0.35) average exp(sigma^2 / 2) above their median
    mean_factor = math.exp(0.35**2 / 2)
    staff: dict[str, int] = {}
    assess_scale = 1.0
    for role, mins in minutes.items():
        load = cases_per_day * mins * mean_factor / 60.0 / hours_per_day
        if role == "assessor":
            staff[role] = cfg.assessors or max(1, round(load / cfg.assessor_utilisation))
            if cfg.assessors is None:
                # whole people make the utilisation jump (2 vs 3 assessors); scale the assessment
                # effort instead so the assessors are busy exactly the configured share of the time
                assess_scale = cfg.assessor_utilisation * staff[role] / load
        else:
            staff[role] = max(1, math.ceil(load / _TARGET_UTILISATION[role]))
    return staff, assess_scale


def _case_ids(cfg: DemoConfig, n: int) -> list[str]:
    width = max(6, len(str(n)))
    return [f"P{cfg.start.year}-{i + 1:0{width}d}" for i in range(n)]


def _to_utc(local: np.ndarray, tz: str) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(local)
    # with default office hours no time falls into a DST gap or overlap; with custom hours that
    # reach into the night, a repeated hour is read as standard time and a skipped one moves on
    ambiguous = np.zeros(len(idx), dtype=bool)
    return idx.tz_localize(tz, ambiguous=ambiguous, nonexistent="shift_forward").tz_convert("UTC")


def _events_table(
    cfg: DemoConfig,
    ev_case: list[int],
    ev_act: list[str],
    ev_start: list[float],
    ev_end: list[float],
    ev_res: list[str | None],
    ev_role: list[str | None],
    ev_cost: list[float],
) -> pa.Table:
    case_idx = np.asarray(ev_case, dtype=np.int64)
    end = np.asarray(ev_end, dtype=np.float64)
    # events of a case were produced in order; a stable sort by case keeps that order
    order = np.argsort(case_idx, kind="stable")
    base = np.datetime64(cfg.start.isoformat(), "s")

    def stamps(values: np.ndarray) -> pd.DatetimeIndex:
        return _to_utc(base + np.round(values[order]).astype("timedelta64[s]"), cfg.timezone)

    ids = np.array(_case_ids(cfg, cfg.cases), dtype=object)
    n = len(order)
    columns = {
        "case_id": pa.array(ids[case_idx[order]], pa.string()),
        "activity": pa.array(np.asarray(ev_act, dtype=object)[order], pa.string()),
        "timestamp": pa.array(stamps(end), TIMESTAMP_TYPE),
        "start_timestamp": pa.array(stamps(np.asarray(ev_start, dtype=np.float64)), TIMESTAMP_TYPE),
        "resource": pa.array(np.asarray(ev_res, dtype=object)[order], pa.string()),
        "lifecycle": pa.array(["complete"] * n, pa.string()),
        "cost": pa.array(np.asarray(ev_cost, dtype=np.float64)[order], pa.float64()),
        "position": pa.array(np.arange(n, dtype=np.int64), pa.int64()),
    }
    table = pa.table(columns, schema=CORE_EVENT_SCHEMA)
    return table.append_column(
        "role", pa.array(np.asarray(ev_role, dtype=object)[order], pa.string())
    )
