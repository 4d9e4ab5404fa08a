"""Discover a simulation model from a log view and a training period.

The events are read once through the view (an Ibis expression, any engine) and the model is fitted
in numpy/pandas: arrivals (hour-of-week and month-of-year profile, trend, inter-arrival times in
operational time), the stochastic directly-follows control flow with visit levels and optional
conditioning, resource pools clustered by activity profile with their sizes, calendars and cost
rates, activity durations in working time, and the case attributes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any, cast

import numpy as np
import pandas as pd

from civicflow.core import InputError, Location, check_timezone
from civicflow.eventlog import (
    ACTIVITY,
    CASE_ID,
    COST,
    POSITION,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
)
from civicflow.mining import LogView, WorkingCalendar
from civicflow.planning._checks import check_at_least, check_period
from civicflow.planning._distributions import fit_distribution
from civicflow.planning._engine import _HOUR, _rates
from civicflow.planning._model import (
    END,
    ActivityModel,
    ArrivalModel,
    Branching,
    CaseAttribute,
    ControlFlow,
    ResourcePool,
    SimulationModel,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryConfig:
    """How to discover a model. The training period keeps the cases that *start* in
    ``[start, end)`` (on top of the view's own filter)."""

    start: datetime | None = None
    end: datetime | None = None
    timezone: str = "UTC"
    """Local time of the organisation: hour-of-week profile and working calendars."""
    country: str | None = None
    """Public holidays of the working calendars (ISO code, e.g. NL); None: none."""
    subdivision: str | None = None
    condition_attribute: str | None = None
    """Case attribute the control flow is conditioned on (rows with enough support)."""
    visit_levels: int = 2
    """Transitions are told apart by the visit of the activity up to this level (loops)."""
    min_support: int = 30
    """Observations a conditioned or visit-level row needs; fewer fall back to the general row."""
    max_ks: float = 0.1
    """Largest Kolmogorov-Smirnov distance a fitted distribution may have; else empirical."""
    pool_distance: float = 0.5
    """Cosine distance below which resources with similar activity profiles share a pool."""
    max_category_values: int = 50
    """Values kept per categorical case attribute (the rest become ``(other)``)."""
    name: str | None = None
    """The model's name; None: "<dataset> simulation model"."""

    def __post_init__(self) -> None:
        check_timezone(self.timezone, field="timezone")
        check_period(self.start, self.end, what="training period")
        check_at_least(
            "DiscoveryConfig",
            visit_levels=(self.visit_levels, 1),
            min_support=(self.min_support, 1),
            max_category_values=(self.max_category_values, 1),
        )


def discover_model(view: LogView, config: DiscoveryConfig | None = None) -> SimulationModel:
    """A simulation model of the cases of ``view`` that start in the training period."""
    cfg = config or DiscoveryConfig()
    if cfg.start is not None or cfg.end is not None:
        view = view.with_filter(
            replace(view.filter, start=cfg.start, end=cfg.end, time_mode="started")
        )
    cols = [CASE_ID, ACTIVITY, TIMESTAMP, START_TIMESTAMP, RESOURCE, COST, POSITION]
    events = view.execute(view.events.select(*cols).order_by([CASE_ID, TIMESTAMP, POSITION]))
    if events.empty:
        raise InputError(
            "no cases to discover a simulation model from",
            where=Location(file=view.dataset.name),
            found="0 events in the view and training period",
            expected="cases that start in the training period",
            fix="widen the training period or the filter",
        )
    cases = view.execute(view.cases)
    events = _prepare(events, cfg.timezone)
    pools, resource_pool = _pools(events, cfg)
    act_pool = _activity_pools(events, resource_pool)
    calendars = {
        name: _calendar(events[events[RESOURCE].isin(pool.resources)], cfg)
        for name, pool in pools.items()
    }
    pools = {
        name: pool.model_copy(update={"calendar": _as_dict(calendars[name])})
        for name, pool in pools.items()
    }
    activities = _activities(events, act_pool, pools, cfg)
    pools = {
        name: pool.model_copy(update={"cost_per_hour": _cost_rate(events, name, act_pool, pools)})
        for name, pool in pools.items()
    }
    attributes = _case_attributes(cases, cfg)
    if cfg.condition_attribute is not None and cfg.condition_attribute not in attributes:
        raise InputError(
            f"cannot condition the control flow on '{cfg.condition_attribute}'",
            where=Location(file=view.dataset.name, field=cfg.condition_attribute),
            found="no such categorical case attribute",
            expected="one of: "
            + ", ".join(k for k, v in attributes.items() if v.values is not None),
            fix="pick a categorical case attribute",
        )
    control_flow = _control_flow(events, cases, cfg)
    first = events.groupby(CASE_ID, sort=False)["start_s"].min().sort_values()
    t_lo = cfg.start.timestamp() if cfg.start is not None else float(first.iloc[0])
    t_hi = cfg.end.timestamp() if cfg.end is not None else float(first.iloc[-1])
    arrivals = _arrivals(first.to_numpy(), t_lo, t_hi, cfg)
    manifest = view.dataset.manifest
    return SimulationModel(
        name=cfg.name or f"{view.dataset.name} simulation model",
        timezone=cfg.timezone,
        start=datetime.fromtimestamp(t_hi, tz=UTC),
        source={
            "dataset": view.dataset.name,
            "fingerprint": manifest.fingerprint,
            "filter": view.filter.to_dict(),
            "training_start": datetime.fromtimestamp(t_lo, tz=UTC).isoformat(),
            "training_end": datetime.fromtimestamp(t_hi, tz=UTC).isoformat(),
            "cases": int(events[CASE_ID].nunique()),
            "events": len(events),
            "start_times": "recorded" if events["recorded_start"].any() else "estimated",
        },
        arrivals=arrivals,
        control_flow=control_flow,
        activities=activities,
        pools=pools,
        case_attributes=attributes,
    )


# --------------------------------------------------------------------------------------------


def _seconds(series: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(series, utc=True)
    values = pd.DatetimeIndex(stamps).as_unit("us").asi8.astype(np.float64) / 1e6
    values[pd.isna(stamps).to_numpy()] = np.nan
    return values


def _prepare(events: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Add ``end_s``/``start_s`` (UTC seconds); estimate missing starts from the availability of
    the case and of the resource (the later of the previous end of each)."""
    events = events.reset_index(drop=True)
    events["end_s"] = _seconds(events[TIMESTAMP])
    start = _seconds(events[START_TIMESTAMP])
    events["recorded_start"] = ~np.isnan(start)
    if np.isnan(start).any():
        prev_case = events.groupby(CASE_ID, sort=False)["end_s"].shift().to_numpy()
        by_res = events.sort_values(["end_s", POSITION])
        prev_res = (
            by_res.groupby(RESOURCE, sort=False)["end_s"].shift().reindex(events.index).to_numpy()
        )
        estimate = np.fmax(prev_case, prev_res)
        estimate = np.where(np.isnan(estimate), events["end_s"].to_numpy(), estimate)
        start = np.where(np.isnan(start), np.minimum(estimate, events["end_s"].to_numpy()), start)
    events["start_s"] = start
    return events


def _pools(
    events: pd.DataFrame, cfg: DiscoveryConfig
) -> tuple[dict[str, ResourcePool], dict[str, str]]:
    """Resources clustered by the share of their events per activity (cosine distance)."""
    staffed = events[events[RESOURCE].notna()]
    if staffed.empty:
        return {}, {}
    profile = pd.crosstab(staffed[RESOURCE], staffed[ACTIVITY])
    names = [str(r) for r in profile.index]
    matrix = profile.to_numpy(dtype=float, copy=True)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    if len(names) == 1:
        labels = np.array([1])
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        distances = np.clip(1.0 - matrix @ matrix.T, 0.0, 2.0)
        condensed = distances[np.triu_indices(len(names), k=1)]
        labels = fcluster(
            linkage(condensed, method="average"), t=cfg.pool_distance, criterion="distance"
        )
    pools: dict[str, ResourcePool] = {}
    resource_pool: dict[str, str] = {}
    groups = sorted(
        {int(k) for k in labels},
        key=lambda k: -profile.iloc[np.flatnonzero(labels == k)].to_numpy().sum(),
    )
    for k in groups:
        members = sorted(names[i] for i in np.flatnonzero(labels == k))
        top = profile.loc[[m for m in profile.index if str(m) in members]].sum(axis=0)
        name = _pool_name(members, str(top.idxmax()), pools)
        pools[name] = ResourcePool(size=len(members), resources=members)
        for m in members:
            resource_pool[m] = name
    return pools, resource_pool


def _pool_name(members: list[str], top_activity: str, taken: dict[str, Any]) -> str:
    prefix = _common_prefix(members)
    name = prefix if len(prefix) >= 3 else f"{top_activity} staff"
    base, n = name, 2
    while name in taken:
        name = f"{base} {n}"
        n += 1
    return name


def _common_prefix(names: list[str]) -> str:
    stems = {re.sub(r"[\s_\-.#]*\d+$", "", n) for n in names}
    if len(stems) == 1:
        return stems.pop().strip(" _-.#")
    first, last = min(names), max(names)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    return re.sub(r"[\s_\-.#\d]*$", "", first[:i])


def _activity_pools(events: pd.DataFrame, resource_pool: dict[str, str]) -> dict[str, str | None]:
    """Each activity's pool: the one whose resources did most of it; none when most of its
    events have no resource."""
    pool = events[RESOURCE].map(resource_pool)
    out: dict[str, str | None] = {}
    for activity, group in pool.groupby(events[ACTIVITY], sort=True):
        staffed = group.dropna()
        out[str(activity)] = None if len(staffed) * 2 < len(group) else str(staffed.mode().iloc[0])
    return out


def _calendar(events: pd.DataFrame, cfg: DiscoveryConfig) -> WorkingCalendar | None:
    """Weekdays with at least a tenth of the busiest day's work; hours from the 0.5th percentile
    of local start times to the 99.5th of local end times, to the quarter hour; None (always
    available) when work covers more than 20 hours a day."""
    if events.empty:
        return None
    start = pd.to_datetime(events["start_s"], unit="s", utc=True).dt.tz_convert(cfg.timezone)
    end = pd.to_datetime(events["end_s"], unit="s", utc=True).dt.tz_convert(cfg.timezone)
    per_day = np.bincount(end.dt.day_of_week.to_numpy(), minlength=7)
    working = per_day >= 0.1 * per_day.max()
    on_day = working[end.dt.day_of_week.to_numpy()] & (start.dt.date == end.dt.date).to_numpy()
    if on_day.sum() < 10:
        return None
    tod_start = _time_of_day(start[on_day])
    tod_end = _time_of_day(end[on_day])
    lo = math.floor(np.quantile(tod_start, 0.005) / 900) * 900
    hi = math.ceil(np.quantile(tod_end, 0.995) / 900) * 900
    if hi - lo > 20 * 3600 or hi <= lo:
        return None
    hi = min(hi, 86_399)
    hours = tuple((_clock(lo), _clock(hi)) if ok else None for ok in working)
    return WorkingCalendar(
        hours=hours, timezone=cfg.timezone, country=cfg.country, subdivision=cfg.subdivision
    )


def _as_dict(calendar: WorkingCalendar | None) -> dict[str, Any] | None:
    return None if calendar is None else calendar.to_dict()


def _time_of_day(stamps: pd.Series) -> np.ndarray:
    return (stamps.dt.hour * 3600 + stamps.dt.minute * 60 + stamps.dt.second).to_numpy(dtype=float)


def _clock(seconds: float) -> time:
    s = int(seconds)
    return time(s // 3600, (s % 3600) // 60, s % 60)


def _working_durations(events: pd.DataFrame, calendar: WorkingCalendar | None) -> np.ndarray:
    start = events["start_s"].to_numpy()
    end = events["end_s"].to_numpy()
    if calendar is None:
        return np.maximum(end - start, 0.0)
    s = pd.to_datetime(start, unit="s", utc=True)
    e = pd.to_datetime(end, unit="s", utc=True)
    return np.maximum(np.nan_to_num(calendar.working_seconds_between(s, e)), 0.0)


def _activities(
    events: pd.DataFrame,
    act_pool: dict[str, str | None],
    pools: dict[str, ResourcePool],
    cfg: DiscoveryConfig,
) -> dict[str, ActivityModel]:
    out: dict[str, ActivityModel] = {}
    for activity, group in events.groupby(ACTIVITY, sort=True):
        pool = act_pool[str(activity)]
        calendar = None if pool is None else pools[pool].working_calendar()
        work = _working_durations(group, calendar)
        events.loc[group.index, "work_s"] = work
        out[str(activity)] = ActivityModel(
            pool=pool, duration=fit_distribution(work, max_ks=cfg.max_ks)
        )
    return out


def _cost_rate(
    events: pd.DataFrame, pool: str, act_pool: dict[str, str | None], pools: dict[str, ResourcePool]
) -> float:
    """Median of cost per working hour over the pool's events with a cost and a duration."""
    acts = [a for a, p in act_pool.items() if p == pool]
    rows = events[events[ACTIVITY].isin(acts) & events[COST].notna() & (events["work_s"] > 60)]
    if rows.empty:
        return 0.0
    rate = rows[COST].to_numpy(dtype=float) / (rows["work_s"].to_numpy() / _HOUR)
    return round(float(np.median(rate)), 2)


def _case_attributes(cases: pd.DataFrame, cfg: DiscoveryConfig) -> dict[str, CaseAttribute]:
    out: dict[str, CaseAttribute] = {}
    for name in cases.columns:
        if name == CASE_ID:
            continue
        series = cases[name].dropna()
        if series.empty or pd.api.types.is_datetime64_any_dtype(series):
            continue
        if pd.api.types.is_bool_dtype(series):
            series = series.astype(str)
        if pd.api.types.is_numeric_dtype(series) and series.nunique() > 20:
            q = np.quantile(series.to_numpy(dtype=float), np.linspace(0, 1, 101))
            out[str(name)] = CaseAttribute(quantiles=[float(v) for v in q])
            continue
        if name == cfg.condition_attribute:
            series = series.astype(str)
        counts = series.astype(str).value_counts()
        if len(counts) > cfg.max_category_values:
            if name != cfg.condition_attribute and counts.iloc[0] < 0.01 * len(series):
                continue  # an identifier, not a category
            top = counts.iloc[: cfg.max_category_values - 1]
            counts = pd.concat([top, pd.Series({"(other)": counts.iloc[len(top) :].sum()})])
        out[str(name)] = CaseAttribute(values=_shares(counts))
    return out


def _shares(counts: pd.Series) -> dict[str, float]:
    total = float(counts.sum())
    shares = {str(k): round(float(v) / total, 6) for k, v in counts.items() if v > 0}
    top = max(shares, key=lambda k: shares[k])
    shares[top] = round(shares[top] + 1.0 - sum(shares.values()), 6)
    return shares


def _control_flow(events: pd.DataFrame, cases: pd.DataFrame, cfg: DiscoveryConfig) -> ControlFlow:
    ordered = events.sort_values([CASE_ID, "end_s", POSITION], kind="stable")
    case = ordered[CASE_ID].to_numpy()
    act = ordered[ACTIVITY].astype(str).to_numpy()
    nxt = np.empty(len(act), dtype=object)
    same = np.concatenate([case[1:] == case[:-1], [False]])
    nxt[:-1] = act[1:]
    nxt[~same] = END
    visit = ordered.groupby([CASE_ID, ACTIVITY], sort=False).cumcount().to_numpy() + 1
    frame = pd.DataFrame(
        {"case": case, "from": act, "to": nxt, "visit": np.minimum(visit, cfg.visit_levels)}
    )
    if cfg.condition_attribute is not None:
        values = cases.set_index(CASE_ID)[cfg.condition_attribute].astype(str)
        frame["when"] = frame["case"].map(values)
    starts = frame[~np.concatenate([[False], case[1:] == case[:-1]])]["from"].value_counts()
    rows: list[Branching] = []

    def add(group: pd.DataFrame, visit: int | None, when: str | None) -> None:
        counts = group["to"].value_counts()
        rows.append(
            Branching(
                source=str(group["from"].iloc[0]),
                visit=visit,
                when=when,
                cases=len(group),
                to=_shares(counts),
            )
        )

    for _activity, group in frame.groupby("from", sort=True):
        add(group, None, None)
        if cfg.visit_levels > 1 and group["visit"].nunique() > 1:
            for v, sub in group.groupby("visit", sort=True):
                if len(sub) >= cfg.min_support:
                    add(sub, int(cast(Any, v)), None)
        if cfg.condition_attribute is not None:
            for w, sub in group.groupby("when", sort=True):
                if len(sub) >= cfg.min_support:
                    add(sub, None, str(w))
                    if cfg.visit_levels > 1 and sub["visit"].nunique() > 1:
                        for v, sub2 in sub.groupby("visit", sort=True):
                            if len(sub2) >= cfg.min_support:
                                add(sub2, int(cast(Any, v)), str(w))
    return ControlFlow(
        start=_shares(starts),
        transitions=rows,
        condition_attribute=cfg.condition_attribute,
        visit_levels=cfg.visit_levels,
    )


def _arrivals(first: np.ndarray, t_lo: float, t_hi: float, cfg: DiscoveryConfig) -> ArrivalModel:
    """Rate profile per local hour of the week (and month of the year, from a full year of data),
    a log-linear trend over weeks (from 8 weeks on), and the gaps in operational time."""
    first = np.sort(first[(first >= t_lo) & (first <= t_hi)]) if len(first) > 1 else first
    t_lo = min(t_lo, float(first[0]))
    t_hi = max(t_hi, float(first[-1]))
    span = max(t_hi - t_lo, _HOUR)
    hours = math.floor(t_lo / _HOUR) * _HOUR + _HOUR * np.arange(int(span / _HOUR) + 2)
    local = pd.DatetimeIndex(pd.to_datetime(hours, unit="s", utc=True)).tz_convert(cfg.timezone)
    how_hours = local.day_of_week.to_numpy() * 24 + local.hour.to_numpy()
    exposure = np.bincount(how_hours, minlength=168).astype(float)
    arrive = pd.DatetimeIndex(pd.to_datetime(first, unit="s", utc=True)).tz_convert(cfg.timezone)
    how = arrive.day_of_week.to_numpy() * 24 + arrive.hour.to_numpy()
    counts = np.bincount(how, minlength=168).astype(float)
    week = np.where(exposure > 0, counts / np.maximum(exposure, 1), 0.0)
    if week.sum() <= 0:
        week = np.ones(168)
    week = week / week.mean()
    months = np.ones(12)
    if span >= 365 * 86_400:
        m_exposure = np.bincount(local.month.to_numpy() - 1, minlength=12).astype(float)
        m_counts = np.bincount(arrive.month.to_numpy() - 1, minlength=12).astype(float)
        months = np.where(m_exposure > 0, m_counts / np.maximum(m_exposure, 1), 0.0)
        months = months / months.mean() if months.sum() > 0 else np.ones(12)
    trend = 0.0
    weeks = int(span // (7 * 86_400))
    if weeks >= 8:
        idx = ((first - t_lo) // (7 * 86_400)).astype(int)
        per_week = np.bincount(idx[idx < weeks], minlength=weeks).astype(float)
        ok = per_week > 0
        if ok.sum() >= 8:
            slope = np.polyfit(np.arange(weeks)[ok], np.log(per_week[ok]), 1)[0]
            trend = float(np.clip(math.exp(slope * 52.1775) - 1.0, -0.9, 10.0))
            if abs(trend) < 0.01:
                trend = 0.0
    week_l = [round(float(v), 4) for v in week]
    months_l = [round(float(v), 4) for v in months]
    # gaps in operational time, with the trend's origin at the end of training (where a
    # simulation starts)
    w = np.asarray(week_l) / np.mean(week_l)
    m = np.asarray(months_l) / np.mean(months_l)
    rate = _rates(hours[:-1], w, m, round(trend, 4), t_hi, cfg.timezone)
    cum = np.concatenate([[0.0], np.cumsum(rate * _HOUR)])
    h = np.clip(((first - hours[0]) // _HOUR).astype(int), 0, len(rate) - 1)
    operational = cum[h] + (first - hours[h]) * rate[h]
    gaps = np.diff(operational)
    if len(gaps) == 0:
        gaps = np.array([span])
    interarrival = fit_distribution(gaps, max_ks=cfg.max_ks)
    return ArrivalModel(
        interarrival=interarrival,
        hour_of_week=week_l,
        month_of_year=months_l,
        trend_per_year=round(trend, 4),
    )
