"""Rule sets: loading and its errors, formulas (whitelist, types, vectorised), dated parameters
and rules, traces, explanations, batches, and tests as data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.decisions import (
    EXAMPLES,
    Case,
    DmnSource,
    ParameterChange,
    RuleSource,
    load_ruleset,
    load_tests,
    parse_ruleset,
    parse_tests,
    run_tests,
    what_if,
    with_parameter,
)

EXAMPLE = EXAMPLES / "social_support.yaml"
COUPLE = {"resident": True, "age": 41, "household_size": 2, "household_income": 2310}

MINIMAL = """\
ruleset: tiny
title: Tiny
outcome: ok
inputs:
  income: {type: number}
  size: {type: integer}
parameters:
  limit:
    reference: {act: Test Act, article: art. 1}
    values:
      - since: 2025-01-01
        scale: {1: 100, 2: 150}
      - since: 2026-01-01
        scale: {1: 110, 2: 160}
rules:
  cap:
    formula: limit[size]
    reference: Test Act
  ok:
    formula: {formula}
    reference: {act: Test Act, article: art. 2}
"""


def tiny(formula: str = "income <= cap"):
    return parse_ruleset(MINIMAL.replace("{formula}", f'"{formula}"'), file="tiny.yaml")


def test_the_example_passes_its_own_tests_and_is_a_rule_source() -> None:
    ruleset = load_ruleset(EXAMPLE)
    report = run_tests(ruleset, load_tests(EXAMPLES / "social_support.tests.yaml"))
    assert report.passed, report.describe()
    assert len(report.results) == 8
    assert isinstance(ruleset, RuleSource)


def test_a_refusal_is_explained_with_the_amount_the_limit_its_date_and_the_article() -> None:
    decision = load_ruleset(EXAMPLE).decide(COUPLE, on=dt.date(2026, 3, 1))
    assert decision.positive is False
    assert decision.outcome == "not eligible"
    assert decision.explanation == (
        "You are not eligible for social support because your household income of 2,310 exceeds "
        "the limit of 2,150 that applies to a household of 2 since 1 January 2026 "
        "(Social Support Act, art. 12)."
    )
    step = decision.step("applicable_limit")
    assert step.value == 2150
    (use,) = step.parameters
    assert (use.name, use.key, use.value, use.since) == (
        "income_limit",
        2,
        2150,
        dt.date(2026, 1, 1),
    )
    assert use.reference.article == "art. 12"
    assert decision.to_dict()["trace"][0]["kind"] == "input"


def test_the_date_selects_the_parameters_and_rules_in_force() -> None:
    ruleset = load_ruleset(EXAMPLE)
    case = {
        "resident": True,
        "age": 29,
        "household_size": 3,
        "household_income": 1200,
        "children": 2,
    }
    before = ruleset.decide(case, on=dt.date(2025, 12, 31))
    after = ruleset.decide(case, on=dt.date(2026, 1, 1))
    assert before.outputs["benefit_amount"] == 580
    assert after.outputs["benefit_amount"] == 647
    energy = before.step("energy_amount")
    assert energy.in_force is False and "not in force" in energy.note
    assert "energy supplement" not in before.explanation
    assert "energy supplement of 35" in after.explanation
    with pytest.raises(ConfigurationError, match="no value in force on 2024-06-01"):
        ruleset.decide(case, on=dt.date(2024, 6, 1))


def test_a_batch_equals_the_single_decisions_and_keeps_every_trace() -> None:
    ruleset = load_ruleset(EXAMPLE)
    rng = np.random.default_rng(3)
    n = 500
    columns = {
        "resident": rng.random(n) < 0.9,
        "age": rng.integers(16, 90, n),
        "household_size": rng.integers(1, 7, n),
        "household_income": rng.uniform(0, 3500, n).round(2),
        "savings": rng.uniform(0, 10000, n).round(0),
        "children": rng.integers(0, 4, n),
    }
    batch = ruleset.decide_batch(columns, on=dt.date(2026, 4, 1))
    assert batch.n == n and 0 < batch.positive.sum() < n
    for i in (0, 17, 499):
        single = ruleset.decide(
            {k: v[i].item() for k, v in columns.items()}, on=dt.date(2026, 4, 1)
        )
        assert batch.decision(i).outputs == single.outputs
        assert batch.decision(i).explanation == single.explanation


def test_uncertain_cases_are_flagged() -> None:
    ruleset = load_ruleset(EXAMPLE)
    near = dict(COUPLE, household_income=2160)
    assert ruleset.decide(near, on=dt.date(2026, 3, 1)).uncertain is True
    assert ruleset.decide(COUPLE, on=dt.date(2026, 3, 1)).uncertain is False


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("__import__('os').system('x')", "only the functions"),
        ("income.real > 1", "not allowed"),
        ("income <= limit", "is a scale and needs a key"),
        ("income <= caps", "did you mean 'cap'"),
        ("income and size", "must be boolean"),
        ("income == 'high'", "cannot compare number with text"),
        ("[x for x in size]", "not allowed"),
        ("income <=", "does not parse"),
    ],
)
def test_formulas_outside_the_whitelist_are_refused_with_the_line(
    formula: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        tiny(formula)
    assert caught.value.where is not None
    assert caught.value.where.file == "tiny.yaml"
    assert caught.value.where.line == 20
    assert caught.value.where.field == "rules.ok.formula"
    assert caught.value.fix


def test_formula_features_evaluate_vectorised() -> None:
    ruleset = tiny(
        "where(size in [1, 2] and not income < 0, min(income, cap) >= 50, False) or max(income, 0) > 1000"
    )
    batch = ruleset.decide_batch(
        {"income": [40, 60, 2000, 120], "size": [1, 2, 1, 2]}, on=dt.date(2025, 5, 1)
    )
    assert batch.column("ok").tolist() == [False, True, True, True]
    assert batch.column("cap").tolist() == [100, 150, 100, 150]
    texts = parse_ruleset(
        MINIMAL.replace("{formula}", "income / (size - 1) > 1").replace(
            "  size: {type: integer}", "  size: {type: integer}\n  region: {type: text}"
        ),
        file="t.yaml",
    )
    one = texts.decide({"income": 10, "size": 1, "region": "north"}, on=dt.date(2025, 5, 1))
    assert one.outputs == {"ok": True}  # 10 / 0 is infinite: greater than 1
    assert "region" in one.inputs


def test_rule_file_errors_name_file_line_field_and_fix(tmp_path: Path) -> None:
    cyclic = MINIMAL.replace("{formula}", "cap > 1").replace(
        "formula: limit[size]", "formula: where(ok, 1, 2)"
    )
    with pytest.raises(ConfigurationError, match="circle") as caught:
        parse_ruleset(cyclic, file="c.yaml")
    assert "ok" in (caught.value.found or "")
    no_ref = MINIMAL.replace("{formula}", "cap > 1").replace("    reference: Test Act\n", "")
    with pytest.raises(ConfigurationError, match="reference") as caught:
        parse_ruleset(no_ref, file="r.yaml")
    assert caught.value.where is not None and caught.value.where.line == 17
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("ruleset: x\n  title: [\n")
    with pytest.raises(ConfigurationError, match="not valid YAML") as caught:
        load_ruleset(bad_yaml)
    assert caught.value.where is not None and caught.value.where.line is not None
    typo = MINIMAL.replace("{formula}", "cap > 1").replace("title: Tiny", "titel: Tiny")
    with pytest.raises(ConfigurationError, match="unknown key 'titel'") as caught:
        parse_ruleset(typo, file="t.yaml")
    assert caught.value.where is not None and caught.value.where.line == 2
    template = MINIMAL.replace("{formula}", "cap > 1") + "    explain: {true: 'over {limt}'}\n"
    with pytest.raises(ConfigurationError, match="unknown placeholder"):
        parse_ruleset(template, file="e.yaml")


def test_inputs_are_checked() -> None:
    ruleset = load_ruleset(EXAMPLE)
    with pytest.raises(InputError, match="household_income' is missing"):
        ruleset.decide({"resident": True, "age": 3, "household_size": 1}, on=dt.date(2026, 1, 1))
    with pytest.raises(InputError, match="not a valid integer"):
        ruleset.decide(dict(COUPLE, household_size=2.5), on=dt.date(2026, 1, 1))
    with pytest.raises(InputError, match="not an input"):
        ruleset.decide(dict(COUPLE, income=1), on=dt.date(2026, 1, 1))
    # form values arrive as text
    decision = ruleset.decide({k: str(v) for k, v in COUPLE.items()}, on=dt.date(2026, 3, 1))
    assert decision.outputs["eligible"] is False


def test_failing_cases_are_reported_clearly() -> None:
    suite = parse_tests(
        """\
ruleset: social_support
cases:
  - name: wrong expectation
    date: 2026-03-01
    inputs: {resident: true, age: 41, household_size: 2, household_income: 2310}
    expected: {eligible: true, benefit_amount: 0}
  - name: missing input
    date: 2026-03-01
    inputs: {resident: true}
    expected: {eligible: false}
""",
        file="t.yaml",
    )
    report = run_tests(load_ruleset(EXAMPLE), suite)
    assert not report.passed
    assert len(report.failures) == 2
    text = report.describe()
    assert "FAIL wrong expectation (t.yaml, line 3, date 2026-03-01)" in text
    assert "eligible: expected yes, found no" in text
    assert "missing" in text
    assert "0 of 2 cases passed, 2 failed" in text


def test_what_if_a_higher_limit_finds_who_gains_and_the_cost() -> None:
    ruleset = load_ruleset(EXAMPLE)
    cases = [
        Case(key="over", inputs=COUPLE, on=dt.date(2026, 3, 1)),
        Case(key="under", inputs=dict(COUPLE, household_income=1500), on=dt.date(2026, 3, 1)),
        Case(key="old", inputs=dict(COUPLE, household_income=2100), on=dt.date(2025, 3, 1)),
    ]
    raised = ParameterChange(parameter="income_limit", scale={1: 1580, 2: 2400, 3: 2520})
    result = what_if(ruleset, raised, cases)
    assert [c.key for c in result.gains] == ["old", "over"]
    assert result.losses == ()
    assert result.amount_output == "benefit_amount"
    assert result.cost > 0
    assert "2 would gain" in result.summary()
    lower = what_if(ruleset, ParameterChange(parameter="income_limit", scale={1: 1000}), cases)
    assert [c.key for c in lower.losses] == ["under"]
    with pytest.raises(ConfigurationError, match="is a scale"):
        with_parameter(ruleset, ParameterChange(parameter="income_limit", value=3000))


@dataclass
class _Step:
    decision: str
    kind: str
    hit_policy: str | None
    matched_rules: tuple[int, ...]
    inputs: dict[str, object]
    outputs: object
    annotations: dict[int, str] = field(default_factory=dict)


@dataclass
class _Evaluation:
    outputs: dict[str, object]
    steps: list[_Step]


@dataclass
class _Input:
    name: str
    type_ref: str | None


class _FakeDmn:
    """The DMN importer's interface (``evaluate``, ``name``, ``decisions``, ``inputs``): a
    one-table model, "Approve" = age >= 18 (rule 1) else rule 2."""

    def __init__(self) -> None:
        self.name = "approval"
        self.decisions = ["Approve"]
        self.inputs = {"age": _Input("age", "number")}

    def evaluate(self, inputs, *, decision=None):  # type: ignore[no-untyped-def]
        adult = inputs["age"] >= 18
        step = _Step("Approve", "decision table", "UNIQUE", (1,) if adult else (2,), dict(inputs),
                     "yes" if adult else "no", {2: "minors need a guardian"})  # fmt: skip
        return _Evaluation({"Approve": step.outputs}, [step])


def test_a_dmn_model_is_a_rule_source_with_trace_and_tests() -> None:
    source = DmnSource(model=_FakeDmn(), outcome="Approve", positive_values=("yes",))
    assert isinstance(source, RuleSource) and source.title == "approval"
    decision = source.decide({"age": "16"}, on=dt.date(2026, 1, 5))
    assert decision.positive is False and decision.outputs == {"Approve": "no"}
    assert decision.explanation == (
        "The outcome is: negative because 'Approve' is no by rule 2 (minors need a guardian)."
    )
    step = decision.step("Approve")
    assert step.reference is not None and step.reference.article == "decision Approve, rules 2"
    suite = parse_tests(
        "ruleset: approval\ncases:\n  - name: adult\n    date: 2026-01-01\n"
        "    inputs: {age: 30}\n    expected: {Approve: 'yes'}\n",
        file="dmn.tests.yaml",
    )
    assert run_tests(source, suite).passed
    with pytest.raises(ConfigurationError, match="no decision 'Reject'"):
        DmnSource(model=_FakeDmn(), outcome="Reject")
