"""A rule set: inputs, dated parameters and rules (formulas with their legal references and
effective dates), read from YAML a policy officer can review. Every problem in the file is
reported with the file, line, field, what was found, what was expected and how to fix it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from civicflow.core import ConfigurationError, InputError, Location, sha256_hex
from civicflow.decisions._expr import (
    BOOLEAN,
    NUMBER,
    TEXT,
    Formula,
    Symbol,
    compile_formula,
    referenced_names,
)
from civicflow.decisions._yaml import Mapping_, load_yaml, read_yaml

if TYPE_CHECKING:
    from civicflow.decisions._decide import BatchDecision, Decision

INPUT_TYPES = ("number", "integer", "boolean", "text")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_RESERVED = frozenset({"ref", "because", "date", "True", "False"})


@dataclass(frozen=True, slots=True)
class LegalReference:
    """Where a rule or parameter comes from: the act, the article and a link."""

    act: str
    article: str = ""
    url: str = ""

    def text(self) -> str:
        return f"{self.act}, {self.article}" if self.article else self.act

    def to_dict(self) -> dict[str, str]:
        return {"act": self.act, "article": self.article, "url": self.url}


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """One dated value of a parameter: a number, or a scale (thresholds and values)."""

    since: dt.date
    value: float | None = None
    scale: tuple[tuple[float, float], ...] = ()

    def arrays(self) -> tuple[Any, Any]:
        thresholds = np.array([t for t, _ in self.scale], dtype=float)
        values = np.array([v for _, v in self.scale], dtype=float)
        return thresholds, values


@dataclass(frozen=True, slots=True)
class Parameter:
    """A threshold or amount set in law or policy, with its dated values."""

    name: str
    label: str
    reference: LegalReference
    values: tuple[ParameterValue, ...]
    unit: str = ""
    key: str = ""
    description: str = ""

    @property
    def is_scale(self) -> bool:
        return bool(self.values[0].scale)

    def in_force(self, on: dt.date) -> ParameterValue | None:
        """The value in force on ``on``: the latest whose ``since`` is on or before it."""
        current = None
        for value in self.values:
            if value.since <= on:
                current = value
        return current


@dataclass(frozen=True, slots=True)
class InputSpec:
    """A fact about the case that the rules read (and the public questionnaire asks)."""

    name: str
    type: str
    label: str
    question: str = ""
    unit: str = ""
    default: Any = None
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return NUMBER if self.type in ("number", "integer") else self.type

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True, slots=True)
class Rule:
    """A named result computed by a formula, with its legal reference and effective dates.
    Outside its dates the rule is not in force and gives its ``default``."""

    name: str
    label: str
    formula: Formula
    reference: LegalReference
    since: dt.date | None = None
    until: dt.date | None = None
    default: Any = None
    explain: Mapping[Any, str] = field(default_factory=dict)
    line: int = 0

    def in_force(self, on: dt.date) -> bool:
        return (self.since is None or self.since <= on) and (self.until is None or on <= self.until)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A versionable rule set: what it decides (``outcome``, ``outputs``), from what (``inputs``),
    with which parameters and rules. ``digest`` identifies the exact text."""

    name: str
    title: str
    description: str
    outcome: str
    outcome_labels: tuple[str, str]
    outputs: tuple[str, ...]
    inputs: tuple[InputSpec, ...]
    parameters: Mapping[str, Parameter]
    rules: tuple[Rule, ...]
    uncertain_when: Formula | None
    file: str
    text: str
    digest: str

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.inputs)

    def decide(self, inputs: Mapping[str, Any], *, on: dt.date) -> Decision:
        """One case for the date ``on`` (see :func:`civicflow.decisions.decide`)."""
        from civicflow.decisions._decide import decide

        return decide(self, inputs, on=on)

    def decide_batch(self, columns: Mapping[str, Any], *, on: dt.date) -> BatchDecision:
        """Many cases for the date ``on`` (see :func:`civicflow.decisions.decide_batch`)."""
        from civicflow.decisions._decide import decide_batch

        return decide_batch(self, columns, on=on)

    # the RuleModel seam (civicflow.decisions.RuleModel) ----------------------------------------

    @property
    def kind(self) -> str:
        return "yaml"

    @property
    def legal_acts(self) -> tuple[str, ...]:
        """The acts the rules cite, sorted."""
        return tuple(sorted({r.reference.act for r in self.rules if r.reference is not None}))

    @property
    def what_if_refusal(self) -> str | None:
        return None

    def decide_many(
        self, rows: Sequence[Mapping[str, Any]], *, on: dt.date, chunk: int = 20_000
    ) -> Iterator[Decision]:
        """Decide ``rows`` vectorised, ``chunk`` rows at a time, yielding each case's decision
        (trace and explanation) in order. A missing or empty value takes the input's default."""
        from civicflow.decisions._decide import decide_batch

        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            columns = {
                spec.name: [_given(row.get(spec.name), spec.default) for row in part]
                for spec in self.inputs
                if spec.required
                or any(_given(row.get(spec.name), None) is not None for row in part)
            }
            try:
                batch = decide_batch(self, columns, on=on)
            except InputError as exc:
                raise self._row_error(exc, columns, start) from None
            for index in range(batch.n):
                yield batch.decision(index)

    def _row_error(
        self, exc: InputError, columns: Mapping[str, list[Any]], start: int
    ) -> InputError:
        """The batch's error, with the first row whose value of the field it names is bad."""
        from civicflow.decisions._decide import _coerce

        field = exc.where.field if exc.where is not None else None
        spec = next((s for s in self.inputs if s.name == field), None)
        if spec is None or field is None or field not in columns:
            return exc
        for index, value in enumerate(columns[field]):
            row = start + index + 1
            if value is None:
                return InputError(
                    f"row {row}: the input '{field}' is missing",
                    where=Location(row=row, field=field),
                    found="no value",
                    expected=f"{spec.label} ({spec.type})",
                    fix=f"give '{field}' in every row",
                )
            try:
                _coerce(spec, value)
            except InputError as bad:
                return InputError(
                    f"row {row}: {bad.what}",
                    where=Location(row=row, field=field),
                    found=bad.found,
                    expected=bad.expected,
                    fix=bad.fix,
                )
        return exc


def _given(value: Any, default: Any) -> Any:
    return default if value is None or (isinstance(value, str) and not value.strip()) else value


def load_ruleset(path: str | Path) -> RuleSet:
    """Read and check the rule set in a YAML file."""
    data, text = read_yaml(path)
    return _build(data, text=text, file=str(path))


def parse_ruleset(text: str, *, file: str = "<rule set>") -> RuleSet:
    """Read and check a rule set from YAML text (a stored version)."""
    return _build(load_yaml(text, file=file), text=text, file=file)


class _Reader:
    """Checks one YAML document, raising errors that point at the line."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(
        self, what: str, *, line: int | None, field: str, found: Any, expected: str, fix: str
    ) -> ConfigurationError:
        return ConfigurationError(
            what,
            where=Location(file=self.file, line=line, field=field),
            found=str(found),
            expected=expected,
            fix=fix,
        )

    def mapping(self, value: Any, *, line: int | None, field: str) -> Mapping_:
        if not isinstance(value, Mapping_):
            raise self.error(
                f"'{field}' must be a mapping",
                line=line,
                field=field,
                found=_describe(value),
                expected="indented 'key: value' lines",
                fix=f"write '{field}:' followed by indented entries",
            )
        return value

    def text(
        self, parent: Mapping_, key: str, *, field: str, required: bool = True, default: str = ""
    ) -> str:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.error(
                    f"'{field}' is missing",
                    line=parent.line,
                    field=field,
                    found="nothing",
                    expected=f"'{key}: <text>'",
                    fix=f"add '{key}:' under the entry on line {parent.line}",
                )
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.error(
                f"'{field}' must be text",
                line=parent.line_of(key),
                field=field,
                found=_describe(value),
                expected="a text",
                fix="quote the value",
            )
        return str(value)

    def date(self, parent: Mapping_, key: str, *, field: str, required: bool) -> dt.date | None:
        value = parent.get(key)
        if value is None and not required:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(
            f"'{field}' must be a date",
            line=parent.line_of(key),
            field=field,
            found=_describe(value),
            expected="a date as YYYY-MM-DD, e.g. 2026-01-01",
            fix=f"write '{key}: 2026-01-01'",
        )

    def number(self, value: Any, *, line: int, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(
                f"'{field}' must be a number",
                line=line,
                field=field,
                found=_describe(value),
                expected="a number such as 2150 or 0.25",
                fix="write the number without quotes or units",
            )
        return float(value)

    def reference(self, parent: Mapping_, *, field: str) -> LegalReference:
        raw = parent.get("reference")
        if raw is None:
            raise self.error(
                f"'{field}.reference' is missing",
                line=parent.line,
                field=f"{field}.reference",
                found="no legal reference",
                expected="reference: {act: ..., article: ..., url: ...}",
                fix="name the act and article this comes from (every rule and parameter needs one)",
            )
        if isinstance(raw, str):
            return LegalReference(act=raw)
        ref = self.mapping(raw, line=parent.line_of("reference"), field=f"{field}.reference")
        _only(self, ref, ("act", "article", "url"), field=f"{field}.reference")
        return LegalReference(
            act=self.text(ref, "act", field=f"{field}.reference.act"),
            article=self.text(ref, "article", field=f"{field}.reference.article", required=False),
            url=self.text(ref, "url", field=f"{field}.reference.url", required=False),
        )


def _only(reader: _Reader, mapping: Mapping_, keys: tuple[str, ...], *, field: str) -> None:
    for key in mapping:
        if key not in keys:
            raise reader.error(
                f"unknown key '{key}' in '{field}'",
                line=mapping.line_of(key),
                field=f"{field}.{key}",
                found=str(key),
                expected="one of: " + ", ".join(keys),
                fix="correct the spelling or remove the key",
            )


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _check_name(reader: _Reader, name: Any, *, line: int, field: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED:
        raise reader.error(
            f"'{name}' is not a valid name",
            line=line,
            field=field,
            found=str(name),
            expected="lower-case letters, digits and '_', starting with a letter (not ref/because/date)",
            fix="rename it, e.g. household_income",
        )
    return name


_TOP = (
    "ruleset",
    "title",
    "description",
    "outcome",
    "outcome_labels",
    "outputs",
    "uncertain_when",
    "inputs",
    "parameters",
    "rules",
)


def _build(data: Any, *, text: str, file: str) -> RuleSet:
    reader = _Reader(file)
    top = reader.mapping(data, line=1, field="(rule set)")
    _only(reader, top, _TOP, field="(rule set)")
    name = _check_name(reader, top.get("ruleset"), line=top.line_of("ruleset"), field="ruleset")
    inputs = _inputs(reader, top)
    parameters = _parameters(reader, top)
    symbols: dict[str, Symbol] = {}
    for spec in inputs:
        symbols[spec.name] = Symbol("input", spec.kind)
    for parameter in parameters.values():
        if parameter.name in symbols:
            raise reader.error(
                f"'{parameter.name}' is both an input and a parameter",
                line=top.line_of("parameters"),
                field=f"parameters.{parameter.name}",
                found=parameter.name,
                expected="each name once",
                fix="rename one of them",
            )
        symbols[parameter.name] = Symbol("scale" if parameter.is_scale else "parameter", NUMBER)
    rules = _rules(reader, top, symbols)
    rule_names = {rule.name for rule in rules}
    outcome = _check_name(reader, top.get("outcome"), line=top.line_of("outcome"), field="outcome")
    if outcome not in rule_names or symbols[outcome].type != BOOLEAN:
        raise reader.error(
            "the outcome must be a yes/no rule",
            line=top.line_of("outcome"),
            field="outcome",
            found=outcome if outcome in rule_names else f"no rule named '{outcome}'",
            expected="the name of a rule whose formula gives yes/no (e.g. eligible)",
            fix="name the rule that decides the outcome",
        )
    raw_outputs = top.get("outputs") or []
    if not isinstance(raw_outputs, list) or not all(isinstance(o, str) for o in raw_outputs):
        raise reader.error(
            "'outputs' must be a list of rule names",
            line=top.line_of("outputs"),
            field="outputs",
            found=_describe(raw_outputs),
            expected="outputs: [eligible, benefit_amount]",
            fix="list the rules whose values the decision returns",
        )
    for output in raw_outputs:
        if output not in rule_names:
            raise reader.error(
                f"the output '{output}' is not a rule",
                line=top.line_of("outputs"),
                field="outputs",
                found=output,
                expected="names of rules: " + ", ".join(sorted(rule_names)),
                fix="correct the name or add the rule",
            )
    outputs = tuple(dict.fromkeys([outcome, *raw_outputs]))
    labels = top.get("outcome_labels") or {}
    label_map = (
        reader.mapping(labels, line=top.line_of("outcome_labels"), field="outcome_labels")
        if labels
        else {}
    )
    outcome_labels = (
        str(label_map.get(True, "positive")),
        str(label_map.get(False, "negative")),
    )
    uncertain = None
    if top.get("uncertain_when") is not None:
        uncertain = compile_formula(
            str(top["uncertain_when"]),
            symbols,
            where=Location(file=file, line=top.line_of("uncertain_when"), field="uncertain_when"),
        )
        if uncertain.type != BOOLEAN:
            raise reader.error(
                "'uncertain_when' must give yes/no",
                line=top.line_of("uncertain_when"),
                field="uncertain_when",
                found=f"a {uncertain.type} formula",
                expected="a condition, e.g. abs(household_income - limit) < 50",
                fix="write a comparison",
            )
    ruleset = RuleSet(
        name=name,
        title=reader.text(top, "title", field="title"),
        description=reader.text(top, "description", field="description", required=False),
        outcome=outcome,
        outcome_labels=outcome_labels,
        outputs=outputs,
        inputs=inputs,
        parameters=parameters,
        rules=rules,
        uncertain_when=uncertain,
        file=file,
        text=text,
        digest=sha256_hex(text.encode("utf-8")),
    )
    _check_templates(reader, ruleset, symbols)
    return ruleset


def _inputs(reader: _Reader, top: Mapping_) -> tuple[InputSpec, ...]:
    raw = reader.mapping(top.get("inputs"), line=top.line_of("inputs"), field="inputs")
    specs: list[InputSpec] = []
    for key, value in raw.items():
        line = raw.line_of(key)
        name = _check_name(reader, key, line=line, field=f"inputs.{key}")
        field = f"inputs.{name}"
        entry = reader.mapping(value, line=line, field=field)
        _only(
            reader, entry, ("type", "label", "question", "unit", "default", "choices"), field=field
        )
        kind = entry.get("type")
        if kind not in INPUT_TYPES:
            raise reader.error(
                f"unknown input type '{kind}'",
                line=entry.line_of("type"),
                field=f"{field}.type",
                found=str(kind),
                expected=" or ".join(INPUT_TYPES),
                fix="set 'type:' to one of them",
            )
        choices = entry.get("choices") or []
        if not isinstance(choices, list):
            raise reader.error(
                "'choices' must be a list",
                line=entry.line_of("choices"),
                field=f"{field}.choices",
                found=_describe(choices),
                expected="choices: [a, b, c]",
                fix="list the allowed texts",
            )
        specs.append(
            InputSpec(
                name=name,
                type=str(kind),
                label=reader.text(
                    entry,
                    "label",
                    field=f"{field}.label",
                    required=False,
                    default=name.replace("_", " "),
                ),
                question=reader.text(entry, "question", field=f"{field}.question", required=False),
                unit=reader.text(entry, "unit", field=f"{field}.unit", required=False),
                default=entry.get("default"),
                choices=tuple(str(c) for c in choices),
            )
        )
    return tuple(specs)


def _parameters(reader: _Reader, top: Mapping_) -> dict[str, Parameter]:
    raw = top.get("parameters") or Mapping_()
    raw = reader.mapping(raw, line=top.line_of("parameters"), field="parameters")
    parameters: dict[str, Parameter] = {}
    for key, value in raw.items():
        line = raw.line_of(key)
        name = _check_name(reader, key, line=line, field=f"parameters.{key}")
        field = f"parameters.{name}"
        entry = reader.mapping(value, line=line, field=field)
        _only(
            reader,
            entry,
            ("label", "description", "reference", "unit", "key", "values"),
            field=field,
        )
        raw_values = entry.get("values")
        if not isinstance(raw_values, list) or not raw_values:
            raise reader.error(
                f"'{field}.values' must be a list of dated values",
                line=entry.line_of("values"),
                field=f"{field}.values",
                found=_describe(raw_values),
                expected="values:\n  - since: 2026-01-01\n    value: 2150",
                fix="give at least one value with the date it applies from",
            )
        values: list[ParameterValue] = []
        for index, item in enumerate(raw_values):
            item_field = f"{field}.values[{index}]"
            dated = reader.mapping(item, line=entry.line_of("values"), field=item_field)
            _only(reader, dated, ("since", "value", "scale"), field=item_field)
            since = reader.date(dated, "since", field=f"{item_field}.since", required=True)
            assert since is not None
            if ("value" in dated) == ("scale" in dated):
                raise reader.error(
                    f"'{item_field}' needs exactly one of 'value' and 'scale'",
                    line=dated.line,
                    field=item_field,
                    found="both" if "value" in dated else "neither",
                    expected="value: 2150, or scale: {1: 1600, 2: 2150} (key: value from that key up)",
                    fix="keep one of them",
                )
            if "value" in dated:
                number = reader.number(
                    dated["value"], line=dated.line_of("value"), field=f"{item_field}.value"
                )
                values.append(ParameterValue(since=since, value=number))
                continue
            scale = reader.mapping(
                dated["scale"], line=dated.line_of("scale"), field=f"{item_field}.scale"
            )
            pairs = sorted(
                (
                    reader.number(k, line=scale.line_of(k), field=f"{item_field}.scale"),
                    reader.number(v, line=scale.line_of(k), field=f"{item_field}.scale.{k}"),
                )
                for k, v in scale.items()
            )
            if not pairs:
                raise reader.error(
                    "a scale is empty",
                    line=dated.line_of("scale"),
                    field=f"{item_field}.scale",
                    found="no entries",
                    expected="scale: {1: 1600, 2: 2150}",
                    fix="give at least one threshold and value",
                )
            values.append(ParameterValue(since=since, scale=tuple(pairs)))
        if len({bool(v.scale) for v in values}) > 1:
            raise reader.error(
                f"'{name}' mixes plain values and scales",
                line=entry.line_of("values"),
                field=f"{field}.values",
                found="some entries with 'value', some with 'scale'",
                expected="all dated values of one kind",
                fix="write every entry as a scale (or every entry as a value)",
            )
        dates = [v.since for v in values]
        if len(set(dates)) != len(dates):
            raise reader.error(
                f"'{name}' has two values from the same date",
                line=entry.line_of("values"),
                field=f"{field}.values",
                found=", ".join(str(d) for d in dates),
                expected="one value per 'since' date",
                fix="remove or re-date the duplicate",
            )
        parameters[name] = Parameter(
            name=name,
            label=reader.text(
                entry,
                "label",
                field=f"{field}.label",
                required=False,
                default=name.replace("_", " "),
            ),
            reference=reader.reference(entry, field=field),
            values=tuple(sorted(values, key=lambda v: v.since)),
            unit=reader.text(entry, "unit", field=f"{field}.unit", required=False),
            key=reader.text(entry, "key", field=f"{field}.key", required=False),
            description=reader.text(
                entry, "description", field=f"{field}.description", required=False
            ),
        )
    return parameters


_RULE_KEYS = ("label", "formula", "reference", "since", "until", "default", "explain")


def _rules(reader: _Reader, top: Mapping_, symbols: dict[str, Symbol]) -> tuple[Rule, ...]:
    raw = reader.mapping(top.get("rules"), line=top.line_of("rules"), field="rules")
    entries: dict[str, Mapping_] = {}
    depends: dict[str, frozenset[str]] = {}
    for key, value in raw.items():
        line = raw.line_of(key)
        name = _check_name(reader, key, line=line, field=f"rules.{key}")
        if name in symbols:
            raise reader.error(
                f"the rule '{name}' has the name of an input or parameter",
                line=line,
                field=f"rules.{name}",
                found=name,
                expected="a name used once",
                fix="rename the rule",
            )
        entry = reader.mapping(value, line=line, field=f"rules.{name}")
        _only(reader, entry, _RULE_KEYS, field=f"rules.{name}")
        source = reader.text(entry, "formula", field=f"rules.{name}.formula")
        where = Location(
            file=reader.file, line=entry.line_of("formula"), field=f"rules.{name}.formula"
        )
        entries[name] = entry
        depends[name] = referenced_names(source, where=where) & set(raw)
    order = _topological(reader, raw, depends)
    rules: list[Rule] = []
    for name in order:
        entry = entries[name]
        field = f"rules.{name}"
        formula = compile_formula(
            str(entry["formula"]),
            symbols,
            where=Location(
                file=reader.file, line=entry.line_of("formula"), field=f"{field}.formula"
            ),
        )
        symbols[name] = Symbol("rule", formula.type)
        default = entry.get("default")
        if default is None:
            default = {BOOLEAN: False, NUMBER: 0, TEXT: ""}[formula.type]
        elif not _matches(default, formula.type):
            raise reader.error(
                f"the default of '{name}' is not a {formula.type}",
                line=entry.line_of("default"),
                field=f"{field}.default",
                found=_describe(default),
                expected=f"a {formula.type} like the formula's result",
                fix="give a default of the formula's type",
            )
        explain = entry.get("explain") or Mapping_()
        if isinstance(explain, str):
            explain = Mapping_({"text": explain})
        explain = reader.mapping(explain, line=entry.line_of("explain"), field=f"{field}.explain")
        for key in explain:
            allowed: tuple[Any, ...] = (True, False) if formula.type == BOOLEAN else ("text",)
            if key not in allowed or not isinstance(explain[key], str):
                raise reader.error(
                    f"'{field}.explain' has an unexpected entry '{key}'",
                    line=explain.line_of(key),
                    field=f"{field}.explain",
                    found=f"{key}: {_describe(explain[key])}",
                    expected="true: <sentence>, false: <sentence> (yes/no rules) or text: <sentence> (numbers, texts)",
                    fix="write a sentence for the result it explains",
                )
        rules.append(
            Rule(
                name=name,
                label=reader.text(
                    entry,
                    "label",
                    field=f"{field}.label",
                    required=False,
                    default=name.replace("_", " "),
                ),
                formula=formula,
                reference=reader.reference(entry, field=field),
                since=reader.date(entry, "since", field=f"{field}.since", required=False),
                until=reader.date(entry, "until", field=f"{field}.until", required=False),
                default=default,
                explain=dict(explain),
                line=raw.line_of(name),
            )
        )
    return tuple(rules)


def _matches(value: Any, kind: str) -> bool:
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _topological(reader: _Reader, raw: Mapping_, depends: dict[str, frozenset[str]]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise reader.error(
                "the rules depend on each other in a circle",
                line=raw.line_of(name),
                field=f"rules.{name}.formula",
                found=" -> ".join(cycle),
                expected="each rule computed from inputs, parameters and earlier results",
                fix="break the circle: one of these rules must not use the other",
            )
        state[name] = 1
        for dep in sorted(depends[name]):
            visit(dep, [*path, name])
        state[name] = 2
        order.append(name)

    for name in depends:
        visit(name, [])
    return order


def placeholders(template: str) -> list[tuple[str, str]]:
    """The ``{name}`` and ``{name.since}`` placeholders of an explanation template."""
    found: list[tuple[str, str]] = []
    for match in _PLACEHOLDER.finditer(template):
        name, _, attribute = match.group(1).partition(".")
        found.append((name, attribute))
    return found


def _check_templates(reader: _Reader, ruleset: RuleSet, symbols: Mapping[str, Symbol]) -> None:
    for rule in ruleset.rules:
        for key, template in rule.explain.items():
            field = f"rules.{rule.name}.explain"
            if template.count("{") != template.count("}"):
                raise reader.error(
                    "an explanation has unbalanced braces",
                    line=rule.line,
                    field=field,
                    found=template,
                    expected="placeholders like {household_income}",
                    fix="close every '{' with '}'",
                )
            for name, attribute in placeholders(template):
                if name in ("ref", "date") and not attribute:
                    continue
                if name == "because" and not attribute and rule.name == ruleset.outcome:
                    continue
                known = name in symbols and attribute in ("", "since", "label")
                if not known:
                    raise reader.error(
                        f"the explanation of '{rule.name}' ({key}) uses an unknown placeholder",
                        line=rule.line,
                        field=field,
                        found="{" + name + ("." + attribute if attribute else "") + "}",
                        expected="{input}, {rule}, {parameter}, {parameter.since}, {x.label}, {ref}, "
                        "{date}, and {because} in the outcome rule",
                        fix="use a name declared in this rule set",
                    )
