"""Resources: who does how much (workload) and who hands work to whom (handover network)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from civicflow.eventlog import ACTIVITY, CASE_ID, RESOURCE, TIMESTAMP
from civicflow.mining._activities import count_value, mean_seconds, micros_between
from civicflow.mining._dot import dot_escape as _esc
from civicflow.mining._dot import mix_colour as _mix
from civicflow.mining._durations import case_window, clean_float
from civicflow.mining._format import format_duration
from civicflow.mining._record import Record, Rows

if TYPE_CHECKING:
    from civicflow.mining._view import LogView

NO_RESOURCE_REASON = (
    "no event in this view has a resource: map a resource column (e.g. org:resource) at ingest "
    "to see workload and handovers"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceLoad(Record):
    resource: str
    events: int
    cases: int
    activities: int
    active_days: int
    """Distinct calendar days (UTC) with at least one event of the resource."""
    events_per_active_day: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceWorkload(Rows[ResourceLoad]):
    """Workload per resource, busiest first. Empty with a ``reason`` when no resource is known."""

    _rows = "resources"

    reason: str | None = None
    events_without_resource: int
    resources: tuple[ResourceLoad, ...]


def resource_workload(view: LogView) -> ResourceWorkload:
    """Events, cases, distinct activities and active days per resource."""
    events = view.events
    known = events.filter(events[RESOURCE].notnull())
    agg = known.group_by(RESOURCE).aggregate(
        events=known.count(),
        cases=known[CASE_ID].nunique(),
        activities=known[ACTIVITY].nunique(),
        active_days=known[TIMESTAMP].date().nunique(),
    )
    df = view.execute(agg)
    missing = count_value(view.execute(events.filter(events[RESOURCE].isnull()).count()))
    rows = [
        ResourceLoad(
            resource=str(r[RESOURCE]),
            events=int(r["events"]),
            cases=int(r["cases"]),
            activities=int(r["activities"]),
            active_days=int(r["active_days"]),
            events_per_active_day=int(r["events"]) / int(r["active_days"]),
        )
        for r in df.to_dict("records")
    ]
    rows.sort(key=lambda r: (-r.events, r.resource))
    return ResourceWorkload(
        resources=tuple(rows),
        events_without_resource=missing,
        reason=None if rows else NO_RESOURCE_REASON,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Handover(Record):
    source: str
    target: str
    count: int
    cases: int
    mean_seconds: float | None
    """Mean time from the source's event to the target's next event in the case."""
    median_seconds: float | None = None
    """Median of the same times (the handover time a typical case sees)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoverNetwork(Rows[Handover]):
    """Edges resource a -> resource b, most frequent first."""

    _rows = "edges"

    definition: str = (
        "A handover a -> b is a pair of directly consecutive events in a case (order: timestamp, "
        "then position) done by resource a and then by resource b; a pair where either event has "
        "no resource is not counted (and is not bridged)."
    )
    include_self: bool
    reason: str | None = None
    edges: tuple[Handover, ...]

    def to_dot(self, *, max_edges: int = 60) -> str:
        """The social network as Graphviz DOT: one node per resource, an arrow per handover
        (the ``max_edges`` most frequent), labelled with its count and median handover time;
        thicker is more frequent, redder is slower."""
        shown = self.edges[:max_edges]
        lines = [
            "digraph handovers {",
            '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.3, ranksep=0.6];',
            '  node [shape=ellipse, style=filled, fillcolor="#e3f2fd", color="#1565c0", '
            'fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=8, arrowsize=0.6];',
        ]
        if len(self.edges) > len(shown):
            hidden = len(self.edges) - len(shown)
            lines.append(
                f'  graph [label="{hidden:,} rarer handover{"s" if hidden != 1 else ""} hidden", '
                'labelloc=b, fontsize=9, fontcolor="#424242"];'
            )
        names = sorted({h.source for h in shown} | {h.target for h in shown})
        for name in names:
            lines.append(f'  "{_esc(name)}";')
        top = max((h.count for h in shown), default=1) or 1
        slow = max((h.median_seconds or 0.0 for h in shown), default=0.0) or 1.0
        for h in shown:
            median = h.median_seconds or 0.0
            colour = _mix("#78909c", "#c62828", median / slow)
            label = f"{h.count:,} · {format_duration(h.median_seconds)}"
            tooltip = (
                f"{h.source} → {h.target}: {h.count:,} handovers in {h.cases:,} cases; "
                f"median {format_duration(h.median_seconds)}"
            )
            lines.append(
                f'  "{_esc(h.source)}" -> "{_esc(h.target)}" [label="{_esc(label)}", '
                f'penwidth={1 + 5 * h.count / top:.2f}, color="{colour}", '
                f'tooltip="{_esc(tooltip)}"];'
            )
        lines.append("}")
        return "\n".join(lines) + "\n"


def _seconds(micros: object) -> float | None:
    value = clean_float(micros)
    return None if value is None else round(value / 1_000_000, 6)


def handover_network(view: LogView, *, include_self: bool = False) -> HandoverNetwork:
    """Who passes work to whom; ``include_self`` also counts a resource following itself."""
    events = view.events
    w = case_window(events)
    pairs = events.mutate(
        prev_resource=events[RESOURCE].lag().over(w),
        prev_time=events[TIMESTAMP].lag().over(w),
    )
    pairs = pairs.filter(pairs.prev_resource.notnull() & pairs[RESOURCE].notnull())
    if not include_self:
        pairs = pairs.filter(pairs.prev_resource != pairs[RESOURCE])
    pairs = pairs.mutate(gap_us=micros_between(pairs.prev_time, pairs[TIMESTAMP]))
    agg = pairs.group_by(["prev_resource", RESOURCE]).aggregate(
        count=pairs.count(),
        cases=pairs[CASE_ID].nunique(),
        gap_us=pairs.gap_us.sum(),
        median_us=pairs.gap_us.quantile(0.5),
    )
    df = view.execute(agg)
    edges = sorted(
        (
            Handover(
                source=str(r["prev_resource"]),
                target=str(r[RESOURCE]),
                count=int(r["count"]),
                cases=int(r["cases"]),
                mean_seconds=mean_seconds(r["gap_us"], r["count"]),
                median_seconds=_seconds(r["median_us"]),
            )
            for r in df.to_dict("records")
        ),
        key=lambda e: (-e.count, e.source, e.target),
    )
    reason = None
    if not edges:
        has_resource = count_value(view.execute(events[RESOURCE].count()))
        reason = (
            NO_RESOURCE_REASON
            if has_resource == 0
            else "no two consecutive events in a case are done by different resources"
        )
    return HandoverNetwork(edges=tuple(edges), include_self=include_self, reason=reason)
