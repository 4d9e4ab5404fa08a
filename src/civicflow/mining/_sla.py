"""SLA compliance: the share of cases completed within a target — a fixed duration, optionally
counted in working time, or a per-case deadline attribute."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import ibis
import numpy as np
import pandas as pd

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, TIMESTAMP
from civicflow.mining._calendar import WorkingCalendar, stored_field, stored_field_error
from civicflow.mining._format import format_duration
from civicflow.mining._record import Record
from civicflow.mining._view import case_spans

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from civicflow.mining._view import LogView

Period = Literal["day", "week", "month", "quarter", "year"]
_PERIOD_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaConfig:
    """What "on time" means. Give exactly one of ``target_seconds`` and ``deadline_attribute``.

    - ``target_seconds``: a case complies when its duration (first to last event; working time
      only when a ``calendar`` is given) is at most the target.
    - ``deadline_attribute``: a case attribute (or event attribute, first value per case) holding
      each case's deadline; a case complies when its last event is at or before the deadline.
      Cases without a deadline are counted as ``no_deadline`` and left out of the share.
    - ``end_activities``: when given, a case whose last activity is not one of them is still
      open; open cases are left out of the share (``open_late`` counts those already past due at
      ``as_of``, default: the last event in the view).
    """

    target_seconds: float | None = None
    deadline_attribute: str | None = None
    calendar: WorkingCalendar | None = None
    end_activities: tuple[str, ...] = ()
    as_of: datetime | None = None
    period: Period = "month"
    """Trend granularity, by the period in which a case ended (UTC)."""
    worst: int = 10
    """How many of the largest breaches to list."""

    def __post_init__(self) -> None:
        if (self.target_seconds is None) == (self.deadline_attribute is None):
            raise ConfigurationError(
                "an SLA needs exactly one of a fixed target and a deadline attribute",
                where=Location(field="target_seconds / deadline_attribute"),
                found=f"target_seconds={self.target_seconds}, "
                f"deadline_attribute={self.deadline_attribute}",
                expected="one of the two",
                fix="e.g. SlaConfig(target_seconds=30 * 86400) or "
                "SlaConfig(deadline_attribute='case:deadline')",
            )
        if self.target_seconds is not None and not self.target_seconds > 0:
            raise ConfigurationError(
                "the SLA target must be a positive duration",
                where=Location(field="target_seconds"),
                found=str(self.target_seconds),
                expected="seconds > 0",
                fix="give the target in seconds, e.g. 5 days = 432000",
            )
        if self.period not in _PERIOD_FREQ:
            raise ConfigurationError(
                f"unknown trend period '{self.period}'",
                where=Location(field="period"),
                found=str(self.period),
                expected=", ".join(_PERIOD_FREQ),
                fix="pick one of the listed periods",
            )

    @property
    def basis(self) -> str:
        """In a few words which definition this is: ``per-case deadline ('deadline'), calendar
        time`` or ``fixed target of 30.0 d, working time (Mon–Fri 08:30–17:00, UTC)``."""
        what = (
            f"fixed target of {format_duration(self.target_seconds)}"
            if self.target_seconds is not None
            else f"per-case deadline ('{self.deadline_attribute}')"
        )
        when = (
            f"working time ({self.calendar.describe()})"
            if self.calendar is not None
            else "calendar time"
        )
        return f"{what}, {when}"

    def describe(self) -> str:
        """The definition in one sentence, naming its kind (fixed target or per-case deadline)
        and how time is counted (working hours or calendar time, 24 hours a day)."""
        if self.target_seconds is not None:
            counted = (
                f"counted in working time only ({self.calendar.describe()})"
                if self.calendar is not None
                else "counted in calendar time (elapsed time, 24 hours a day)"
            )
            return (
                f"Fixed target: a case complies when its duration (first to last event) is at "
                f"most {format_duration(self.target_seconds)} ({self.target_seconds:,.0f} s), "
                f"{counted}."
            )
        late = (
            f"; how late a breach is counts working time only ({self.calendar.describe()})"
            if self.calendar is not None
            else " (calendar time)"
        )
        return (
            f"Per-case deadline: a case complies when its last event is at or before its own "
            f"deadline, the case attribute '{self.deadline_attribute}'{late}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "target_seconds": self.target_seconds,
            "deadline_attribute": self.deadline_attribute,
            "calendar": self.calendar.to_dict() if self.calendar else None,
            "end_activities": list(self.end_activities),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "period": self.period,
            "worst": self.worst,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "sla") -> SlaConfig:
        """The SLA of :meth:`to_dict` (a baseline stores it); an error names the field."""
        target = stored_field(data, "target_seconds", float | int, where, default=None)
        calendar = stored_field(data, "calendar", dict, where, default=None)
        as_of = stored_field(data, "as_of", str, where, default=None)
        try:
            moment = datetime.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise stored_field_error(f"{where}.as_of", as_of, "an ISO date-time") from None
        return cls(
            target_seconds=None if target is None else float(target),
            deadline_attribute=stored_field(data, "deadline_attribute", str, where, default=None),
            calendar=(
                WorkingCalendar.from_dict(calendar, where=f"{where}.calendar") if calendar else None
            ),
            end_activities=tuple(
                str(a) for a in stored_field(data, "end_activities", list, where, default=[])
            ),
            as_of=moment,
            period=stored_field(data, "period", str, where, default="month"),
            worst=stored_field(data, "worst", int, where, default=10),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaPeriod(Record):
    period: str
    """First day of the period (ISO date)."""
    cases: int
    compliant: int
    breached: int
    share: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaBreach(Record):
    case_id: str
    start: str
    end: str
    duration_seconds: float
    """Elapsed, or working time with a calendar."""
    due: str | None
    """The deadline (ISO instant); for a fixed target: start + target in elapsed time, or None
    when the target counts working time (the overshoot then says how far past it)."""
    overshoot_seconds: float
    """How much too late (working time with a calendar)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaResult:
    config: SlaConfig
    definition: str
    cases: int
    compliant: int
    breached: int
    open: int
    open_late: int
    no_deadline: int
    share: float | None
    """compliant / (compliant + breached); None when no case was decided."""
    trend: tuple[SlaPeriod, ...]
    worst_breaches: tuple[SlaBreach, ...]
    case_outcomes: pd.DataFrame
    """One row per case: case_id, start, end, duration_seconds, due, overshoot_seconds, status
    (compliant | breached | open | no_deadline)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "definition": self.definition,
            "cases": self.cases,
            "compliant": self.compliant,
            "breached": self.breached,
            "open": self.open,
            "open_late": self.open_late,
            "no_deadline": self.no_deadline,
            "share": self.share,
            "trend": [p.to_dict() for p in self.trend],
            "worst_breaches": [b.to_dict() for b in self.worst_breaches],
        }


def sla_compliance(view: LogView, *, config: SlaConfig) -> SlaResult:
    """Compliant, breached and open cases, the share on time, its trend and the worst breaches."""
    outcomes = case_outcomes(view, config=config)
    status = outcomes["status"]
    compliant = int((status == "compliant").sum())
    breached = int((status == "breached").sum())
    decided = outcomes[status.isin(["compliant", "breached"])]
    trend: list[SlaPeriod] = []
    if len(decided):
        ends = decided["end"].dt.tz_convert("UTC").dt.tz_localize(None)
        keys = ends.dt.to_period(_PERIOD_FREQ[config.period]).dt.start_time.dt.date
        grouped = decided.assign(_p=keys.to_numpy()).groupby("_p", sort=True)["status"]
        for period, values in grouped:
            ok = int((values == "compliant").sum())
            bad = int((values == "breached").sum())
            trend.append(
                SlaPeriod(
                    period=period.isoformat(),  # type: ignore[union-attr]
                    cases=ok + bad,
                    compliant=ok,
                    breached=bad,
                    share=ok / (ok + bad),
                )
            )
    worst = (
        outcomes[status == "breached"]
        .sort_values(["overshoot_seconds", "case_id"], ascending=[False, True])
        .head(max(config.worst, 0))
    )
    return SlaResult(
        config=config,
        definition=config.describe(),
        cases=len(outcomes),
        compliant=compliant,
        breached=breached,
        open=int((status == "open").sum()),
        open_late=int(((status == "open") & (outcomes["overshoot_seconds"] > 0)).sum()),
        no_deadline=int((status == "no_deadline").sum()),
        share=compliant / (compliant + breached) if compliant + breached else None,
        trend=tuple(trend),
        worst_breaches=tuple(
            SlaBreach(
                case_id=str(r["case_id"]),
                start=r["start"].isoformat(),
                end=r["end"].isoformat(),
                duration_seconds=float(r["duration_seconds"]),
                due=None if pd.isna(r["due"]) else r["due"].isoformat(),
                overshoot_seconds=float(r["overshoot_seconds"]),
            )
            for r in worst.to_dict("records")
        ),
        case_outcomes=outcomes,
    )


def case_outcomes(view: LogView, *, config: SlaConfig) -> pd.DataFrame:
    """Per case: start, end, duration, due, overshoot and SLA status (see :class:`SlaResult`)."""
    events = view.events
    spans = case_spans(view)
    table: Table = spans
    if config.end_activities:
        table = table.join(_last_activities(events), CASE_ID)
    if config.deadline_attribute is not None:
        table = table.left_join(_deadlines(view, config.deadline_attribute), CASE_ID).drop(
            f"{CASE_ID}_right"
        )
    df = view.execute(table)
    start = pd.to_datetime(df["case_start"], utc=True)
    end = pd.to_datetime(df["case_end"], utc=True)
    as_of = pd.Timestamp(config.as_of) if config.as_of else end.max()
    if as_of is not pd.NaT and as_of.tzinfo is None:
        as_of = as_of.tz_localize("UTC")
    is_open = (
        ~df["last_activity"].isin(list(config.end_activities)).to_numpy()
        if config.end_activities
        else np.zeros(len(df), dtype=bool)
    )
    # an open case is judged at as_of: it may already be late
    judged_end = end.where(~is_open, as_of)
    calendar = config.calendar
    duration: np.ndarray
    overshoot: np.ndarray
    if calendar is not None:
        duration = calendar.working_seconds_between(start, judged_end)
    else:
        duration = (judged_end - start).dt.total_seconds().to_numpy()
    status = np.where(is_open, "open", "compliant").astype(object)
    if config.target_seconds is not None:
        target = float(config.target_seconds)
        overshoot = duration - target
        due = (
            start + pd.to_timedelta(target, unit="s")
            if calendar is None
            else pd.Series(pd.NaT, index=start.index, dtype=start.dtype)
        )
    else:
        deadline = _parse_deadlines(df, config.deadline_attribute or "")
        if calendar is not None:
            overshoot = calendar.working_seconds_between(deadline, judged_end)
        else:
            overshoot = (judged_end - deadline).dt.total_seconds().to_numpy()
        due = deadline
        status = np.where(deadline.isna().to_numpy(), "no_deadline", status)
    decided = status == "compliant"
    status = np.where(decided & (overshoot > 0), "breached", status)
    # tz-aware Series go in as they are: converting them to numpy makes an object array of
    # Timestamps, which is slow on hundreds of thousands of cases
    return pd.DataFrame(
        {
            "case_id": df[CASE_ID].astype(str),
            "start": start,
            "end": end,
            "duration_seconds": duration,
            "due": due,
            "overshoot_seconds": overshoot,
            "status": status,
        }
    ).sort_values("case_id", ignore_index=True)


def _last_activities(events: Table) -> Table:
    w = ibis.window(
        group_by=events[CASE_ID], order_by=[events[TIMESTAMP].desc(), events[POSITION].desc()]
    )
    ranked = events.mutate(_rn=ibis.row_number().over(w))
    return ranked.filter(ranked._rn == 0).select(CASE_ID, last_activity=ranked[ACTIVITY])


def _deadlines(view: LogView, attribute: str) -> Table:
    cases = view.cases
    if attribute in cases.columns:
        return cases.select(CASE_ID, _deadline=cases[attribute])
    events = view.events
    if attribute in events.columns:
        known = events.filter(events[attribute].notnull())
        return known.group_by(CASE_ID).aggregate(_deadline=known[attribute].min())
    available = sorted({c for c in (*cases.columns, *events.columns) if c != CASE_ID})
    raise InputError(
        f"the deadline attribute '{attribute}' is not in the dataset",
        where=Location(file=view.dataset.name, field=attribute),
        found=attribute,
        expected="one of: " + ", ".join(available),
        fix="name the case (or event) attribute that holds each case's deadline",
    )


def _parse_deadlines(df: pd.DataFrame, attribute: str) -> pd.Series:
    raw = df["_deadline"]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw, utc=True)
    else:
        text = raw.astype("string")
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        bad = parsed.isna() & text.notna() & (text.str.strip() != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{int(bad.sum())} deadline value(s) in '{attribute}' are not timestamps",
                where=Location(field=attribute),
                found=f"case {df[CASE_ID].iloc[i]}: {text.iloc[i]!r}",
                expected="ISO 8601 timestamps, e.g. 2011-12-06 13:41:31+01:00",
                fix="fix or clear those values, or map the deadline column as a timestamp",
            )
    return parsed
