"""Differentially private release of a process map: Laplace noise on directly-follows counts with
case-level contribution bounding, through OpenDP (MIT) — the mechanism and its privacy map are
OpenDP's, not hand-rolled.

Contribution bounding: each case contributes at most ``max_pairs`` directly-follows pairs (its
first ``max_pairs`` steps, counting the start and the end as steps), so adding or removing one case
changes the vector of counts by at most ``max_pairs`` in L1; the Laplace scale is then
``max_pairs / epsilon``. The universe of pairs is every pair of the given activities plus start and
end (independent of the data); the activity names are treated as public (the process's
vocabulary: pass ``activities`` to keep even them out of the data's hands). Noisy counts below the
threshold are dropped (post-processing, no extra privacy cost). The utility report compares the
release with the true counts.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from civicflow.core import ConfigurationError, InputError, Record

START = "▶ start"
END = "■ end"


@dataclass(frozen=True, slots=True, kw_only=True)
class DpConfig:
    epsilon: float = 0.5
    max_pairs: int = 20
    """Directly-follows pairs counted per case at most (the contribution bound)."""
    threshold: float | None = None
    """Noisy counts below it are dropped; default: scale × ln(number of pairs)."""
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.epsilon <= 10:
            raise InputError(
                "epsilon must be above 0 and at most 10",
                found=str(self.epsilon),
                expected="0 < epsilon <= 10 (0.1 to 1 is usual)",
                fix="pass epsilon=0.5",
            )
        if self.max_pairs < 1:
            raise InputError(
                "max_pairs must be at least 1",
                found=str(self.max_pairs),
                expected="max_pairs >= 1",
                fix="pass max_pairs=20",
            )

    @property
    def scale(self) -> float:
        return self.max_pairs / self.epsilon


@dataclass(frozen=True, slots=True, kw_only=True)
class DpEdge(Record):
    _json = True

    source: str
    target: str
    count: int
    """The noisy count, rounded (what is published)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DpRelease(Record):
    """A published directly-follows graph and its utility report (``true_*`` never leave the
    report's owner: only ``edges`` and ``epsilon`` are the release)."""

    _json = True

    epsilon: float
    max_pairs: int
    scale: float
    threshold: float
    edges: tuple[DpEdge, ...]
    cases: int
    cases_truncated: int
    mean_absolute_error: float
    """Over every pair of the universe: |noisy − true|."""
    true_edges: int
    edges_kept: int
    edges_lost: int
    """True edges that the threshold dropped."""
    edges_spurious: int
    """Published edges that do not occur in the data."""


def _opendp_laplace(scale: float, bound: int, epsilon: float):  # type: ignore[no-untyped-def]
    try:
        import opendp.prelude as dp
    except ImportError as exc:  # pragma: no cover - opendp is a dependency
        raise ConfigurationError(
            "OpenDP is not installed",
            found=str(exc),
            expected="the opendp package",
            fix="pip install opendp",
        ) from exc
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)
    measurement = space >> dp.m.then_laplace(scale=scale)
    spent = measurement.map(float(bound))
    if spent > epsilon * (1 + 1e-9):
        raise ConfigurationError(
            "OpenDP's privacy map says the release would spend more than asked",
            found=f"epsilon {spent}",
            expected=f"at most {epsilon}",
            fix="raise the scale or lower max_pairs",
        )
    return measurement


def dp_directly_follows(
    events: pa.Table,
    *,
    config: DpConfig | None = None,
    activities: Sequence[str] | None = None,
    case: str = "case_id",
    activity: str = "activity",
) -> DpRelease:
    """The differentially private directly-follows graph of ``events`` (see the module docstring);
    events in ``position`` order if present, else as given."""
    config = config or DpConfig()
    columns = [case, activity] + (["position"] if "position" in events.column_names else [])
    table = events.select(columns)
    if "position" in table.column_names:
        table = table.sort_by("position")
    vocabulary = sorted(set(activities) if activities else set(table[activity].to_pylist()))
    traces: dict[str, list[str]] = {}
    for c, a in zip(table[case].to_pylist(), table[activity].to_pylist(), strict=True):
        traces.setdefault(c, []).append(a)
    true = Counter[tuple[str, str]]()
    truncated = 0
    known = set(vocabulary)
    for steps in traces.values():
        path = [START, *(s for s in steps if s in known), END]
        pairs = list(itertools.pairwise(path))
        if len(pairs) > config.max_pairs:
            truncated += 1
            pairs = pairs[: config.max_pairs]
        true.update(pairs)
    nodes_from = [START, *vocabulary]
    nodes_to = [*vocabulary, END]
    universe = [(s, t) for s in nodes_from for t in nodes_to if not (s == START and t == END)]
    measurement = _opendp_laplace(config.scale, config.max_pairs, config.epsilon)
    noisy = measurement([float(true.get(pair, 0)) for pair in universe])
    # default: the noise of one pair exceeds it with probability 1 / (2 × pairs): about half a
    # spurious edge per release
    threshold = (
        config.threshold
        if config.threshold is not None
        else config.scale * math.log(max(2, len(universe)))
    )
    edges = tuple(
        DpEdge(source=s, target=t, count=round(n))
        for (s, t), n in zip(universe, noisy, strict=True)
        if n >= threshold
    )
    kept = {(e.source, e.target) for e in edges}
    error = sum(abs(n - true.get(p, 0)) for p, n in zip(universe, noisy, strict=True))
    return DpRelease(
        epsilon=config.epsilon,
        max_pairs=config.max_pairs,
        scale=config.scale,
        threshold=threshold,
        edges=edges,
        cases=len(traces),
        cases_truncated=truncated,
        mean_absolute_error=error / len(universe) if universe else 0.0,
        true_edges=len(true),
        edges_kept=len(kept & set(true)),
        edges_lost=len(set(true) - kept),
        edges_spurious=len(kept - set(true)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DpVariant(Record):
    _json = True

    activities: tuple[str, ...]
    count: int
    """The noisy count, rounded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DpVariantRelease(Record):
    """A noisy variant prefix tree, its complete variants, and the utility report."""

    _json = True

    epsilon: float
    depth: int
    scale: float
    threshold: float
    variants: tuple[DpVariant, ...]
    """Complete variants (the path reached the end within ``depth`` steps)."""
    nodes: int
    """Prefixes released (tree nodes above the threshold)."""
    cases: int
    true_variants: int
    """Distinct variants of at most ``depth`` activities in the data."""
    variants_recovered: int
    variants_spurious: int
    mean_absolute_error: float
    """Over the released variants that exist: |noisy − true|."""


def dp_variants(
    events: pa.Table,
    *,
    epsilon: float = 0.5,
    depth: int = 8,
    threshold: float | None = None,
    activities: Sequence[str] | None = None,
    case: str = "case_id",
    activity: str = "activity",
) -> DpVariantRelease:
    """A noisy variant prefix tree: each case counts once per level on its path (its first
    ``depth`` activities, then the end), so per level one case changes the counts by at most 1;
    the budget is split evenly over the levels (Laplace scale ``depth / epsilon``, OpenDP). A
    level's children are all activities and the end for every released prefix (independent of the
    data); children below the threshold are dropped and not expanded."""
    DpConfig(epsilon=epsilon, max_pairs=depth)  # the same checks
    columns = [case, activity] + (["position"] if "position" in events.column_names else [])
    table = events.select(columns)
    if "position" in table.column_names:
        table = table.sort_by("position")
    vocabulary = sorted(set(activities) if activities else set(table[activity].to_pylist()))
    known = set(vocabulary)
    traces: dict[str, list[str]] = {}
    for c, a in zip(table[case].to_pylist(), table[activity].to_pylist(), strict=True):
        if a in known:
            traces.setdefault(c, []).append(a)
    paths = [
        tuple([*steps[:depth], END] if len(steps) <= depth else steps[:depth])
        for steps in traces.values()
    ]
    prefix_counts: Counter[tuple[str, ...]] = Counter()
    for path in paths:
        for i in range(1, len(path) + 1):
            prefix_counts[path[:i]] += 1
    scale = depth / epsilon
    level = _opendp_laplace(scale, 1, epsilon / depth)
    cut = threshold if threshold is not None else scale * math.log(max(2, len(vocabulary) + 1) * 4)
    frontier: list[tuple[str, ...]] = [()]
    released: dict[tuple[str, ...], float] = {}
    for _ in range(depth + 1):
        children = [(*p, a) for p in frontier for a in (*vocabulary, END)]
        if not children:
            break
        noisy = level([float(prefix_counts.get(c, 0)) for c in children])
        frontier = []
        for child, value in zip(children, noisy, strict=True):
            if value >= cut:
                released[child] = value
                if child[-1] != END:
                    frontier.append(child)
    complete = {p[:-1]: v for p, v in released.items() if p[-1] == END}
    true_variants = {p[:-1]: n for p, n in Counter(paths).items() if p[-1] == END}
    existing = [abs(v - true_variants[p]) for p, v in complete.items() if p in true_variants]
    return DpVariantRelease(
        epsilon=epsilon,
        depth=depth,
        scale=scale,
        threshold=cut,
        variants=tuple(
            DpVariant(activities=p, count=round(v))
            for p, v in sorted(complete.items(), key=lambda kv: -kv[1])
        ),
        nodes=len(released),
        cases=len(traces),
        true_variants=len(true_variants),
        variants_recovered=len(existing),
        variants_spurious=len(complete) - len(existing),
        mean_absolute_error=sum(existing) / len(existing) if existing else 0.0,
    )
