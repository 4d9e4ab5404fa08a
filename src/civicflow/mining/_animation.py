"""Case paths for the animated replay on the process map: each drawn case's activities with the
seconds since the first drawn event, so the browser can move one token per case along the map's
edges over time (play, pause, speed). A big log is sampled, and the result says so."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, TIMESTAMP
from civicflow.mining._checks import check_limit
from civicflow.mining._durations import utc_iso
from civicflow.mining._record import Record
from civicflow.mining._sample import SampledRows, sample_cases

if TYPE_CHECKING:
    from civicflow.mining._view import LogView


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayConfig(Record):
    """``max_cases``: more cases than this are sampled (every k-th case by start)."""

    max_cases: int = 300

    def __post_init__(self) -> None:
        check_limit("max_cases", self.max_cases, of="cases", fix="pass e.g. max_cases=300")


@dataclass(frozen=True, slots=True, kw_only=True)
class CasePath(Record):
    case_id: str
    activities: tuple[str, ...]
    offsets: tuple[float, ...]
    """seconds from ``CaseReplay.start`` to each activity's event"""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseReplay(SampledRows):
    _rows = "cases"

    start: str
    """ISO 8601 UTC time of the first drawn event (offset 0)"""
    span_seconds: float
    total_cases: int
    config: ReplayConfig = field(default_factory=ReplayConfig)
    cases: tuple[CasePath, ...] = ()

    @property
    def sampled(self) -> bool:
        return len(self.cases) < self.total_cases

    @property
    def note(self) -> str:
        if not self.sampled:
            return f"Every case is replayed ({len(self.cases):,})."
        return (
            f"A sample is replayed: {len(self.cases):,} of {self.total_cases:,} cases "
            "(evenly spread by start time)."
        )


def case_replay(view: LogView, config: ReplayConfig | None = None) -> CaseReplay:
    """The paths of the drawn cases (every case, or an even sample by start)."""
    config = config or ReplayConfig()
    sample = sample_cases(view, config.max_cases)
    events = view.events
    chosen = sample.table
    joined = events.inner_join(chosen, events[CASE_ID] == chosen[CASE_ID])
    df = view.execute(
        joined.select(
            joined["row"], joined[CASE_ID], joined[ACTIVITY], joined[TIMESTAMP], joined[POSITION]
        ).order_by(["row", TIMESTAMP, POSITION])
    )
    if df.empty:
        return CaseReplay(start="", span_seconds=0.0, total_cases=sample.total_cases, config=config)
    t0: datetime = min(df[TIMESTAMP])
    t1: datetime = max(df[TIMESTAMP])
    paths: list[CasePath] = []
    for _row, group in df.groupby("row", sort=True):
        paths.append(
            CasePath(
                case_id=str(group[CASE_ID].iloc[0]),
                activities=tuple(str(a) for a in group[ACTIVITY]),
                offsets=tuple(round((t - t0).total_seconds(), 3) for t in group[TIMESTAMP]),
            )
        )
    return CaseReplay(
        start=utc_iso(t0),
        span_seconds=(t1 - t0).total_seconds(),
        total_cases=sample.total_cases,
        config=config,
        cases=tuple(paths),
    )
