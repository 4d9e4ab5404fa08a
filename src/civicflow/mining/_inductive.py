"""Inductive Miner (IM) and Inductive Miner - infrequent (IMf): a sound, block-structured process
model (a process tree) discovered from the view's variants.

Leemans, Fahland & van der Aalst, "Discovering block-structured process models from event logs"
(2013) and "... containing infrequent behaviour" (2014); Leemans, "Robust process mining with
guarantees" (2017). The miner works on the variants with their case counts (never on events):

1. empty traces: an exclusive choice with a silent step (IMf: dropped when they are at most the
   noise share of the traces);
2. base cases: no traces -> tau; one variant of one activity -> that activity;
3. cuts on the directly-follows graph: exclusive choice (connected components), sequence
   (strict: reachability, with skippable groups merged), parallel (every pair of groups
   follows each other both ways, each group holds a start and an end activity), loop
   (do: start and end activities; redo: the rest);
4. IMf only: when no cut is found, the graph's infrequent edges (at most ``noise_threshold``
   times the most frequent edge out of the same activity) and start activities are filtered and
   the cuts are tried again;
5. fall-throughs: an activity once per trace, an activity concurrent to the rest, strict tau
   loop, tau loop, and finally the flower model (anything in any order).

The tree is folded (nested operators of one kind flattened). Without filtering (noise 0), every
case of the log fits the model.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from civicflow.core import ConfigurationError
from civicflow.mining._process_tree import ProcessTree
from civicflow.mining._record import Record

if TYPE_CHECKING:
    from civicflow.mining._view import LogView

Trace = tuple[str, ...]
Log = Mapping[Trace, int]
Groups = list[set[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class InductiveConfig(Record):
    """``noise_threshold``: 0 is the Inductive Miner (every case fits); above 0 the infrequent
    variant (IMf) filters directly-follows edges rarer than this share of the most frequent edge
    out of the same activity (0.2 is PM4Py's and ProM's default)."""

    noise_threshold: float = 0.2
    lifecycle: str | None = "complete"
    """Mine the same traces conformance replays: events with this lifecycle transition (and
    events without one); None mines every event."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.noise_threshold <= 1.0:
            raise ConfigurationError(
                "the noise threshold must be between 0 and 1",
                found=f"noise_threshold={self.noise_threshold}",
                expected="a share from 0 (no filtering) to 1",
                fix="use e.g. 0.2 (the usual IMf setting) or 0 for the plain Inductive Miner",
            )


@dataclass(frozen=True, slots=True)
class _Dfg:
    edges: dict[tuple[str, str], int]
    starts: dict[str, int]
    ends: dict[str, int]

    @property
    def vertices(self) -> set[str]:
        out = set(self.starts) | set(self.ends)
        for a, b in self.edges:
            out.add(a)
            out.add(b)
        return out


def _dfg(log: Log) -> _Dfg:
    edges: Counter[tuple[str, str]] = Counter()
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    for t, n in log.items():
        if not t:
            continue
        starts[t[0]] += n
        ends[t[-1]] += n
        for a, b in itertools.pairwise(t):
            edges[(a, b)] += n
    return _Dfg(dict(edges), dict(starts), dict(ends))


def _alphabet(log: Log) -> set[str]:
    return {a for t in log for a in t}


# --- cuts --------------------------------------------------------------------------------------


def _components(nodes: Iterable[str], links: Iterable[tuple[str, str]]) -> Groups:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    out: dict[str, set[str]] = {}
    for n in parent:
        out.setdefault(find(n), set()).add(n)
    return list(out.values())


def _xor_cut(dfg: _Dfg) -> Groups | None:
    groups = _components(sorted(dfg.vertices), dfg.edges)
    if len(groups) < 2:
        return None
    return sorted(groups, key=lambda g: sorted(g))


def _reachability(dfg: _Dfg, nodes: set[str]) -> dict[str, set[str]]:
    succ: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in dfg.edges:
        succ[a].add(b)
    reach: dict[str, set[str]] = {}
    for n in nodes:
        seen: set[str] = set()
        stack = list(succ[n])
        while stack:
            x = stack.pop()
            if x not in seen:
                seen.add(x)
                stack.extend(succ[x])
        reach[n] = seen
    return reach


def _sequence_cut(dfg: _Dfg) -> Groups | None:
    nodes = dfg.vertices
    if not nodes:
        return None
    reach = _reachability(dfg, nodes)
    # one group per class of activities that reach each other or neither reaches the other
    groups = _components(
        sorted(nodes),
        ((a, b) for a in nodes for b in nodes if a < b and ((b in reach[a]) == (a in reach[b]))),
    )
    if len(groups) < 2:
        return None
    preds = {n: {m for m in nodes if n in reach[m]} for n in nodes}
    groups.sort(key=lambda g: len(preds[next(iter(g))]) + len(nodes) - len(reach[next(iter(g))]))
    return _strict_sequence(dfg, groups)


def _strict_sequence(dfg: _Dfg, groups: Groups) -> Groups:
    """Merge groups that can be skipped together (Leemans 2017, p. 233), so that a skip of one
    group is not a jump the model cannot make."""
    where = {a: k for k, g in enumerate(groups) for a in g}
    big = len(groups) + 1
    mf = [-big if g & set(dfg.starts) else big for g in groups]
    mt = [big if g & set(dfg.ends) else -big for g in groups]
    for a, b in dfg.edges:
        mf[where[b]] = min(mf[where[b]], where[a])
        mt[where[a]] = max(mt[where[a]], where[b])
    for p in range(len(groups)):
        if not _skippable(p, dfg, groups):
            continue
        q = p - 1
        while q >= 0 and mt[q] <= p:
            groups[p] |= groups[q]
            groups[q] = set()
            q -= 1
        q = p + 1
        while q < len(mf) and mf[q] >= p:
            groups[p] |= groups[q]
            groups[q] = set()
            q += 1
    return [g for g in groups if g]


def _skippable(p: int, dfg: _Dfg, groups: Groups) -> bool:
    # positions as the groups stand now (earlier merges move activities)
    where = {a: k for k, g in enumerate(groups) for a in g}
    for a, b in dfg.edges:
        if a in where and b in where and where[a] < p < where[b]:
            return True
    if any(where[a] > p for a in dfg.starts if a in where):
        return True
    return any(where[a] < p for a in dfg.ends if a in where)


def _parallel_cut(dfg: _Dfg) -> Groups | None:
    nodes = sorted(dfg.vertices)
    if not nodes:
        return None
    edges = dfg.edges
    # activities not directly following each other both ways belong to the same group
    groups = _components(
        nodes,
        (
            (a, b)
            for k, a in enumerate(nodes)
            for b in nodes[k + 1 :]
            if (a, b) not in edges or (b, a) not in edges
        ),
    )
    groups.sort(key=lambda g: (len(g), sorted(g)))
    starts, ends = set(dfg.starts), set(dfg.ends)
    i = 0
    while i < len(groups) and len(groups) > 1:
        if groups[i] & starts and groups[i] & ends:
            i += 1
            continue
        g = groups.pop(i)
        groups[i if i == 0 else i - 1] |= g
    return groups if len(groups) > 1 else None


def _loop_cut(dfg: _Dfg) -> Groups | None:
    if not dfg.edges:
        return None
    starts, ends = set(dfg.starts), set(dfg.ends)
    border = starts | ends
    inner = [a for a in sorted(dfg.vertices) if a not in border]
    groups: Groups = [set(border)]
    groups += _components(
        inner, ((a, b) for a, b in dfg.edges if a not in border and b not in border)
    )

    def merge_into_do(k: int) -> None:
        if k == 0:
            return
        groups[0] |= groups[k]
        groups[k] = set()

    def group_of(a: str) -> int:
        return next(k for k, g in enumerate(groups) if a in g)

    # a component entered from a start activity that is not an end one, or leaving into an
    # end activity that is not a start one, belongs to the body
    for a, b in dfg.edges:
        if a in starts - ends and b not in border:
            merge_into_do(group_of(b))
        if b in ends - starts and a not in border:
            merge_into_do(group_of(a))
    groups = [groups[0]] + [g for g in groups[1:] if g]
    k = 1
    while k < len(groups):
        g = groups[k]
        # a redo group must be able to jump back to every start activity ...
        bad = any(
            (a, b) in dfg.edges and b in starts and any((a, s) not in dfg.edges for s in starts)
            for a in g
            for b in starts
        )
        # ... and be entered from every end activity
        bad = bad or any(
            (e, a) in dfg.edges and any((x, a) not in dfg.edges for x in ends)
            for a in g
            for e in ends
        )
        if bad:
            groups[0] |= g
            del groups[k]
        else:
            k += 1
    if len(groups) < 2:
        return None
    redo: set[str] = set().union(*groups[1:])
    return [groups[0], redo]


# --- splitting the log along a cut ---------------------------------------------------------------


def _split_xor(log: Log, groups: Groups) -> list[Counter[Trace]]:
    logs: list[Counter[Trace]] = [Counter() for _ in groups]
    for t, n in log.items():
        counts = [sum(1 for a in t if a in g) for g in groups]
        best = max(range(len(groups)), key=lambda k: (counts[k], k))
        logs[best][tuple(a for a in t if a in groups[best])] += n
    return logs


def _split_point(t: Trace, group: set[str], start: int, ignore: set[str]) -> int:
    best_cost, best_at, cost = 0, start, 0
    for i in range(start, len(t)):
        if t[i] in group:
            cost -= 1
        elif t[i] not in ignore:
            cost += 1
        if cost < best_cost:
            best_cost, best_at = cost, i + 1
    return best_at


def _split_sequence(log: Log, groups: Groups) -> list[Counter[Trace]]:
    logs: list[Counter[Trace]] = [Counter() for _ in groups]
    for t, n in log.items():
        at = 0
        done: set[str] = set()
        for k, g in enumerate(groups):
            nxt = _split_point(t, g, at, done)
            logs[k][tuple(a for a in t[at:nxt] if a in g)] += n
            at = nxt
            done |= g
    return logs


def _split_parallel(log: Log, groups: Groups) -> list[Counter[Trace]]:
    logs: list[Counter[Trace]] = [Counter() for _ in groups]
    for t, n in log.items():
        for k, g in enumerate(groups):
            logs[k][tuple(a for a in t if a in g)] += n
    return logs


def _split_loop(log: Log, groups: Groups) -> list[Counter[Trace]]:
    do, redo = groups
    do_log: Counter[Trace] = Counter()
    redo_log: Counter[Trace] = Counter()
    for t, n in log.items():
        cur_do: list[str] = []
        cur_redo: list[str] = []
        for a in t:
            if a in do:
                if cur_redo:
                    redo_log[tuple(cur_redo)] += n
                    cur_redo = []
                cur_do.append(a)
            elif a in redo:
                if cur_do:
                    do_log[tuple(cur_do)] += n
                    cur_do = []
                cur_redo.append(a)
            else:
                if cur_do:
                    do_log[tuple(cur_do)] += n
                    cur_do = []
                if cur_redo:
                    redo_log[tuple(cur_redo)] += n
                    cur_redo = []
        if cur_redo:
            redo_log[tuple(cur_redo)] += n
        do_log[tuple(cur_do)] += n
    return [do_log, redo_log]


_CUTS: tuple[
    tuple[str, Callable[[_Dfg], Groups | None], Callable[[Log, Groups], list[Counter[Trace]]]], ...
] = (
    ("xor", _xor_cut, _split_xor),
    ("seq", _sequence_cut, _split_sequence),
    ("and", _parallel_cut, _split_parallel),
    ("loop", _loop_cut, _split_loop),
)


# --- the miner -----------------------------------------------------------------------------------


class _Miner:
    def __init__(self, noise: float) -> None:
        self.noise = noise

    def mine(
        self, log: Log, *, second: bool = False, dfg: _Dfg | None = None
    ) -> ProcessTree | None:
        log = {t: n for t, n in log.items() if n > 0}
        empty = log.get((), 0)
        if empty and len(log) > 1:
            total = sum(log.values())
            rest = {t: n for t, n in log.items() if t}
            if self.noise == 0 or empty > self.noise * total:
                return ProcessTree("xor", children=(ProcessTree.tau(), self._tree(rest)))
            log = rest
        if not log or set(log) == {()}:
            return ProcessTree.tau()
        if len(log) == 1:
            (only,) = log
            if len(only) == 1:
                return ProcessTree.leaf(only[0])
        graph = dfg or _dfg(log)
        found = self._cut(log, graph)
        if found is not None:
            return found
        if second:
            return None
        if self.noise > 0:
            tree = self.mine(log, second=True, dfg=self._filtered(graph))
            if tree is not None:
                return tree
        return self._fall_through(log)

    def _tree(self, log: Log) -> ProcessTree:
        tree = self.mine(log)
        assert tree is not None  # only the second IMf pass may find nothing
        return tree

    def _cut(self, log: Log, dfg: _Dfg) -> ProcessTree | None:
        for op, find, split in _CUTS:
            groups = find(dfg)
            if groups is not None:
                parts = split(log, groups)
                return ProcessTree(op, children=tuple(self._tree(p) for p in parts))  # type: ignore[arg-type]
        return None

    def _filtered(self, dfg: _Dfg) -> _Dfg:
        most: dict[str, int] = {}
        for (a, _b), n in dfg.edges.items():
            most[a] = max(most.get(a, 0), n)
        for a, n in dfg.ends.items():
            if a in most:
                most[a] = max(most[a], n)
        edges = {e: n for e, n in dfg.edges.items() if n > self.noise * most[e[0]]}
        top = max(dfg.starts.values(), default=0)
        starts = {a: n for a, n in dfg.starts.items() if n >= top * self.noise}
        return _Dfg(edges, starts, dict(dfg.ends))

    def _fall_through(self, log: Log) -> ProcessTree:
        alphabet = sorted(_alphabet(log))
        # an activity once per trace: in parallel with the rest
        once = set(alphabet)
        for t in log:
            c = Counter(t)
            once &= {a for a, n in c.items() if n == 1}
            if not once:
                break
        if once:
            return self._parallel_with(log, sorted(once)[0])
        # an activity concurrent to the rest: removing it lets a cut through
        for a in alphabet:
            without: Counter[Trace] = Counter()
            for t, n in log.items():
                without[tuple(x for x in t if x != a)] += n
            if self._has_cut(without):
                return self._parallel_with(log, a)
        # strict tau loop, then tau loop: cut traces where an end activity is directly followed by
        # a start activity (any start activity)
        for strict in (True, False):
            split = self._tau_loop(log, strict=strict)
            if split is not None:
                return ProcessTree("loop", children=(self._tree(split), ProcessTree.tau()))
        # flower: any of the activities, any number of times, in any order
        return ProcessTree(
            "loop",
            children=(
                ProcessTree.tau(),
                self._tree({(a,): 1 for a in alphabet}),
            ),
        )

    def _has_cut(self, log: Log) -> bool:
        # the cuts are looked for in the traces without their empty ones, as the miner would
        rest = {t: n for t, n in log.items() if t}
        if not rest:
            return False
        dfg = _dfg(rest)
        return any(find(dfg) is not None for _op, find, _split in _CUTS)

    def _parallel_with(self, log: Log, a: str) -> ProcessTree:
        only: Counter[Trace] = Counter()
        rest: Counter[Trace] = Counter()
        for t, n in log.items():
            only[tuple(x for x in t if x == a)] += n
            rest[tuple(x for x in t if x != a)] += n
        return ProcessTree("and", children=(self._tree(only), self._tree(rest)))

    @staticmethod
    def _tau_loop(log: Log, *, strict: bool) -> Counter[Trace] | None:
        starts = {t[0] for t in log if t}
        ends = {t[-1] for t in log if t}
        out: Counter[Trace] = Counter()
        for t, n in log.items():
            x = 0
            for i in range(1, len(t)):
                if t[i] in starts and (not strict or t[i - 1] in ends):
                    out[t[x:i]] += n
                    x = i
            out[t[x:]] += n
        return out if sum(out.values()) > sum(log.values()) else None


def inductive_miner(log: Log, *, noise_threshold: float = 0.2) -> ProcessTree:
    """A process tree for a log given as {activity sequence: number of cases} (IM when
    ``noise_threshold`` is 0, IMf above)."""
    InductiveConfig(noise_threshold=noise_threshold)
    tree = _Miner(noise_threshold).mine(dict(log))
    assert tree is not None
    return tree.fold()


def view_traces(view: LogView, *, lifecycle: str | None = "complete") -> dict[Trace, int]:
    """The view's variants with their case counts (the traces conformance replays)."""
    from civicflow.mining._conformance import _case_variants
    from civicflow.mining._derived import VARIANT_SEPARATOR

    per_case = _case_variants(view, lifecycle)
    counts = per_case.groupby("variant", sort=False).size()
    return {
        (tuple(str(k).split(VARIANT_SEPARATOR)) if k else ()): int(n) for k, n in counts.items()
    }


def discover_process_tree(view: LogView, *, config: InductiveConfig | None = None) -> ProcessTree:
    """Discover a process tree from the view's variants (see the module docstring)."""
    config = config or InductiveConfig()
    return inductive_miner(
        view_traces(view, lifecycle=config.lifecycle), noise_threshold=config.noise_threshold
    )
