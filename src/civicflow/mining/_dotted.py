"""The dotted chart: every event as a dot, time across, one row per case (sorted by its start),
coloured by activity. Arrival waves, batches and stalled cases show at a glance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, TIMESTAMP
from civicflow.mining._checks import check_limit
from civicflow.mining._durations import utc_iso
from civicflow.mining._record import Record
from civicflow.mining._sample import SampledRows, sample_cases

if TYPE_CHECKING:
    from civicflow.mining._view import LogView


@dataclass(frozen=True, slots=True, kw_only=True)
class DottedChartConfig(Record):
    """``max_cases``: more cases than this are sampled (every k-th case by start), and the
    result says so."""

    max_cases: int = 500

    def __post_init__(self) -> None:
        check_limit("max_cases", self.max_cases, of="cases", fix="pass e.g. max_cases=500")


@dataclass(frozen=True, slots=True, kw_only=True)
class Dot(Record):
    row: int
    """the case's row: 0 is the earliest-starting case drawn"""
    case_id: str
    activity: str
    timestamp: str
    """ISO 8601, UTC"""


@dataclass(frozen=True, slots=True, kw_only=True)
class DottedChart(SampledRows):
    """The dots of the drawn cases, by row then time."""

    _rows = "dots"

    total_cases: int
    cases: int
    """cases drawn"""
    events: int
    """events drawn (one dot each)"""
    activities: tuple[str, ...]
    """the activities of the dots, most frequent first (the colour legend's order)"""
    config: DottedChartConfig = field(default_factory=DottedChartConfig)
    dots: tuple[Dot, ...]

    @property
    def sampled(self) -> bool:
        return self.cases < self.total_cases

    @property
    def note(self) -> str:
        if not self.sampled:
            return f"Every case is drawn ({self.cases:,} cases, {self.events:,} events)."
        return (
            f"A sample: {self.cases:,} of {self.total_cases:,} cases (every "
            f"{-(-self.total_cases // self.config.max_cases):,}th by start), "
            f"{self.events:,} events."
        )


def dotted_chart(view: LogView, config: DottedChartConfig | None = None) -> DottedChart:
    """One dot per event of each drawn case: x its time, y its case (sorted by start)."""
    config = config or DottedChartConfig()
    sample = sample_cases(view, config.max_cases)
    events = view.events
    chosen = sample.table
    joined = events.inner_join(chosen, events[CASE_ID] == chosen[CASE_ID])
    rows = joined.select(
        joined["row"], joined[CASE_ID], joined[ACTIVITY], joined[TIMESTAMP], joined[POSITION]
    ).order_by(["row", TIMESTAMP, POSITION])
    df = view.execute(rows)
    dots = tuple(
        Dot(
            row=int(r["row"]),
            case_id=str(r[CASE_ID]),
            activity=str(r[ACTIVITY]),
            timestamp=utc_iso(r[TIMESTAMP]),
        )
        for r in df.to_dict("records")
    )
    counts: dict[str, int] = {}
    for d in dots:
        counts[d.activity] = counts.get(d.activity, 0) + 1
    return DottedChart(
        total_cases=sample.total_cases,
        cases=len({d.row for d in dots}),
        events=len(dots),
        activities=tuple(sorted(counts, key=lambda a: (-counts[a], a))),
        config=config,
        dots=dots,
    )
