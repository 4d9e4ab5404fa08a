"""The performance spectrum: for a chosen sequence of activities (a → b, or a → b → c ...), one line
per occurrence in a case, from the time at the first activity to the time at each next one. Lines
are classed by their duration's quartile, so a change of pace over time, batching (lines that
meet) and overtaking (lines that cross) become visible."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis

from civicflow.core import ConfigurationError
from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, TIMESTAMP
from civicflow.mining._activities import count_value
from civicflow.mining._checks import check_limit
from civicflow.mining._durations import case_window, seconds_between, utc_iso
from civicflow.mining._record import Record
from civicflow.mining._sample import SampledRows

if TYPE_CHECKING:
    from civicflow.mining._view import LogView

QUARTILE_CLASSES = ("fastest 25%", "25-50%", "50-75%", "slowest 25%")
"""The class of a line by its total duration, fastest first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceSpectrumConfig(Record):
    """``activities``: the sequence, at least two; an occurrence is the activities following one
    another in a case in that order with none of the sequence's activities between them (other
    activities may lie between: the case is first reduced to the sequence's activities, as PM4Py
    and the performance-spectrum literature do). ``max_lines``: more occurrences than this are
    sampled (every k-th by start), and the result says so."""

    activities: tuple[str, ...]
    max_lines: int = 2000

    def __post_init__(self) -> None:
        if len(self.activities) < 2:
            raise ConfigurationError(
                "a performance spectrum needs a sequence of at least two activities",
                found=", ".join(self.activities) or "(none)",
                expected="two or more activity names, e.g. ('Check', 'Decide')",
                fix="pick the pair of activities whose time between you want to see",
            )
        check_limit("max_lines", self.max_lines, of="lines", fix="pass e.g. max_lines=2000")


@dataclass(frozen=True, slots=True, kw_only=True)
class SpectrumLine(Record):
    case_id: str
    timestamps: tuple[str, ...]
    """ISO 8601 UTC time at each activity of the sequence"""
    seconds: float
    """from the first to the last activity"""
    quartile: int
    """1 (fastest quarter) to 4 (slowest)"""


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceSpectrum(SampledRows):
    _rows = "lines"

    activities: tuple[str, ...]
    occurrences: int
    """every occurrence of the sequence in the view"""
    quartiles: tuple[float, float, float]
    """the 25th, 50th and 75th percentile of the duration over every occurrence, seconds"""
    config: PerformanceSpectrumConfig
    lines: tuple[SpectrumLine, ...] = field(default=())

    @property
    def sampled(self) -> bool:
        return len(self.lines) < self.occurrences

    @property
    def note(self) -> str:
        what = " → ".join(self.activities)
        if not self.occurrences:
            return f"No case has {what} one after the other."
        if not self.sampled:
            return f"Every occurrence of {what} is drawn ({self.occurrences:,})."
        return (
            f"A sample: {len(self.lines):,} of {self.occurrences:,} occurrences of {what} "
            "(evenly spread by start time); the quartiles are of every occurrence."
        )


def performance_spectrum(view: LogView, config: PerformanceSpectrumConfig) -> PerformanceSpectrum:
    """Each occurrence of ``config.activities`` in a case reduced to those activities."""
    seq = config.activities
    events = view.events.select(CASE_ID, ACTIVITY, TIMESTAMP, POSITION)
    events = events.filter(events[ACTIVITY].isin(list(dict.fromkeys(seq))))
    w = case_window(events)
    steps = {f"a{i}": events[ACTIVITY].lead(i).over(w) for i in range(1, len(seq))}
    times = {f"t{i}": events[TIMESTAMP].lead(i).over(w) for i in range(1, len(seq))}
    stepped = events.mutate(**steps, **times)
    match = stepped[ACTIVITY] == seq[0]
    for i, name in enumerate(seq[1:], start=1):
        match = match & (stepped[f"a{i}"] == name)
    found = stepped.filter(match)
    last = f"t{len(seq) - 1}"
    found = found.mutate(seconds=seconds_between(found[TIMESTAMP], found[last]))
    stats = view.execute(
        found.aggregate(n=found.count(), q=found.seconds.quantile([0.25, 0.5, 0.75]))
    ).iloc[0]
    n = count_value(stats["n"])
    quartiles = (0.0, 0.0, 0.0)
    if n:
        q = [float(x) for x in stats["q"]]
        quartiles = (q[0], q[1], q[2])
    step = max(1, -(-n // config.max_lines))
    ranked = found.mutate(
        rank=ibis.row_number().over(order_by=[found[TIMESTAMP], found[CASE_ID], found[POSITION]])
    )
    if step > 1:
        ranked = ranked.filter(ranked["rank"] % step == 0)
    cols = [CASE_ID, TIMESTAMP, *times, "seconds"]
    df = view.execute(ranked.select(*cols, "rank").order_by("rank")) if n else None
    lines = []
    for r in [] if df is None else df.to_dict("records"):
        seconds = float(r["seconds"])
        quartile = 1 + sum(seconds > b for b in quartiles)
        stamps = (r[TIMESTAMP], *(r[t] for t in times))
        lines.append(
            SpectrumLine(
                case_id=str(r[CASE_ID]),
                timestamps=tuple(utc_iso(s) for s in stamps),
                seconds=seconds,
                quartile=quartile,
            )
        )
    return PerformanceSpectrum(
        activities=seq, occurrences=n, quartiles=quartiles, config=config, lines=tuple(lines)
    )
