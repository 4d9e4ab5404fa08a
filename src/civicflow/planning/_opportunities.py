"""Automation opportunities from a log: every activity scored on transparent signals — volume,
handling time, waiting time, rework, consistency, people involved and how rule-like the decision
after it is — with weights the analyst can change and the evidence of every signal.

Frequent sequences of activities — contiguous runs of 2 or 3 activities that many cases pass
through, as the view's variants show them — are scored on the same signals (summed over their
steps; waiting is the hand-over waiting between their steps) and ranked beside the activities.

How rule-like a decision is: for every instance of the activity, the activity that follows it in
the case is the branch taken; a shallow scikit-learn decision tree predicts the branch from the
case's attributes, and its cross-validated accuracy is compared with always guessing the most
common branch. The tree fitted on all instances is shown in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from civicflow.core import ConfigurationError, Location
from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, RESOURCE, TIMESTAMP
from civicflow.mining import activity_stats, rework
from civicflow.mining._activities import activity_instances
from civicflow.mining._format import format_duration, format_number, format_share
from civicflow.planning._checks import check_at_least

if TYPE_CHECKING:
    from civicflow.mining import LogView

END_OF_CASE = "(end of case)"
"""The branch taken when nothing follows the activity in the case."""

SIGNALS: dict[str, str] = {
    "volume": "instances of the activity in the view, relative to the most frequent activity",
    "handling": "total handling (service) time spent on it, relative to the largest total",
    "waiting": "total waiting time before it, relative to the largest total",
    "rework": "share of its instances that are repeats within a case",
    "consistency": "1 / (1 + coefficient of variation of its service time): uniform work scores high",
    "people": "distinct resources who perform it, relative to the activity with the most",
    "rule": "how much better case attributes predict the next activity than always guessing the "
    "most common one: (tree accuracy − majority share) / (1 − majority share), cross-validated",
}
"""Every signal of the score, each scaled to 0-1 (see the definitions)."""

ANALYSIS_OF: dict[str, str] = {
    "volume": "activities",
    "handling": "activities",
    "waiting": "activities",
    "rework": "rework",
    "consistency": "activities",
    "people": "resources",
    "rule": "variants",
}
"""The analysis (mining registry name) behind each signal, to link the evidence to."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpportunityWeights:
    """The weight of each signal in the score (0 or more; at least one above 0)."""

    volume: float = 1.0
    handling: float = 1.0
    waiting: float = 0.5
    rework: float = 1.0
    consistency: float = 0.5
    people: float = 0.5
    rule: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(
                    f"the weight of '{f.name}' is not a number of 0 or more",
                    where=Location(field=f.name),
                    found=repr(value),
                    expected="a finite number, 0 or more",
                    fix=f"pass {f.name}=0 to leave the signal out",
                )
        if self.total == 0:
            raise ConfigurationError(
                "every weight is 0",
                where=Location(field="weights"),
                found="0 for every signal",
                expected="at least one weight above 0",
                fix="give the signals that matter a weight, e.g. volume=1",
            )

    @property
    def total(self) -> float:
        return float(sum(getattr(self, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class OpportunityConfig:
    """What the opportunity scoring reads and how it learns the decision rules."""

    weights: OpportunityWeights = field(default_factory=OpportunityWeights)
    attributes: tuple[str, ...] | None = None
    """Case attributes the decision tree may use; None: every usable one (text with 2 to
    ``max_levels`` values, or numbers), minus ``exclude_attributes``."""
    exclude_attributes: tuple[str, ...] = ()
    """Attributes known only when a case ends (an outcome) make a decision look rule-like for the
    wrong reason: leave them out here."""
    tree_depth: int = 2
    folds: int = 5
    min_instances: int = 50
    """Decisions with fewer instances are not learned (too few to cross-validate)."""
    max_levels: int = 20
    max_instances: int = 20_000
    """Instances per decision used for learning; a seeded sample above it."""
    seed: int = 0
    sequence_lengths: tuple[int, ...] = (2, 3)
    """Lengths of the contiguous sequences of activities to score (empty: none)."""
    min_sequence_share: float = 0.05
    """A sequence is scored when at least this share of the cases pass through it."""
    max_sequences: int = 10
    """The most frequent sequences scored (by occurrences)."""

    def __post_init__(self) -> None:
        check_at_least(
            "OpportunityConfig",
            tree_depth=(self.tree_depth, 1),
            folds=(self.folds, 2),
            min_instances=(self.min_instances, 10),
            max_levels=(self.max_levels, 2),
            max_instances=(self.max_instances, 100),
            max_sequences=(self.max_sequences, 0),
        )
        bad = [n for n in self.sequence_lengths if not isinstance(n, int) or not 2 <= n <= 5]
        if bad:
            raise ConfigurationError(
                "OpportunityConfig.sequence_lengths holds a length out of range",
                where=Location(field="sequence_lengths"),
                found=repr(self.sequence_lengths),
                expected="whole numbers from 2 to 5",
                fix="pass sequence_lengths=(2, 3)",
            )
        if not 0.0 < self.min_sequence_share <= 1.0:
            raise ConfigurationError(
                "OpportunityConfig.min_sequence_share is out of range",
                where=Location(field="min_sequence_share"),
                found=repr(self.min_sequence_share),
                expected="a share above 0, at most 1",
                fix="pass min_sequence_share=0.05 (5 % of the cases)",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """One signal of an activity's score: its measured value, its 0-1 score, the weight, and the
    evidence in words with the analysis that shows it."""

    name: str
    value: float | None
    score: float
    weight: float
    evidence: str
    analysis: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRule:
    """The decision after an activity: the branches taken and how well case attributes predict
    them (``None`` accuracy: too few instances, one branch only, or no usable attribute)."""

    activity: str
    instances: int
    branches: dict[str, int]
    majority_share: float
    accuracy: float | None
    rule_likeness: float
    attributes: tuple[str, ...]
    rule: tuple[str, ...]
    """The learned tree in words, one line per leaf, largest first."""
    note: str = ""


SEQUENCE_ARROW = " → "


@dataclass(frozen=True, slots=True, kw_only=True)
class Opportunity:
    activity: str
    """The activity, or for a sequence its steps joined by " → "."""
    score: float
    """The weighted mean of the signals' scores, 0-100."""
    signals: tuple[Signal, ...]
    decision: DecisionRule
    """The decision after the activity (for a sequence: after its last step)."""
    steps: tuple[str, ...] = ()
    """A sequence's activities in order; empty for a single activity."""

    @property
    def is_sequence(self) -> bool:
        return len(self.steps) > 1

    def signal(self, name: str) -> Signal:
        return next(s for s in self.signals if s.name == name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Opportunities:
    """Every activity of a view ranked by its score, highest first."""

    opportunities: tuple[Opportunity, ...]
    weights: OpportunityWeights
    definitions: dict[str, str] = field(default_factory=lambda: dict(SIGNALS))
    sequences: tuple[Opportunity, ...] = ()
    """Frequent contiguous sequences of activities, scored on the same signals, highest first."""

    @property
    def ranking(self) -> list[str]:
        return [o.activity for o in self.opportunities]

    @property
    def combined(self) -> tuple[Opportunity, ...]:
        """Activities and sequences in one ranking (every signal is scaled against the
        activities, so the scores compare)."""
        return _ranked([*self.opportunities, *self.sequences])

    def get(self, activity: str) -> Opportunity:
        """An activity, or a sequence by its steps joined with " → "."""
        return next(o for o in (*self.opportunities, *self.sequences) if o.activity == activity)

    def rescore(self, weights: OpportunityWeights) -> Opportunities:
        """The same evidence under other weights (nothing is recomputed from the log)."""

        def again(items: tuple[Opportunity, ...]) -> tuple[Opportunity, ...]:
            return _ranked(
                [
                    _scored(
                        o.activity,
                        [replace(s, weight=0.0) for s in o.signals],
                        o.decision,
                        weights,
                        steps=o.steps,
                    )
                    for o in items
                ]
            )

        return Opportunities(
            opportunities=again(self.opportunities),
            weights=weights,
            sequences=again(self.sequences),
        )


def automation_opportunities(
    view: LogView, config: OpportunityConfig | None = None
) -> Opportunities:
    """Score every activity of ``view`` (see :data:`SIGNALS`)."""
    cfg = config or OpportunityConfig()
    stats = activity_stats(view)
    rw = {r.activity: r for r in rework(view).activities}
    inst = activity_instances(view.events)
    per_activity = view.execute(
        inst.group_by(ACTIVITY).aggregate(
            service_std=inst.service_seconds.std(),
            service_mean=inst.service_seconds.mean(),
            people=inst[RESOURCE].nunique(),
        )
    )
    extra = {str(r[ACTIVITY]): r for r in per_activity.to_dict("records")}
    decisions = _decisions(view, cfg, [a.activity for a in stats.activities])

    totals_handling = {
        a.activity: (a.service_mean_seconds or 0.0) * a.service_count for a in stats.activities
    }
    totals_waiting = {a.activity: a.wait_total_seconds or 0.0 for a in stats.activities}
    people = {a: int(_num(extra.get(a, {}).get("people")) or 0) for a in totals_handling}
    top_volume = max((a.instances for a in stats.activities), default=0) or 1
    top_handling = max(totals_handling.values(), default=0.0) or 1.0
    top_waiting = max(totals_waiting.values(), default=0.0) or 1.0
    top_people = max(people.values(), default=0) or 1

    out: list[Opportunity] = []
    for a in stats.activities:
        name = a.activity
        r = rw.get(name)
        repeats = r.extra_occurrences if r else 0
        rework_share = repeats / a.instances if a.instances else 0.0
        row = extra.get(name, {})
        mean, std = _num(row.get("service_mean")), _num(row.get("service_std"))
        cv = std / mean if mean and std is not None and mean > 0 else None
        handling = totals_handling[name]
        waiting = totals_waiting[name]
        d = decisions[name]
        signals = [
            _signal(
                "volume",
                float(a.instances),
                a.instances / top_volume,
                f"{format_number(a.instances)} instances in "
                f"{format_number(a.cases)} cases ({format_share(a.case_share)} of cases)",
            ),
            _signal(
                "handling",
                handling,
                handling / top_handling,
                f"{format_duration(handling)} of handling in all, "
                f"{format_duration(a.service_mean_seconds)} on average"
                if a.service_count
                else "no handling time measured (no start times)",
            ),
            _signal(
                "waiting",
                waiting,
                waiting / top_waiting,
                f"{format_duration(waiting)} of waiting before it in all, "
                f"median {format_duration(a.wait_median_seconds)}",
            ),
            _signal(
                "rework",
                rework_share,
                min(1.0, rework_share),
                f"{format_number(repeats)} repeats ({format_share(rework_share)} of "
                f"instances) in {format_number(r.cases_with_repeats if r else 0)} cases",
            ),
            _signal(
                "consistency",
                cv,
                0.0 if cv is None else 1.0 / (1.0 + cv),
                "no service time to measure"
                if cv is None
                else f"service time varies by {format_share(cv)} of its mean "
                "(coefficient of variation)",
            ),
            _signal(
                "people",
                float(people[name]),
                people[name] / top_people,
                f"{format_number(people[name])} people perform it",
            ),
            _signal(
                "rule",
                d.accuracy,
                d.rule_likeness,
                _decision_evidence(d),
            ),
        ]
        out.append(_scored(name, signals, d, cfg.weights))
    tops = _Tops(volume=top_volume, handling=top_handling, waiting=top_waiting, people=top_people)
    sequences = _sequences(view, cfg, tops)
    return Opportunities(opportunities=_ranked(out), weights=cfg.weights, sequences=sequences)


def _signal(name: str, value: float | None, score: float, evidence: str) -> Signal:
    """A signal before weighting (the weight is set by :func:`_scored`)."""
    return Signal(
        name=name,
        value=value,
        score=score,
        weight=0.0,
        evidence=evidence,
        analysis=ANALYSIS_OF[name],
    )


def _scored(
    activity: str,
    signals: list[Signal],
    decision: DecisionRule,
    weights: OpportunityWeights,
    *,
    steps: tuple[str, ...] = (),
) -> Opportunity:
    w = weights.as_dict()
    weighted = [replace(s, weight=w[s.name]) for s in signals]
    score = 100.0 * sum(s.score * s.weight for s in weighted) / weights.total
    return Opportunity(
        activity=activity, score=round(score, 2), signals=tuple(weighted), decision=decision,
        steps=steps,
    )  # fmt: skip


def _ranked(items: list[Opportunity]) -> tuple[Opportunity, ...]:
    return tuple(sorted(items, key=lambda o: (-o.score, o.activity)))


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _decision_evidence(d: DecisionRule) -> str:
    branches = ", ".join(f"{k} {format_number(v)}" for k, v in d.branches.items())
    if d.accuracy is None:
        return f"{d.note} (next: {branches})"
    return (
        f"attributes predict the next activity {format_share(d.accuracy)} of the time "
        f"(always guessing the most common: {format_share(d.majority_share)}); "
        f"rule: {'; '.join(d.rule[:3])}"
    )


# -- the decision after each activity ----------------------------------------------------------


def _decisions(
    view: LogView, cfg: OpportunityConfig, activities: list[str]
) -> dict[str, DecisionRule]:
    events = view.events
    frame = view.execute(events.select(CASE_ID, ACTIVITY, TIMESTAMP, POSITION))
    frame = frame.sort_values([CASE_ID, TIMESTAMP, POSITION], kind="stable")
    nxt = frame.groupby(CASE_ID, sort=False)[ACTIVITY].shift(-1)
    frame = frame.assign(next_activity=nxt.fillna(END_OF_CASE))
    cases = view.execute(view.cases)
    usable = _usable_attributes(cases, cfg)
    encoded = _encode(cases, usable)
    out: dict[str, DecisionRule] = {}
    for activity in activities:
        rows = frame[frame[ACTIVITY] == activity]
        if len(rows) > cfg.max_instances:
            rows = rows.sample(n=cfg.max_instances, random_state=cfg.seed)
        out[activity] = _learn(activity, rows, encoded, usable, cfg)
    return out


def _usable_attributes(cases: pd.DataFrame, cfg: OpportunityConfig) -> list[str]:
    names = (
        list(cfg.attributes)
        if cfg.attributes is not None
        else [c for c in cases.columns if c != CASE_ID]
    )
    missing = [n for n in names if n not in cases.columns]
    if missing:
        raise ConfigurationError(
            "the view has no case attribute of that name",
            where=Location(field="attributes"),
            found=", ".join(missing),
            expected=", ".join(c for c in cases.columns if c != CASE_ID) or "(no case attributes)",
            fix="pick case attributes the dataset has",
        )
    out = []
    for name in names:
        if name in cfg.exclude_attributes:
            continue
        col = cases[name]
        levels = col.nunique(dropna=True)
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            if levels >= 2:
                out.append(name)
        elif (
            pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)
        ) and 2 <= levels <= cfg.max_levels:
            out.append(name)
    return out


def _encode(cases: pd.DataFrame, usable: list[str]) -> pd.DataFrame:
    """One row per case id: numbers as they are (missing: -1), text one-hot as ``name=value``."""
    parts = [cases[[CASE_ID]]]
    for name in usable:
        col = cases[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            parts.append(col.astype("float64").fillna(-1.0).to_frame(name))
        else:
            dummies = pd.get_dummies(col.astype("string"), prefix=name, prefix_sep="=", dtype=float)
            parts.append(dummies)
    return pd.concat(parts, axis=1).set_index(CASE_ID)


def _learn(
    activity: str,
    rows: pd.DataFrame,
    encoded: pd.DataFrame,
    usable: list[str],
    cfg: OpportunityConfig,
) -> DecisionRule:
    y = rows["next_activity"].astype(str).to_numpy()
    labels, counts = np.unique(y, return_counts=True)
    branches = {
        str(k): int(v) for k, v in sorted(zip(labels, counts, strict=True), key=lambda t: -t[1])
    }
    n = len(y)
    majority = float(counts.max() / n) if n else 0.0

    def decided(
        accuracy: float | None, likeness: float, rule: tuple[str, ...], note: str = ""
    ) -> DecisionRule:
        return DecisionRule(
            activity=activity,
            instances=n,
            branches=branches,
            majority_share=majority,
            accuracy=accuracy,
            rule_likeness=likeness,
            attributes=tuple(usable),
            rule=rule,
            note=note,
        )

    if len(labels) < 2:
        only = next(iter(branches), END_OF_CASE)
        return decided(None, 0.0, (), f"no decision: always followed by {only}")
    if n < cfg.min_instances or encoded.shape[1] == 0:
        why = "no usable case attribute" if encoded.shape[1] == 0 else f"only {n} instances"
        return decided(None, 0.0, (), f"not learned: {why}")
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier

    x = encoded.reindex(rows[CASE_ID].to_numpy()).fillna(0.0)
    min_leaf = max(5, n // 100)
    tree = DecisionTreeClassifier(
        max_depth=cfg.tree_depth, min_samples_leaf=min_leaf, random_state=cfg.seed
    )
    # classes rarer than the number of folds cannot be stratified: fold them into "other"
    rare = set(labels[counts < cfg.folds])
    y_cv = np.where(np.isin(y, list(rare)), "(other)", y) if rare else y
    folds = min(cfg.folds, int(np.unique(y_cv, return_counts=True)[1].min()))
    if folds < 2:
        accuracy = float("nan")
    else:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
        accuracy = float(cross_val_score(tree, x.to_numpy(), y_cv, cv=splitter).mean())
    tree.fit(x.to_numpy(), y)
    rule = _rule_in_words(tree, list(x.columns))
    likeness = 0.0 if math.isnan(accuracy) else max(0.0, (accuracy - majority) / (1.0 - majority))
    return decided(None if math.isnan(accuracy) else accuracy, likeness, rule)


def _rule_in_words(tree: Any, features: list[str]) -> tuple[str, ...]:
    """One line per leaf: ``if permit_type is dormer -> Fast-track decision (82 % of 140)``."""
    t = tree.tree_
    classes = [str(c) for c in tree.classes_]
    leaves: list[tuple[int, str]] = []

    def single_class(node: int) -> int | None:
        """The class every leaf under ``node`` predicts, or None when they differ."""
        if t.children_left[node] == -1:
            return int(np.argmax(t.value[node][0]))
        left, right = single_class(t.children_left[node]), single_class(t.children_right[node])
        return left if left is not None and left == right else None

    def walk(node: int, conditions: list[tuple[str, str, str | float]]) -> None:
        # a split whose sides predict the same branch says nothing: read it as one leaf
        if t.children_left[node] == -1 or single_class(node) is not None:
            counts = t.value[node][0]
            n = int(t.n_node_samples[node])
            best = int(np.argmax(counts))
            share = counts[best] / counts.sum() if counts.sum() else 0.0
            text = _conditions_in_words(conditions)
            leaves.append(
                (n, f"if {text} → {classes[best]} ({format_share(share)} of {format_number(n)})")
            )
            return
        feature = features[t.feature[node]]
        threshold = float(t.threshold[node])
        if "=" in feature and threshold == 0.5:
            name, value = feature.split("=", 1)
            walk(t.children_left[node], [*conditions, (name, "is not", value)])
            walk(t.children_right[node], [*conditions, (name, "is", value)])
        else:
            walk(t.children_left[node], [*conditions, (feature, "<=", threshold)])
            walk(t.children_right[node], [*conditions, (feature, ">", threshold)])

    walk(0, [])
    leaves.sort(key=lambda leaf: -leaf[0])
    return tuple(text for _, text in leaves)


def _conditions_in_words(conditions: list[tuple[str, str, str | float]]) -> str:
    if not conditions:
        return "any case"
    by_name: dict[str, list[tuple[str, str | float]]] = {}
    for name, op, value in conditions:
        by_name.setdefault(name, []).append((op, value))
    parts = []
    for name, tests in by_name.items():
        positive = [v for op, v in tests if op == "is"]
        negative = [str(v) for op, v in tests if op == "is not"]
        if positive:
            parts.append(f"{name} is {positive[0]}")
        elif negative:
            parts.append(
                f"{name} is not {negative[0]}"
                if len(negative) == 1
                else f"{name} is none of {', '.join(negative)}"
            )
        lows = [float(v) for op, v in tests if op == ">"]
        highs = [float(v) for op, v in tests if op == "<="]
        if lows:
            parts.append(f"{name} > {max(lows):g}")
        if highs:
            parts.append(f"{name} <= {min(highs):g}")
    return " and ".join(parts)


# -- frequent sequences of activities ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tops:
    """The activities' largest totals: a sequence's signals are scaled against them."""

    volume: float
    handling: float
    waiting: float
    people: float


def _sequences(view: LogView, cfg: OpportunityConfig, tops: _Tops) -> tuple[Opportunity, ...]:
    """Score the most frequent contiguous sequences of activities (the n-grams of the view's
    variants, counted per case) on the same signals as single activities."""
    if not cfg.sequence_lengths or cfg.max_sequences == 0:
        return ()
    inst = activity_instances(view.events)
    frame = view.execute(
        inst.select(CASE_ID, ACTIVITY, RESOURCE, POSITION, "end", "service_seconds", "wait_seconds")
    )
    if frame.empty:
        return ()
    frame = frame.sort_values([CASE_ID, "end", POSITION], kind="stable").reset_index(drop=True)
    cases = frame[CASE_ID]
    acts = frame[ACTIVITY].astype(str)
    frame["next_activity"] = acts.groupby(cases, sort=False).shift(-1).fillna(END_OF_CASE)
    total_cases = int(cases.nunique())
    # activities and cases as integer codes: an n-gram is one integer, counted with numpy
    codes, names = pd.factorize(acts)
    case_codes = pd.factorize(cases)[0]
    base = len(names) + 1
    rows = len(frame)
    candidates: list[tuple[int, tuple[str, ...], np.ndarray]] = []
    for n in sorted(set(cfg.sequence_lengths)):
        if rows < n or base**n >= 2**62:
            continue
        span = rows - n + 1
        same_case = np.ones(span, dtype=bool)
        key = np.zeros(span, dtype=np.int64)
        for k in range(n):
            same_case &= case_codes[k : k + span] == case_codes[:span]
            key = key * base + codes[k : k + span]
        starts_all = np.flatnonzero(same_case)
        keys = key[starts_all]
        uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        in_cases = (
            pd.DataFrame({"k": inverse, "c": case_codes[starts_all]})
            .groupby("k")["c"]
            .nunique()
            .to_numpy()
        )
        for i in np.flatnonzero(in_cases / total_cases >= cfg.min_sequence_share):
            value, parts = int(uniq[i]), []
            for _ in range(n):
                value, code = divmod(value, base)
                parts.append(str(names[code]))
            steps = tuple(reversed(parts))
            if len(set(steps)) == 1:
                continue  # a loop on one activity is its rework, scored there
            candidates.append((int(counts[i]), steps, starts_all[inverse == i]))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    case_table = view.execute(view.cases)
    usable = _usable_attributes(case_table, cfg)
    encoded = _encode(case_table, usable)
    out = []
    for occurrences, steps, starts in candidates[: cfg.max_sequences]:
        out.append(
            _sequence(frame, steps, starts, occurrences, total_cases, (encoded, usable), cfg, tops)
        )
    return _ranked(out)


def _sequence(
    frame: pd.DataFrame,
    steps: tuple[str, ...],
    starts: np.ndarray,
    occurrences: int,
    total_cases: int,
    attributes: tuple[pd.DataFrame, list[str]],
    cfg: OpportunityConfig,
    tops: _Tops,
) -> Opportunity:
    n = len(steps)
    rows = [starts + k for k in range(n)]
    service = np.column_stack([frame["service_seconds"].to_numpy(dtype=float)[r] for r in rows])
    waits = np.column_stack([frame["wait_seconds"].to_numpy(dtype=float)[r] for r in rows[1:]])
    per_occurrence = service.sum(axis=1)  # NaN when a step has no start time
    measured = per_occurrence[~np.isnan(per_occurrence)]
    handling = float(measured.sum()) if measured.size else 0.0
    waiting = float(np.nansum(waits))
    resources = frame[RESOURCE].to_numpy()
    people = {r for k in range(n) for r in resources[rows[k]] if r is not None and r == r}
    handoffs = np.zeros(len(starts), dtype=bool)
    for k in range(1, n):
        handoffs |= resources[rows[k]] != resources[rows[k - 1]]
    case_ids = frame[CASE_ID].to_numpy()[starts]
    per_case = pd.Series(case_ids).value_counts()
    repeats = int((per_case - 1).sum())
    rework_share = repeats / occurrences if occurrences else 0.0
    mean = float(measured.mean()) if measured.size else None
    std = float(measured.std(ddof=1)) if measured.size > 1 else None
    cv = std / mean if mean and std is not None and mean > 0 else None
    name = SEQUENCE_ARROW.join(steps)
    last = frame.iloc[starts + n - 1]
    if len(last) > cfg.max_instances:
        last = last.sample(n=cfg.max_instances, random_state=cfg.seed)
    decision = _learn(name, last[[CASE_ID, "next_activity"]], attributes[0], attributes[1], cfg)
    cases = int(per_case.size)
    signals = [
        _signal("volume", float(occurrences), min(1.0, occurrences / tops.volume),
                f"{format_number(occurrences)} times in {format_number(cases)} cases "
                f"({format_share(cases / total_cases)} of cases), {n} steps in a row"),
        _signal("handling", handling, min(1.0, handling / tops.handling),
                f"{format_duration(handling)} of handling in all its steps, "
                f"{format_duration(mean)} per run" if measured.size
                else "no handling time measured (no start times)"),
        _signal("waiting", waiting, min(1.0, waiting / tops.waiting),
                f"{format_duration(waiting)} of waiting between its steps in all "
                f"(hand-overs {format_share(float(handoffs.mean()))} of the runs)"),
        _signal("rework", rework_share, min(1.0, rework_share),
                f"{format_number(repeats)} repeats ({format_share(rework_share)} of runs) "
                f"in {format_number(int((per_case > 1).sum()))} cases"),
        _signal("consistency", cv, 0.0 if cv is None else 1.0 / (1.0 + cv),
                "no service time to measure" if cv is None
                else f"its total service time varies by {format_share(cv)} of its mean "
                "(coefficient of variation)"),
        _signal("people", float(len(people)), min(1.0, len(people) / tops.people),
                f"{format_number(len(people))} people perform its steps"),
        _signal("rule", decision.accuracy, decision.rule_likeness, _decision_evidence(decision)),
    ]  # fmt: skip
    return _scored(name, signals, decision, cfg.weights, steps=steps)
