"""Replaying one trace (a variant's activity sequence) on a workflow net.

Two methods:

- **alignments**: an optimal alignment by A* over the synchronous product of trace and net, with
  the standard costs (a synchronous move 0, a move on log or on model 1 deviation, a silent step
  a negligible epsilon so shorter silent paths win ties; the number of deviations is the same
  as with any standard cost function). Exact skipped and inserted steps; the
  search is guarded by a state budget.
- **token replay**: fire each event's transition, walking shortest chains of silent transitions to
  enable it and adding the missing tokens when that fails (Berti & van der Aalst, "Reviving
  token-based replay", 2019). Fast, but deviations are only approximated from forced firings and
  left-over tokens.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from civicflow.mining._petri import Marking, Transition, WorkflowNet

DEVIATION_COST = 1_000_000_000
# among equally short alignments, prefer skipping a step the case does elsewhere: the pair then
# reads as one out-of-order step instead of an unrelated skip and insertion
UNRELATED_SKIP_COST = 10_000
SILENT_COST = 1
_FINAL_ATTEMPTS = 5
_ENABLE_DEPTH = 2


@dataclass(frozen=True, slots=True)
class Move:
    """One step of an alignment: ``log`` is the event's activity (None: a move on model only),
    ``model`` the transition's label (None: a move on log only, or a silent step)."""

    log: str | None
    model: str | None
    silent: bool = False

    @property
    def kind(self) -> str:
        if self.silent:
            return "silent"
        if self.log is not None and self.model is not None:
            return "sync"
        return "log" if self.log is not None else "model"


@dataclass(frozen=True, slots=True)
class Alignment:
    moves: tuple[Move, ...]
    deviations: int
    """Moves on log plus visible moves on model."""
    states: int
    """Search states visited (what the guard counts)."""


class SearchBudgetExceeded(Exception):
    """The alignment search visited more states than allowed."""

    def __init__(self, states: int) -> None:
        super().__init__(f"alignment search stopped after {states:,} states")
        self.states = states


def align(net: WorkflowNet, trace: tuple[str, ...], *, max_states: int) -> Alignment:
    """An optimal alignment of ``trace`` with ``net`` (A*; raises SearchBudgetExceeded).

    Events whose activity no transition carries can only be moves on log, wherever they are:
    they are taken out before the search and put back afterwards, which keeps the search space
    to the events the model knows.
    """
    labels = net.labels
    known = [k for k, a in enumerate(trace) if a in labels]
    core = _search(net, tuple(trace[k] for k in known), max_states=max_states)
    if len(known) == len(trace):
        return core
    moves: list[Move] = []
    nxt = 0  # next original position still to place

    def flush(upto: int) -> None:
        nonlocal nxt
        while nxt < upto:
            if trace[nxt] not in labels:
                moves.append(Move(trace[nxt], None))
            nxt += 1

    j = 0  # next event of the reduced trace
    for move in core.moves:
        if move.log is not None:
            flush(known[j])
            nxt = known[j] + 1
            j += 1
        moves.append(move)
    flush(len(trace))
    return Alignment(
        moves=tuple(moves),
        deviations=core.deviations + len(trace) - len(known),
        states=core.states,
    )


def _search(net: WorkflowNet, trace: tuple[str, ...], *, max_states: int) -> Alignment:
    n = len(trace)
    in_trace = frozenset(trace)
    transitions = net.transitions
    needs = [tuple((p, t.inputs.count(p)) for p in sorted(set(t.inputs))) for t in transitions]
    consumers = [
        tuple(k for k, t in enumerate(transitions) if p in t.inputs) for p in range(len(net.places))
    ]
    silent_move = Move(None, None, silent=True)
    start = (net.initial_marking, 0)
    best: dict[tuple[Marking, int], int] = {start: 0}
    parent: dict[tuple[Marking, int], tuple[tuple[Marking, int], Move] | None] = {start: None}
    heap: list[tuple[int, int, tuple[Marking, int]]] = [(0, 0, start)]
    counter = 0
    closed: set[tuple[Marking, int]] = set()
    while heap:
        g, _c, state = heapq.heappop(heap)
        if state in closed:
            continue
        closed.add(state)
        marking, i = state
        if i == n and net.is_final(marking):
            return _unwind(parent, state, g, len(closed))
        if len(closed) > max_states:
            raise SearchBudgetExceeded(len(closed))
        successors: list[tuple[tuple[Marking, int], int, Move]] = []
        if i < n:
            successors.append(((marking, i + 1), DEVIATION_COST, Move(trace[i], None)))
        candidates = sorted({k for p, c in enumerate(marking) if c for k in consumers[p]})
        for k in candidates:
            if not all(marking[p] >= c for p, c in needs[k]):
                continue
            t = transitions[k]
            after = net.fire(t, marking)
            if t.label is None:
                successors.append(((after, i), SILENT_COST, silent_move))
                continue
            if i < n and trace[i] == t.label:
                successors.append(((after, i + 1), 0, Move(trace[i], t.label)))
            skip = DEVIATION_COST + (0 if t.label in in_trace else UNRELATED_SKIP_COST)
            successors.append(((after, i), skip, Move(None, t.label)))
        for nxt, cost, move in successors:
            if nxt in closed:
                continue
            ng = g + cost
            if ng < best.get(nxt, ng + 1):
                best[nxt] = ng
                parent[nxt] = (state, move)
                counter += 1
                heapq.heappush(heap, (ng, counter, nxt))
    # the model's end cannot be reached at all: no alignment exists
    raise SearchBudgetExceeded(len(closed))


def _unwind(
    parent: dict[tuple[Marking, int], tuple[tuple[Marking, int], Move] | None],
    state: tuple[Marking, int],
    cost: int,
    states: int,
) -> Alignment:
    moves: list[Move] = []
    step = parent[state]
    while step is not None:
        prev, move = step
        moves.append(move)
        step = parent[prev]
    moves.reverse()
    return Alignment(moves=tuple(moves), deviations=cost // DEVIATION_COST, states=states)


@dataclass(frozen=True, slots=True)
class TokenReplay:
    missing: int
    consumed: int
    remaining: int
    produced: int
    forced: tuple[int, ...]
    """Positions of events whose transition was not enabled (tokens had to be added)."""
    unknown: tuple[int, ...]
    """Positions of events whose activity the model does not have (skipped by the replay)."""
    leftover: tuple[str, ...]
    """Labels of visible tasks waiting on left-over tokens at the end (likely skipped steps)."""

    @property
    def fitness(self) -> float:
        if self.consumed == 0 or self.produced == 0:
            return 1.0
        return 0.5 * (1 - self.missing / self.consumed) + 0.5 * (1 - self.remaining / self.produced)


def token_replay(net: WorkflowNet, trace: tuple[str, ...]) -> TokenReplay:
    """Replay ``trace`` token by token. Activities unknown to the model are passed over (they do
    not move tokens), as the reference implementation does; they are reported in ``unknown``."""
    m = net.initial_marking
    produced = sum(m)
    consumed = missing = 0
    forced: list[int] = []
    unknown: list[int] = []
    for k, activity in enumerate(trace):
        candidates = net.transitions_for(activity)
        if not candidates:
            unknown.append(k)
            continue
        enabled = [t for t in candidates if net.is_enabled(t, m)]
        t = enabled[0] if enabled else candidates[0]
        if not enabled:
            m, fired = _enable(net, m, t, depth=0, used=set())
            consumed += sum(len(x.inputs) for x in fired)
            produced += sum(len(x.outputs) for x in fired)
        if not net.is_enabled(t, m):
            forced.append(k)
            tokens = list(m)
            for p in set(t.inputs):
                need = t.inputs.count(p)
                if tokens[p] < need:
                    missing += need - tokens[p]
                    tokens[p] = need
            m = tuple(tokens)
        m = net.fire(t, m)
        consumed += len(t.inputs)
        produced += len(t.outputs)
    m, fired = _towards_sink(net, m)
    consumed += sum(len(x.inputs) for x in fired)
    produced += sum(len(x.outputs) for x in fired)
    final = net.final_marking
    tokens = list(m)
    for p, want in enumerate(final):
        if want:
            missing += max(0, want - tokens[p])
            if net.end_events > 1 and tokens[p] > want:
                # several end events: every branch that reached one has ended properly
                want = tokens[p]
            consumed += want
            tokens[p] = max(0, tokens[p] - want)
    remaining = sum(tokens)
    leftover: set[str] = set()
    for p, count in enumerate(tokens):
        if count:
            visible = {t.label for t in _next_visible(net, p)}
            if len(visible) == 1:
                leftover.update(x for x in visible if x is not None)
    return TokenReplay(
        missing=missing,
        consumed=consumed,
        remaining=remaining,
        produced=produced,
        forced=tuple(forced),
        unknown=tuple(unknown),
        leftover=tuple(sorted(leftover)),
    )


def _enable(
    net: WorkflowNet, m: Marking, target: Transition, *, depth: int, used: set[str]
) -> tuple[Marking, list[Transition]]:
    """Fire silent transitions along shortest silent chains towards the places ``target`` lacks."""
    fired: list[Transition] = []
    if depth >= _ENABLE_DEPTH or target.name in used:
        return m, fired
    used.add(target.name)
    lacking = sorted({p for p in target.inputs if m[p] < target.inputs.count(p)})
    marked = [p for p, c in enumerate(m) if c > 0]
    chains = sorted(
        (net.silent_paths[p][q] for p in marked for q in lacking if q in net.silent_paths[p]),
        key=len,
    )
    for chain in chains:
        for t in chain:
            if net.is_enabled(target, m):
                return m, fired
            if t.name in used:
                continue
            if not net.is_enabled(t, m):
                # a silent join waiting on another branch: try to bring that branch up too
                m, more = _enable(net, m, t, depth=depth + 1, used=used)
                fired += more
            if net.is_enabled(t, m):
                m = net.fire(t, m)
                fired.append(t)
                used.add(t.name)
    return m, fired


def _towards_sink(net: WorkflowNet, m: Marking) -> tuple[Marking, list[Transition]]:
    fired: list[Transition] = []
    for _ in range(_FINAL_ATTEMPTS):
        if m[net.sink] >= 1 and (net.end_events == 1 or net.is_final(m)):
            break
        chains = sorted(
            (
                net.silent_paths[p][net.sink]
                for p, c in enumerate(m)
                if c > 0 and net.sink in net.silent_paths[p]
            ),
            key=len,
        )
        changed = False
        for chain in chains:
            for t in chain:
                if net.is_enabled(t, m):
                    m = net.fire(t, m)
                    fired.append(t)
                    changed = True
            if m[net.sink] >= 1 and net.end_events == 1:
                break
        if not changed:
            break
    return m, fired


def _next_visible(net: WorkflowNet, place: int) -> list[Transition]:
    """The visible transitions a token in ``place`` can reach through silent steps."""
    seen = {place}
    queue = [place]
    found: list[Transition] = []
    while queue:
        p = queue.pop()
        for t in net.consumers[p]:
            if not t.silent:
                found.append(t)
                continue
            for q in t.outputs:
                if q not in seen:
                    seen.add(q)
                    queue.append(q)
    return found
