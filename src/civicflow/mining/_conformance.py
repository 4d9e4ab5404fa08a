"""Conformance of cases to a reference flow (a BPMN model): fitness per case and overall, and the
most common deviations — skipped, inserted and out-of-order steps.

The engine computes each case's variant (one Ibis expression, the same on DuckDB and Spark); the
replay then runs once per variant — thousands of cases share a few variants — and its results
are expanded to the cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from civicflow.core import ConfigurationError, InputError, Location, check_choice
from civicflow.eventlog import CASE_ID, LIFECYCLE
from civicflow.mining._bpmn import BpmnModel
from civicflow.mining._derived import VARIANT_SEPARATOR, variant_id
from civicflow.mining._petri import Marking, WorkflowNet, workflow_net
from civicflow.mining._record import Record
from civicflow.mining._replay import (
    SearchBudgetExceeded,
    align,
    token_replay,
)
from civicflow.mining._view import case_variants

if TYPE_CHECKING:
    from civicflow.mining._view import LogView

ConformanceMethod = Literal["alignments", "token_replay"]
DeviationKind = Literal["skipped", "inserted", "out_of_order"]

# right-closed tenths, the last bin holding only perfectly fitting cases
FITNESS_BINS: tuple[tuple[float, float], ...] = (*((i / 10, (i + 1) / 10) for i in range(10)),)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConformanceConfig:
    """How to check cases against the model."""

    method: ConformanceMethod = "alignments"
    """alignments: exact deviations, slower; token_replay: fast, deviations approximated."""
    labels: tuple[tuple[str, str], ...] = ()
    """(model task name, log activity) pairs for tasks named differently from the activities."""
    max_states: int = 200_000
    """Alignment search budget per variant; beyond it the variant falls back to token replay."""
    top: int = 10
    """How many deviations ``to_dict`` lists (the full list stays on the result)."""
    lifecycle: str | None = "complete"
    """Replay only events with this lifecycle transition (and events without one), so a log
    with start and complete events does not show every task twice; None replays every event."""
    precision: bool = True
    """Also measure precision (escaping edges): how much behaviour the model allows that the
    log does not show."""

    def __post_init__(self) -> None:
        check_choice(self.method, ("alignments", "token_replay"), what="conformance method")
        if self.max_states < 1 or self.top < 0:
            raise ConfigurationError(
                "max_states must be positive and top not negative",
                found=f"max_states={self.max_states}, top={self.top}",
                fix="use e.g. max_states=200000, top=10",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Deviation(Record):
    """One kind of departure from the model, counted over cases."""

    kind: DeviationKind
    activity: str
    context: str
    """Where it happens, e.g. "after 'Check application'" or "at the start"."""
    cases: int
    share: float
    """Share of all cases in the view that show it."""
    occurrences: int

    @property
    def description(self) -> str:
        verb = {
            "skipped": "skipped",
            "inserted": "done though the model does not allow it",
            "out_of_order": "done out of order",
        }[self.kind]
        cases = f"{self.cases:,} case" + ("" if self.cases == 1 else "s")
        return f"'{self.activity}' {verb} {self.context} in {cases} ({self.share:.1%})"

    _extra = ("description",)


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantConformance:
    """The replay of one variant, shared by all its cases."""

    variant_id: str
    activities: tuple[str, ...]
    cases: int
    fitness: float
    method: ConformanceMethod
    deviations: tuple[tuple[DeviationKind, str, str], ...]
    """(kind, activity, context) per deviation, in trace order."""
    cost: int | None = None
    """Alignments: moves on log + visible moves on model."""
    missing: int | None = None
    consumed: int | None = None
    remaining: int | None = None
    produced: int | None = None

    @property
    def fits(self) -> bool:
        return self.fitness >= 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant_id": self.variant_id,
            "activities": list(self.activities),
            "cases": self.cases,
            "fitness": self.fitness,
            "method": self.method,
            "cost": self.cost,
            "missing": self.missing,
            "consumed": self.consumed,
            "remaining": self.remaining,
            "produced": self.produced,
            "deviations": [{"kind": k, "activity": a, "context": c} for k, a, c in self.deviations],
        }


@dataclass(frozen=True, kw_only=True)
class ConformanceResult:
    """Fitness of the view's cases against a model, and their most common deviations."""

    model: str
    method: ConformanceMethod
    fitness: float
    """Log fitness: alignments 1 - deviations / worst-case moves; token replay
    0.5(1 - missing/consumed) + 0.5(1 - remaining/produced), both summed over cases. When some
    variants fell back to token replay this is the mean case fitness (see ``notes``)."""
    average_case_fitness: float
    cases: int
    fitting_cases: int
    variants: tuple[VariantConformance, ...]
    deviations: tuple[Deviation, ...]
    """All deviations, most cases first."""
    unknown_activities: tuple[str, ...]
    """Activities of the log that no task of the model stands for."""
    notes: tuple[str, ...] = ()
    top: int = 10
    precision: float | None = None
    """Escaping-edges precision (see :func:`escaping_edges_precision`); None when not measured."""
    case_fitness: pd.DataFrame = field(compare=False, repr=False)
    """One row per case: case_id, variant_id, fitness, deviations, fits."""

    @property
    def fitting_share(self) -> float:
        return self.fitting_cases / self.cases if self.cases else 0.0

    @property
    def top_deviations(self) -> tuple[Deviation, ...]:
        return self.deviations[: self.top]

    @property
    def deviations_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [d.to_dict() for d in self.deviations],
            columns=["kind", "activity", "context", "cases", "share", "occurrences", "description"],
        )

    def fitness_distribution(self) -> list[dict[str, Any]]:
        """Cases per fitness tenth: [0, 0.1], (0.1, 0.2], ..., (0.9, 1.0) and exactly 1."""
        values = self.case_fitness["fitness"].tolist() if self.cases else []
        out: list[dict[str, Any]] = []
        for lo, hi in FITNESS_BINS:
            if lo == 0:
                n = sum(1 for v in values if v <= hi)
            elif hi == 1.0:
                n = sum(1 for v in values if lo < v < 1.0)
            else:
                n = sum(1 for v in values if lo < v <= hi)
            out.append({"from": lo, "to": hi, "cases": n})
        out.append({"from": 1.0, "to": 1.0, "cases": sum(1 for v in values if v >= 1.0)})
        return out

    def deviations_of(self, case_id: str) -> list[dict[str, str]]:
        """The deviations of one case (those of its variant)."""
        rows = self.case_fitness[self.case_fitness[CASE_ID] == case_id]
        if rows.empty:
            return []
        vid = rows.iloc[0]["variant_id"]
        for v in self.variants:
            if v.variant_id == vid:
                return [{"kind": k, "activity": a, "context": c} for k, a, c in v.deviations]
        return []

    def to_dict(self, *, include_variants: bool = True) -> dict[str, Any]:
        return {
            "model": self.model,
            "method": self.method,
            "fitness": self.fitness,
            "precision": self.precision,
            "average_case_fitness": self.average_case_fitness,
            "cases": self.cases,
            "fitting_cases": self.fitting_cases,
            "fitting_share": self.fitting_share,
            "fitness_distribution": self.fitness_distribution(),
            "top_deviations": [d.to_dict() for d in self.top_deviations],
            "deviation_kinds": dict(Counter(d.kind for d in self.deviations)),
            "unknown_activities": list(self.unknown_activities),
            "variants": [v.to_dict() for v in self.variants] if include_variants else None,
            "notes": list(self.notes),
        }


def conformance(
    view: LogView,
    *,
    model: BpmnModel | None = None,
    net: WorkflowNet | None = None,
    config: ConformanceConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ConformanceResult:
    """Replay every case of ``view`` on a reference: fitness per case and overall, deviations
    and precision.

    The reference is a BPMN ``model`` or a workflow ``net`` (e.g. a discovered process tree's
    ``to_workflow_net()``); give exactly one. ``progress(done, total)`` is called after each
    variant is replayed (for progress bars).
    """
    config = config or ConformanceConfig()
    if (model is None) == (net is None):
        raise ConfigurationError(
            "give the reference either as a BPMN model or as a workflow net",
            found="both" if model is not None else "neither",
            fix="pass model=read_bpmn(...) or net=tree.to_workflow_net()",
        )
    if model is not None:
        if config.labels:
            model = model.relabel(dict(config.labels))
        net = workflow_net(model)
        name = f"{model.source}#{model.process_id}"
    else:
        assert net is not None
        name = net.name
    per_case = _case_variants(view, config.lifecycle)
    if per_case.empty:
        raise InputError(
            "there are no cases to check",
            where=Location(file=view.dataset.name),
            found="0 cases pass the filter" if not view.filter.is_empty else "an empty dataset",
            expected="at least one case",
            fix="loosen the filter (time window, attributes, variants, activities)",
        )
    counts = per_case.groupby("variant", sort=False).size()
    # most frequent first, ties by key: the same order on every engine
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    worst = _empty_trace_cost(net, config)
    variants: list[VariantConformance] = []
    fallback = 0
    for done, (key, n) in enumerate(ordered, start=1):
        trace = tuple(str(key).split(VARIANT_SEPARATOR)) if key else ()
        vc, fell_back = _replay_variant(net, trace, int(n), config, worst)
        fallback += fell_back
        variants.append(vc)
        if progress is not None:
            progress(done, len(ordered))
    result = _summarise(name, net, per_case, variants, config, fallback, worst)
    if config.precision:
        traces = {v.activities: v.cases for v in variants}
        result = replace(result, precision=escaping_edges_precision(net, traces))
    return result


def _case_variants(view: LogView, lifecycle: str | None) -> pd.DataFrame:
    events = view.events
    if lifecycle is None:
        per_case = view.execute(case_variants(events))
    else:
        kept = events.filter(
            events[LIFECYCLE].isnull() | (events[LIFECYCLE].lower() == lifecycle.lower())
        )
        per_case = view.execute(case_variants(kept))
        # a case with no event of that transition is still a case: an empty trace
        every = view.execute(events.select(CASE_ID).distinct())
        per_case = every.merge(per_case, on=CASE_ID, how="left")
        per_case["variant"] = per_case["variant"].fillna("")
    return per_case.sort_values(CASE_ID, kind="stable").reset_index(drop=True)


def _replay_variant(
    net: WorkflowNet,
    trace: tuple[str, ...],
    cases: int,
    config: ConformanceConfig,
    worst_empty: int | None,
) -> tuple[VariantConformance, bool]:
    vid = variant_id(trace)
    if config.method == "alignments" and worst_empty is not None:
        try:
            alignment = align(net, trace, max_states=config.max_states)
        except SearchBudgetExceeded:
            pass
        else:
            worst = len(trace) + worst_empty
            fitness = 1 - alignment.deviations / worst if worst else 1.0
            return (
                VariantConformance(
                    variant_id=vid,
                    activities=trace,
                    cases=cases,
                    fitness=fitness,
                    method="alignments",
                    deviations=_alignment_deviations(alignment.moves),
                    cost=alignment.deviations,
                ),
                False,
            )
    tr = token_replay(net, trace)
    deviations: list[tuple[DeviationKind, str, str]] = []
    for k in sorted((*tr.forced, *tr.unknown)):
        deviations.append(("inserted", trace[k], _after(trace[k - 1] if k else None)))
    last = trace[-1] if trace else None
    # a token left before a task the case did do is the echo of a forced step, not a skip
    done = set(trace)
    deviations += [("skipped", label, _after(last)) for label in tr.leftover if label not in done]
    return (
        VariantConformance(
            variant_id=vid,
            activities=trace,
            cases=cases,
            fitness=tr.fitness,
            method="token_replay",
            deviations=_pair_out_of_order(deviations),
            missing=tr.missing,
            consumed=tr.consumed,
            remaining=tr.remaining,
            produced=tr.produced,
        ),
        config.method == "alignments",
    )


def _empty_trace_cost(net: WorkflowNet, config: ConformanceConfig) -> int | None:
    """Fewest visible steps from start to end of the model (the cost of aligning an empty
    trace), or None when the model's end cannot be reached within the budget."""
    if config.method != "alignments":
        return None
    try:
        return align(net, (), max_states=config.max_states).deviations
    except SearchBudgetExceeded:
        return None


def _after(activity: str | None) -> str:
    return f"after '{activity}'" if activity is not None else "at the start"


def _alignment_deviations(moves: tuple[Any, ...]) -> tuple[tuple[DeviationKind, str, str], ...]:
    out: list[tuple[DeviationKind, str, str]] = []
    # an insertion is placed after the event before it; a skip after the last step that
    # matched the model, so that where a skip is reported does not depend on whether the
    # alignment lists an unrelated insertion at the same point before or after it
    last_event: str | None = None
    last_match: str | None = None
    for move in moves:
        kind = move.kind
        if kind == "log":
            out.append(("inserted", move.log, _after(last_event)))
        elif kind == "model":
            out.append(("skipped", move.model, _after(last_match)))
        elif kind == "sync":
            last_match = move.log
        if move.log is not None:
            last_event = move.log
    return _pair_out_of_order(out)


def _pair_out_of_order(
    deviations: list[tuple[DeviationKind, str, str]],
) -> tuple[tuple[DeviationKind, str, str], ...]:
    """An activity both inserted and skipped in one case was done, only at the wrong point:
    report each such pair once, as out of order, where the case actually did it."""
    inserted = Counter(a for k, a, _ in deviations if k == "inserted")
    skipped = Counter(a for k, a, _ in deviations if k == "skipped")
    pairs = {a: min(inserted[a], skipped[a]) for a in inserted if skipped[a]}
    drop_skipped = dict(pairs)
    left = dict(pairs)
    out: list[tuple[DeviationKind, str, str]] = []
    for kind, activity, context in deviations:
        if kind == "inserted" and left.get(activity, 0) > 0:
            left[activity] -= 1
            out.append(("out_of_order", activity, context))
        elif kind == "skipped" and drop_skipped.get(activity, 0) > 0:
            drop_skipped[activity] -= 1
        else:
            out.append((kind, activity, context))
    return tuple(out)


def _summarise(
    name: str,
    net: WorkflowNet,
    per_case: pd.DataFrame,
    variants: list[VariantConformance],
    config: ConformanceConfig,
    fallback: int,
    worst_empty: int | None,
) -> ConformanceResult:
    by_key = {VARIANT_SEPARATOR.join(v.activities): v for v in variants}
    total = len(per_case)
    case_rows = pd.DataFrame(
        {
            CASE_ID: per_case[CASE_ID].astype(str),
            "variant_id": [by_key[str(k or "")].variant_id for k in per_case["variant"]],
            "fitness": [by_key[str(k or "")].fitness for k in per_case["variant"]],
            "deviations": [len(by_key[str(k or "")].deviations) for k in per_case["variant"]],
        }
    )
    case_rows["fits"] = case_rows["fitness"] >= 1.0
    average = float(sum(v.fitness * v.cases for v in variants) / total) if total else 1.0
    notes: list[str] = []
    methods = {v.method for v in variants}
    if fallback:
        notes.append(
            f"{fallback} variant(s) exceeded the alignment budget of {config.max_states:,} "
            "search states and were checked by token replay instead (their deviations are "
            "approximate); overall fitness is the mean case fitness"
        )
    if fallback or len(methods) > 1:
        fitness = average
    elif methods == {"alignments"}:
        worst = worst_empty or 0
        cost = sum((v.cost or 0) * v.cases for v in variants)
        denom = sum((len(v.activities) + worst) * v.cases for v in variants)
        fitness = 1 - cost / denom if denom else 1.0
    else:
        missing = sum((v.missing or 0) * v.cases for v in variants)
        consumed = sum((v.consumed or 0) * v.cases for v in variants)
        remaining = sum((v.remaining or 0) * v.cases for v in variants)
        produced = sum((v.produced or 0) * v.cases for v in variants)
        fitness = (
            0.5 * (1 - missing / consumed) + 0.5 * (1 - remaining / produced)
            if consumed and produced
            else 1.0
        )
    cases_by: Counter[tuple[DeviationKind, str, str]] = Counter()
    occurrences: Counter[tuple[DeviationKind, str, str]] = Counter()
    for v in variants:
        for d in set(v.deviations):
            cases_by[d] += v.cases
        for d in v.deviations:
            occurrences[d] += v.cases
    deviations = tuple(
        Deviation(
            kind=k,
            activity=a,
            context=c,
            cases=n,
            share=n / total if total else 0.0,
            occurrences=occurrences[(k, a, c)],
        )
        for (k, a, c), n in sorted(cases_by.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    seen = {a for v in variants for a in v.activities}
    unknown = tuple(sorted(seen - net.labels))
    if unknown:
        notes.append(
            f"{len(unknown)} activit{'y' if len(unknown) == 1 else 'ies'} of the log "
            "match no task of the model; if the names differ only in wording, map them "
            "(ConformanceConfig.labels, CLI --label 'model name=log activity')"
        )
    return ConformanceResult(
        model=name,
        method=config.method,
        fitness=float(fitness),
        average_case_fitness=average,
        cases=total,
        fitting_cases=int(case_rows["fits"].sum()),
        variants=tuple(variants),
        deviations=deviations,
        unknown_activities=unknown,
        notes=tuple(notes),
        top=config.top,
        case_fitness=case_rows,
    )


MAX_SILENT_SEARCH = 20_000
"""Markings a replay step may visit looking for silent steps that enable the next event."""


def escaping_edges_precision(net: WorkflowNet, traces: dict[tuple[str, ...], int]) -> float | None:
    """Precision by escaping edges (ETConformance, Munoz-Gama & Carmona 2010), on the variants.

    For every prefix of a trace (from the empty one up to all but the last event, weighted by
    the cases that have it, as PM4Py's ``precision_token_based_replay`` counts them; the empty
    prefix's next activities are the start activities), the prefix is replayed on
    the net (firing the fewest silent steps that enable each event) and the activities the model
    allows next (now or after silent steps) are compared with those the log shows next;
    precision is 1 - escaping / allowed. Prefixes the model cannot replay are left out. Each
    prefix is replayed once, from its parent's marking. None when no prefix fits.
    """
    nexts: dict[tuple[str, ...], set[str]] = {}
    counts: Counter[tuple[str, ...]] = Counter()
    for trace, n in traces.items():
        counts[()] += n
        nexts.setdefault((), set())
        if trace:
            nexts[()].add(trace[0])
        for i in range(1, len(trace)):
            nexts.setdefault(trace[:i], set()).add(trace[i])
            counts[trace[:i]] += n
    if not nexts:
        return None
    replay = _PrefixReplay(net)
    allowed_total = escaping_total = 0
    for prefix in sorted(nexts, key=len):
        marking = replay.after(prefix)
        if marking is None:
            continue
        allowed = replay.allowed(marking)
        allowed_total += len(allowed) * counts[prefix]
        escaping_total += len(allowed - nexts[prefix]) * counts[prefix]
    if not allowed_total:
        return None
    return 1 - escaping_total / allowed_total


class _PrefixReplay:
    """Replays prefixes on a net, each from its parent's marking (None: it does not fit)."""

    def __init__(self, net: WorkflowNet) -> None:
        self.net = net
        self.silent = tuple(t for t in net.transitions if t.silent)
        self.cache: dict[tuple[str, ...], Marking | None] = {(): net.initial_marking}

    def after(self, prefix: tuple[str, ...]) -> Marking | None:
        if prefix in self.cache:
            return self.cache[prefix]
        before = self.after(prefix[:-1])
        out = None if before is None else self._step(before, prefix[-1])
        self.cache[prefix] = out
        return out

    def _step(self, m: Marking, label: str) -> Marking | None:
        targets = self.net.transitions_for(label)
        if not targets:
            return None
        # breadth first over silent firings: the fewest silent steps that enable the event
        seen = {m}
        frontier = [m]
        while frontier:
            for cur in frontier:
                for t in targets:
                    if WorkflowNet.is_enabled(t, cur):
                        return WorkflowNet.fire(t, cur)
            nxt: list[Marking] = []
            for cur in frontier:
                for t in self.silent:
                    if WorkflowNet.is_enabled(t, cur):
                        new = WorkflowNet.fire(t, cur)
                        if new not in seen:
                            seen.add(new)
                            nxt.append(new)
            if len(seen) > MAX_SILENT_SEARCH:
                return None
            frontier = nxt
        return None

    def allowed(self, m: Marking) -> set[str]:
        """Activities enabled in ``m`` or after silent steps: places that silent steps can
        bring a token to (a join needs all its inputs), then the visible steps they feed."""
        reach = {p for p, c in enumerate(m) if c}
        changed = True
        while changed:
            changed = False
            for t in self.silent:
                if all(p in reach for p in t.inputs) and not all(q in reach for q in t.outputs):
                    reach.update(t.outputs)
                    changed = True
        return {
            str(t.label)
            for t in self.net.transitions
            if not t.silent and all(p in reach for p in t.inputs)
        }
