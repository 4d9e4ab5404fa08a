"""Workflow nets: the executable form of a BPMN reference flow that cases are replayed on.

Conversion (one place per sequence flow, plus a source ``i`` and a sink ``o``):

- a task is a transition labelled with the task's label; several incoming flows are an implicit
  exclusive join (BPMN semantics), several outgoing flows an implicit parallel split;
- events and gateways are silent (tau) transitions: an exclusive gateway is a choice between
  silent transitions, a parallel gateway one silent transition over all its flows;
- an inclusive split fires any non-empty subset of its branches and an inclusive join any
  non-empty subset of its inputs. The BPMN OR-join waits for every branch that can still arrive,
  which no local rule expresses; leftover tokens still keep a case from completing, so replay
  catches a wrong subset at the end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from civicflow.core import InputError, Location
from civicflow.mining._bpmn import BpmnModel, BpmnNode

Marking = tuple[int, ...]
"""Token count per place, in the order of ``WorkflowNet.places``."""

MAX_INCLUSIVE_BRANCHES = 8


@dataclass(frozen=True, slots=True)
class Transition:
    name: str
    label: str | None
    """The activity it stands for, or None for a silent (tau) step."""
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    @property
    def silent(self) -> bool:
        return self.label is None


@dataclass(frozen=True)
class WorkflowNet:
    """A Petri net with one source place (initial marking) and one sink place (final marking)."""

    places: tuple[str, ...]
    transitions: tuple[Transition, ...]
    source: int
    sink: int
    name: str = "net"
    end_events: int = 1
    """How many end events the model has: with several, parallel branches may each end in their
    own, and the case is done when no token is left outside the sink (see ``is_final``)."""
    _by_label: dict[str, tuple[Transition, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        by: dict[str, list[Transition]] = {}
        for t in self.transitions:
            if t.label is not None:
                by.setdefault(t.label, []).append(t)
        self._by_label.update({k: tuple(v) for k, v in by.items()})

    @property
    def initial_marking(self) -> Marking:
        return tuple(1 if i == self.source else 0 for i in range(len(self.places)))

    @property
    def final_marking(self) -> Marking:
        return tuple(1 if i == self.sink else 0 for i in range(len(self.places)))

    def is_final(self, marking: Marking) -> bool:
        """Done: the sink is marked and no token is left anywhere else. With one end event this
        is the final marking; with parallel branches ending in their own end events it is BPMN's
        rule that a process completes when no token is left."""
        return marking[self.sink] >= 1 and not any(
            c for p, c in enumerate(marking) if p != self.sink
        )

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(self._by_label)

    def transitions_for(self, label: str) -> tuple[Transition, ...]:
        return self._by_label.get(label, ())

    @staticmethod
    def is_enabled(t: Transition, marking: Marking) -> bool:
        need: dict[int, int] = {}
        for p in t.inputs:
            need[p] = need.get(p, 0) + 1
        return all(marking[p] >= n for p, n in need.items())

    @staticmethod
    def fire(t: Transition, marking: Marking) -> Marking:
        m = list(marking)
        for p in t.inputs:
            m[p] -= 1
        for p in t.outputs:
            m[p] += 1
        return tuple(m)

    @cached_property
    def consumers(self) -> tuple[tuple[Transition, ...], ...]:
        """For each place, the transitions that take tokens from it."""
        out: list[list[Transition]] = [[] for _ in self.places]
        for t in self.transitions:
            for p in set(t.inputs):
                out[p].append(t)
        return tuple(tuple(x) for x in out)

    @cached_property
    def silent_paths(self) -> dict[int, dict[int, tuple[Transition, ...]]]:
        """Shortest chains of silent transitions leading from one place to another (BFS)."""
        paths: dict[int, dict[int, tuple[Transition, ...]]] = {}
        for start in range(len(self.places)):
            found: dict[int, tuple[Transition, ...]] = {}
            queue: deque[tuple[int, tuple[Transition, ...]]] = deque([(start, ())])
            while queue:
                place, path = queue.popleft()
                for t in self.consumers[place]:
                    if not t.silent:
                        continue
                    for nxt in t.outputs:
                        if nxt != start and nxt not in found:
                            found[nxt] = (*path, t)
                            queue.append((nxt, found[nxt]))
            paths[start] = found
        return paths

    def to_pnml(self) -> str:
        """The net as PNML (ISO/IEC 15909-2), readable by other process-mining tools."""
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<pnml>",
            f'  <net id={quoteattr(self.name)} type="http://www.pnml.org/version-2009/grammar/pnmlcoremodel">',
            '    <page id="p1">',
        ]
        for i, p in enumerate(self.places):
            lines.append(f"      <place id={quoteattr(p)}><name><text>{escape(p)}</text></name>")
            if i == self.source:
                lines.append("        <initialMarking><text>1</text></initialMarking>")
            lines.append("      </place>")
        for t in self.transitions:
            lines.append(f"      <transition id={quoteattr(t.name)}>")
            text = t.label if t.label is not None else t.name
            lines.append(f"        <name><text>{escape(text)}</text></name>")
            if t.silent:
                lines.append(
                    '        <toolspecific tool="ProM" version="6.4" activity="$invisible$" '
                    'localNodeID="" />'
                )
            lines.append("      </transition>")
        arc = 0
        for t in self.transitions:
            for ends in (
                *((self.places[p], t.name) for p in t.inputs),
                *((t.name, self.places[p]) for p in t.outputs),
            ):
                arc += 1
                lines.append(
                    f'      <arc id="a{arc}" source={quoteattr(ends[0])} target={quoteattr(ends[1])} />'
                )
        lines += [
            "    </page>",
            "    <finalmarkings><marking>",
            f"      <place idref={quoteattr(self.places[self.sink])}><text>1</text></place>",
            "    </marking></finalmarkings>",
            "  </net>",
            "</pnml>",
        ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "places": list(self.places),
            "source": self.places[self.source],
            "sink": self.places[self.sink],
            "transitions": [
                {
                    "name": t.name,
                    "label": t.label,
                    "inputs": [self.places[p] for p in t.inputs],
                    "outputs": [self.places[p] for p in t.outputs],
                }
                for t in self.transitions
            ],
        }


def workflow_net(model: BpmnModel) -> WorkflowNet:
    """Convert a BPMN process into a workflow net (see the module docstring for the rules)."""
    places: list[str] = ["i", "o"]
    index: dict[str, int] = {"i": 0, "o": 1}

    def place(name: str) -> int:
        if name not in index:
            index[name] = len(places)
            places.append(name)
        return index[name]

    incoming: dict[str, list[int]] = {n.id: [] for n in model.nodes}
    outgoing: dict[str, list[int]] = {n.id: [] for n in model.nodes}
    for f in model.flows:
        p = place(f"flow:{f.id}")
        outgoing[f.source].append(p)
        incoming[f.target].append(p)

    transitions: list[Transition] = []

    def add(name: str, label: str | None, ins: Iterable[int], outs: Iterable[int]) -> None:
        transitions.append(Transition(name, label, tuple(ins), tuple(outs)))

    for node in model.nodes:
        ins, outs = incoming[node.id], outgoing[node.id]
        _check_degree(model, node, ins, outs)
        if node.kind == "start":
            add(f"tau:start:{node.id}", None, [0], outs)
        elif node.kind == "end":
            for k, p in enumerate(ins):
                add(f"tau:end:{node.id}:{k}", None, [p], [1])
        elif node.kind in ("task", "event"):
            label = node.label if node.kind == "task" else None
            prefix = "" if node.kind == "task" else "tau:"
            if len(ins) == 1:
                add(f"{prefix}{node.id}", label, ins, outs)
            else:
                join = place(f"join:{node.id}")
                for k, p in enumerate(ins):
                    add(f"tau:join:{node.id}:{k}", None, [p], [join])
                add(f"{prefix}{node.id}", label, [join], outs)
        elif node.kind == "and":
            add(f"tau:and:{node.id}", None, ins, outs)
        elif node.kind == "xor":
            if len(ins) == 1:
                for k, q in enumerate(outs):
                    add(f"tau:xor:{node.id}:{k}", None, ins, [q])
            elif len(outs) == 1:
                for k, p in enumerate(ins):
                    add(f"tau:xor:{node.id}:{k}", None, [p], outs)
            else:
                hub = place(f"xor:{node.id}")
                for k, p in enumerate(ins):
                    add(f"tau:xor:{node.id}:in{k}", None, [p], [hub])
                for k, q in enumerate(outs):
                    add(f"tau:xor:{node.id}:out{k}", None, [hub], [q])
        else:  # inclusive
            if len(ins) > 1 and len(outs) > 1:
                raise InputError(
                    "an inclusive gateway both joins and splits",
                    where=Location(file=model.source, line=node.line, field=node.id),
                    found=f"{len(ins)} incoming and {len(outs)} outgoing flows",
                    expected="an inclusive gateway that either splits or joins",
                    fix="split it into a joining gateway followed by a splitting one",
                )
            many = outs if len(outs) > 1 else ins
            if len(many) > MAX_INCLUSIVE_BRANCHES:
                raise InputError(
                    "an inclusive gateway has too many branches to replay",
                    where=Location(file=model.source, line=node.line, field=node.id),
                    found=f"{len(many)} branches",
                    expected=f"at most {MAX_INCLUSIVE_BRANCHES}",
                    fix="group the branches, or use exclusive/parallel gateways",
                )
            k = 0
            for size in range(1, len(many) + 1):
                for subset in combinations(many, size):
                    if len(outs) > 1:
                        add(f"tau:or:{node.id}:{k}", None, ins, subset)
                    else:
                        add(f"tau:or:{node.id}:{k}", None, subset, outs)
                    k += 1
    return WorkflowNet(
        places=tuple(places),
        transitions=tuple(transitions),
        source=0,
        sink=1,
        name=model.process_id,
        end_events=sum(1 for n in model.nodes if n.kind == "end"),
    )


def _check_degree(model: BpmnModel, node: BpmnNode, ins: list[int], outs: list[int]) -> None:
    def fail(what: str, fix: str) -> None:
        raise InputError(
            what,
            where=Location(file=model.source, line=node.line, field=node.id),
            found=f"<{node.element} id='{node.id}'> with {len(ins)} incoming and {len(outs)} outgoing flows",
            fix=fix,
        )

    name = f"'{node.label}'" if node.label else f"'{node.id}'"
    if node.kind == "start" and ins:
        fail(f"start event {name} has incoming flows", "remove the flows into the start event")
    if node.kind == "end" and outs:
        fail(f"end event {name} has outgoing flows", "remove the flows out of the end event")
    if node.kind != "start" and not ins:
        fail(
            f"{node.element} {name} has no incoming sequence flow, so no case can reach it",
            "connect it to the flow, or delete it",
        )
    if node.kind != "end" and not outs:
        fail(
            f"{node.element} {name} has no outgoing sequence flow, so a case cannot finish after it",
            "connect it to the next step or to an end event",
        )
