"""Deciding cases under a rule set for a date: vectorised over columns, with every intermediate
result kept, so any case's trace (each rule and parameter used, its value and legal reference)
and its plain-language explanation can be produced."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.decisions._expr import BOOLEAN, NUMBER, Env
from civicflow.decisions._ruleset import (
    InputSpec,
    LegalReference,
    Rule,
    RuleSet,
    placeholders,
)


@dataclass(frozen=True, slots=True)
class ParameterUse:
    """A parameter a rule read for one case: the value, the key of a scale, since when."""

    name: str
    label: str
    value: Any
    since: dt.date
    reference: LegalReference
    key: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "key": self.key,
            "since": self.since.isoformat(),
            "reference": self.reference.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a decision: an input given, or a rule applied (with the formula, the legal
    reference, whether it was in force, and the parameters it read)."""

    kind: str
    name: str
    label: str
    value: Any
    formula: str = ""
    reference: LegalReference | None = None
    in_force: bool = True
    note: str = ""
    parameters: tuple[ParameterUse, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "formula": self.formula,
            "reference": None if self.reference is None else self.reference.to_dict(),
            "in_force": self.in_force,
            "note": self.note,
            "parameters": [p.to_dict() for p in self.parameters],
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision of one case: outcome, outputs, the trace and the explanation."""

    ruleset: str
    on: dt.date
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    positive: bool
    uncertain: bool
    outcome: str
    steps: tuple[TraceStep, ...]
    explanation: str

    def step(self, name: str) -> TraceStep:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "date": self.on.isoformat(),
            "inputs": dict(self.inputs),
            "outputs": dict(self.outputs),
            "positive": self.positive,
            "uncertain": self.uncertain,
            "outcome": self.outcome,
            "explanation": self.explanation,
            "trace": [s.to_dict() for s in self.steps],
        }


@runtime_checkable
class RuleSource(Protocol):
    """Anything that decides one case for a date, with its trace and explanation: a YAML rule
    set here, a DMN model through :class:`civicflow.decisions.DmnSource`. The application layer
    tests, stores, reviews and appeals the decisions of any source. (A :class:`RuleSet` also
    decides vectorised batches: :meth:`RuleSet.decide_batch`.)"""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def inputs(self) -> tuple[InputSpec, ...]: ...

    def decide(self, inputs: Mapping[str, Any], *, on: dt.date) -> Decision: ...


@dataclass(slots=True)
class BatchDecision:
    """Many cases decided for one date. ``values`` keeps every input and rule as a column and
    ``lookups`` the scale keys each rule used: the traces of all cases, materialised per case
    by :meth:`decision`."""

    ruleset: RuleSet
    on: dt.date
    n: int
    values: dict[str, Any]
    lookups: dict[str, dict[str, Any]]
    in_force: dict[str, bool]
    parameters: dict[str, Any]
    uncertain: Any
    _cache: dict[int, Decision] = field(default_factory=dict)

    @property
    def positive(self) -> Any:
        return self.values[self.ruleset.outcome]

    def column(self, name: str) -> Any:
        return self.values[name]

    def outputs(self, index: int) -> dict[str, Any]:
        return {name: _py(self.values[name][index]) for name in self.ruleset.outputs}

    def decision(self, index: int) -> Decision:
        """The full decision of case ``index``: trace and explanation."""
        if index in self._cache:
            return self._cache[index]
        ruleset = self.ruleset
        inputs = {spec.name: _py(self.values[spec.name][index]) for spec in ruleset.inputs}
        steps: list[TraceStep] = [
            TraceStep(kind="input", name=spec.name, label=spec.label, value=inputs[spec.name])
            for spec in ruleset.inputs
        ]
        for rule in ruleset.rules:
            uses: list[ParameterUse] = []
            in_force = self.in_force[rule.name]
            for pname in sorted(rule.formula.parameters) if in_force else ():
                parameter = ruleset.parameters[pname]
                current = self.parameters[pname]
                if parameter.is_scale:
                    key = _py(np.broadcast_to(self.lookups[rule.name][pname], (self.n,))[index])
                    thresholds, values = current.arrays()
                    at = int(
                        np.clip(
                            np.searchsorted(thresholds, key, side="right") - 1, 0, len(values) - 1
                        )
                    )
                    value = _py(values[at])
                else:
                    key, value = None, _py(current.value)
                uses.append(
                    ParameterUse(
                        name=pname,
                        label=parameter.label,
                        value=value,
                        since=current.since,
                        reference=parameter.reference,
                        key=key,
                    )
                )
            note = "" if in_force else f"not in force on {_date(self.on)}; default used"
            steps.append(
                TraceStep(
                    kind="rule",
                    name=rule.name,
                    label=rule.label,
                    value=_py(self.values[rule.name][index]),
                    formula=rule.formula.source,
                    reference=rule.reference,
                    in_force=in_force,
                    note=note,
                    parameters=tuple(uses),
                )
            )
        positive = bool(self.positive[index])
        decision = Decision(
            ruleset=ruleset.name,
            on=self.on,
            inputs=inputs,
            outputs=self.outputs(index),
            positive=positive,
            uncertain=bool(self.uncertain[index]),
            outcome=ruleset.outcome_labels[0 if positive else 1],
            steps=tuple(steps),
            explanation=explain(ruleset, steps, on=self.on),
        )
        self._cache[index] = decision
        return decision


def decide_batch(ruleset: RuleSet, columns: Mapping[str, Any], *, on: dt.date) -> BatchDecision:
    """Decide every case of ``columns`` (input name → sequence/array) for the date ``on``."""
    values, n = _columns(ruleset, columns)
    parameters: dict[str, Any] = {}
    in_force: dict[str, bool] = {}
    lookups: dict[str, dict[str, Any]] = {}
    scalars: dict[str, float] = {}
    scales: dict[str, tuple[Any, Any]] = {}
    for rule in ruleset.rules:
        in_force[rule.name] = rule.in_force(on)
        if not in_force[rule.name]:
            continue
        for pname in rule.formula.parameters:
            if pname in parameters:
                continue
            parameter = ruleset.parameters[pname]
            current = parameter.in_force(on)
            if current is None:
                raise ConfigurationError(
                    f"the parameter '{pname}' has no value in force on {on.isoformat()}",
                    where=Location(file=ruleset.file, field=f"parameters.{pname}.values"),
                    found=f"values from {parameter.values[0].since.isoformat()}",
                    expected=f"a value with 'since' on or before {on.isoformat()}",
                    fix="decide for a later date, or add the value that applied then",
                )
            parameters[pname] = current
            if parameter.is_scale:
                scales[pname] = current.arrays()
            else:
                scalars[pname] = float(current.value or 0.0)
    env = Env(values=values, scalars=scalars, scales=scales)
    for rule in ruleset.rules:
        if in_force[rule.name]:
            env.lookups = {}
            result = rule.formula(env)
            lookups[rule.name] = env.lookups
        else:
            result = rule.default
        values[rule.name] = _full(result, n, rule)
    if ruleset.uncertain_when is not None:
        env.lookups = {}
        uncertain = np.broadcast_to(np.asarray(ruleset.uncertain_when(env), dtype=bool), (n,))
    else:
        uncertain = np.zeros(n, dtype=bool)
    return BatchDecision(
        ruleset=ruleset,
        on=on,
        n=n,
        values=values,
        lookups=lookups,
        in_force=in_force,
        parameters=parameters,
        uncertain=uncertain,
    )


def decide(ruleset: RuleSet, inputs: Mapping[str, Any], *, on: dt.date) -> Decision:
    """Decide one case (input name → value) for the date ``on``, with trace and explanation."""
    unknown = sorted(set(inputs) - set(ruleset.input_names))
    if unknown:
        raise InputError(
            f"'{unknown[0]}' is not an input of the rule set '{ruleset.name}'",
            where=Location(field=unknown[0]),
            found=", ".join(unknown),
            expected="inputs: " + ", ".join(ruleset.input_names),
            fix="remove it or correct its name",
        )
    columns = {
        spec.name: [_coerce(spec, inputs[spec.name])]
        for spec in ruleset.inputs
        if inputs.get(spec.name) not in (None, "")
    }
    return decide_batch(ruleset, columns, on=on).decision(0)


def _full(result: Any, n: int, rule: Rule) -> Any:
    array = np.asarray(result)
    if rule.formula.type == BOOLEAN:
        array = array.astype(bool, copy=False)
    elif rule.formula.type == NUMBER:
        array = array.astype(float, copy=False)
    if array.shape != (n,):
        array = np.broadcast_to(array, (n,))
    return array


def _columns(ruleset: RuleSet, columns: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    lengths = {name: len(column) for name, column in columns.items() if name in ruleset.input_names}
    if len(set(lengths.values())) > 1:
        raise InputError(
            "the input columns have different lengths",
            where=Location(field="inputs"),
            found=", ".join(f"{k}: {v:,}" for k, v in lengths.items()),
            expected="one value per case in every column",
            fix="give every column the same number of cases",
        )
    n = next(iter(lengths.values())) if lengths else 1
    values: dict[str, Any] = {}
    for spec in ruleset.inputs:
        if spec.name not in columns:
            if spec.required:
                raise InputError(
                    f"the input '{spec.name}' is missing",
                    where=Location(field=spec.name),
                    found="no value",
                    expected=f"{spec.label} ({spec.type})",
                    fix=f"give '{spec.name}'",
                )
            values[spec.name] = np.full(n, _coerce(spec, spec.default))
            continue
        values[spec.name] = _column(spec, columns[spec.name])
    return values, n


_TRUE = frozenset({"true", "yes", "1", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "n", "f"})


def _column(spec: InputSpec, column: Any) -> Any:
    array = np.asarray(column)
    try:
        if spec.type == "boolean":
            if array.dtype == bool:
                return array
            if array.dtype.kind in "iuf":
                return array != 0
            lowered = np.char.lower(array.astype(str))
            bad = ~np.isin(lowered, list(_TRUE | _FALSE))
            if bad.any():
                raise ValueError(str(array[bad][0]))
            return np.isin(lowered, list(_TRUE))
        if spec.type in ("number", "integer"):
            converted = array.astype(float)
            if spec.type == "integer" and not np.all(np.mod(converted, 1) == 0):
                raise ValueError(str(converted[np.mod(converted, 1) != 0][0]))
            return converted
        converted = array.astype(str)
        if spec.choices:
            bad = ~np.isin(converted, list(spec.choices))
            if bad.any():
                raise ValueError(str(converted[bad][0]))
        return converted
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"the input '{spec.name}' has a value that is not a {spec.type}",
            where=Location(field=spec.name),
            found=str(exc),
            expected=_expected(spec),
            fix=f"correct the value of '{spec.name}'",
        ) from None


def _coerce(spec: InputSpec, value: Any) -> Any:
    try:
        if spec.type == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if spec.type in ("number", "integer"):
            if isinstance(value, bool):
                raise ValueError
            number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
            if not math.isfinite(number) or (spec.type == "integer" and not number.is_integer()):
                raise ValueError
            return number
        text = str(value)
        if spec.choices and text not in spec.choices:
            raise ValueError
        return text
    except (ValueError, TypeError):
        raise InputError(
            f"the input '{spec.name}' is not a valid {spec.type}",
            where=Location(field=spec.name),
            found=repr(value),
            expected=_expected(spec),
            fix=f"correct the value of '{spec.name}'",
        ) from None


def _expected(spec: InputSpec) -> str:
    if spec.choices:
        return "one of: " + ", ".join(spec.choices)
    return {
        "boolean": "yes or no (true/false)",
        "integer": "a whole number",
        "number": "a number",
    }.get(spec.type, "a text")


def _py(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        number = float(value)
        if not math.isfinite(number):
            return None  # a division by zero: no value (JSON has no NaN or infinity)
        return int(number) if number.is_integer() and abs(number) < 2**53 else round(number, 6)
    if isinstance(value, np.str_):
        return str(value)
    return value


# explanations ------------------------------------------------------------------------------


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def format_value(value: Any) -> str:
    """A value as a citizen reads it: 2,310 · 2,310.50 · yes/no · 1 January 2026."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, dt.date):
        return _date(value)
    return str(value)


def explain(ruleset: RuleSet, steps: Sequence[TraceStep], *, on: dt.date) -> str:
    """The plain-language explanation of a decision, from the rule set's templates.

    The outcome rule's sentence (``true``/``false``) comes first; its ``{because}`` is filled with
    the sentences of the yes/no rules whose value agrees with the outcome (for a refusal, the
    conditions not met). Number and text rules' ``text`` sentences follow when the outcome is
    positive (the amount and how it was computed)."""
    by_name = {s.name: s for s in steps}
    positive = bool(by_name[ruleset.outcome].value)
    reasons: list[str] = []
    details: list[str] = []
    for rule in ruleset.rules:
        step = by_name[rule.name]
        if not step.in_force or rule.name == ruleset.outcome:
            continue
        if isinstance(step.value, bool):
            template = rule.explain.get(step.value) if step.value is positive else None
            if template is not None:
                reasons.append(_render(template, rule, by_name, ruleset, on=on))
        elif positive and "text" in rule.explain:
            details.append(_render(rule.explain["text"], rule, by_name, ruleset, on=on))
    outcome_rule = ruleset.rule(ruleset.outcome)
    headline = outcome_rule.explain.get(positive)
    if headline is None:
        headline = f"The outcome is: {ruleset.outcome_labels[0 if positive else 1]}" + (
            " because {because}." if reasons else "."
        )
    if "{because}" in headline:
        because = _join(reasons) if reasons else "of the rules applied"
        text = _render(
            headline.replace("{because}", because), outcome_rule, by_name, ruleset, on=on
        )
    else:
        text = _render(headline, outcome_rule, by_name, ruleset, on=on)
        details = reasons + details
    sentences = [d[:1].upper() + d[1:] + ("" if d.endswith(".") else ".") for d in details]
    return " ".join([text, *sentences])


def _join(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _render(
    template: str, rule: Rule, steps: Mapping[str, TraceStep], ruleset: RuleSet, *, on: dt.date
) -> str:
    text = template
    for name, attribute in placeholders(template):
        token = "{" + name + ("." + attribute if attribute else "") + "}"
        text = text.replace(token, _placeholder(name, attribute, rule, steps, ruleset, on=on))
    return text


def _placeholder(
    name: str,
    attribute: str,
    rule: Rule,
    steps: Mapping[str, TraceStep],
    ruleset: RuleSet,
    *,
    on: dt.date,
) -> str:
    if name == "ref":
        return rule.reference.text()
    if name == "date":
        return _date(on)
    if name in ruleset.parameters:
        parameter = ruleset.parameters[name]
        use = _parameter_use(name, rule, steps)
        if attribute == "label":
            return parameter.label
        if use is None:
            current = parameter.in_force(on)
            if current is None:
                return "(not in force)"
            if attribute == "since":
                return _date(current.since)
            return format_value(current.value) if current.value is not None else parameter.label
        return _date(use.since) if attribute == "since" else format_value(use.value)
    step = steps[name]
    if attribute == "label":
        return step.label
    if attribute == "since":
        since = ruleset.rule(name).since if step.kind == "rule" else None
        return _date(since) if since else "the start"
    return format_value(step.value)


def _parameter_use(name: str, rule: Rule, steps: Mapping[str, TraceStep]) -> ParameterUse | None:
    own = steps[rule.name]
    for use in own.parameters:
        if use.name == name:
            return use
    for step in steps.values():
        for use in step.parameters:
            if use.name == name:
                return use
    return None
