"""Reading BPMN 2.0 files and turning them into workflow nets.

The expected languages (every complete order of tasks a model allows) are written out by hand
from the diagrams; errors must name the file, the line and the element.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

from civicflow.core import ConfigurationError, InputError, NotFoundError
from civicflow.mining import WorkflowNet, read_bpmn, workflow_net

BPMN = Path(__file__).resolve().parents[1] / "data" / "bpmn"

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
"""


def _write(tmp_path: Path, body: str, name: str = "m.bpmn") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body + "\n</bpmn:definitions>\n", encoding="utf-8")
    return path


def language(net: WorkflowNet, max_len: int = 8) -> set[tuple[str, ...]]:
    """Every visible trace of at most ``max_len`` steps that ends in the final marking."""
    out: set[tuple[str, ...]] = set()
    seen: set[tuple[tuple[int, ...], tuple[str, ...]]] = set()
    queue = deque([(net.initial_marking, ())])
    while queue:
        marking, trace = queue.popleft()
        if (marking, trace) in seen:
            continue
        seen.add((marking, trace))
        if marking == net.final_marking:
            out.add(trace)
        for t in net.transitions:
            if net.is_enabled(t, marking):
                nxt = trace if t.label is None else (*trace, t.label)
                if len(nxt) <= max_len:
                    queue.append((net.fire(t, marking), nxt))
    return out


def test_signavio_style_file_with_pool_lanes_and_annotation() -> None:
    model = read_bpmn(BPMN / "small.bpmn")
    assert model.process_id == "permit"
    # the line break inside the name is whitespace to normalise
    assert model.activities == (
        "Approve",
        "Archive",
        "Close",
        "Notify citizen",
        "Register application",
        "Reject",
    )
    kinds = sorted(n.kind for n in model.nodes)
    assert kinds.count("task") == 6
    assert kinds.count("xor") == 2 and kinds.count("and") == 2
    assert kinds.count("event") == 1  # the intermediate throw event is silent
    assert {n.element for n in model.tasks} == {"userTask", "sendTask", "serviceTask", "manualTask"}
    assert len(model.flows) == 14


def test_small_model_language_by_hand() -> None:
    net = workflow_net(read_bpmn(BPMN / "small.bpmn"))
    expected = {
        ("Register application", decision, *middle, "Close")
        for decision in ("Approve", "Reject")
        for middle in (("Notify citizen", "Archive"), ("Archive", "Notify citizen"))
    }
    assert language(net) == expected


def test_camunda_style_sequence_with_every_task_kind() -> None:
    model = read_bpmn(BPMN / "sequence.bpmn")
    assert [n.element for n in model.tasks] == [
        "task",
        "scriptTask",
        "businessRuleTask",
        "receiveTask",
    ]
    assert language(workflow_net(model)) == {("a", "b", "c", "d")}


def test_inclusive_gateway_allows_any_non_empty_subset() -> None:
    net = workflow_net(read_bpmn(BPMN / "inclusive.bpmn"))
    z, h = "Check zoning", "Check heritage"
    assert language(net) == {
        ("Receive", z, "Decide"),
        ("Receive", h, "Decide"),
        ("Receive", z, h, "Decide"),
        ("Receive", h, z, "Decide"),
    }


def test_receipt_model_loops_and_runs_branches_in_parallel() -> None:
    net = workflow_net(read_bpmn(BPMN / "receipt.bpmn"))
    lang = language(net, max_len=8)
    cr, t02, t03, t04, t05, t06, t10 = (
        "Confirmation of receipt",
        "T02 Check confirmation of receipt",
        "T03 Adjust confirmation of receipt",
        "T04 Determine confirmation of receipt",
        "T05 Print and send confirmation of receipt",
        "T06 Determine necessity of stop advice",
        "T10 Determine necessity to stop indication",
    )
    assert (cr, t02, t04, t05, t06, t10) in lang
    assert (cr, t06, t10, t02, t04, t05) in lang
    assert (cr, t02, t03, t02, t04, t05, t06) in lang  # one adjustment loop, T10 skipped
    assert (cr, t02, t04, t05, t10, t06) not in lang  # T10 only after T06
    assert (cr, t02, t03, t04, t05, t06) not in lang  # an adjustment is checked again
    assert (cr,) not in lang


def test_implicit_gateways_follow_bpmn_semantics(tmp_path: Path) -> None:
    # two flows out of a task run in parallel; two flows into a task are alternatives
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/><bpmn:task id="a" name="a"/><bpmn:task id="b" name="b"/>
  <bpmn:task id="c" name="c"/><bpmn:parallelGateway id="j"/><bpmn:task id="d" name="d"/>
  <bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
  <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="c"/>
  <bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="j"/>
  <bpmn:sequenceFlow id="f5" sourceRef="c" targetRef="j"/>
  <bpmn:sequenceFlow id="f6" sourceRef="j" targetRef="d"/>
  <bpmn:sequenceFlow id="f7" sourceRef="d" targetRef="e"/>
</bpmn:process>""",
    )
    assert language(workflow_net(read_bpmn(path))) == {("a", "b", "c", "d"), ("a", "c", "b", "d")}


def test_sub_process_and_call_activity_count_as_one_task(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/>
  <bpmn:subProcess id="sp" name="Assess">
    <bpmn:startEvent id="inner_s"/><bpmn:task id="inner" name="Inner step"/>
    <bpmn:endEvent id="inner_e"/>
    <bpmn:sequenceFlow id="i1" sourceRef="inner_s" targetRef="inner"/>
    <bpmn:sequenceFlow id="i2" sourceRef="inner" targetRef="inner_e"/>
  </bpmn:subProcess>
  <bpmn:callActivity id="ca" name="Ask the land registry" calledElement="registry"/>
  <bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sp"/>
  <bpmn:sequenceFlow id="f2" sourceRef="sp" targetRef="ca"/>
  <bpmn:sequenceFlow id="f3" sourceRef="ca" targetRef="e"/>
</bpmn:process>""",
    )
    model = read_bpmn(path)
    assert [(n.element, n.label) for n in model.tasks] == [
        ("subProcess", "Assess"),
        ("callActivity", "Ask the land registry"),
    ]
    assert language(workflow_net(model)) == {("Assess", "Ask the land registry")}


def test_label_mapping_renames_tasks() -> None:
    model = read_bpmn(BPMN / "sequence.bpmn", labels={"a": "Apply", "d": "Decide"})
    assert model.activities == ("Apply", "Decide", "b", "c")
    with pytest.raises(ConfigurationError, match="does not have") as err:
        read_bpmn(BPMN / "sequence.bpmn", labels={"x": "y"})
    assert "a, b, c, d" in (err.value.expected or "")


def test_pnml_export_is_read_by_pm4py_with_the_same_language(tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    net = workflow_net(read_bpmn(BPMN / "small.bpmn"))
    path = tmp_path / "small.pnml"
    path.write_text(net.to_pnml(), encoding="utf-8")
    pn, im, fm = pm4py.read_pnml(str(path))
    assert len(pn.places) == len(net.places)
    assert len(pn.transitions) == len(net.transitions)
    assert sum(1 for t in pn.transitions if t.label is None) == sum(
        1 for t in net.transitions if t.silent
    )
    assert sum(im.values()) == 1 and sum(fm.values()) == 1


# --- errors: what, where (file, line, element), how to fix ---------------------------------


def test_broken_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.bpmn"
    path.write_text(
        HEAD + '<bpmn:process id="p">\n  <bpmn:task id="a" name="a">\n</bpmn:definitions>\n'
    )
    with pytest.raises(InputError, match="not well-formed") as err:
        read_bpmn(path)
    assert err.value.where is not None
    assert err.value.where.file == "broken.bpmn"
    assert err.value.where.line == 5


def test_not_bpmn(tmp_path: Path) -> None:
    path = tmp_path / "x.bpmn"
    path.write_text("<pnml><net/></pnml>")
    with pytest.raises(InputError, match=r"not a BPMN 2\.0 model"):
        read_bpmn(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no BPMN file"):
        read_bpmn(tmp_path / "nope.bpmn")


def test_dangling_flow_names_flow_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/><bpmn:task id="a" name="a"/><bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="ghost"/>
</bpmn:process>""",
    )
    with pytest.raises(InputError, match="'f2' points to a node that does not exist") as err:
        read_bpmn(path)
    assert err.value.where is not None and err.value.where.line == 6
    assert err.value.found == "targetRef='ghost'"


def test_boundary_event_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/><bpmn:task id="a" name="a"/><bpmn:endEvent id="e"/>
  <bpmn:boundaryEvent id="timer" attachedToRef="a"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="e"/>
</bpmn:process>""",
    )
    with pytest.raises(InputError, match="boundary events") as err:
        read_bpmn(path)
    assert err.value.where is not None
    assert (err.value.where.line, err.value.where.field) == (5, "timer")


def test_event_sub_process_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/><bpmn:task id="a" name="a"/><bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="e"/>
  <bpmn:subProcess id="cancel" name="Cancel" triggeredByEvent="true"/>
</bpmn:process>""",
    )
    with pytest.raises(InputError, match="event sub-processes") as err:
        read_bpmn(path)
    assert err.value.where is not None and err.value.where.field == "cancel"


def test_flow_into_unknown_element_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/><bpmn:task id="a" name="a"/><bpmn:endEvent id="e"/>
  <bpmn:chorographyTask id="odd"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="odd"/>
  <bpmn:sequenceFlow id="f2" sourceRef="odd" targetRef="a"/>
  <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="e"/>
</bpmn:process>""",
    )
    with pytest.raises(InputError, match="cannot replay") as err:
        read_bpmn(path)
    assert err.value.where is not None and err.value.where.field == "odd"


def test_no_start_event(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:task id="a" name="a"/><bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="e"/>
</bpmn:process>""",
    )
    with pytest.raises(InputError, match="no start event"):
        read_bpmn(path)


def test_unnamed_task(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/><bpmn:userTask id="a" name="  "/><bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="e"/>
</bpmn:process>""",
    )
    with pytest.raises(InputError, match="has no name") as err:
        read_bpmn(path)
    assert err.value.where is not None and err.value.where.field == "a"


def test_task_without_outgoing_flow_is_refused_by_the_conversion(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """<bpmn:process id="p">
  <bpmn:startEvent id="s"/><bpmn:task id="a" name="a"/><bpmn:task id="b" name="b"/>
  <bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="e"/>
  <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="b"/>
</bpmn:process>""",
    )
    with pytest.raises(InputError, match="no outgoing sequence flow") as err:
        workflow_net(read_bpmn(path))
    assert err.value.where is not None and err.value.where.field == "b"


def test_several_pools_need_a_choice(tmp_path: Path) -> None:
    body = ""
    for pid in ("front", "back"):
        body += f"""<bpmn:process id="{pid}">
  <bpmn:startEvent id="{pid}_s"/><bpmn:task id="{pid}_a" name="{pid} a"/>
  <bpmn:endEvent id="{pid}_e"/>
  <bpmn:sequenceFlow id="{pid}_f1" sourceRef="{pid}_s" targetRef="{pid}_a"/>
  <bpmn:sequenceFlow id="{pid}_f2" sourceRef="{pid}_a" targetRef="{pid}_e"/>
</bpmn:process>
"""
    body += '<bpmn:process id="empty_pool"/>'
    path = _write(tmp_path, body)
    with pytest.raises(ConfigurationError, match="several processes") as err:
        read_bpmn(path)
    assert "front" in (err.value.found or "") and "back" in (err.value.found or "")
    assert read_bpmn(path, process="back").activities == ("back a",)
    with pytest.raises(NotFoundError, match="no process 'middle'"):
        read_bpmn(path, process="middle")
