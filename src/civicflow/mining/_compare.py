"""Two views of one dataset side by side: two periods, two segments (Apromore's log comparison).

Each side is the dataset seen through its own filter (the same filter options as everywhere).
:func:`compare_views` computes, for A and B, the key figures with their difference and a test of
significance where one applies — Mann-Whitney U (two-sided) on per-case durations and per-instance
waits, a two-proportion z-test on shares, or Fisher's exact test when an expected count is below 5
— and both process maps with each node and edge's change from A to B (per case, so a longer period
does not read as "more frequent").

A change smaller than ``CompareConfig.min_change`` (relative) is "no change", whatever its p-value:
two equal samples are never called different. A change above it whose test is not significant at
``alpha`` is "not significant".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from civicflow.core import ConfigurationError, Location
from civicflow.eventlog import ACTIVITY
from civicflow.mining._activities import activity_instances
from civicflow.mining._checks import check_share
from civicflow.mining._format import format_duration, format_share
from civicflow.mining._kpis import DAY_SECONDS, KPI_DEFINITIONS, Direction, KpiContext
from civicflow.mining._process_map import ProcessMap, ProcessMapConfig, _esc, _mix, process_map
from civicflow.mining._record import Record, Rows
from civicflow.mining._significance import TestResult, mann_whitney, proportions_test
from civicflow.mining._sla import SlaConfig, sla_compliance

if TYPE_CHECKING:
    from civicflow.mining._view import LogView

Verdict = Literal["better", "worse", "changed", "no change", "not significant", "not comparable"]
Presence = Literal["both", "only A", "only B"]
CompareMetric = Literal["frequency", "performance"]

INCREASE = "#b3261e"
"""Colour of "more (or slower) in B than in A"."""
DECREASE = "#0b5cad"
"""Colour of "less (or faster) in B than in A"."""
NEUTRAL = "#8a8f94"
"""Colour of a change below the threshold."""
CHANGE_COLOURS = {"increase": INCREASE, "decrease": DECREASE, "neutral": NEUTRAL}
"""The colours of a comparison's maps, for a page's legend."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CompareConfig(Record):
    """How to compare: the maps' size, the SLA, the test level and the "no change" threshold."""

    map: ProcessMapConfig = field(default_factory=lambda: ProcessMapConfig(path_share=1.0))
    sla: SlaConfig | None = None
    """The service level whose compliance share is compared; no SLA row without it."""
    alpha: float = 0.05
    """A test's p-value below this is significant."""
    min_change: float = 0.05
    """A relative change below this (5 %) is "no change"."""
    label_a: str = "A"
    label_b: str = "B"

    def __post_init__(self) -> None:
        check_share("alpha", self.alpha, zero=False, fix="pass alpha=0.05")
        check_share("min_change", self.min_change, zero=True, fix="pass min_change=0.05")
        for name in ("label_a", "label_b"):
            if not getattr(self, name).strip():
                raise ConfigurationError(
                    f"the comparison's {name} is empty",
                    where=Location(field=name),
                    expected="a short name such as 2023 or online",
                    fix=f"pass {name}='A'",
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "map": self.map.to_dict(),
            "sla": self.sla.to_dict() if self.sla is not None else None,
            "alpha": self.alpha,
            "min_change": self.min_change,
            "label_a": self.label_a,
            "label_b": self.label_b,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiDifference(Record):
    """One key figure in A and B, the change, and the test where one applies."""

    name: str
    label: str
    unit: str
    direction: Direction
    a: float | None
    b: float | None
    absolute_change: float | None
    relative_change: float | None
    """(b − a) / |a|; None when a is 0 or missing."""
    test: TestResult | None
    verdict: Verdict

    @property
    def p_value(self) -> float | None:
        return self.test.p_value if self.test is not None else None

    def to_dict(self) -> dict[str, Any]:
        out = {n: getattr(self, n) for n in self.__dataclass_fields__}
        out["test"] = self.test.to_dict() if self.test is not None else None
        return out

    def formatted(self, value: float | None) -> str:
        return format_compared(value, self.unit)


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitDifference(Record):
    """The waiting time before one activity (per instance) in A and B."""

    name: str
    """The activity."""
    instances_a: int
    instances_b: int
    median_wait_a: float | None
    median_wait_b: float | None
    """Seconds."""
    relative_change: float | None
    test: TestResult | None
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        out = {n: getattr(self, n) for n in self.__dataclass_fields__}
        out["test"] = self.test.to_dict() if self.test is not None else None
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeChange(Record):
    """An activity's events per case in A and B."""

    name: str
    frequency_a: int
    frequency_b: int
    per_case_a: float
    per_case_b: float
    frequency_change: float | None
    """Relative change of the events per case; None when the activity is absent from A."""
    presence: Presence


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeChange(Record):
    """A directly-follows edge in A and B: occurrences per case and median time."""

    source: str
    target: str
    frequency_a: int
    frequency_b: int
    per_case_a: float
    per_case_b: float
    frequency_change: float | None
    median_seconds_a: float | None
    median_seconds_b: float | None
    time_change: float | None
    presence: Presence


@dataclass(frozen=True, kw_only=True)
class Comparison(Rows[KpiDifference]):
    """A and B side by side: key figures, waits per activity, both maps and their changes."""

    dataset: str
    fingerprint: str
    filter_a: dict[str, Any]
    filter_b: dict[str, Any]
    config: CompareConfig
    kpis: tuple[KpiDifference, ...]
    waits: tuple[WaitDifference, ...]
    map_a: ProcessMap
    map_b: ProcessMap
    nodes: tuple[NodeChange, ...]
    edges: tuple[EdgeChange, ...]

    _rows = "kpis"

    def __getitem__(self, name: str) -> KpiDifference:
        return self._row(name)

    def edge(self, source: str, target: str) -> EdgeChange | None:
        return next((e for e in self.edges if (e.source, e.target) == (source, target)), None)

    def node(self, name: str) -> NodeChange | None:
        return next((n for n in self.nodes if n.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "fingerprint": self.fingerprint,
            "filter_a": self.filter_a,
            "filter_b": self.filter_b,
            "config": self.config.to_dict(),
            "kpis": [k.to_dict() for k in self.kpis],
            "waits": [w.to_dict() for w in self.waits],
            "map_a": self.map_a.to_dict(),
            "map_b": self.map_b.to_dict(),
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
        }

    def to_dot(self, side: Literal["a", "b"] = "b", metric: CompareMetric = "frequency") -> str:
        """Graphviz DOT of one side's map, every node and edge coloured by its change from A to B
        (red: more often per case, or slower; blue: less often, or faster; grey: below the
        threshold), with a legend. Labels: the side's value and the relative change."""
        return _diff_dot(self, side, metric)


# --- statistics -------------------------------------------------------------------------------


def relative_change(a: float | None, b: float | None) -> float | None:
    """(b − a) / |a|; None when either is missing or a is 0."""
    if a is None or b is None or a == 0 or math.isnan(a) or math.isnan(b):
        return None
    return (b - a) / abs(a)


def verdict(
    *,
    a: float | None,
    b: float | None,
    direction: Direction,
    test: TestResult | None,
    config: CompareConfig,
) -> Verdict:
    """ "no change" below the threshold; "not significant" when a test exists and p ≥ alpha;
    otherwise better/worse by the direction, or "changed" for a neutral measure."""
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "not comparable"
    rel = relative_change(a, b)
    if a == b or (rel is not None and abs(rel) < config.min_change):
        return "no change"
    if test is not None and test.p_value >= config.alpha:
        return "not significant"
    if direction == "neutral":
        return "changed"
    return "better" if (b < a) == (direction == "lower_is_better") else "worse"


def format_compared(value: float | None, unit: str) -> str:
    """A compared value as people read it: shares in %, durations in d/h/min, counts plain."""
    if value is None:
        return format_share(None)
    if unit == "share":
        return format_share(value)
    if unit == "days":
        return format_duration(value * DAY_SECONDS)
    if unit == "seconds":
        return format_duration(value)
    if unit == "cases":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


# --- the comparison ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Side:
    """What one side's figures are computed from."""

    ctx: KpiContext
    throughput_days: np.ndarray
    events_per_case: np.ndarray
    waiting_days: np.ndarray
    rework: int
    sla_ok: int
    sla_decided: int
    waits: dict[str, np.ndarray]

    @property
    def cases(self) -> int:
        return self.ctx.case_count


def _side(view: LogView, sla: SlaConfig | None) -> _Side:
    ctx = KpiContext(view, sla=sla)
    spans = ctx.spans
    n = len(spans)
    ok = decided = 0
    if sla is not None and n:
        result = sla_compliance(view, config=sla)
        ok, decided = result.compliant, result.compliant + result.breached
    waits: dict[str, np.ndarray] = {}
    if n:
        inst = activity_instances(view.events)
        df = view.execute(inst.filter(inst.prev_end.notnull()).select(ACTIVITY, "wait_us"))
        for name, group in df.groupby(ACTIVITY, sort=True):
            waits[str(name)] = group["wait_us"].to_numpy(dtype=np.float64) / 1_000_000
    return _Side(
        ctx=ctx,
        throughput_days=spans["throughput_seconds"].to_numpy(dtype=np.float64) / DAY_SECONDS,
        events_per_case=spans["events"].to_numpy(dtype=np.float64),
        waiting_days=ctx.waiting_seconds / DAY_SECONDS if n else np.empty(0),
        rework=ctx.rework_cases if n else 0,
        sla_ok=ok,
        sla_decided=decided,
        waits=waits,
    )


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if len(values) else None


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None


def _share(k: int, n: int) -> float | None:
    return k / n if n else None


def compare_views(a: LogView, b: LogView, *, config: CompareConfig | None = None) -> Comparison:
    """Compare view ``a`` with view ``b`` (usually one dataset through two filters)."""
    config = config or CompareConfig()
    if a.dataset.manifest.fingerprint != b.dataset.manifest.fingerprint:
        raise ConfigurationError(
            "the two sides of a comparison must be views of one dataset",
            found=f"{a.dataset.name} and {b.dataset.name}",
            expected="two filters on the same dataset",
            fix="open both views on one dataset; compare datasets through baselines instead",
        )
    sa, sb = _side(a, config.sla), _side(b, config.sla)
    throughput = mann_whitney(sa.throughput_days, sb.throughput_days)
    rows: list[tuple[str, float | None, float | None, TestResult | None]] = [
        ("case_count", float(sa.cases), float(sb.cases), None),
        ("throughput_median_days", _median(sa.throughput_days), _median(sb.throughput_days),
         throughput),
        ("throughput_mean_days", _mean(sa.throughput_days), _mean(sb.throughput_days), throughput),
        ("events_per_case", _mean(sa.events_per_case), _mean(sb.events_per_case),
         mann_whitney(sa.events_per_case, sb.events_per_case)),
        ("median_waiting_days", _median(sa.waiting_days), _median(sb.waiting_days),
         mann_whitney(sa.waiting_days, sb.waiting_days)),
        ("rework_share", _share(sa.rework, sa.cases), _share(sb.rework, sb.cases),
         proportions_test(sa.rework, sa.cases, sb.rework, sb.cases)),
    ]  # fmt: skip
    if config.sla is not None:
        rows.append((
            "sla_compliance_share",
            _share(sa.sla_ok, sa.sla_decided), _share(sb.sla_ok, sb.sla_decided),
            proportions_test(sa.sla_ok, sa.sla_decided, sb.sla_ok, sb.sla_decided),
        ))  # fmt: skip
    kpis = tuple(_difference(name, va, vb, test, config) for name, va, vb, test in rows)
    waits = []
    for activity in sorted(set(sa.waits) | set(sb.waits)):
        wa, wb = sa.waits.get(activity, np.empty(0)), sb.waits.get(activity, np.empty(0))
        ma, mb = _median(wa), _median(wb)
        test = mann_whitney(wa, wb)
        waits.append(
            WaitDifference(
                name=activity, instances_a=len(wa), instances_b=len(wb),
                median_wait_a=ma, median_wait_b=mb, relative_change=relative_change(ma, mb),
                test=test,
                verdict=verdict(a=ma, b=mb, direction="lower_is_better", test=test, config=config),
            )
        )  # fmt: skip
    map_a, map_b = process_map(a, config.map), process_map(b, config.map)
    nodes, edges = _map_changes(map_a, map_b)
    return Comparison(
        dataset=a.dataset.name,
        fingerprint=a.dataset.manifest.fingerprint,
        filter_a=a.filter.to_dict(),
        filter_b=b.filter.to_dict(),
        config=config,
        kpis=kpis,
        waits=tuple(waits),
        map_a=map_a,
        map_b=map_b,
        nodes=nodes,
        edges=edges,
    )


def _difference(
    name: str, a: float | None, b: float | None, test: TestResult | None, config: CompareConfig
) -> KpiDifference:
    """A key figure in A and B, named, labelled and directed as its KPI definition says."""
    d = KPI_DEFINITIONS[name]
    return KpiDifference(
        name=name, label=d.label, unit=d.unit, direction=d.direction, a=a, b=b,
        absolute_change=None if a is None or b is None else b - a,
        relative_change=relative_change(a, b), test=test,
        verdict=verdict(a=a, b=b, direction=d.direction, test=test, config=config),
    )  # fmt: skip


def _presence(in_a: bool, in_b: bool) -> Presence:
    return "both" if in_a and in_b else ("only A" if in_a else "only B")


def _per_case(count: int, cases: int) -> float:
    return count / cases if cases else 0.0


def _map_changes(
    map_a: ProcessMap, map_b: ProcessMap
) -> tuple[tuple[NodeChange, ...], tuple[EdgeChange, ...]]:
    acts_a = {n.name: n for n in map_a.activities}
    acts_b = {n.name: n for n in map_b.activities}
    nodes = []
    for name in sorted(set(acts_a) | set(acts_b)):
        fa = acts_a[name].frequency if name in acts_a else 0
        fb = acts_b[name].frequency if name in acts_b else 0
        pa, pb = _per_case(fa, map_a.cases), _per_case(fb, map_b.cases)
        nodes.append(
            NodeChange(
                name=name, frequency_a=fa, frequency_b=fb, per_case_a=pa, per_case_b=pb,
                frequency_change=relative_change(pa, pb) if name in acts_a else None,
                presence=_presence(name in acts_a, name in acts_b),
            )
        )  # fmt: skip
    ea = {(e.source, e.target): e for e in map_a.edges}
    eb = {(e.source, e.target): e for e in map_b.edges}
    edges = []
    for key in sorted(set(ea) | set(eb)):
        a, b = ea.get(key), eb.get(key)
        fa, fb = (a.frequency if a else 0), (b.frequency if b else 0)
        pa, pb = _per_case(fa, map_a.cases), _per_case(fb, map_b.cases)
        ma = a.median_seconds if a else None
        mb = b.median_seconds if b else None
        edges.append(
            EdgeChange(
                source=key[0], target=key[1], frequency_a=fa, frequency_b=fb,
                per_case_a=pa, per_case_b=pb,
                frequency_change=relative_change(pa, pb) if a else None,
                median_seconds_a=ma, median_seconds_b=mb, time_change=relative_change(ma, mb),
                presence=_presence(a is not None, b is not None),
            )
        )  # fmt: skip
    return tuple(nodes), tuple(edges)


# --- drawing ----------------------------------------------------------------------------------


def change_colour(change: float | None, presence: Presence, *, threshold: float) -> str:
    """Red for more (slower) in B, blue for less (faster), grey below the threshold; an element
    only in B is red, only in A blue (it disappeared)."""
    if presence == "only B":
        return INCREASE
    if presence == "only A":
        return DECREASE
    if change is None or abs(change) < threshold:
        return NEUTRAL
    strength = 0.35 + 0.65 * min(abs(change), 1.0)
    return _mix(NEUTRAL, INCREASE if change > 0 else DECREASE, strength)


def _pct(change: float | None) -> str:
    if change is None:
        return "new"
    return f"{change * 100:+.0f} %"


def _diff_dot(cmp: Comparison, side: str, metric: CompareMetric) -> str:
    if side not in ("a", "b") or metric not in ("frequency", "performance"):
        raise ConfigurationError(
            f"cannot draw side '{side}' by '{metric}'",
            found=f"side={side}, metric={metric}",
            expected="side a or b; metric frequency or performance",
            fix="pass side='b', metric='frequency'",
        )
    pm = cmp.map_a if side == "a" else cmp.map_b
    label = cmp.config.label_a if side == "a" else cmp.config.label_b
    threshold = cmp.config.min_change
    lines = [
        "digraph comparison {",
        f'  graph [rankdir=TB, fontname="Helvetica", nodesep=0.4, ranksep=0.5, '
        f'label="{_esc(label)}: {pm.cases:,} cases", labelloc=t, fontsize=14];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, penwidth=2];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
    ]
    shown = {n.name for n in pm.activities}
    for n in cmp.nodes:
        if n.name not in shown:
            continue
        colour = change_colour(n.frequency_change, n.presence, threshold=threshold)
        count = n.frequency_a if side == "a" else n.frequency_b
        text = f"{n.name}\n{count:,} ({_pct(n.frequency_change)})"
        tooltip = (
            f"{n.name}: {n.per_case_a:.2f} events per case in {cmp.config.label_a}, "
            f"{n.per_case_b:.2f} in {cmp.config.label_b}"
        )
        lines.append(
            f'  "{_esc(n.name)}" [label="{_esc(text)}", color="{colour}", '
            f'fillcolor="{_mix("#ffffff", colour, 0.18)}", tooltip="{_esc(tooltip)}"];'
        )
    drawn = {(e.source, e.target) for e in pm.edges}
    top = max((e.frequency for e in pm.edges), default=1) or 1
    for e in cmp.edges:
        if (e.source, e.target) not in drawn:
            continue
        change = e.frequency_change if metric == "frequency" else e.time_change
        presence = e.presence if metric == "frequency" else "both"
        colour = change_colour(change, presence, threshold=threshold)
        freq = e.frequency_a if side == "a" else e.frequency_b
        median = e.median_seconds_a if side == "a" else e.median_seconds_b
        value = f"{freq:,}" if metric == "frequency" else format_duration(median)
        text = f"{value} ({_pct(change)})" if e.presence == "both" else f"{value} ({e.presence})"
        tooltip = (
            f"{e.source} → {e.target}: {e.per_case_a:.2f} per case in {cmp.config.label_a}, "
            f"{e.per_case_b:.2f} in {cmp.config.label_b}; median "
            f"{format_duration(e.median_seconds_a)} → {format_duration(e.median_seconds_b)}"
        )
        lines.append(
            f'  "{_esc(e.source)}" -> "{_esc(e.target)}" [label="{_esc(text)}", color="{colour}", '
            f'fontcolor="{colour}", penwidth={1 + 5 * freq / top:.2f}, tooltip="{_esc(tooltip)}"];'
        )
    what = "per case" if metric == "frequency" else "median time"
    lines += [
        "  subgraph cluster_legend {",
        f'    label="{_esc(cmp.config.label_b)} against {_esc(cmp.config.label_a)} ({what})"; '
        'fontsize=10; style=rounded; color="#cfd4d8";',
        '    node [shape=box, style="rounded,filled", fontsize=9, penwidth=2, width=0];',
        f'    "__up__" [label="{"more often" if metric == "frequency" else "slower"} in '
        f'{_esc(cmp.config.label_b)}", color="{INCREASE}", fillcolor="#ffffff"];',
        f'    "__same__" [label="within ±{threshold * 100:.0f} %", color="{NEUTRAL}", '
        'fillcolor="#ffffff"];',
        f'    "__down__" [label="{"less often" if metric == "frequency" else "faster"} in '
        f'{_esc(cmp.config.label_b)}", color="{DECREASE}", fillcolor="#ffffff"];',
        '    "__up__" -> "__same__" -> "__down__" [style=invis];',
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"
