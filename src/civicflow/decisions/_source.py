"""A DMN model as a rule source: the adapter that lets the application layer test, store, review
and appeal the decisions of an imported DMN model like those of a YAML rule set.

It reads the model through a structural protocol (``evaluate(inputs, decision=)``, ``name``,
``decisions``, ``inputs``), so it needs nothing of the DMN importer but its interface: each DMN
step (decision, kind, hit policy, matched rules, inputs, outputs, annotations) becomes a trace
step whose reference names the model, the decision and the rules that matched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.decisions._decide import Decision, TraceStep, _coerce, format_value
from civicflow.decisions._ruleset import InputSpec, LegalReference


class DmnStepLike(Protocol):
    decision: str
    kind: str
    hit_policy: str | None
    matched_rules: tuple[int, ...]
    inputs: dict[str, object]
    outputs: object
    annotations: dict[int, str]


class DmnEvaluationLike(Protocol):
    outputs: dict[str, object]

    @property
    def steps(self) -> Sequence[DmnStepLike]: ...


class DmnInputLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def type_ref(self) -> str | None: ...


class DmnModelLike(Protocol):
    name: str

    @property
    def decisions(self) -> list[str]: ...

    @property
    def inputs(self) -> Mapping[str, DmnInputLike]: ...

    def evaluate(self, inputs: Mapping[str, object], *, decision: str | None = None) -> Any: ...


_NUMBER_TYPES = frozenset({"number", "integer", "long", "double", "decimal", "int", "float"})


def _spec(item: DmnInputLike) -> InputSpec:
    kind = (item.type_ref or "").rsplit(":", 1)[-1].lower()
    if kind in _NUMBER_TYPES:
        return InputSpec(name=item.name, type="number", label=item.name)
    if kind == "boolean":
        return InputSpec(name=item.name, type="boolean", label=item.name)
    return InputSpec(name=item.name, type="text", label=item.name)


@dataclass(frozen=True, slots=True)
class DmnSource:
    """A DMN model deciding ``outcome`` (one of its decisions): positive when the outcome's value
    is in ``positive_values`` (or, without them, when it is truthy). DMN has no dated parameters:
    the date is recorded with the decision, and the model decides the same on any date."""

    model: DmnModelLike
    outcome: str
    title: str = ""
    positive_values: tuple[object, ...] = ()
    labels: tuple[str, str] = ("positive", "negative")
    text: str = ""
    """The model's XML when it was read from text (a stored version): part of the digest."""
    alias: str = ""
    """The rule set's name when it is not the model's own (``<definitions name=…>``)."""

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", self.model.name)
        if self.outcome not in self.model.decisions:
            raise ConfigurationError(
                f"the DMN model '{self.model.name}' has no decision '{self.outcome}'",
                where=Location(field="outcome"),
                found=self.outcome,
                expected=", ".join(self.model.decisions),
                fix="name the decision whose result is the outcome",
            )

    @property
    def name(self) -> str:
        return self.alias or self.model.name

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return tuple(_spec(item) for item in self.model.inputs.values())

    # the RuleModel seam (civicflow.decisions.RuleModel) ----------------------------------------

    @property
    def kind(self) -> str:
        return "dmn"

    @property
    def description(self) -> str:
        return f"DMN model {self.model.name}, decision '{self.outcome}'"

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.model.inputs)

    @property
    def outcome_labels(self) -> tuple[str, str]:
        return self.labels

    @property
    def digest(self) -> str:
        """The model's text, the outcome decision and the positive values, digested: what
        decides, exactly."""
        import json

        from civicflow.core import sha256_hex

        what = json.dumps(
            [self.text or self.model.name, self.outcome, [str(v) for v in self.positive_values]]
        )
        return sha256_hex(what.encode("utf-8"))

    @property
    def legal_acts(self) -> tuple[str, ...]:
        return (f"DMN model {self.model.name}",)

    @property
    def what_if_refusal(self) -> str | None:
        return (
            f"the DMN model '{self.model.name}' has no parameters separate from its rules: its "
            "thresholds are written in the decision tables' cells, so a parameter change cannot "
            "be applied to it. Draft a new version with the changed table and decide the past "
            "cases under both instead"
        )

    def decide_many(self, rows: Sequence[Mapping[str, Any]], *, on: dt.date) -> Iterator[Decision]:
        """Decide ``rows`` one at a time (each keeps the matched rules of every decision); a bad
        value's error names its row."""
        for number, row in enumerate(rows, start=1):
            given = {k: v for k, v in row.items() if not (isinstance(v, str) and not v.strip())}
            try:
                yield self.decide(given, on=on)
            except InputError as exc:
                raise InputError(
                    f"row {number}: {exc.what}",
                    where=Location(row=number, field=exc.where.field if exc.where else None),
                    found=exc.found,
                    expected=exc.expected,
                    fix=exc.fix,
                ) from None

    def _positive(self, value: object) -> bool:
        if self.positive_values:
            shown = _plain(value)
            return shown in self.positive_values or str(shown) in {
                str(v) for v in self.positive_values
            }
        return bool(value)

    def decide(self, inputs: Mapping[str, Any], *, on: dt.date) -> Decision:
        specs = {spec.name: spec for spec in self.inputs}
        given = {
            k: _coerce(specs[k], v)
            if k in specs and specs[k].type != "text" and isinstance(v, str)
            else v
            for k, v in inputs.items()
        }
        evaluation = self.model.evaluate(given, decision=self.outcome)
        steps = [TraceStep(kind="input", name=k, label=k, value=v) for k, v in given.items()]
        sentences: list[str] = []
        for step in evaluation.steps:
            rules = ", ".join(str(n) for n in step.matched_rules) or "none"
            notes = "; ".join(
                step.annotations[n] for n in step.matched_rules if n in step.annotations
            )
            steps.append(
                TraceStep(
                    kind="rule",
                    name=step.decision,
                    label=step.decision,
                    value=_plain(step.outputs),
                    formula=f"{step.kind}" + (f" ({step.hit_policy})" if step.hit_policy else ""),
                    reference=LegalReference(
                        act=f"DMN model {self.model.name}",
                        article=f"decision {step.decision}, rules {rules}",
                    ),
                    note=notes,
                )
            )
            if step.kind == "decision table":
                sentences.append(
                    f"'{step.decision}' is {format_value(_plain(step.outputs))} by rule {rules}"
                    + (f" ({notes})" if notes else "")
                )
        value = evaluation.outputs.get(self.outcome)
        positive = self._positive(value)
        outcome = self.labels[0 if positive else 1]
        # an outcome decided by a table is in its sentence; one decided otherwise (a context, a
        # literal expression) is stated beside the outcome
        told = any(step.decision == self.outcome and step.kind == "decision table"
                   for step in evaluation.steps)  # fmt: skip
        stated = "" if told else f" ('{self.outcome}' is {format_value(_plain(value))})"
        explanation = f"The outcome is: {outcome}{stated}" + (
            " because " + " and ".join(sentences) + "." if sentences else "."
        )
        return Decision(
            ruleset=self.name,
            on=on,
            inputs=dict(given),
            outputs={k: _plain(v) for k, v in evaluation.outputs.items()},
            positive=positive,
            uncertain=value is None,
            outcome=outcome,
            steps=tuple(steps),
            explanation=explanation,
        )


def _plain(value: object) -> Any:
    """A DMN value as JSON can hold it (decimals as numbers, the rest as text)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        number = float(value)
        return int(number) if number.is_integer() else number
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
