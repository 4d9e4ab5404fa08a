"""The process map: a directly-follows graph with frequency and performance per edge, filterable to
a readable size (top activities, a path slider) without ever leaving an activity stranded, and
without hiding where the time goes: edges are kept by frequency *or* by total waiting time, and a
loop (rework) that costs much waiting is never dropped."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from civicflow.core import check_choice
from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, TIMESTAMP
from civicflow.mining._checks import check_limit, check_share
from civicflow.mining._dot import dot_escape as _esc
from civicflow.mining._dot import mix_colour as _mix
from civicflow.mining._durations import (
    case_window,
    seconds_between,
)
from civicflow.mining._format import format_duration
from civicflow.mining._record import Record

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from civicflow.mining._view import LogView

MapMetric = Literal["frequency", "performance"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessMapConfig(Record):
    """How much of the map to show.

    ``max_activities`` keeps the N most frequent activities (ties broken by name); the others are
    removed from every case before the edges are computed, so an edge a→b then means "b was the
    next shown activity after a". ``path_share`` keeps the most frequent edges until that share of
    all directly-follows occurrences is covered, plus the fewest extra edges needed so that every
    shown activity is reachable from a start activity and reaches an end activity.

    The time a path costs ranks it too: ``wait_share`` (None: the same as ``path_share``) also keeps
    the edges with the largest *total* waiting time (the sum over its occurrences of the time from
    source to target) until that share of all waiting is covered, and a loop edge (one that leads
    back to an activity it can be reached from: rework) whose total waiting is at least
    ``loop_wait_share`` of all waiting is always kept (None: no such rule).
    """

    max_activities: int | None = None
    path_share: float = 1.0
    wait_share: float | None = None
    loop_wait_share: float | None = 0.02

    def __post_init__(self) -> None:
        check_limit(
            "max_activities",
            self.max_activities,
            of="activities",
            fix="pass max_activities=None to show every activity",
        )
        check_share(
            "path_share",
            self.path_share,
            zero=True,
            note=" (1 keeps every path)",
            fix="pass e.g. path_share=0.8 to keep the paths covering 80 % of transitions",
        )
        for name, value in (
            ("wait_share", self.wait_share),
            ("loop_wait_share", self.loop_wait_share),
        ):
            if value is not None:
                check_share(
                    name,
                    value,
                    zero=True,
                    note=" (or None)",
                    fix=f"pass e.g. {name}=0.8, or None",
                )

    @property
    def effective_wait_share(self) -> float:
        """The share of total waiting the kept edges cover at least (``path_share`` when unset)."""
        return self.path_share if self.wait_share is None else self.wait_share


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityNode(Record):
    name: str
    frequency: int
    """number of events with this activity"""
    cases: int
    """number of cases with at least one such event"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge(Record):
    """``source`` directly followed by ``target`` inside a case; durations are target minus source
    timestamp, in seconds."""

    source: str
    target: str
    frequency: int
    cases: int
    mean_seconds: float
    median_seconds: float
    p90_seconds: float
    total_seconds: float
    min_seconds: float
    max_seconds: float


EDGE_COLUMNS = tuple(Edge.__dataclass_fields__)


@dataclass(frozen=True, kw_only=True)
class ProcessMap:
    """A directly-follows graph. ``edges`` are the shown ones; the counts of hidden parts say how
    much the filters removed, so a reader knows what they are not seeing."""

    activities: tuple[ActivityNode, ...]
    edges: tuple[Edge, ...]
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    cases: int
    events: int
    total_activities: int
    hidden_activities: tuple[str, ...]
    total_edges: int
    hidden_edges: int
    covered_share: float
    """share of directly-follows occurrences (between shown activities) the shown edges cover"""
    config: ProcessMapConfig = field(default_factory=ProcessMapConfig)
    ends_in_hidden: dict[str, int] = field(default_factory=dict)
    """shown activity -> cases whose remaining events are all hidden activities (with
    ``max_activities``): they do not end there, they go on to activities the map does not draw"""
    starts_in_hidden: dict[str, int] = field(default_factory=dict)
    """shown activity -> cases that began with hidden activities before reaching it"""
    covered_wait_share: float = 1.0
    """share of the total waiting time (between shown activities) on the shown edges"""

    @property
    def legend(self) -> str:
        """What the map leaves out, in words (empty when it draws everything)."""
        parts = []
        if self.hidden_edges:
            parts.append(
                f"{self.hidden_edges:,} rarer path{'s' if self.hidden_edges != 1 else ''} hidden "
                f"({1 - self.covered_share:.0%} of transitions, "
                f"{1 - self.covered_wait_share:.0%} of waiting time)"
            )
        if self.hidden_activities:
            n = len(self.hidden_activities)
            parts.append(f"{n:,} rarer activit{'ies' if n != 1 else 'y'} hidden")
        return "; ".join(parts)

    @property
    def edges_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self.edges], columns=list(EDGE_COLUMNS))

    @property
    def activities_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [a.to_dict() for a in self.activities], columns=["name", "frequency", "cases"]
        )

    def edge(self, source: str, target: str) -> Edge | None:
        for e in self.edges:
            if e.source == source and e.target == target:
                return e
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "events": self.events,
            "activities": [a.to_dict() for a in self.activities],
            "edges": [e.to_dict() for e in self.edges],
            "start_activities": dict(self.start_activities),
            "end_activities": dict(self.end_activities),
            "total_activities": self.total_activities,
            "hidden_activities": list(self.hidden_activities),
            "total_edges": self.total_edges,
            "hidden_edges": self.hidden_edges,
            "covered_share": self.covered_share,
            "covered_wait_share": self.covered_wait_share,
            "ends_in_hidden": dict(self.ends_in_hidden),
            "starts_in_hidden": dict(self.starts_in_hidden),
            "legend": self.legend,
            "config": self.config.to_dict(),
        }

    def to_dot(self, metric: MapMetric = "frequency") -> str:
        """Graphviz DOT text: edge labels and pen widths by ``metric``, edge colours by waiting
        time (median duration), node shading by frequency."""
        check_choice(metric, ("frequency", "performance"), what="process-map metric")
        lines = [
            "digraph process_map {",
            '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.4, ranksep=0.5];',
            '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
            '  "__start__" [label="", shape=circle, width=0.3, fillcolor="#2e7d32", color="#2e7d32"];',
            '  "__end__" [label="", shape=doublecircle, width=0.25, fillcolor="#c62828", color="#c62828"];',
        ]
        max_freq = max((a.frequency for a in self.activities), default=1) or 1
        for a in self.activities:
            shade = _mix("#e3f2fd", "#1565c0", a.frequency / max_freq)
            font = "#ffffff" if a.frequency / max_freq > 0.6 else "#0d1b2a"
            label = f"{a.name}\n{a.frequency:,}"
            lines.append(
                f'  "{_esc(a.name)}" [label="{_esc(label)}", fillcolor="{shade}", fontcolor="{font}"];'
            )
        legend = self.legend
        if legend:
            # printed under the map, so the reader knows what the drawing leaves out
            lines.append(
                f'  graph [label="{_esc(legend)}", labelloc=b, labeljust=l, fontsize=10, '
                'fontcolor="#424242"];'
            )
        max_start = max(
            [
                *self.start_activities.values(),
                *self.end_activities.values(),
                *self.ends_in_hidden.values(),
                1,
            ]
        )
        if self.ends_in_hidden or self.starts_in_hidden:
            # cases that go on to (or came from) activities the map does not draw: they must not
            # look as if they stopped (or began) at the last (first) shown activity
            n = len(self.hidden_activities)
            lines.append(
                f'  "__hidden__" [label="{n} hidden\\nactivit{"ies" if n != 1 else "y"}", '
                'shape=box, style="dashed,rounded", color="#616161", fontcolor="#424242", '
                "fontsize=9];"
            )
            for name, count in sorted(self.starts_in_hidden.items()):
                lines.append(
                    f'  "__hidden__" -> "{_esc(name)}" [label="{count:,}", style=dotted, '
                    f'color="#616161", penwidth={1 + 4 * count / max_start:.2f}];'
                )
            for name, count in sorted(self.ends_in_hidden.items()):
                lines.append(
                    f'  "{_esc(name)}" -> "__hidden__" [label="{count:,}", style=dotted, '
                    f'color="#616161", penwidth={1 + 4 * count / max_start:.2f}];'
                )
            into = sum(self.ends_in_hidden.values())
            if into:
                lines.append(
                    f'  "__hidden__" -> "__end__" [label="{into:,}", style=dashed, '
                    f'color="#c62828", penwidth={1 + 4 * into / max_start:.2f}];'
                )
            came = sum(self.starts_in_hidden.values())
            if came:
                lines.append(
                    f'  "__start__" -> "__hidden__" [label="{came:,}", style=dashed, '
                    f'color="#2e7d32", penwidth={1 + 4 * came / max_start:.2f}];'
                )
        for name, count in sorted(self.start_activities.items()):
            width = 1 + 4 * count / max_start
            lines.append(
                f'  "__start__" -> "{_esc(name)}" [label="{count:,}", style=dashed, '
                f'color="#2e7d32", penwidth={width:.2f}];'
            )
        for name, count in sorted(self.end_activities.items()):
            width = 1 + 4 * count / max_start
            lines.append(
                f'  "{_esc(name)}" -> "__end__" [label="{count:,}", style=dashed, '
                f'color="#c62828", penwidth={width:.2f}];'
            )
        if self.edges:
            weights = [
                float(e.frequency) if metric == "frequency" else e.median_seconds
                for e in self.edges
            ]
            top_weight = max(weights) or 1.0
            top_wait = max(e.median_seconds for e in self.edges) or 1.0
            for e, w in zip(self.edges, weights, strict=True):
                label = (
                    f"{e.frequency:,}"
                    if metric == "frequency"
                    else format_duration(e.median_seconds)
                )
                colour = _mix("#78909c", "#d32f2f", max(e.median_seconds, 0.0) / top_wait)
                tooltip = (
                    f"{e.source} → {e.target}: {e.frequency:,} times in {e.cases:,} cases; "
                    f"median {format_duration(e.median_seconds)}, "
                    f"mean {format_duration(e.mean_seconds)}"
                )
                lines.append(
                    f'  "{_esc(e.source)}" -> "{_esc(e.target)}" [label="{_esc(label)}", '
                    f'penwidth={1 + 7 * max(w, 0.0) / top_weight:.2f}, color="{colour}", '
                    f'tooltip="{_esc(tooltip)}"];'
                )
        lines.append("}")
        return "\n".join(lines) + "\n"


def process_map(view: LogView, config: ProcessMapConfig | None = None) -> ProcessMap:
    """The directly-follows graph of the view's cases.

    Per edge a→b: how often b directly follows a (events), in how many cases, and the time from a to
    b (mean, median, p90, total, min, max seconds; exact percentiles). Per activity: events and
    cases. Start and end activities with the number of cases that start/end with them.
    """
    config = config or ProcessMapConfig()
    labels = _labels(view)
    steps = _steps(view, labels)
    act_df = (
        steps.groupby("source", as_index=False)
        .agg(frequency=("frequency", "sum"), cases=("activity_cases", "sum"))
        .rename(columns={"source": ACTIVITY})
    )
    act_df = act_df.sort_values(["frequency", ACTIVITY], ascending=[False, True], kind="stable")
    all_names = [str(a) for a in act_df[ACTIVITY]]
    hidden: list[str] = []
    if config.max_activities is not None and len(all_names) > config.max_activities:
        hidden = all_names[config.max_activities :]
        shown = all_names[: config.max_activities]
        act_df = act_df[act_df[ACTIVITY].isin(shown)]
        # removing activities re-links the remaining ones: a different relation than the
        # stored successors, so it is computed from the events
        events = view.events.select(CASE_ID, ACTIVITY, TIMESTAMP, POSITION)
        hidden_codes = [i for i, name in enumerate(labels) if name in set(hidden)]
        edges_df, ends_df = _directly_follows(
            view, events.filter(events[ACTIVITY].isin(shown)), hidden_codes
        )
    else:
        edges_df, ends_df = _edges_and_ends(steps)
    activities = tuple(
        ActivityNode(name=str(r[ACTIVITY]), frequency=int(r["frequency"]), cases=int(r["cases"]))
        for r in _records(act_df)
    )

    all_edges = [
        Edge(
            source=str(r["source"]),
            target=str(r["target"]),
            frequency=int(r["frequency"]),
            cases=int(r["cases"]),
            mean_seconds=float(r["total_seconds"]) / int(r["frequency"]),
            median_seconds=float(r["median_seconds"]),
            p90_seconds=float(r["p90_seconds"]),
            total_seconds=float(r["total_seconds"]),
            min_seconds=float(r["min_seconds"]),
            max_seconds=float(r["max_seconds"]),
        )
        for r in _records(edges_df)
    ]
    all_edges.sort(key=lambda e: (-e.frequency, e.source, e.target))
    bounds = _records(ends_df)

    def counts(column: str) -> dict[str, int]:
        return {
            str(r[ACTIVITY]): int(r[column]) for r in bounds if r.get(column, 0) and r[column] > 0
        }

    starts, ends = counts("starts"), counts("ends")
    starts_hidden, ends_hidden = counts("starts_hidden"), counts("ends_hidden")
    kept = _keep_paths(
        all_edges,
        {**starts, **starts_hidden},
        {**ends, **ends_hidden},
        config.path_share,
        wait_share=config.effective_wait_share,
        loop_wait_share=config.loop_wait_share,
    )
    total_occurrences = sum(e.frequency for e in all_edges)
    covered = sum(e.frequency for e in kept)
    total_wait = sum(max(e.total_seconds, 0.0) for e in all_edges)
    covered_wait = sum(max(e.total_seconds, 0.0) for e in kept)
    n_cases = int(sum(starts.values()) + sum(starts_hidden.values()))

    def ranked(d: dict[str, int]) -> dict[str, int]:
        return dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))

    return ProcessMap(
        activities=activities,
        edges=tuple(kept),
        start_activities=ranked(starts),
        end_activities=ranked(ends),
        cases=n_cases,
        events=int(sum(a.frequency for a in activities)),
        total_activities=len(all_names),
        hidden_activities=tuple(hidden),
        total_edges=len(all_edges),
        hidden_edges=len(all_edges) - len(kept),
        covered_share=(covered / total_occurrences) if total_occurrences else 1.0,
        covered_wait_share=(covered_wait / total_wait) if total_wait else 1.0,
        ends_in_hidden=ranked(ends_hidden),
        starts_in_hidden=ranked(starts_hidden),
        config=config,
    )


def _labels(view: LogView) -> list[str]:
    table = view.execute(view.activity_table.select("code", ACTIVITY))
    labels = [""] * len(table)
    for code, label in zip(table["code"], table[ACTIVITY], strict=True):
        labels[int(code)] = str(label)
    return labels


def _steps(view: LogView, labels: list[str]) -> pd.DataFrame:
    """One hash aggregation over the stored successors, grouped by (activity, next activity):
    the edges, and (summed per activity) its events, cases, starts and ends. Case counts are
    sums of the "first in its case" flags, durations are exact microseconds."""
    t = view.transitions
    # integer microseconds: exact sums, and no per-row conversion before the aggregation
    us = t.duration_us
    grouped = t.group_by([t[ACTIVITY], t.next_activity]).aggregate(
        frequency=t.count(),
        cases=t.first_edge.sum(),
        activity_cases=t.first_activity.sum(),
        starts=t.is_start.sum(),
        total_us=us.sum(),
        quantiles=us.quantile([0.5, 0.9]),
        min_us=us.min(),
        max_us=us.max(),
    )
    df = view.execute(grouped)
    names = pd.Series(labels, dtype=object)
    source = df[ACTIVITY].astype("int64")
    target = df["next_activity"]
    has_target = target.notna()
    df = df.assign(
        source=names.reindex(source.to_numpy()).to_numpy(),
        target=pd.Series(
            [labels[int(c)] if ok else None for c, ok in zip(target, has_target, strict=True)],
            index=df.index,
            dtype=object,
        ),
        last=~has_target,
        median_seconds=[_quantile(q, 0) / 1_000_000 for q in df["quantiles"]],
        p90_seconds=[_quantile(q, 1) / 1_000_000 for q in df["quantiles"]],
        total_seconds=df["total_us"].astype("float64") / 1_000_000,
        min_seconds=df["min_us"].astype("float64") / 1_000_000,
        max_seconds=df["max_us"].astype("float64") / 1_000_000,
    )
    return df


def _quantile(values: Any, i: int) -> float:
    if values is None or len(values) <= i or values[i] is None:
        return float("nan")
    return float(values[i])


def _edges_and_ends(steps: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    is_last = steps["last"].astype(bool)
    edges = steps[~is_last]
    bounds = steps.assign(ends=steps["frequency"].where(is_last, 0))
    per_activity = bounds.groupby("source", as_index=False)[["starts", "ends"]].sum()
    return edges, per_activity.rename(columns={"source": ACTIVITY})


def _directly_follows(
    view: LogView, events: Table, hidden_codes: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Edges (source, target, stats) and per-activity start/end counts, from ONE windowed pass:
    grouping by (activity, next activity, is-last) yields the edges and the end counts together,
    and summing is-first gives the start counts (a second window query doubled the time).

    A case whose true last (first) event is a hidden activity does not end (start) at its last
    (first) shown one: those are counted apart (``ends_hidden``, ``starts_hidden``), found from
    the stored successors (the codes of ``hidden_codes``)."""
    t = view.transitions
    hidden = t[ACTIVITY].isin(hidden_codes)
    ends_in_hidden = t.filter(t.next_activity.isnull() & hidden)[CASE_ID]
    starts_in_hidden = t.filter(t.is_start & hidden)[CASE_ID]
    w = case_window(events)
    stepped = events.mutate(
        target=events[ACTIVITY].lead().over(w),
        next_ts=events[TIMESTAMP].lead().over(w),
        first=events[TIMESTAMP].lag().over(w).isnull(),
    )
    stepped = stepped.mutate(
        last=stepped.next_ts.isnull(),
        seconds=seconds_between(stepped[TIMESTAMP], stepped.next_ts),
    )
    stepped = stepped.mutate(
        end_hidden=stepped["last"] & stepped[CASE_ID].isin(ends_in_hidden),
        start_hidden=stepped["first"] & stepped[CASE_ID].isin(starts_in_hidden),
    )
    grouped = stepped.group_by(
        [stepped[ACTIVITY].name("source"), stepped.target, stepped["last"], stepped.end_hidden]
    ).aggregate(
        frequency=stepped.count(),
        cases=stepped[CASE_ID].nunique(),
        starts=(stepped["first"] & ~stepped.start_hidden).cast("int64").sum(),
        starts_hidden=stepped.start_hidden.cast("int64").sum(),
        total_seconds=stepped.seconds.sum(),
        median_seconds=stepped.seconds.quantile(0.5),
        p90_seconds=stepped.seconds.quantile(0.9),
        min_seconds=stepped.seconds.min(),
        max_seconds=stepped.seconds.max(),
    )
    df = view.execute(grouped)
    is_last = df["last"].astype(bool)
    end_hidden = df["end_hidden"].fillna(False).astype(bool)
    edges = df[~is_last & df["source"].notna() & df["target"].notna()]
    bounds = df[df["source"].notna()].assign(
        ends=df["frequency"].where(is_last & ~end_hidden, 0),
        ends_hidden=df["frequency"].where(is_last & end_hidden, 0),
    )
    columns = ["starts", "starts_hidden", "ends", "ends_hidden"]
    per_activity = bounds.groupby("source", as_index=False)[columns].sum()
    return edges, per_activity.rename(columns={"source": ACTIVITY})


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in df.to_dict("records")]


def _keep_paths(
    edges: list[Edge],
    starts: dict[str, int],
    ends: dict[str, int],
    share: float,
    *,
    wait_share: float = 0.0,
    loop_wait_share: float | None = None,
) -> list[Edge]:
    """The most frequent edges covering ``share`` of occurrences, the edges with the largest total
    waiting covering ``wait_share`` of all waiting, every loop edge with at least
    ``loop_wait_share`` of all waiting, then the most frequent extra edges that connect every
    activity to a start and to an end (a greedy, Prim-like growth)."""
    if share >= 1.0 or not edges:
        return list(edges)
    total = sum(e.frequency for e in edges)
    kept: list[Edge] = []
    covered = 0
    for e in edges:  # already sorted by frequency, descending
        if covered >= share * total and kept:
            break
        kept.append(e)
        covered += e.frequency
    chosen = {(e.source, e.target) for e in kept}
    total_wait = sum(max(e.total_seconds, 0.0) for e in edges)
    if total_wait > 0:
        waited = 0.0
        by_wait = sorted(edges, key=lambda e: (-e.total_seconds, -e.frequency, e.source, e.target))
        for e in by_wait:
            if waited >= wait_share * total_wait:
                break
            chosen.add((e.source, e.target))
            waited += max(e.total_seconds, 0.0)
        if loop_wait_share is not None:
            for e in _loop_edges(edges):
                if e.total_seconds > 0 and e.total_seconds >= loop_wait_share * total_wait:
                    chosen.add((e.source, e.target))
    nodes = {e.source for e in edges} | {e.target for e in edges} | set(starts) | set(ends)
    for forward in (True, False):
        roots = set(starts) if forward else set(ends)
        extra = _connect(edges, chosen, nodes, roots, forward=forward)
        chosen |= extra
    return [e for e in edges if (e.source, e.target) in chosen]


def _loop_edges(edges: list[Edge]) -> list[Edge]:
    """Edges a→b that close a cycle (a is reachable from b, a self-loop included): rework."""
    out: dict[str, set[str]] = {}
    for e in edges:
        out.setdefault(e.source, set()).add(e.target)
    reach: dict[str, set[str]] = {}

    def reachable(node: str) -> set[str]:
        if node not in reach:
            seen: set[str] = set()
            stack = [node]
            while stack:
                n = stack.pop()
                for m in out.get(n, ()):
                    if m not in seen:
                        seen.add(m)
                        stack.append(m)
            reach[node] = seen
        return reach[node]

    return [e for e in edges if e.source == e.target or e.source in reachable(e.target)]


def _connect(
    edges: list[Edge],
    chosen: set[tuple[str, str]],
    nodes: set[str],
    roots: set[str],
    *,
    forward: bool,
) -> set[tuple[str, str]]:
    """Edges to add so every node is reachable from ``roots`` (or reaches them, if not forward)."""
    out: dict[str, list[Edge]] = {}
    for e in edges:
        out.setdefault(e.source if forward else e.target, []).append(e)

    def far(e: Edge) -> str:
        return e.target if forward else e.source

    reached: set[str] = set()
    added: set[tuple[str, str]] = set()
    frontier: list[tuple[int, str, str, str]] = []  # candidate edges by -frequency

    def visit(node: str) -> None:
        # flood along already chosen edges first; remember the rest as candidates
        stack = [node]
        while stack:
            n = stack.pop()
            if n in reached:
                continue
            reached.add(n)
            for e in out.get(n, ()):
                if (e.source, e.target) in chosen or (e.source, e.target) in added:
                    stack.append(far(e))
                elif far(e) not in reached:
                    heapq.heappush(frontier, (-e.frequency, e.source, e.target, far(e)))

    for r in sorted(roots):
        visit(r)
    while frontier and len(reached) < len(nodes):
        _neg, source, target, node = heapq.heappop(frontier)
        if node in reached:
            continue
        added.add((source, target))
        visit(node)
    return added
