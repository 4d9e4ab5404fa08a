"""The contract every ``RuleModel`` keeps — the YAML rule set and each DMN model of
../shared/data/decisions behind ``DmnSource`` — so the application can test, store, decide one
case or many, review and appeal any of them without knowing which it holds."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from tests.conftest import shared_file

from civicflow.core import CivicflowError
from civicflow.decisions import (
    EXAMPLES,
    KINDS,
    Decision,
    InputSpec,
    RuleModel,
    detect_kind,
    parse_tests,
    read_model,
    run_tests,
)

MARCH = dt.date(2026, 3, 1)


@dataclass(frozen=True)
class Implementation:
    """A model's text, how to read it, and cases (inputs) it decides."""

    id: str
    kind: str
    text: str
    cases: tuple[dict[str, Any], ...]
    decision: str | None = None
    positive: tuple[str, ...] = ()


def _yaml() -> Implementation:
    return Implementation(
        id="yaml social_support",
        kind="yaml",
        text=(EXAMPLES / "social_support.yaml").read_text(),
        cases=(
            {"resident": True, "age": 41, "household_size": 2, "household_income": 2310},
            {"resident": True, "age": 30, "household_size": 1, "household_income": 900},
            {"resident": False, "age": 30, "household_size": 3, "household_income": 100},
        ),
    )


def _camunda(name: str, positive: tuple[str, ...] = ()) -> Implementation:
    text = shared_file("decisions", "camunda", f"{name}.dmn").read_text()
    expected = json.loads(shared_file("decisions", "camunda", f"{name}.expected.json").read_text())
    return Implementation(
        id=f"dmn {name}",
        kind="dmn",
        text=text,
        cases=tuple(case["inputs"] for case in expected["cases"]),
        positive=positive,
    )


IMPLEMENTATIONS = {
    "yaml": _yaml,
    "dmn-dinner": lambda: _camunda("dinnerDecisions"),
    "dmn-loan": lambda: _camunda("personLoanCompliance", ("Compliant",)),
    "dmn-fee": lambda: _camunda("insuranceFee"),
    "dmn-student": lambda: _camunda("studentFinancialPackageEligibility"),
}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def impl(request: pytest.FixtureRequest) -> Implementation:
    return IMPLEMENTATIONS[request.param]()


def _model(impl: Implementation) -> RuleModel:
    return read_model(impl.text, file=impl.id, decision=impl.decision, positive=impl.positive)


def test_it_is_a_rule_model_of_its_kind(impl: Implementation) -> None:
    model = _model(impl)
    assert isinstance(model, RuleModel)
    assert detect_kind(impl.text) == impl.kind == model.kind and model.kind in KINDS
    assert model.name and model.title
    assert all(isinstance(spec, InputSpec) for spec in model.inputs)
    assert tuple(spec.name for spec in model.inputs) == model.input_names
    assert model.legal_acts and all(isinstance(act, str) and act for act in model.legal_acts)
    refusal = model.what_if_refusal
    assert refusal is None or (isinstance(refusal, str) and "parameter" in refusal)


def test_one_decision_has_its_trace_outcome_and_explanation(impl: Implementation) -> None:
    model = _model(impl)
    for inputs in impl.cases:
        decision = model.decide(inputs, on=MARCH)
        assert isinstance(decision, Decision)
        assert decision.ruleset == model.name and decision.on == MARCH
        assert decision.explanation.strip()
        assert any(step.kind == "rule" for step in decision.steps)
        assert model.outcome in {step.name for step in decision.steps}
        json.dumps(decision.to_dict())  # storable as it is


def test_many_decisions_agree_with_one_at_a_time(impl: Implementation) -> None:
    model = _model(impl)
    rows = list(impl.cases) * 3
    many = list(model.decide_many(rows, on=MARCH))
    assert len(many) == len(rows)
    for row, decision in zip(rows, many, strict=True):
        one = model.decide(row, on=MARCH)
        assert (decision.positive, decision.uncertain) == (one.positive, one.uncertain)
        assert dict(decision.outputs) == dict(one.outputs)
        assert decision.explanation == one.explanation


def test_the_digest_names_the_exact_text(impl: Implementation) -> None:
    model = _model(impl)
    assert model.digest == _model(impl).digest
    changed = impl.text.replace("\n", "\n\n", 1) if impl.kind == "dmn" else impl.text + "\n# x\n"
    assert read_model(changed, file=impl.id, positive=impl.positive).digest != model.digest


def test_tests_as_data_run_against_it(impl: Implementation) -> None:
    model = _model(impl)
    first = model.decide(impl.cases[0], on=MARCH)
    outcome = first.outputs.get(model.outcome, first.step(model.outcome).value)
    suite = parse_tests(
        json.dumps(
            {
                "ruleset": model.name,
                "cases": [
                    {"name": "as decided", "date": MARCH.isoformat(),
                     "inputs": dict(impl.cases[0]), "expected": {model.outcome: outcome}},
                    {"name": "a wrong expectation", "date": MARCH.isoformat(),
                     "inputs": dict(impl.cases[0]), "expected": {model.outcome: "no such value"}},
                ],
            }
        ),  # JSON is YAML
        file="contract tests",
    )  # fmt: skip
    report = run_tests(model, suite)
    assert [r.passed for r in report.results] == [True, False]


def test_bad_text_is_refused_with_where(impl: Implementation) -> None:
    broken = impl.text[: len(impl.text) // 2]
    with pytest.raises(CivicflowError) as caught:
        read_model(broken, file="broken text")
    assert caught.value.where is not None and caught.value.where.file == "broken text"
