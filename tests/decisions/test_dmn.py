"""The DMN import against the real models in ../shared/data/decisions (TCK, Kogito, Camunda), with
the expected results read from their own test files; refusals of what is not supported; the
vectorised batch path against row-by-row evaluation."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from tests.conftest import shared_file

from civicflow.decisions import (
    DmnEvaluationError,
    DmnImportError,
    DmnModel,
    load_dmn,
)
from civicflow.decisions._feel import equals, parse_expression, to_feel

XSI = "http://www.w3.org/2001/XMLSchema-instance"
TCK_CASES = (
    "0017-tableTests",
    "0020-vacation-days",
    "0108-first-hitpolicy",
    "0110-outputOrder-hitpolicy",
    "0115-sum-collect-hitpolicy",
)
CAMUNDA_CASES = (
    "dinnerDecisions",
    "studentFinancialPackageEligibility",
    "personLoanCompliance",
    "insuranceFee",
)


# ---------------------------------------------------------------------------------------------
# reading the expected-result files


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _tck_value(element: etree._Element) -> object:
    """A TCK <inputNode>/<expected>/<component>/<item>: value, structure or list."""
    children = [c for c in element if isinstance(c.tag, str)]
    values = [c for c in children if _local(c) == "value"]
    components = [c for c in children if _local(c) == "component"]
    lists = [c for c in children if _local(c) == "list"]
    if components:
        return {c.get("name"): _tck_value(c) for c in components}
    if lists:
        return [_tck_value(item) for item in lists[0] if isinstance(item.tag, str)]
    if not values:
        return None
    value = values[0]
    if value.get(f"{{{XSI}}}nil") == "true":
        return None
    kind = (value.get(f"{{{XSI}}}type") or "xsd:string").split(":")[-1]
    text = value.text or ""
    if kind == "decimal":
        return Decimal(text)
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return dt.date.fromisoformat(text.strip())
    if kind == "string":
        return text
    raise AssertionError(f"a TCK value type this test does not read: {kind}")


def _tck_cases(path: Path) -> tuple[str, list[tuple[str, dict[str, object], dict[str, object]]]]:
    root = etree.parse(str(path)).getroot()
    model = next(c.text for c in root if isinstance(c.tag, str) and _local(c) == "modelName")
    cases = []
    for case in root:
        if not isinstance(case.tag, str) or _local(case) != "testCase":
            continue
        inputs: dict[str, object] = {}
        expected: dict[str, object] = {}
        for node in case:
            if not isinstance(node.tag, str):
                continue
            if _local(node) == "inputNode":
                inputs[node.get("name") or ""] = _tck_value(node)
            elif _local(node) == "resultNode":
                exp = next(c for c in node if isinstance(c.tag, str) and _local(c) == "expected")
                expected[node.get("name") or ""] = _tck_value(exp)
        cases.append((case.get("id") or "", inputs, expected))
    assert model is not None
    return model, cases


def _same(actual: object, expected: object) -> bool:
    return equals(to_feel(actual), to_feel(expected))


# ---------------------------------------------------------------------------------------------
# the real models


@pytest.mark.parametrize("case", TCK_CASES)
def test_tck_models_give_the_expected_results(case: str) -> None:
    tests = shared_file("decisions", "tck", case, f"{case}-test-01.xml")
    model_name, cases = _tck_cases(tests)
    model = load_dmn(tests.parent / model_name)
    assert model.version == "1.3"
    assert cases
    for case_id, inputs, expected in cases:
        result = model.evaluate(inputs)
        for name, value in expected.items():
            assert _same(result.outputs[name], value), (case_id, name, result.outputs[name], value)


def _scesim(path: Path) -> list[tuple[str, dict[str, Any], dict[tuple[str, ...], object]]]:
    root = etree.parse(str(path)).getroot()
    columns: dict[str, tuple[str, list[str]]] = {}
    for fm in root.iter("FactMapping"):
        kind = fm.findtext("expressionIdentifier/type") or ""
        steps = [s.text or "" for s in fm.iter("step")]
        if kind in ("GIVEN", "EXPECT") and steps:
            columns[fm.findtext("expressionIdentifier/name") or ""] = (kind, steps)
    scenarios = []
    for scenario in root.iter("Scenario"):
        given: dict[str, Any] = {}
        expect: dict[tuple[str, ...], object] = {}
        description = ""
        for cell in scenario.iter("FactMappingValue"):
            column = cell.findtext("expressionIdentifier/name") or ""
            raw = cell.findtext("rawValue")
            if column == "Description":
                description = raw or ""
            if column not in columns:
                continue
            kind, steps = columns[column]
            value = None if raw is None else parse_expression(raw).evaluate({})
            if kind == "GIVEN":
                target = given
                for step in steps[:-1]:
                    target = target.setdefault(step, {})
                target[steps[-1]] = value
            else:
                expect[tuple(steps)] = value
        scenarios.append((description, given, expect))
    return scenarios


def test_kogito_traffic_violation_gives_the_scenario_results() -> None:
    model = load_dmn(shared_file("decisions", "kogito", "traffic-violation.dmn"))
    scenarios = _scesim(shared_file("decisions", "kogito", "TrafficViolationTest.scesim"))
    assert len(scenarios) == 5
    assert model.version == "1.2"
    for description, facts, expect in scenarios:
        # the parking and DUI scenarios leave the speeds empty: a missing component is null
        outputs = model.evaluate(facts).outputs
        assert expect
        for steps, value in expect.items():
            actual: object = outputs[steps[0]]
            for step in steps[1:]:
                assert isinstance(actual, dict)
                actual = actual[step]
            assert _same(actual, value), (description, steps, actual, value)


def test_kogito_trace_shows_the_path_inputs_and_the_matched_rule() -> None:
    model = load_dmn(shared_file("decisions", "kogito", "traffic-violation.dmn"))
    result = model.evaluate(
        {
            "Driver": {"Points": 15},
            "Violation": {"Type": "speed", "Speed Limit": 100, "Actual Speed": 140},
        }
    )
    fine, suspended = result.steps
    assert fine.decision == "Fine" and fine.hit_policy == "UNIQUE"
    assert fine.matched_rules == (2,)
    assert fine.inputs["Violation.Actual Speed - Violation.Speed Limit"] == Decimal(40)
    assert suspended.kind == "context" and suspended.outputs == "Yes"
    assert result.outputs["Fine"] == {"Amount": Decimal(1000), "Points": Decimal(7)}
    carried = json.loads(json.dumps(result.to_dict()))
    assert carried["outputs"]["Fine"] == {"Amount": 1000, "Points": 7}
    assert carried["steps"][0]["matched_rules"] == [2]
    assert carried["steps"][0]["inputs"]["Violation.Actual Speed - Violation.Speed Limit"] == 40


@pytest.mark.parametrize("name", CAMUNDA_CASES)
def test_camunda_models_give_the_upstream_results(name: str) -> None:
    spec = json.loads(shared_file("decisions", "camunda", f"{name}.expected.json").read_text())
    model = load_dmn(shared_file("decisions", "camunda", spec["model"]))
    assert model.version == "1.1"
    decision = model.decision_ids[spec["decision_id"]]
    assert spec["cases"]
    for case in spec["cases"]:
        result = model.evaluate(case["inputs"], decision=decision).outputs[decision]
        expected = to_feel(case["expected"])
        if case["compare"] == "unordered-list":
            assert isinstance(result, list) and isinstance(expected, list)
            assert Counter(map(repr, result)) == Counter(map(repr, expected)), case["id"]
        else:
            assert _same(result, expected), (case["id"], result, expected)


def test_camunda_descriptions_are_the_matched_rules_annotations() -> None:
    model = load_dmn(shared_file("decisions", "camunda", "dinnerDecisions.dmn"))
    result = model.evaluate({"season": "Spring", "guestCount": 6, "guestsWithChildren": False})
    dish = result.steps[0]
    assert dish.decision == "Dish" and dish.matched_rules == (4,)
    assert dish.annotations == {4: "Save money"}
    # the Beverages table reads the Dish result by its output name 'desiredDish' (Camunda)
    assert result.outputs["Beverages"] == ["Pinot Noir", "Water"]
    assert model.inputs["season"].source == "variable"
    assert model.inputs["Season"].source == "inputData"


def _batch_columns(cases: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    flat: list[dict[str, object]] = []
    for case in cases:
        row: dict[str, object] = {}
        for key, value in case.items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    row[f"{key}.{sub}"] = v
            else:
                row[key] = value
        flat.append(row)
    keys = sorted({k for row in flat for k in row})
    columns: dict[str, np.ndarray] = {}
    for key in keys:
        values = [row.get(key) for row in flat]
        present = [v for v in values if v is not None]
        if present and all(
            isinstance(v, Decimal | int | float) and not isinstance(v, bool) for v in present
        ):
            columns[key] = np.array([np.nan if v is None else float(v) for v in values])  # type: ignore[arg-type]
        elif present and all(isinstance(v, dt.date) for v in present):
            columns[key] = np.array(
                [
                    np.datetime64(v, "D") if isinstance(v, dt.date) else np.datetime64("NaT")
                    for v in values
                ]
            )
        else:
            columns[key] = np.array(values, dtype=object)
    return columns


def _as_number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_as_number(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_number(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", TCK_CASES)
def test_batch_matches_row_by_row_on_the_tck_cases(case: str) -> None:
    tests = shared_file("decisions", "tck", case, f"{case}-test-01.xml")
    model_name, cases = _tck_cases(tests)
    model = load_dmn(tests.parent / model_name)
    inputs = [c[1] for c in cases]
    full = [{name: inp.get(name) for name in model.inputs} for inp in inputs]
    for row in full:
        for name, spec in model.inputs.items():
            if spec.item is not None and spec.item.components and row[name] is None:
                row[name] = {c.name: None for c in spec.item.components}
    batch = model.evaluate_batch(_batch_columns(full))
    for i, inp in enumerate(full):
        expected = model.evaluate(inp)
        for step in expected.steps:
            got = batch.outputs[step.decision][i]
            want = _as_number(step.outputs)
            if isinstance(got, float) and np.isnan(got):
                assert want is None
            else:
                assert got == want, (case, i, step.decision, got, want)
            if step.kind == "decision table":
                matched = batch.matched_rules[step.decision][i]
                numbers = matched if isinstance(matched, tuple) else ((matched,) if matched else ())
                assert numbers == step.matched_rules


def test_batch_reads_pyarrow_columns_and_reports_row_wise_parts() -> None:
    pa = pytest.importorskip("pyarrow")
    model = load_dmn(shared_file("decisions", "kogito", "traffic-violation.dmn"))
    batch = model.evaluate_batch(
        {
            "Driver.Points": pa.array([10, 15]),
            "Violation.Type": pa.array(["speed", "parking"]),
            "Violation.Speed Limit": pa.array([100, None]),
            "Violation.Actual Speed": pa.array([150, None]),
        }
    )
    assert batch.outputs["Fine.Amount"].tolist() == [1000.0, 100.0]
    assert batch.matched_rules["Fine"].tolist() == [2, 3]
    assert batch.outputs["Should the driver be suspended?"].tolist() == ["No", "No"]
    assert "Should the driver be suspended?" in batch.row_wise
    assert "Fine" not in batch.row_wise


# ---------------------------------------------------------------------------------------------
# snippets: hit policies and refusals

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def _write(tmp: Path, body: str, *, ns: str = DMN13, extra: str = "") -> Path:
    path = tmp / "model.dmn"
    path.write_text(
        f'<definitions xmlns="{ns}" id="defs" name="snippet" namespace="urn:test" {extra}>'
        f"{body}</definitions>",
        encoding="utf-8",
    )
    return path


def _table(
    policy: str, rules: list[tuple[str, str]], *, aggregation: str = "", output_values: str = ""
) -> str:
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    values = f"<outputValues><text>{output_values}</text></outputValues>" if output_values else ""
    rows = "".join(
        f'<rule id="r{i}"><inputEntry><text>{test}</text></inputEntry>'
        f"<outputEntry><text>{out}</text></outputEntry></rule>"
        for i, (test, out) in enumerate(rules, 1)
    )
    return (
        '<inputData id="x" name="x"><variable name="x" typeRef="number"/></inputData>'
        '<decision id="d" name="D"><variable name="D"/>'
        '<informationRequirement><requiredInput href="#x"/></informationRequirement>'
        f'<decisionTable id="t" hitPolicy="{policy}"{agg}>'
        '<input id="i1" label="x"><inputExpression typeRef="number"><text>x</text></inputExpression></input>'
        f'<output id="o1" name="out">{values}</output>{rows}</decisionTable></decision>'
    )


def test_unique_violation_names_the_rules(tmp_path: Path) -> None:
    model = load_dmn(_write(tmp_path, _table("UNIQUE", [("&gt; 1", "1"), ("&gt; 2", "2")])))
    assert model.evaluate({"x": 1.5}).outputs["D"] == Decimal(1)
    with pytest.raises(DmnEvaluationError) as err:
        model.evaluate({"x": 3})
    assert "rules 1, 2" in err.value.what
    with pytest.raises(DmnEvaluationError) as batch_err:
        model.evaluate_batch({"x": np.array([1.5, 3.0])})
    assert batch_err.value.where is not None and batch_err.value.where.row == 2


def test_any_requires_agreeing_outputs(tmp_path: Path) -> None:
    model = load_dmn(
        _write(tmp_path, _table("ANY", [("&gt; 1", '"a"'), ("&gt; 2", '"a"'), ("&gt; 5", '"b"')]))
    )
    assert model.evaluate({"x": 3}).outputs["D"] == "a"
    with pytest.raises(DmnEvaluationError, match="rules 1, 2, 3"):
        model.evaluate({"x": 6})


def test_collect_count_and_priority(tmp_path: Path) -> None:
    rules = [("&gt; 1", '"low"'), ("&gt; 2", '"high"'), ("&gt; 3", '"low"')]
    count = load_dmn(_write(tmp_path, _table("COLLECT", rules, aggregation="COUNT")))
    assert count.evaluate({"x": 4}).outputs["D"] == Decimal(3)
    assert count.evaluate({"x": 0}).outputs["D"] == Decimal(0)
    assert count.evaluate_batch({"x": np.array([4.0, 0.0, 2.5])}).outputs["D"].tolist() == [
        3.0,
        0.0,
        2.0,
    ]
    priority = load_dmn(_write(tmp_path, _table("PRIORITY", rules, output_values='"high","low"')))
    step = priority.evaluate({"x": 4}).steps[0]
    assert step.outputs == "high" and step.matched_rules == (2,) and step.hit_policy == "PRIORITY"
    assert priority.evaluate_batch({"x": np.array([4.0, 1.5])}).matched_rules["D"].tolist() == [
        2,
        1,
    ]


REFUSALS = [
    (
        '<businessKnowledgeModel id="bkm1" name="Fee"><variable name="Fee"/></businessKnowledgeModel>',
        "businessKnowledgeModel id 'bkm1'",
        "business knowledge models",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/><knowledgeRequirement><requiredKnowledge href="#b"/>'
        "</knowledgeRequirement><literalExpression><text>1</text></literalExpression></decision>",
        "knowledgeRequirement",
        "business knowledge model",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/><invocation id="inv1"/></decision>',
        "invocation id 'inv1'",
        "invocations",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/><relation id="rel1"/></decision>',
        "relation id 'rel1'",
        "relations",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/><functionDefinition id="f1"/></decision>',
        "functionDefinition id 'f1'",
        "function definitions",
    ),
    (
        '<import namespace="urn:other" importType="x" name="other"/>',
        "import name 'other'",
        "imports",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/>'
        '<literalExpression id="le1" expressionLanguage="javascript"><text>1</text></literalExpression></decision>',
        "literalExpression id 'le1'",
        "not FEEL",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/>'
        '<literalExpression id="le2"><text>for x in [1,2] return x</text></literalExpression></decision>',
        "literalExpression id 'le2'",
        "cannot be read",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/>'
        '<decisionTable id="dt1" hitPolicy="UNIQUE" aggregation="SUM"><input><inputExpression>'
        "<text>x</text></inputExpression></input><output/></decisionTable></decision>",
        "decisionTable id 'dt1'",
        "aggregation 'SUM' with hit policy UNIQUE",
    ),
    (
        '<decision id="d1" name="D"><variable name="D"/><context id="c1">'
        '<contextEntry><variable name="a"/><list id="l1"/></contextEntry></context></decision>',
        "list id 'l1'",
        "boxed lists",
    ),
]


@pytest.mark.parametrize(("body", "element", "reason"), REFUSALS)
def test_unsupported_elements_are_refused_with_element_and_reason(
    tmp_path: Path, body: str, element: str, reason: str
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(DmnImportError) as err:
        load_dmn(path)
    where = err.value.where
    assert where is not None and where.file == str(path)
    assert where.field is not None and element in where.field
    assert reason in str(err.value)
    assert err.value.fix


def test_other_dmn_versions_are_refused_naming_the_supported_ones(tmp_path: Path) -> None:
    path = _write(tmp_path, "", ns="https://www.omg.org/spec/DMN/20211108/MODEL/")
    with pytest.raises(DmnImportError) as err:
        load_dmn(path)
    assert err.value.expected is not None and "20191111" in err.value.expected


def test_annotation_columns_are_kept_per_rule(tmp_path: Path) -> None:
    body = (
        '<inputData id="x" name="x"/>'
        '<decision id="d" name="D"><decisionTable hitPolicy="RULE ORDER">'
        "<input><inputExpression><text>x</text></inputExpression></input>"
        '<output name="out"/><annotation name="Legal basis"/>'
        "<rule><inputEntry><text>&gt; 1</text></inputEntry><outputEntry><text>1</text></outputEntry>"
        "<annotationEntry><text>Social Support Act, art. 12</text></annotationEntry></rule>"
        "<rule><inputEntry><text>&gt; 2</text></inputEntry><outputEntry><text>2</text></outputEntry>"
        "<annotationEntry><text></text></annotationEntry></rule>"
        "</decisionTable></decision>"
    )
    model = load_dmn(_write(tmp_path, body))
    step = model.evaluate({"x": 3}).steps[0]
    assert step.matched_rules == (1, 2) and step.outputs == [Decimal(1), Decimal(2)]
    assert step.annotations == {1: "Social Support Act, art. 12"}
    assert [r.annotation for r in model.rules("D")] == ["Social Support Act, art. 12", None]
    assert model.rules("D")[0].inputs == ("> 1",)
    assert model.hit_policy("D") == "RULE ORDER"


def test_cycles_are_refused(tmp_path: Path) -> None:
    body = (
        '<decision id="a" name="A"><variable name="A"/><informationRequirement><requiredDecision href="#b"/>'
        "</informationRequirement><literalExpression><text>B + 1</text></literalExpression></decision>"
        '<decision id="b" name="B"><variable name="B"/><informationRequirement><requiredDecision href="#a"/>'
        "</informationRequirement><literalExpression><text>A + 1</text></literalExpression></decision>"
    )
    with pytest.raises(DmnImportError, match="cycle"):
        load_dmn(_write(tmp_path, body))


def test_evaluating_one_decision_runs_only_what_it_requires() -> None:
    model = load_dmn(
        shared_file("decisions", "tck", "0020-vacation-days", "0020-vacation-days.dmn")
    )
    result = model.evaluate({"Age": 16, "Years of Service": 1}, decision="Extra days case 1")
    assert list(result.outputs) == ["Extra days case 1"]
    assert result.outputs["Extra days case 1"] == Decimal(5)
    with pytest.raises(DmnEvaluationError, match="no decision"):
        model.evaluate({}, decision="Nope")


def test_batch_falls_back_row_by_row_and_says_so(tmp_path: Path) -> None:
    body = (
        '<inputData id="x" name="x"/><inputData id="code" name="code"/>'
        '<decision id="d" name="D"><decisionTable hitPolicy="FIRST">'
        "<input><inputExpression><text>upper case(code)</text></inputExpression></input>"
        "<input><inputExpression><text>x</text></inputExpression></input>"
        '<output name="out"><defaultOutputEntry><text>x + 100</text></defaultOutputEntry></output>'
        '<rule><inputEntry><text>"A"</text></inputEntry><inputEntry><text>? &gt; 2</text></inputEntry>'
        "<outputEntry><text>x * 2</text></outputEntry></rule>"
        '<rule><inputEntry><text>"B"</text></inputEntry><inputEntry><text>-</text></inputEntry>'
        "<outputEntry><text>1</text></outputEntry></rule>"
        "</decisionTable></decision>"
        '<decision id="e" name="E"><literalExpression><text>if D &gt; 5 then "big" else "small"'
        "</text></literalExpression></decision>"
    )
    model = load_dmn(_write(tmp_path, body))
    rows = [("a", 3.0), ("a", 1.0), ("b", 9.0), (None, 4.0), ("c", None)]
    batch = model.evaluate_batch(
        {
            "code": np.array([r[0] for r in rows], dtype=object),
            "x": np.array([np.nan if r[1] is None else r[1] for r in rows]),
        }
    )
    notes = batch.row_wise["D"]
    assert "upper case(code)" in notes and "? > 2" in notes and "read inputs" in notes
    assert "E" in batch.row_wise
    for i, (code, x) in enumerate(rows):
        result = model.evaluate({"code": code, "x": x})
        for name in ("D", "E"):
            got = batch.outputs[name][i]
            want = _as_number(result.outputs[name])
            assert (want is None and isinstance(got, float) and np.isnan(got)) or got == want, (
                i,
                name,
            )
    assert batch.outputs["D"].tolist()[:3] == [6.0, 101.0, 1.0]


# ---------------------------------------------------------------------------------------------
# property: batch == row by row on generated tables

_TESTS = st.one_of(
    st.just("-"),
    st.integers(-5, 15).map(lambda v: f"&lt; {v}"),
    st.integers(-5, 15).map(lambda v: f"&gt;= {v}"),
    st.integers(-5, 15).map(lambda v: f"{v}"),
    st.tuples(
        st.integers(-5, 5), st.integers(5, 15), st.sampled_from("[("), st.sampled_from("])")
    ).map(lambda t: f"{t[2]}{t[0]}..{t[1]}{t[3]}"),
    st.tuples(st.integers(-5, 15), st.integers(-5, 15)).map(lambda t: f"{t[0]}, &gt; {t[1]}"),
    st.integers(-5, 15).map(lambda v: f"not({v})"),
    st.just("[y..10]"),
    st.just("&gt; y"),
)
_CODES = st.one_of(st.just("-"), st.sampled_from(['"a"', '"b"', '"a","c"', 'not("b")']))


def _generated(policy: str, aggregation: str, rules: list[tuple[str, str, str, int]]) -> str:
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    values = (
        "<outputValues><text>1,2,3,4,5,6,7,8,9</text></outputValues>"
        if policy in ("PRIORITY", "OUTPUT ORDER")
        else ""
    )
    rows = "".join(
        f"<rule><inputEntry><text>{a}</text></inputEntry><inputEntry><text>{b}</text></inputEntry>"
        f"<inputEntry><text>{c}</text></inputEntry><outputEntry><text>{out}</text></outputEntry></rule>"
        for a, b, c, out in rules
    )
    return (
        '<inputData id="x" name="x"/><inputData id="y" name="y"/><inputData id="code" name="code"/>'
        f'<decision id="d" name="D"><decisionTable hitPolicy="{policy}"{agg}>'
        "<input><inputExpression><text>x</text></inputExpression></input>"
        "<input><inputExpression><text>y</text></inputExpression></input>"
        "<input><inputExpression><text>code</text></inputExpression></input>"
        f'<output name="out">{values}</output>{rows}</decisionTable></decision>'
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy=st.sampled_from(
        [
            ("FIRST", ""),
            ("RULE ORDER", ""),
            ("COLLECT", ""),
            ("COLLECT", "SUM"),
            ("COLLECT", "MIN"),
            ("COLLECT", "MAX"),
            ("COLLECT", "COUNT"),
            ("PRIORITY", ""),
            ("OUTPUT ORDER", ""),
        ]
    ),
    rules=st.lists(st.tuples(_TESTS, _TESTS, _CODES, st.integers(1, 9)), min_size=1, max_size=8),
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-6, 16)),
            st.one_of(st.none(), st.integers(-6, 16)),
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_batch_equals_row_by_row_on_generated_tables(
    policy: tuple[str, str],
    rules: list[tuple[str, str, str, int]],
    rows: list[tuple[Any, Any, Any]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        model: DmnModel = load_dmn(
            _write(
                Path(tmp),
                _generated(policy[0], policy[1], rules),
                ns="http://www.omg.org/spec/DMN/20151101/dmn.xsd",
            )
        )
    columns = {
        "x": np.array([np.nan if r[0] is None else float(r[0]) for r in rows]),
        "y": np.array([np.nan if r[1] is None else float(r[1]) for r in rows]),
        "code": np.array([r[2] for r in rows], dtype=object),
    }
    batch = model.evaluate_batch(columns)
    assert not batch.row_wise
    for i, (x, y, code) in enumerate(rows):
        step = model.evaluate({"x": x, "y": y, "code": code}).steps[0]
        got = batch.outputs["D"][i]
        want = _as_number(step.outputs)
        if isinstance(got, float) and np.isnan(got):
            assert want is None, (i, want)
        else:
            assert got == want, (i, got, want)
        matched = batch.matched_rules["D"][i]
        numbers = matched if isinstance(matched, tuple) else ((int(matched),) if matched else ())
        assert numbers == step.matched_rules
