"""Rework: activities done again in the same case (self-loops and repeats), how many cases it
touches, and what it costs in time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from civicflow.eventlog import ACTIVITY, CASE_ID
from civicflow.mining._activities import (
    activity_instances,
    count_value,
    micros_between,
    seconds_value,
    total_seconds,
)
from civicflow.mining._durations import seconds_between
from civicflow.mining._record import Record, Rows
from civicflow.mining._view import case_spans

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from civicflow.mining._view import LogView

REWORK_DEFINITION = (
    "An activity is repeated in a case when it has more than one finished instance there (lifecycle "
    "'start' events are not counted separately). A case has rework when any activity is repeated. "
    "A self-loop is an instance directly preceded by an instance of the same activity. "
    "Extra occurrences = instances beyond the first. "
    "Rework span of an activity in a case = completion of its last instance minus completion of "
    "its first. Extra time of rework = median throughput of cases with rework minus median "
    "throughput of cases without (an association, not a proven cause)."
)


def case_activity_counts(events: Table) -> Table:
    """One row per (case, activity): finished instances, and the span first -> last completion."""
    inst = activity_instances(events)
    counts = inst.group_by([CASE_ID, ACTIVITY]).aggregate(
        n=inst.count(), first_end=inst.end.min(), last_end=inst.end.max()
    )
    return counts.mutate(
        span_seconds=seconds_between(counts.first_end, counts.last_end),
        span_us=micros_between(counts.first_end, counts.last_end),
    )


def case_rework_flags(events: Table) -> Table:
    """One row per case: ``has_rework`` (some activity repeated) and ``extra_occurrences``."""
    counts = case_activity_counts(events)
    return counts.group_by(CASE_ID).aggregate(
        has_rework=(counts.n > 1).any(), extra_occurrences=(counts.n - 1).sum()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityRework(Record):
    activity: str
    cases_with_repeats: int
    extra_occurrences: int
    self_loops: int
    cases_with_self_loops: int
    rework_span_total_seconds: float
    rework_span_median_seconds: float | None
    """Median over the cases where the activity repeats."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReworkResult(Rows[ActivityRework]):
    _rows = "activities"

    case_count: int
    cases_with_rework: int
    rework_share: float
    cases_with_self_loops: int
    median_throughput_with_rework_seconds: float | None
    median_throughput_without_rework_seconds: float | None
    extra_time_seconds: float | None
    """Median throughput with rework minus without (None when either group is empty)."""
    activities: tuple[ActivityRework, ...]
    """Activities that repeat in at least one case, most cases first."""
    definition: str = REWORK_DEFINITION


def rework(view: LogView) -> ReworkResult:
    """Self-loops, repeated activities and the time associated with rework (see the definition)."""
    events = view.events
    counts = case_activity_counts(events)
    repeated = counts.filter(counts.n > 1)
    per_activity = repeated.group_by(ACTIVITY).aggregate(
        cases_with_repeats=repeated.count(),
        extra_occurrences=(repeated.n - 1).sum(),
        span_total=repeated.span_us.sum(),
        span_median=repeated.span_seconds.quantile(0.5),
    )
    inst = activity_instances(events)
    loops = inst.filter(inst.prev_activity == inst[ACTIVITY])
    loop_counts = loops.group_by(ACTIVITY).aggregate(
        self_loops=loops.count(), loop_cases=loops[CASE_ID].nunique()
    )
    joined = per_activity.left_join(loop_counts, per_activity[ACTIVITY] == loop_counts[ACTIVITY])
    df = view.execute(joined.drop(f"{ACTIVITY}_right"))

    flags = case_rework_flags(events)
    spans = case_spans(view)
    per_case = spans.join(flags, CASE_ID)
    loop_case_count = loops.select(CASE_ID).distinct().count()
    groups = view.execute(
        per_case.group_by("has_rework").aggregate(
            n=per_case.count(), median=per_case.throughput_seconds.quantile(0.5)
        )
    )
    by_flag = {bool(r["has_rework"]): r for r in groups.to_dict("records")}
    with_r, without_r = by_flag.get(True), by_flag.get(False)
    n_with = int(with_r["n"]) if with_r else 0
    n_all = n_with + (int(without_r["n"]) if without_r else 0)
    med_with = seconds_value(with_r["median"]) if with_r else None
    med_without = seconds_value(without_r["median"]) if without_r else None
    rows = [
        ActivityRework(
            activity=str(r[ACTIVITY]),
            cases_with_repeats=int(r["cases_with_repeats"]),
            extra_occurrences=int(r["extra_occurrences"]),
            self_loops=count_value(r["self_loops"]),
            cases_with_self_loops=count_value(r["loop_cases"]),
            rework_span_total_seconds=total_seconds(r["span_total"]) or 0.0,
            rework_span_median_seconds=seconds_value(r["span_median"]),
        )
        for r in df.to_dict("records")
    ]
    rows.sort(key=lambda a: (-a.cases_with_repeats, -a.extra_occurrences, a.activity))
    return ReworkResult(
        case_count=n_all,
        cases_with_rework=n_with,
        rework_share=n_with / n_all if n_all else 0.0,
        cases_with_self_loops=count_value(view.execute(loop_case_count)),
        median_throughput_with_rework_seconds=med_with,
        median_throughput_without_rework_seconds=med_without,
        extra_time_seconds=med_with - med_without
        if med_with is not None and med_without is not None
        else None,
        activities=tuple(rows),
    )
