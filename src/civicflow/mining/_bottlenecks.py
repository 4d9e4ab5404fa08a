"""Bottlenecks: where cases wait. Activities and transitions ranked by the total waiting time they
add across cases, each with a finding in plain language that a reader can recompute."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from civicflow.core import ConfigurationError, Location
from civicflow.eventlog import ACTIVITY, CASE_ID
from civicflow.mining._activities import (
    WAITING_DEFINITION,
    activity_instances,
    mean_seconds,
    seconds_value,
    total_seconds,
)
from civicflow.mining._format import format_duration
from civicflow.mining._record import Record, records_frame
from civicflow.mining._view import case_spans

if TYPE_CHECKING:
    import pandas as pd

    from civicflow.mining._view import LogView

BOTTLENECK_DEFINITION = (
    "Ranked by total waiting time = the sum over all instances of the waiting time before the "
    "activity (or on the transition a -> b: from the completion of a to the start of b when a "
    "directly precedes b). The percentage in a finding = median waiting time before the activity "
    "(over the instances that have a predecessor) / median case throughput time of all cases in "
    "the view (first to last event) x 100. " + WAITING_DEFINITION
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bottleneck(Record):
    """Waiting before one activity (``source`` is None) or on one transition source -> target."""

    source: str | None
    target: str
    total_wait_seconds: float
    """Sum of the waiting times (the ranking key)."""
    median_wait_seconds: float | None
    mean_wait_seconds: float | None
    occurrences: int
    """Instances with a measured waiting time."""
    cases: int
    share_of_median_throughput: float | None
    """median_wait_seconds / median case throughput time (None when the throughput is 0)."""
    finding: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BottleneckResult:
    """The top activities and transitions by total waiting time, largest first."""

    activities: tuple[Bottleneck, ...]
    transitions: tuple[Bottleneck, ...]
    case_count: int
    median_throughput_seconds: float | None
    definition: str = BOTTLENECK_DEFINITION

    @property
    def findings(self) -> list[str]:
        return [b.finding for b in self.activities]

    @property
    def frame(self) -> pd.DataFrame:
        return records_frame((*self.activities, *self.transitions))

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": self.definition,
            "case_count": self.case_count,
            "median_throughput_seconds": self.median_throughput_seconds,
            "activities": [b.to_dict() for b in self.activities],
            "transitions": [b.to_dict() for b in self.transitions],
        }


def bottlenecks(view: LogView, *, top: int = 10) -> BottleneckResult:
    """The ``top`` activities and transitions that add the most waiting time across cases.

    See :data:`BOTTLENECK_DEFINITION` (also on the result) for what is ranked and what the
    percentage in each finding means.
    """
    if top < 1:
        raise ConfigurationError(
            "top must be at least 1",
            where=Location(field="top"),
            found=str(top),
            expected="a positive number of bottlenecks to report",
            fix="pass top=10 (the default) or another positive number",
        )
    events = view.events
    spans = case_spans(view)
    overall = view.execute(
        spans.aggregate(n=spans.count(), median=spans.throughput_seconds.quantile(0.5))
    )
    case_count = int(overall["n"].iloc[0])
    median_tp = seconds_value(overall["median"].iloc[0]) if case_count else None

    inst = activity_instances(events)
    waits = inst.filter(inst.wait_seconds.notnull())

    def ranked(keys: list[str]) -> pd.DataFrame:
        agg = waits.group_by(keys).aggregate(
            total=waits.wait_us.sum(),
            median=waits.wait_seconds.quantile(0.5),
            occurrences=waits.count(),
            cases=waits[CASE_ID].nunique(),
        )
        # ties broken by name so both engines return the same top-N
        return view.execute(agg.order_by([agg.total.desc(), *keys]).limit(top))

    per_activity = ranked([ACTIVITY])
    per_transition = ranked(["prev_activity", ACTIVITY])
    return BottleneckResult(
        activities=tuple(_bottleneck(None, r, median_tp) for r in per_activity.to_dict("records")),
        transitions=tuple(
            _bottleneck(str(r["prev_activity"]), r, median_tp)
            for r in per_transition.to_dict("records")
        ),
        case_count=case_count,
        median_throughput_seconds=median_tp,
    )


def _bottleneck(source: str | None, r: dict[Any, Any], median_tp: float | None) -> Bottleneck:
    target = str(r[ACTIVITY])
    median = seconds_value(r["median"])
    share = median / median_tp if median is not None and median_tp else None
    cases = int(r["cases"])
    where = f"'{target}'" if source is None else f"'{source}' and '{target}'"
    total = total_seconds(r["total"]) or 0.0
    share_text = _percent(share) if share is not None else "an unknown share"
    finding = (
        f"Waiting {'before' if source is None else 'between'} {where} is {share_text} of median "
        f"throughput time (median wait {format_duration(median)} across {cases:,} case"
        f"{'' if cases == 1 else 's'}; {format_duration(total)} in total)"
    )
    return Bottleneck(
        source=source,
        target=target,
        total_wait_seconds=total,
        median_wait_seconds=median,
        mean_wait_seconds=mean_seconds(r["total"], r["occurrences"]),
        occurrences=int(r["occurrences"]),
        cases=cases,
        share_of_median_throughput=share,
        finding=finding,
    )


def _percent(share: float) -> str:
    # whole percent reads best, but a small share must not be shown as a flat "0 %"
    pct = share * 100
    if pct >= 1 or pct == 0:
        return f"{pct:.0f} %"
    return f"{pct:.1f} %" if pct >= 0.1 else "under 0.1 %"
