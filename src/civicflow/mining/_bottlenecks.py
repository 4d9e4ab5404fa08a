"""Bottlenecks: where cases wait. Activities and transitions ranked by the total waiting time they
add across cases, each with its share of all waiting time and a finding in plain language that a
reader can recompute — a finding only when the share is material (``BottleneckConfig``)."""

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
from civicflow.mining._checks import check_share
from civicflow.mining._format import format_duration, format_number
from civicflow.mining._record import Record, records_frame
from civicflow.mining._view import case_spans

if TYPE_CHECKING:
    import pandas as pd

    from civicflow.mining._view import LogView

BOTTLENECK_DEFINITION = (
    "Ranked by total waiting time = the sum over all instances of the waiting time before the "
    "activity (or on the transition a -> b: from the completion of a to the start of b when a "
    "directly precedes b). The share = that total / the total waiting time of all activity "
    "instances in the view x 100: the shares of all activities (or of all transitions) add up "
    "to 100 %, so none exceeds it. A finding is listed only when the share reaches the "
    "materiality threshold (BottleneckConfig.min_share, 5 % unless set otherwise). "
    + WAITING_DEFINITION
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BottleneckConfig(Record):
    """``top``: how many activities and transitions to rank; ``min_share``: the materiality
    threshold — an activity or transition is a *finding* only when its total waiting time is at
    least this share of all waiting time in the view (0.05: 5 %). Below it, it is still ranked
    in the tables but not called a bottleneck."""

    top: int = 10
    min_share: float = 0.05

    def __post_init__(self) -> None:
        if self.top < 1:
            raise ConfigurationError(
                "top must be at least 1",
                where=Location(field="top"),
                found=str(self.top),
                expected="a positive number of bottlenecks to report",
                fix="pass top=10 (the default) or another positive number",
            )
        check_share("min_share", self.min_share, zero=True, fix="pass e.g. min_share=0.05 (5 %)")


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
    share_of_waiting: float | None
    """total_wait_seconds / the total waiting time of the view (0..1; None when nothing waits)."""
    material: bool
    """The share reaches the config's ``min_share``: a finding."""
    finding: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BottleneckResult:
    """The top activities and transitions by total waiting time, largest first."""

    activities: tuple[Bottleneck, ...]
    transitions: tuple[Bottleneck, ...]
    case_count: int
    median_throughput_seconds: float | None
    total_wait_seconds: float
    """All waiting time in the view: the whole every share is a part of."""
    config: BottleneckConfig = BottleneckConfig()
    definition: str = BOTTLENECK_DEFINITION

    @property
    def findings(self) -> list[str]:
        """The findings of the activities whose share is material, largest first."""
        return [b.finding for b in self.activities if b.material]

    @property
    def frame(self) -> pd.DataFrame:
        return records_frame((*self.activities, *self.transitions))

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": self.definition,
            "config": self.config.to_dict(),
            "case_count": self.case_count,
            "median_throughput_seconds": self.median_throughput_seconds,
            "total_wait_seconds": self.total_wait_seconds,
            "findings": self.findings,
            "activities": [b.to_dict() for b in self.activities],
            "transitions": [b.to_dict() for b in self.transitions],
        }


def bottlenecks(
    view: LogView, *, top: int | None = None, config: BottleneckConfig | None = None
) -> BottleneckResult:
    """The activities and transitions that add the most waiting time across cases.

    ``top`` overrides ``config.top``. See :data:`BOTTLENECK_DEFINITION` (also on the result)
    for what is ranked, what the share is a share of, and when a bottleneck is a finding.
    """
    config = config or BottleneckConfig()
    if top is not None:
        config = BottleneckConfig(top=top, min_share=config.min_share)
    events = view.events
    spans = case_spans(view)
    overall = view.execute(
        spans.aggregate(n=spans.count(), median=spans.throughput_seconds.quantile(0.5))
    )
    case_count = int(overall["n"].iloc[0])
    median_tp = seconds_value(overall["median"].iloc[0]) if case_count else None

    inst = activity_instances(events)
    waits = inst.filter(inst.wait_seconds.notnull())
    whole = view.execute(waits.aggregate(total=waits.wait_us.sum()))
    total_wait = total_seconds(whole["total"].iloc[0]) or 0.0

    def ranked(keys: list[str]) -> pd.DataFrame:
        agg = waits.group_by(keys).aggregate(
            total=waits.wait_us.sum(),
            median=waits.wait_seconds.quantile(0.5),
            occurrences=waits.count(),
            cases=waits[CASE_ID].nunique(),
        )
        # ties broken by name so both engines return the same top-N
        return view.execute(agg.order_by([agg.total.desc(), *keys]).limit(config.top))

    def make(source: str | None, r: dict[Any, Any]) -> Bottleneck:
        return _bottleneck(source, r, total_wait, config.min_share)

    per_activity = ranked([ACTIVITY])
    per_transition = ranked(["prev_activity", ACTIVITY])
    return BottleneckResult(
        activities=tuple(make(None, r) for r in per_activity.to_dict("records")),
        transitions=tuple(
            make(str(r["prev_activity"]), r) for r in per_transition.to_dict("records")
        ),
        case_count=case_count,
        median_throughput_seconds=median_tp,
        total_wait_seconds=total_wait,
        config=config,
    )


def _bottleneck(
    source: str | None, r: dict[Any, Any], total_wait: float, min_share: float
) -> Bottleneck:
    target = str(r[ACTIVITY])
    median = seconds_value(r["median"])
    cases = int(r["cases"])
    where = f"'{target}'" if source is None else f"'{source}' and '{target}'"
    total = total_seconds(r["total"]) or 0.0
    share = total / total_wait if total_wait > 0 else None
    share_text = _percent(share) if share is not None else "an unknown share"
    finding = (
        f"Waiting {'before' if source is None else 'between'} {where} is {share_text} of all "
        f"waiting time ({format_duration(total)} in total across {format_number(cases)} case"
        f"{'' if cases == 1 else 's'}; median wait {format_duration(median)})"
    )
    return Bottleneck(
        source=source,
        target=target,
        total_wait_seconds=total,
        median_wait_seconds=median,
        mean_wait_seconds=mean_seconds(r["total"], r["occurrences"]),
        occurrences=int(r["occurrences"]),
        cases=cases,
        share_of_waiting=share,
        material=share is not None and total > 0 and share >= min_share,
        finding=finding,
    )


def _percent(share: float) -> str:
    # whole percent reads best, but a small share must not be shown as a flat "0 %"
    pct = share * 100
    if pct >= 1 or pct == 0:
        return f"{pct:.0f} %"
    return f"{pct:.1f} %" if pct >= 0.1 else "under 0.1 %"
