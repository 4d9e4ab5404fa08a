"""Process trees: block-structured process models (sequence, exclusive choice, parallel, loop,
silent steps), and their conversion to a sound workflow net and to BPMN 2.0 with a diagram.

A tree's leaves are activities or tau (a silent step). ``loop(do, redo)`` runs ``do``, then any
number of times ``redo`` followed by ``do`` again. Every tree is sound by construction: its net
always completes cleanly and every step can happen in some run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from xml.sax.saxutils import quoteattr

from civicflow.mining._dot import dot_escape
from civicflow.mining._petri import Transition, WorkflowNet

Operator = Literal["seq", "xor", "and", "loop"]

_SYMBOL: dict[str, str] = {"seq": "->", "xor": "X", "and": "+", "loop": "*"}
_ORDER_FREE = frozenset({"xor", "and"})


@dataclass(frozen=True, slots=True)
class ProcessTree:
    """One node of a process tree: an operator over children, an activity, or tau (neither)."""

    operator: Operator | None = None
    label: str | None = None
    children: tuple[ProcessTree, ...] = field(default=())

    # --- construction -------------------------------------------------------------------------
    @staticmethod
    def tau() -> ProcessTree:
        return ProcessTree()

    @staticmethod
    def leaf(label: str) -> ProcessTree:
        return ProcessTree(label=label)

    @property
    def is_tau(self) -> bool:
        return self.operator is None and self.label is None

    @property
    def is_leaf(self) -> bool:
        return self.operator is None

    # --- reading ------------------------------------------------------------------------------
    @property
    def activities(self) -> frozenset[str]:
        if self.is_leaf:
            return frozenset() if self.label is None else frozenset({self.label})
        return frozenset().union(*(c.activities for c in self.children))

    def __str__(self) -> str:
        """PM4Py's notation, e.g. ``->( 'a', X( 'b', 'c' ) )``; tau is ``tau``."""
        if self.is_leaf:
            return "tau" if self.label is None else f"'{self.label}'"
        inner = ", ".join(str(c) for c in self.children)
        return f"{_SYMBOL[self.operator or 'seq']}( {inner} )"

    def canonical(self) -> str:
        """The tree's text with the children of exclusive choices and parallel blocks sorted:
        two trees that differ only in that order have the same canonical text."""
        if self.is_leaf:
            return str(self)
        parts = [c.canonical() for c in self.children]
        if self.operator in _ORDER_FREE:
            parts.sort()
        return f"{_SYMBOL[self.operator or 'seq']}( {', '.join(parts)} )"

    def to_dict(self) -> dict[str, Any]:
        if self.is_leaf:
            return {"activity": self.label} if self.label is not None else {"tau": True}
        return {"operator": self.operator, "children": [c.to_dict() for c in self.children]}

    def size(self) -> int:
        return 1 + sum(c.size() for c in self.children)

    # --- simplification ----------------------------------------------------------------------
    def fold(self) -> ProcessTree:
        """Flatten nested operators of the same kind, drop silent steps from sequences and
        parallel blocks, and replace an operator with one child by that child."""
        if self.is_leaf:
            return self
        kids = [c.fold() for c in self.children]
        op = self.operator
        if op in ("seq", "and", "xor"):
            flat: list[ProcessTree] = []
            for c in kids:
                if c.operator == op:
                    flat.extend(c.children)
                else:
                    flat.append(c)
            if op in ("seq", "and"):
                flat = [c for c in flat if not c.is_tau]
            elif sum(1 for c in flat if c.is_tau) > 1:
                first = next(k for k, c in enumerate(flat) if c.is_tau)
                flat = [c for k, c in enumerate(flat) if not c.is_tau or k == first]
            kids = flat
            if not kids:
                return ProcessTree.tau()
            if len(kids) == 1:
                return kids[0]
        return ProcessTree(operator=op, children=tuple(kids))

    # --- conversions --------------------------------------------------------------------------
    def to_workflow_net(self, *, name: str = "discovered") -> WorkflowNet:
        """The tree as a workflow net (sound: block-structured), places ``i`` and ``o``."""
        places: list[str] = ["i", "o"]
        transitions: list[Transition] = []
        counter = {"t": 0}

        def place() -> int:
            places.append(f"p{len(places) - 1}")
            return len(places) - 1

        def silent(ins: tuple[int, ...], outs: tuple[int, ...]) -> None:
            counter["t"] += 1
            transitions.append(Transition(f"tau_{counter['t']}", None, ins, outs))

        def build(node: ProcessTree, src: int, dst: int) -> None:
            if node.is_leaf:
                if node.label is None:
                    silent((src,), (dst,))
                else:
                    counter["t"] += 1
                    transitions.append(
                        Transition(f"t{counter['t']}_{node.label}", node.label, (src,), (dst,))
                    )
                return
            kids = node.children
            if node.operator == "seq":
                cur = src
                for k, c in enumerate(kids):
                    nxt = dst if k == len(kids) - 1 else place()
                    build(c, cur, nxt)
                    cur = nxt
            elif node.operator == "xor":
                for c in kids:
                    build(c, src, dst)
            elif node.operator == "and":
                starts = tuple(place() for _ in kids)
                ends = tuple(place() for _ in kids)
                silent((src,), starts)
                for c, s, e in zip(kids, starts, ends, strict=True):
                    build(c, s, e)
                silent(ends, (dst,))
            else:  # loop: do, then (redo, do)*
                enter, leave = place(), place()
                silent((src,), (enter,))
                build(kids[0], enter, leave)
                for c in kids[1:]:
                    build(c, leave, enter)
                silent((leave,), (dst,))

        build(self, 0, 1)
        return WorkflowNet(
            places=tuple(places), transitions=tuple(transitions), source=0, sink=1, name=name
        )

    def to_dot(self) -> str:
        """The tree's workflow net in Graphviz DOT: places as circles, activities as boxes,
        silent steps as small black bars."""
        net = self.to_workflow_net()
        lines = [
            "digraph net {",
            '  rankdir=LR; bgcolor="transparent";',
            '  node [fontname="Helvetica", fontsize=11];',
        ]
        for k, p in enumerate(net.places):
            extra = ' style=filled fillcolor="#0b0c0c"' if k == net.source else ""
            extra = " peripheries=2" if k == net.sink else extra
            lines.append(f'  "p:{dot_escape(p)}" [shape=circle label="" width=0.25{extra}];')
        for t in net.transitions:
            tid = f"t:{dot_escape(t.name)}"
            if t.silent:
                lines.append(
                    f'  "{tid}" [shape=box label="" width=0.08 height=0.35 style=filled '
                    'fillcolor="#505a5f"];'
                )
            else:
                lines.append(
                    f'  "{tid}" [shape=box style="rounded,filled" fillcolor="#d2e2f1" '
                    f'label="{dot_escape(str(t.label))}"];'
                )
            for k in t.inputs:
                lines.append(f'  "p:{dot_escape(net.places[k])}" -> "{tid}";')
            for k in t.outputs:
                lines.append(f'  "{tid}" -> "p:{dot_escape(net.places[k])}";')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_bpmn(self, *, process_id: str = "discovered", name: str = "Discovered process") -> str:
        """The tree as BPMN 2.0 XML with a diagram (BPMNDI), readable by modellers and by
        :func:`civicflow.mining.read_bpmn`."""
        return _Bpmn(process_id, name).render(self)


# --- BPMN ------------------------------------------------------------------------------------

_TASK_W, _TASK_H = 120, 60
_GW, _EV = 50, 36
_GAP = 40
_ROW_GAP = 30


@dataclass
class _Box:
    """A laid-out block: its width and height, entry and exit node ids, and where its nodes go
    relative to the block's top-left corner."""

    width: int
    height: int
    entry: str | None
    exit: str | None
    nodes: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    """(id, x, y, w, h) relative to the block."""
    flows: list[tuple[str, str]] = field(default_factory=list)
    back: list[tuple[str, str]] = field(default_factory=list)
    """Flows drawn below the block (loop backs)."""


class _Bpmn:
    def __init__(self, process_id: str, name: str) -> None:
        self.process_id = process_id
        self.name = name
        self.elements: list[str] = []
        self.kind: dict[str, str] = {}
        self.count = 0

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def _node(self, element: str, prefix: str, label: str | None = None) -> str:
        nid = self._id(prefix)
        attr = f" name={quoteattr(label)}" if label is not None else ""
        self.elements.append(f"<{element} id={quoteattr(nid)}{attr} />")
        self.kind[nid] = element
        return nid

    def _layout(self, node: ProcessTree) -> _Box:
        if node.is_leaf:
            if node.label is None:
                return _Box(0, 0, None, None)
            tid = self._node("task", "Task", node.label)
            return _Box(_TASK_W, _TASK_H, tid, tid, [(tid, 0, 0, _TASK_W, _TASK_H)])
        if node.operator == "seq":
            return self._sequence([self._layout(c) for c in node.children])
        if node.operator in ("xor", "and"):
            element = "exclusiveGateway" if node.operator == "xor" else "parallelGateway"
            split = self._node(element, "Gateway")
            join = self._node(element, "Gateway")
            return self._branches(split, join, [self._layout(c) for c in node.children])
        # loop: join -> do -> split -> exit, split -> redo -> join
        join = self._node("exclusiveGateway", "Gateway")
        split = self._node("exclusiveGateway", "Gateway")
        do = self._layout(node.children[0])
        redos = [self._layout(c) for c in node.children[1:]]
        box = self._sequence(
            [
                _Box(_GW, _GW, join, join, [(join, 0, 0, _GW, _GW)]),
                do,
                _Box(_GW, _GW, split, split, [(split, 0, 0, _GW, _GW)]),
            ]
        )
        y = box.height + _ROW_GAP
        width = box.width
        for r in redos:
            x0 = max(0, (box.width - r.width) // 2)
            box.nodes += [(n, x + x0, yy + y, w, h) for n, x, yy, w, h in r.nodes]
            box.flows += r.flows
            box.back += r.back
            if r.entry is None:
                box.back.append((split, join))
            else:
                box.back += [(split, r.entry), (str(r.exit), join)]
            y += r.height + _ROW_GAP
            width = max(width, r.width)
        box.height = y - _ROW_GAP if redos else box.height
        box.width = width
        return box

    def _sequence(self, parts: list[_Box]) -> _Box:
        parts = [p for p in parts if p.entry is not None]
        if not parts:
            return _Box(0, 0, None, None)
        height = max(p.height for p in parts)
        out = _Box(0, height, parts[0].entry, parts[-1].exit)
        x = 0
        prev: str | None = None
        for p in parts:
            dy = self._align(p, height)
            out.nodes += [(n, nx + x, ny + dy, w, h) for n, nx, ny, w, h in p.nodes]
            out.flows += p.flows
            out.back += p.back
            if prev is not None:
                out.flows.append((prev, str(p.entry)))
            prev = p.exit
            x += p.width + _GAP
        out.width = x - _GAP
        return out

    @staticmethod
    def _align(p: _Box, height: int) -> int:
        """Vertical offset that puts the part's entry on the row's middle line."""
        for n, _x, y, _w, h in p.nodes:
            if n == p.entry:
                return max(0, min(height - p.height, height // 2 - (y + h // 2)))
        return 0

    def _branches(self, split: str, join: str, kids: list[_Box]) -> _Box:
        rows = [k for k in kids if k.entry is not None]
        skip = len(rows) < len(kids)
        inner_w = max((k.width for k in rows), default=0)
        inner_h = sum(k.height for k in rows) + _ROW_GAP * max(0, len(rows) - 1)
        if skip:
            inner_h += _ROW_GAP + _GW
        height = max(_GW, inner_h)
        width = _GW + _GAP + inner_w + _GAP + _GW
        mid = height // 2 - _GW // 2
        out = _Box(width, height, split, join)
        out.nodes += [(split, 0, mid, _GW, _GW), (join, width - _GW, mid, _GW, _GW)]
        y = 0
        for k in rows:
            x0 = _GW + _GAP + (inner_w - k.width) // 2
            out.nodes += [(n, x + x0, yy + y, w, h) for n, x, yy, w, h in k.nodes]
            out.flows += [*k.flows, (split, str(k.entry)), (str(k.exit), join)]
            out.back += k.back
            y += k.height + _ROW_GAP
        if skip:
            out.flows.append((split, join))
        return out

    def render(self, tree: ProcessTree) -> str:
        body = self._layout(tree)
        start = self._node("startEvent", "StartEvent")
        end = self._node("endEvent", "EndEvent")
        parts = [
            _Box(_EV, _EV, start, start, [(start, 0, 0, _EV, _EV)]),
            body,
            _Box(_EV, _EV, end, end, [(end, 0, 0, _EV, _EV)]),
        ]
        box = self._sequence(parts)
        ox, oy = 40, 40
        pos = {n: (x + ox, y + oy, w, h) for n, x, y, w, h in box.nodes}
        all_flows = [(s, t, False) for s, t in box.flows] + [(s, t, True) for s, t in box.back]
        flow_xml: list[str] = []
        edges: list[str] = []
        outgoing: dict[str, list[str]] = {}
        incoming: dict[str, list[str]] = {}
        for s, t, back in all_flows:
            fid = self._id("Flow")
            outgoing.setdefault(s, []).append(fid)
            incoming.setdefault(t, []).append(fid)
            flow_xml.append(
                f"<sequenceFlow id={quoteattr(fid)} sourceRef={quoteattr(s)} targetRef={quoteattr(t)} />"
            )
            sx, sy, sw, sh = pos[s]
            tx, ty, tw, th = pos[t]
            if back:
                a = (sx + sw // 2, sy + sh)
                b = (tx + tw // 2, ty + th)
                low = max(a[1], b[1]) + _ROW_GAP // 2
                if ty > sy + sh:  # into a redo row below
                    points = [
                        (sx + sw // 2, sy + sh),
                        (sx + sw // 2, ty + th // 2),
                        (tx + tw, ty + th // 2),
                    ]
                elif sy > ty + th:  # from a redo row back up
                    points = [
                        (sx, sy + sh // 2),
                        (tx + tw // 2, sy + sh // 2),
                        (tx + tw // 2, ty + th),
                    ]
                else:
                    points = [a, (a[0], low), (b[0], low), b]
            else:
                a = (sx + sw, sy + sh // 2)
                b = (tx, ty + th // 2)
                points = (
                    [a, b]
                    if a[1] == b[1]
                    else [a, ((a[0] + b[0]) // 2, a[1]), ((a[0] + b[0]) // 2, b[1]), b]
                )
            waypoints = "".join(f'<di:waypoint x="{x}" y="{y}" />' for x, y in points)
            edges.append(
                f'<bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">{waypoints}</bpmndi:BPMNEdge>'
            )
        shapes = [
            f'<bpmndi:BPMNShape id="{n}_di" bpmnElement="{n}"'
            + (' isMarkerVisible="true"' if self.kind[n] == "exclusiveGateway" else "")
            + f'><dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" /></bpmndi:BPMNShape>'
            for n, (x, y, w, h) in pos.items()
        ]
        nodes_xml = []
        for el in self.elements:
            nid = el.split('id="', 1)[1].split('"', 1)[0]
            inner = "".join(f"<incoming>{f}</incoming>" for f in incoming.get(nid, [])) + "".join(
                f"<outgoing>{f}</outgoing>" for f in outgoing.get(nid, [])
            )
            nodes_xml.append(el[:-3] + f">{inner}</{self.kind[nid]}>" if inner else el)
        ind = "\n    "
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
            'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
            'id="Definitions_discovered" targetNamespace="https://civicflow.org/bpmn" '
            'exporter="civicflow">\n'
            f"  <process id={quoteattr(self.process_id)} name={quoteattr(self.name)} "
            'isExecutable="false">' + ind + ind.join(nodes_xml + flow_xml) + "\n  </process>\n"
            f'  <bpmndi:BPMNDiagram id="Diagram_1"><bpmndi:BPMNPlane id="Plane_1" '
            f"bpmnElement={quoteattr(self.process_id)}>"
            + ind
            + ind.join(shapes + edges)
            + "\n  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</definitions>\n"
        )
