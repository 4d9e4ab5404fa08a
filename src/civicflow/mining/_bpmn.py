"""BPMN 2.0 reference flows: read the control flow of one process from a modeller's XML file.

Only what decides which orders of tasks are allowed is kept: tasks (every kind, sub-processes and
call activities count as one task each), events (silent), exclusive / parallel / inclusive /
event-based gateways and sequence flows. Everything else a modeller writes (lanes, annotations,
data objects, diagram layout, extension elements) is ignored. Elements that would change the
allowed orders but are not supported (boundary events, complex gateways) are refused with a clear
error rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from civicflow.core import ConfigurationError, InputError, Location, NotFoundError
from civicflow.mining._record import Record

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

NodeKind = Literal["task", "start", "end", "event", "xor", "and", "or"]

_TASKS = frozenset(
    {
        "task",
        "userTask",
        "serviceTask",
        "manualTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "adHocSubProcess",
        "transaction",
    }
)
_KINDS: dict[str, NodeKind] = {
    "startEvent": "start",
    "endEvent": "end",
    "intermediateCatchEvent": "event",
    "intermediateThrowEvent": "event",
    "exclusiveGateway": "xor",
    # a deferred choice: in a net it is a place, exactly like an exclusive split
    "eventBasedGateway": "xor",
    "parallelGateway": "and",
    "inclusiveGateway": "or",
}
# elements that carry no control flow of their own
_IGNORED = frozenset(
    {
        "laneSet",
        "textAnnotation",
        "association",
        "dataObject",
        "dataObjectReference",
        "dataStore",
        "dataStoreReference",
        "extensionElements",
        "documentation",
        "ioSpecification",
        "property",
        "group",
        "category",
        "auditing",
        "monitoring",
        "dataInputAssociation",
        "dataOutputAssociation",
    }
)
# would change which orders are allowed, and a reference flow cannot honour them
_UNSUPPORTED = {
    "boundaryEvent": "boundary events (timers, errors, escalations attached to a task)",
    "complexGateway": "complex gateways (their activation rule is free text)",
    "eventSubProcess": "event sub-processes (they interrupt the flow when their event occurs)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class BpmnNode(Record):
    """A flow node of the process: a task (with its label), an event or a gateway."""

    id: str
    kind: NodeKind
    element: str
    """The BPMN element name, e.g. ``userTask`` or ``exclusiveGateway``."""
    label: str | None = None
    """For tasks: the ``name`` with whitespace normalised (and mapped, see ``labels``)."""
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BpmnFlow(Record):
    """A sequence flow between two nodes."""

    id: str
    source: str
    target: str
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class BpmnModel:
    """The control flow of one BPMN process: what conformance checking replays cases against."""

    source: str
    """The file it was read from (its name only)."""
    process_id: str
    name: str | None
    nodes: tuple[BpmnNode, ...]
    flows: tuple[BpmnFlow, ...]

    @property
    def tasks(self) -> tuple[BpmnNode, ...]:
        return tuple(n for n in self.nodes if n.kind == "task")

    @property
    def activities(self) -> tuple[str, ...]:
        """The distinct task labels, sorted: the activities the model knows."""
        return tuple(sorted({n.label for n in self.tasks if n.label is not None}))

    def node(self, node_id: str) -> BpmnNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise NotFoundError(
            f"no node '{node_id}' in process '{self.process_id}'",
            where=Location(file=self.source),
            fix="use one of the ids in model.nodes",
        )

    def relabel(self, labels: Mapping[str, str]) -> BpmnModel:
        """The same model with task labels renamed (model label -> the log's activity name)."""
        unknown = sorted(set(labels) - set(self.activities))
        if unknown:
            raise ConfigurationError(
                "the label mapping names tasks the model does not have",
                where=Location(file=self.source),
                found=", ".join(unknown),
                expected="task names of the model: " + ", ".join(self.activities),
                fix="map the model's task names (left side) to the log's activity names (right side)",
            )
        nodes = tuple(
            replace(n, label=labels.get(n.label, n.label)) if n.label is not None else n
            for n in self.nodes
        )
        return replace(self, nodes=nodes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "process_id": self.process_id,
            "name": self.name,
            "activities": list(self.activities),
            "nodes": [n.to_dict() for n in self.nodes],
            "flows": [f.to_dict() for f in self.flows],
        }


def _normalise(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def _local(el: Any) -> str | None:
    tag = el.tag
    if not isinstance(tag, str):
        return None  # comments and processing instructions
    return etree.QName(tag).localname


def _ns(el: Any) -> str | None:
    tag = el.tag
    return etree.QName(tag).namespace if isinstance(tag, str) else None


def read_bpmn(
    path: str | Path,
    *,
    process: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> BpmnModel:
    """Read one process of a BPMN 2.0 file (Camunda Modeler, bpmn.io, Signavio, ...).

    ``process`` picks a process (pool) by id when the file holds several with flow nodes;
    ``labels`` renames task labels (model name -> the log's activity name) when the two differ.
    """
    path = Path(path)
    where = Location(file=path.name)
    if not path.is_file():
        raise NotFoundError(
            f"no BPMN file at {path}",
            where=where,
            fix="check the path; export the model from your modeller as BPMN 2.0 XML",
        )
    try:
        # no network access and no entity expansion: the file may come from anywhere
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(
            "the BPMN file is not well-formed XML",
            where=Location(file=path.name, line=exc.lineno),
            found=str(exc.msg),
            expected="a BPMN 2.0 XML document",
            fix="re-export the model from the modeller, or fix the XML at the line shown",
        ) from exc
    root = tree.getroot()
    if _ns(root) != BPMN_NS or _local(root) != "definitions":
        raise InputError(
            "the file is not a BPMN 2.0 model",
            where=Location(file=path.name, line=root.sourceline),
            found=f"root element {root.tag!s}",
            expected=f"<definitions> in namespace {BPMN_NS}",
            fix="export the model as BPMN 2.0 XML (not as an image, JSON or a vendor format)",
        )
    processes = [el for el in root if _ns(el) == BPMN_NS and _local(el) == "process"]
    chosen = _choose_process(processes, process, path.name)
    model = _read_process(chosen, path.name)
    return model.relabel(labels) if labels else model


def _has_nodes(proc: Any) -> bool:
    return any(_local(el) in _TASKS or _local(el) in _KINDS for el in proc)


def _choose_process(processes: list[Any], wanted: str | None, file: str) -> Any:
    if wanted is not None:
        for p in processes:
            if p.get("id") == wanted:
                return p
        raise NotFoundError(
            f"no process '{wanted}' in the BPMN file",
            where=Location(file=file),
            found=", ".join(str(p.get("id")) for p in processes) or "no processes",
            fix="pass the id of one of the processes found",
        )
    candidates = [p for p in processes if _has_nodes(p)]
    if not candidates:
        raise InputError(
            "the BPMN file has no process with tasks or events",
            where=Location(file=file),
            expected="a <process> with a start event, tasks and sequence flows",
            fix="model the flow inside a process (a pool), then export again",
        )
    if len(candidates) > 1:
        raise ConfigurationError(
            "the BPMN file holds several processes; say which one to check against",
            where=Location(file=file),
            found=", ".join(f"{p.get('id')} ({p.get('name') or 'no name'})" for p in candidates),
            fix="pass process=<id> (CLI: --process <id>)",
        )
    return candidates[0]


def _read_process(proc: Any, file: str) -> BpmnModel:
    nodes: list[BpmnNode] = []
    flows: list[BpmnFlow] = []
    foreign: dict[str, tuple[str, int | None]] = {}
    for el in proc:
        name = _local(el)
        if name is None or _ns(el) != BPMN_NS:
            continue
        el_id = el.get("id")
        line = el.sourceline
        if name == "subProcess" and el.get("triggeredByEvent") == "true":
            name = "eventSubProcess"
        if name in _UNSUPPORTED:
            raise InputError(
                f"the model uses {_UNSUPPORTED[name]}, which a reference flow cannot replay",
                where=Location(file=file, line=line, field=el_id),
                found=f"<{name} id='{el_id}'>",
                expected="tasks, events, exclusive/parallel/inclusive gateways and sequence flows",
                fix="model the alternative path with an exclusive gateway instead",
            )
        if name == "sequenceFlow":
            flows.append(
                BpmnFlow(
                    id=str(el_id),
                    source=str(el.get("sourceRef")),
                    target=str(el.get("targetRef")),
                    line=line,
                )
            )
        elif name in _TASKS:
            label = _normalise(el.get("name"))
            if label is None:
                raise InputError(
                    "a task has no name, so no activity of the log can match it",
                    where=Location(file=file, line=line, field=el_id),
                    found=f"<{name} id='{el_id}'> without a name",
                    expected="every task named like the activity it stands for",
                    fix="give the task a name in the modeller (or map it with labels=)",
                )
            nodes.append(BpmnNode(id=str(el_id), kind="task", element=name, label=label, line=line))
        elif name in _KINDS:
            nodes.append(BpmnNode(id=str(el_id), kind=_KINDS[name], element=name, line=line))
        elif name not in _IGNORED and el_id is not None:
            foreign[str(el_id)] = (name, line)
    ids = {n.id for n in nodes}
    for f in flows:
        for end, ref in (("sourceRef", f.source), ("targetRef", f.target)):
            if ref in ids:
                continue
            if ref in foreign:
                kind, line = foreign[ref]
                raise InputError(
                    f"a sequence flow connects <{kind}>, an element civicflow cannot replay",
                    where=Location(file=file, line=line, field=ref),
                    found=f"<{kind} id='{ref}'> on flow '{f.id}'",
                    expected="tasks, events, exclusive/parallel/inclusive gateways",
                    fix="replace it by a task or a gateway of a supported kind",
                )
            raise InputError(
                f"sequence flow '{f.id}' points to a node that does not exist",
                where=Location(file=file, line=f.line, field=end),
                found=f"{end}='{ref}'",
                expected="the id of a task, event or gateway of the same process",
                fix="reconnect the flow in the modeller (a dangling arrow) and export again",
            )
    if not any(n.kind == "start" for n in nodes):
        raise InputError(
            "the process has no start event",
            where=Location(file=file, line=proc.sourceline, field=proc.get("id")),
            expected="at least one <startEvent>",
            fix="add a start event before the first task",
        )
    if not any(n.kind == "end" for n in nodes):
        raise InputError(
            "the process has no end event",
            where=Location(file=file, line=proc.sourceline, field=proc.get("id")),
            expected="at least one <endEvent>",
            fix="add an end event after the last task",
        )
    return BpmnModel(
        source=file,
        process_id=str(proc.get("id")),
        name=_normalise(proc.get("name")),
        nodes=tuple(nodes),
        flows=tuple(flows),
    )
