"""Tests as data: YAML cases (inputs, a date, expected outputs) written by policy officers and
run against a rule set; every failure says which case, which output, expected and found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicflow.core import CivicflowError, ConfigurationError, Location
from civicflow.decisions._decide import RuleSource, format_value
from civicflow.decisions._yaml import Mapping_, load_yaml, read_yaml

_TOLERANCE = 0.005


@dataclass(frozen=True, slots=True)
class TestCase:
    """One case: the inputs, the decision date and the outputs expected."""

    __test__ = False  # not a pytest class

    name: str
    on: dt.date
    inputs: Mapping[str, Any]
    expected: Mapping[str, Any]
    explanation_contains: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class TestSuite:
    """The cases of one test file, for one rule set."""

    __test__ = False

    ruleset: str
    cases: tuple[TestCase, ...]
    file: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """An output whose value differs from what the case expects."""

    output: str
    expected: Any
    found: Any


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The result of one case: passed, or the mismatches (or the error raised)."""

    case: TestCase
    mismatches: tuple[Mismatch, ...] = ()
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.error

    def describe(self, file: str) -> str:
        head = f"FAIL {self.case.name} ({file}, line {self.case.line}, date {self.case.on.isoformat()})"
        lines = [head]
        if self.error:
            lines.append(f"  error: {self.error}")
        for m in self.mismatches:
            lines.append(f"  {m.output}: expected {_show(m.expected)}, found {_show(m.found)}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class TestReport:
    """The results of a suite: each case, and whether all passed."""

    __test__ = False

    ruleset: str
    file: str
    results: tuple[CaseResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def describe(self) -> str:
        failed = self.failures
        lines = [r.describe(self.file) for r in failed]
        lines.append(
            f"{len(self.results) - len(failed)} of {len(self.results)} cases passed"
            + ("" if not failed else f", {len(failed)} failed")
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "file": self.file,
            "passed": self.passed,
            "cases": [
                {
                    "name": r.case.name,
                    "line": r.case.line,
                    "date": r.case.on.isoformat(),
                    "passed": r.passed,
                    "error": r.error or None,
                    "mismatches": [
                        {"output": m.output, "expected": m.expected, "found": m.found}
                        for m in r.mismatches
                    ],
                }
                for r in self.results
            ],
        }


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else format_value(value)


def load_tests(path: str | Path) -> TestSuite:
    """Read the cases of a YAML test file."""
    data, text = read_yaml(path)
    return _suite(data, text=text, file=str(path))


def parse_tests(text: str, *, file: str = "<tests>") -> TestSuite:
    """Read the cases of YAML test text (a stored version)."""
    return _suite(load_yaml(text, file=file), text=text, file=file)


def _error(
    file: str, line: int, field: str, what: str, found: str, expected: str, fix: str
) -> ConfigurationError:
    return ConfigurationError(
        what,
        where=Location(file=file, line=line, field=field),
        found=found,
        expected=expected,
        fix=fix,
    )


def _suite(data: Any, *, text: str, file: str) -> TestSuite:
    if not isinstance(data, Mapping_) or not isinstance(data.get("cases"), list):
        raise _error(
            file,
            getattr(data, "line", 1),
            "cases",
            "a test file needs 'ruleset:' and a list of 'cases:'",
            type(data).__name__,
            "ruleset: <name>\ncases:\n  - name: ...\n    date: 2026-03-01\n    inputs: {...}\n    expected: {...}",
            "start from the example test file",
        )
    cases: list[TestCase] = []
    names: set[str] = set()
    for index, raw in enumerate(data["cases"]):
        field = f"cases[{index}]"
        line = raw.line if isinstance(raw, Mapping_) else data.line_of("cases")
        if not isinstance(raw, Mapping_):
            raise _error(
                file,
                line,
                field,
                "a case must be a mapping",
                str(raw),
                "name, date, inputs, expected",
                "indent the case's keys",
            )
        for key in raw:
            if key not in ("name", "date", "inputs", "expected", "explanation_contains"):
                raise _error(
                    file,
                    raw.line_of(key),
                    f"{field}.{key}",
                    f"unknown key '{key}' in a case",
                    str(key),
                    "name, date, inputs, expected, explanation_contains",
                    "correct or remove the key",
                )
        name = str(raw.get("name") or f"case {index + 1}")
        if name in names:
            raise _error(
                file,
                line,
                f"{field}.name",
                f"two cases are named '{name}'",
                name,
                "unique case names",
                "rename one",
            )
        names.add(name)
        on = raw.get("date")
        if isinstance(on, str):
            try:
                on = dt.date.fromisoformat(on)
            except ValueError:
                on = None
        if not isinstance(on, dt.date):
            raise _error(
                file,
                raw.line_of("date"),
                f"{field}.date",
                f"the case '{name}' needs a date",
                str(raw.get("date")),
                "date: 2026-03-01",
                "give the date the decision is made for",
            )
        for key in ("inputs", "expected"):
            if not isinstance(raw.get(key), Mapping_) or (key == "expected" and not raw[key]):
                raise _error(
                    file,
                    raw.line_of(key),
                    f"{field}.{key}",
                    f"the case '{name}' needs '{key}'",
                    str(raw.get(key)),
                    f"{key}: {{name: value, ...}}",
                    f"add the {key}",
                )
        cases.append(
            TestCase(
                name=name,
                on=on,
                inputs=dict(raw["inputs"]),
                expected=dict(raw["expected"]),
                explanation_contains=str(raw.get("explanation_contains") or ""),
                line=line,
            )
        )
    return TestSuite(
        ruleset=str(data.get("ruleset") or ""), cases=tuple(cases), file=file, text=text
    )


def _same(expected: Any, found: Any) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool):
        return type(expected) is bool and type(found) is bool and expected == found
    if isinstance(expected, int | float) and isinstance(found, int | float):
        return abs(float(expected) - float(found)) <= _TOLERANCE
    return bool(expected == found)


def run_tests(source: RuleSource, suite: TestSuite) -> TestReport:
    """Decide every case and compare each expected output (any rule, not only the outputs)."""
    results: list[CaseResult] = []
    for case in suite.cases:
        try:
            decision = source.decide(case.inputs, on=case.on)
        except CivicflowError as exc:
            results.append(
                CaseResult(case=case, error=exc.what + (f" ({exc.found})" if exc.found else ""))
            )
            continue
        values = {step.name: step.value for step in decision.steps}
        values.update(decision.outputs)
        mismatches = []
        for name, expected in case.expected.items():
            if name not in values:
                mismatches.append(
                    Mismatch(output=name, expected=expected, found="(no such output or rule)")
                )
            elif not _same(expected, values[name]):
                mismatches.append(Mismatch(output=name, expected=expected, found=values[name]))
        if case.explanation_contains and case.explanation_contains not in decision.explanation:
            mismatches.append(
                Mismatch(
                    output="explanation",
                    expected=f"contains {case.explanation_contains!r}",
                    found=decision.explanation,
                )
            )
        results.append(CaseResult(case=case, mismatches=tuple(mismatches)))
    return TestReport(ruleset=source.name, file=suite.file, results=tuple(results))
