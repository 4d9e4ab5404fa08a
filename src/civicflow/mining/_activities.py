"""Activity statistics: how often each activity happens, how long it takes (service time) and how
long cases wait before it (waiting time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from civicflow.eventlog import (
    ACTIVITY,
    CASE_ID,
    LIFECYCLE,
    POSITION,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
)
from civicflow.mining._durations import clean_float, epoch_micros, seconds_between
from civicflow.mining._record import Record, Rows

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from civicflow.mining._view import LogView

NON_COMPLETING_TRANSITIONS: tuple[str, ...] = (
    "start",
    "schedule",
    "assign",
    "reassign",
    "suspend",
    "resume",
)
"""Lifecycle transitions (lower case) that do not finish an activity instance. Every other event —
``complete``, no lifecycle at all, or an abort — finishes one."""

WAITING_DEFINITION = (
    "Waiting time before an activity instance = its start (start timestamp, or the matched "
    "lifecycle 'start' event; its own timestamp when no start is known) minus the completion of "
    "the previous activity instance in the same case, in event order (timestamp, then position); "
    "negative values (overlapping work) count as 0. The first instance of a case has no waiting time."
)
SERVICE_DEFINITION = (
    "Service time = completion minus start of the same activity instance; a start comes from the "
    "start_timestamp column or, failing that, from lifecycle 'start' events matched first-in "
    "first-out to the 'complete' events of the same activity in the same case."
)


def activity_instances(events: Table, *, lifecycle_starts: bool | None = None) -> Table:
    """One row per activity instance (a finishing event), in case order.

    Columns: ``case_id, activity, resource, position, start, end`` (``start`` may be null), and
    ``prev_activity``, ``prev_end``, ``wait_seconds``, ``service_seconds`` (null when unknown),
    and the same two durations in whole microseconds (``wait_us``, ``service_us``) for exact sums.
    Lifecycle ``start`` events are matched first-in first-out: the k-th start of an activity in a
    case belongs to its k-th completion; a start later than its completion is ignored.
    ``lifecycle_starts=None`` asks the engine whether any ``start`` event exists (one cheap scan).
    """
    lifecycle = events[LIFECYCLE].lower().fill_null("")
    if lifecycle_starts is None:
        # most logs have completions only; skipping the matching join halves the work there
        lifecycle_starts = bool(events.filter(lifecycle == "start").limit(1).count().execute())
    finished = events.filter(~lifecycle.isin(list(NON_COMPLETING_TRANSITIONS)))
    if lifecycle_starts:
        inst = _match_starts(events, finished, lifecycle)
    else:
        inst = finished.select(
            CASE_ID, ACTIVITY, RESOURCE, POSITION, start=finished[START_TIMESTAMP], end=TIMESTAMP
        )
    w = ibis.window(group_by=inst[CASE_ID], order_by=[inst.end, inst[POSITION]])
    inst = inst.mutate(prev_activity=inst[ACTIVITY].lag().over(w), prev_end=inst.end.lag().over(w))
    began = inst.start.coalesce(inst.end)
    raw_wait = seconds_between(inst.prev_end, began)
    raw_wait_us = micros_between(inst.prev_end, began)
    return inst.mutate(
        wait_seconds=ibis.ifelse(raw_wait < 0, 0.0, raw_wait),
        service_seconds=seconds_between(inst.start, inst.end),
        wait_us=ibis.ifelse(raw_wait_us < 0, 0, raw_wait_us),
        service_us=micros_between(inst.start, inst.end),
    )


def micros_between(start: Any, end: Any) -> Any:
    """``end - start`` in whole microseconds (int64): sums of these are exact on every engine,
    where float sums differ in the last bits with the summation order."""
    return epoch_micros(end) - epoch_micros(start)


def mean_seconds(total_us: Any, count: Any) -> float | None:
    """Mean in seconds from an exact microsecond total and a count (None when nothing counted)."""
    n = count_value(count)
    total = clean_float(total_us)
    return None if not n or total is None else round(total / n / 1_000_000, 6)


def total_seconds(total_us: Any) -> float | None:
    total = clean_float(total_us)
    return None if total is None else total / 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityStat(Record):
    """Statistics of one activity. Durations in seconds; None where nothing could be measured."""

    activity: str
    events: int
    """Events with this activity label (all lifecycle transitions)."""
    instances: int
    """Finished activity instances (see NON_COMPLETING_TRANSITIONS)."""
    cases: int
    case_share: float
    """cases / cases in the view."""
    service_count: int
    service_mean_seconds: float | None
    service_median_seconds: float | None
    service_p90_seconds: float | None
    wait_count: int
    wait_mean_seconds: float | None
    wait_median_seconds: float | None
    wait_total_seconds: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityStats(Rows[ActivityStat]):
    """Per-activity statistics, most frequent first."""

    activities: tuple[ActivityStat, ...]
    case_count: int
    has_service_times: bool
    """True when at least one instance had a known start (start timestamp or lifecycle pair)."""
    waiting_definition: str = WAITING_DEFINITION
    service_definition: str = SERVICE_DEFINITION

    _rows = "activities"
    _row_key = "activity"

    def get(self, activity: str) -> ActivityStat:
        return self._row(activity)


def activity_stats(view: LogView) -> ActivityStats:
    """Frequency, cases, service time and waiting time per activity (see the result's definitions)."""
    events = view.events
    counts = events.group_by(ACTIVITY).aggregate(
        events=events.count(), cases=events[CASE_ID].nunique()
    )
    inst = activity_instances(events)
    durations = inst.group_by(ACTIVITY).aggregate(
        instances=inst.count(),
        service_count=inst.service_seconds.count(),
        service_sum_us=inst.service_us.sum(),
        service_median=inst.service_seconds.quantile(0.5),
        service_p90=inst.service_seconds.quantile(0.9),
        wait_count=inst.wait_seconds.count(),
        wait_sum_us=inst.wait_us.sum(),
        wait_median=inst.wait_seconds.quantile(0.5),
    )
    per_activity = counts.left_join(durations, counts[ACTIVITY] == durations[ACTIVITY]).drop(
        f"{ACTIVITY}_right"
    )
    df = view.execute(per_activity)
    total_cases = int(view.execute(events[CASE_ID].nunique().name("n").as_table())["n"].iloc[0])
    rows = [
        ActivityStat(
            activity=str(r[ACTIVITY]),
            events=int(r["events"]),
            instances=count_value(r["instances"]),
            cases=int(r["cases"]),
            case_share=int(r["cases"]) / total_cases if total_cases else 0.0,
            service_count=count_value(r["service_count"]),
            service_mean_seconds=mean_seconds(r["service_sum_us"], r["service_count"]),
            service_median_seconds=seconds_value(r["service_median"]),
            service_p90_seconds=seconds_value(r["service_p90"]),
            wait_count=count_value(r["wait_count"]),
            wait_mean_seconds=mean_seconds(r["wait_sum_us"], r["wait_count"]),
            wait_median_seconds=seconds_value(r["wait_median"]),
            wait_total_seconds=total_seconds(r["wait_sum_us"])
            if count_value(r["wait_count"])
            else None,
        )
        for r in df.to_dict("records")
    ]
    rows.sort(key=lambda a: (-a.events, a.activity))
    return ActivityStats(
        activities=tuple(rows),
        case_count=total_cases,
        has_service_times=any(a.service_count for a in rows),
    )


def seconds_value(value: Any) -> float | None:
    """A duration for a result: None when missing, rounded to the microsecond.

    Timestamps have microsecond resolution, so nothing real is lost; the rounding removes the
    last-bit differences that engines' different summation orders leave in sums and means.
    """
    f = clean_float(value)
    return None if f is None else round(f, 6)


def count_value(value: Any) -> int:
    f = clean_float(value)
    return 0 if f is None else int(f)


def _match_starts(events: Table, finished: Table, lifecycle: Any) -> Table:
    by_activity = ibis.window(
        group_by=[events[CASE_ID], events[ACTIVITY]],
        order_by=[events[TIMESTAMP], events[POSITION]],
    )
    starts = (
        events.filter(lifecycle == "start")
        .mutate(k=ibis.row_number().over(by_activity))
        .select(s_case=CASE_ID, s_activity=ACTIVITY, s_k="k", s_time=TIMESTAMP)
    )
    numbered = finished.mutate(k=ibis.row_number().over(by_activity))
    joined = numbered.left_join(
        starts,
        [
            numbered[CASE_ID] == starts.s_case,
            numbered[ACTIVITY] == starts.s_activity,
            numbered.k == starts.s_k,
        ],
    )
    matched = ibis.ifelse(joined.s_time <= joined[TIMESTAMP], joined.s_time, ibis.null())
    return joined.select(
        joined[CASE_ID],
        joined[ACTIVITY],
        joined[RESOURCE],
        joined[POSITION],
        start=joined[START_TIMESTAMP].coalesce(matched),
        end=joined[TIMESTAMP],
    )
