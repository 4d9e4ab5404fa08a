"""DMN 1.1, 1.2 and 1.3 import: item definitions, input data, decisions (decision tables, literal
expressions, boxed contexts) evaluated in dependency order, row by row with a trace or over whole
columns with numpy.

What the importer does not support (business knowledge models, invocations, relations, function
definitions, imports, non-FEEL expression languages, …) is refused when the file is read, with the
element, the reason and a fix: a model never runs with a part silently left out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from lxml import etree

from civicflow.core import CivicflowError, Location
from civicflow.decisions._feel import (
    Column,
    Expr,
    FeelError,
    Range,
    UnaryTests,
    equals,
    known_names,
    null_mask,
    parse_expression,
    parse_unary_tests,
    to_feel,
    vector_expression,
    vector_test,
)

DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
}
FEEL_LANGUAGES = {
    "",
    "feel",
    "http://www.omg.org/spec/FEEL/20140401",
    "http://www.omg.org/spec/DMN/20180521/FEEL/",
    "https://www.omg.org/spec/DMN/20191111/FEEL/",
}
HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
SUPPORTED = (
    "itemDefinition, inputData, decision with a decisionTable, literalExpression or context "
    "(whose entries are literal expressions, decision tables or contexts); knowledgeSource, "
    "textAnnotation, association, group and diagram elements are documentation and are read over"
)
# elements of the DMN namespace that document a model and do not change what it decides
_DOCUMENTATION = frozenset(
    {
        "description",
        "extensionElements",
        "knowledgeSource",
        "textAnnotation",
        "association",
        "group",
        "elementCollection",
        "performanceIndicator",
        "organizationUnit",
        "question",
        "allowedAnswers",
        "authorityRequirement",
        "supportedObjective",
        "impactedPerformanceIndicator",
        "decisionMaker",
        "decisionOwner",
        "usingProcess",
        "usingTask",
    }
)
_EXPRESSIONS = ("decisionTable", "literalExpression", "context")
_REFUSED_WHY = {
    "businessKnowledgeModel": "business knowledge models (reusable functions) are not supported",
    "decisionService": "decision services are not supported",
    "import": "imports of other models are not supported",
    "knowledgeRequirement": "it invokes a business knowledge model, which is not supported",
    "invocation": "boxed invocations (calls of business knowledge models) are not supported",
    "relation": "relations (boxed tables of values) are not supported",
    "list": "boxed lists are not supported",
    "functionDefinition": "function definitions are not supported",
    "conditional": "boxed conditionals (DMN 1.4) are not supported",
    "iterator": "boxed iterators (DMN 1.4) are not supported",
    "for": "boxed iterators (DMN 1.4) are not supported",
    "every": "boxed quantifiers (DMN 1.4) are not supported",
    "some": "boxed quantifiers (DMN 1.4) are not supported",
    "filter": "boxed filters (DMN 1.4) are not supported",
    "functionItem": "function types are not supported",
}


class DmnImportError(CivicflowError):
    """A DMN file cannot be imported: unreadable, or it uses an element civicflow does not run."""


class DmnEvaluationError(CivicflowError):
    """A DMN model gave no valid result for the inputs (a hit-policy violation, a cycle)."""


# ---------------------------------------------------------------------------------------------
# public records


@dataclass(frozen=True, slots=True)
class ItemDefinition:
    """A DMN type: a base type (``typeRef``), a structure of components, or a collection."""

    name: str
    type_ref: str | None
    is_collection: bool = False
    components: tuple[ItemDefinition, ...] = ()
    allowed_values: str | None = None


@dataclass(frozen=True, slots=True)
class DmnInput:
    """An input the model reads: an inputData element, or (Camunda-style models) a variable that
    decision tables read by name without declaring it."""

    name: str
    type_ref: str | None
    source: str  # "inputData" or "variable"
    item: ItemDefinition | None = None


@dataclass(frozen=True, slots=True)
class DmnRule:
    """One rule of a decision table, as written (for explanations)."""

    number: int
    id: str | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    annotation: str | None


@dataclass(frozen=True, slots=True)
class DmnStep:
    """What one decision did: the hit policy, the rules that matched (1-based), the input values
    it saw, its result and the annotations (or descriptions) of the matched rules."""

    decision: str
    kind: str  # "decision table", "literal expression", "context"
    hit_policy: str | None
    matched_rules: tuple[int, ...]
    inputs: dict[str, object]
    outputs: object
    annotations: dict[int, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The step as JSON carries it (numbers as int or float, dates in ISO 8601)."""
        return {
            "decision": self.decision,
            "kind": self.kind,
            "hit_policy": self.hit_policy,
            "matched_rules": list(self.matched_rules),
            "inputs": plain(self.inputs),
            "outputs": plain(self.outputs),
            "annotations": {str(k): v for k, v in self.annotations.items()},
        }


@dataclass(frozen=True, slots=True)
class DmnEvaluation:
    """The result of each evaluated decision, by name, and the trace in evaluation order."""

    outputs: dict[str, object]
    steps: list[DmnStep]

    def to_dict(self) -> dict[str, object]:
        """Outputs and steps as JSON carries them (see :func:`plain`)."""
        return {"outputs": plain(self.outputs), "steps": [s.to_dict() for s in self.steps]}


def plain(value: object) -> object:
    """A FEEL value as plain JSON-ready Python: a Decimal as int when whole, else float; dates and
    date-times in ISO 8601; durations in seconds; ranges as their FEEL text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Range):
        left = "[" if value.start_included else "("
        right = "]" if value.end_included else ")"
        return f"{left}{plain(value.start)}..{plain(value.end)}{right}"
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class DmnBatchResult:
    """Column results of :meth:`DmnModel.evaluate_batch`.

    ``outputs`` holds one array per decision (and ``"Decision.Output"`` per output of a
    multi-output table); numbers are float64 with NaN for null, other values object arrays.
    ``matched_rules`` holds, per decision table, the matched 1-based rule number per row (0: no
    rule matched) for single-hit policies, or a tuple of rule numbers per row for multi-hit ones.
    ``row_wise`` names the parts that could not be vectorised and were evaluated row by row."""

    rows: int
    outputs: dict[str, npt.NDArray[Any]]
    matched_rules: dict[str, npt.NDArray[Any]]
    row_wise: dict[str, str]


# ---------------------------------------------------------------------------------------------
# internal model


@dataclass(slots=True)
class _Input:
    label: str
    text: str
    expr: Expr
    type_ref: str | None


@dataclass(slots=True)
class _Output:
    name: str | None
    label: str | None
    type_ref: str | None
    values: list[object] | None
    default: Expr | None


@dataclass(slots=True)
class _Rule:
    number: int
    id: str | None
    tests: list[UnaryTests]
    outputs: list[Expr]
    input_texts: tuple[str, ...]
    output_texts: tuple[str, ...]
    annotation: str | None


@dataclass(slots=True)
class _Table:
    hit_policy: str
    aggregation: str | None
    inputs: list[_Input]
    outputs: list[_Output]
    rules: list[_Rule]

    @property
    def policy(self) -> str:
        return f"{self.hit_policy} {self.aggregation}" if self.aggregation else self.hit_policy

    def names(self) -> set[str]:
        found: set[str] = set()
        for clause in self.inputs:
            found |= clause.expr.names()
        for rule in self.rules:
            for test in rule.tests:
                found |= test.names()
            for out in rule.outputs:
                found |= out.names()
        for o in self.outputs:
            if o.default is not None:
                found |= o.default.names()
        return found


@dataclass(slots=True)
class _Literal:
    text: str
    expr: Expr

    def names(self) -> set[str]:
        return self.expr.names()


@dataclass(slots=True)
class _Context:
    entries: list[tuple[str | None, _Body]]

    def names(self) -> set[str]:
        found: set[str] = set()
        local: set[str] = set()
        for name, body in self.entries:
            found |= body.names() - local
            if name is not None:
                local.add(name)
        return found


_Body = _Table | _Literal | _Context


@dataclass(slots=True)
class _Decision:
    id: str
    name: str
    type_ref: str | None
    body: _Body
    requires: list[str]  # decision names
    alias: str | None  # Camunda: a single-output table's output name, bound to the result too


# ---------------------------------------------------------------------------------------------
# the model


class DmnModel:
    """An imported DMN model: its decisions (names, in evaluation order), inputs and types."""

    def __init__(
        self,
        *,
        path: str,
        name: str,
        version: str,
        items: dict[str, ItemDefinition],
        inputs: list[DmnInput],
        decisions: list[_Decision],
    ) -> None:
        self.path = path
        self.name = name
        self.version = version
        self.items = items
        self._inputs = inputs
        self._decisions = {d.name: d for d in decisions}
        self._order = [d.name for d in decisions]

    @property
    def decisions(self) -> list[str]:
        """Decision names in dependency order (a decision after the ones it requires)."""
        return list(self._order)

    @property
    def decision_ids(self) -> dict[str, str]:
        """Decision element ids to decision names (tools and test files often name decisions by id)."""
        return {d.id: d.name for d in self._decisions.values()}

    @property
    def inputs(self) -> dict[str, DmnInput]:
        """The inputs the model reads, by name, with their types."""
        return {i.name: i for i in self._inputs}

    def rules(self, decision: str) -> list[DmnRule]:
        """The rules of a decision-table decision as written (empty for other decisions)."""
        body = self._decision(decision).body
        if not isinstance(body, _Table):
            return []
        return [
            DmnRule(r.number, r.id, r.input_texts, r.output_texts, r.annotation) for r in body.rules
        ]

    def hit_policy(self, decision: str) -> str | None:
        """The hit policy (with its aggregation, ``COLLECT SUM``) of a decision table, else None."""
        body = self._decision(decision).body
        return body.policy if isinstance(body, _Table) else None

    def _decision(self, name: str) -> _Decision:
        if name not in self._decisions:
            raise DmnEvaluationError(
                f"the model '{self.name}' has no decision '{name}'",
                where=Location(file=self.path),
                found=name,
                expected=", ".join(self._order),
                fix="name one of the model's decisions",
            )
        return self._decisions[name]

    def _plan(self, decision: str | None) -> list[_Decision]:
        if decision is None:
            return [self._decisions[n] for n in self._order]
        needed: set[str] = set()
        stack = [self._decision(decision).name]
        while stack:
            current = stack.pop()
            if current not in needed:
                needed.add(current)
                stack.extend(self._decisions[current].requires)
        return [self._decisions[n] for n in self._order if n in needed]

    # row by row ------------------------------------------------------------------------------

    def evaluate(
        self, inputs: Mapping[str, object], *, decision: str | None = None
    ) -> DmnEvaluation:
        """Evaluate the model (or one decision and what it requires) for one case."""
        env: dict[str, object] = {k: to_feel(v) for k, v in inputs.items()}
        outputs: dict[str, object] = {}
        steps: list[DmnStep] = []
        for d in self._plan(decision):
            result, step = self._evaluate_body(d, d.body, env)
            env[d.name] = result
            if d.alias is not None:
                env.setdefault(d.alias, result)
            outputs[d.name] = result
            steps.append(step)
        return DmnEvaluation(outputs=outputs, steps=steps)

    def _evaluate_body(
        self, d: _Decision, body: _Body, env: Mapping[str, object]
    ) -> tuple[object, DmnStep]:
        if isinstance(body, _Literal):
            value = body.expr.evaluate(env)
            seen = {n: env.get(n) for n in sorted(body.names())}
            return value, DmnStep(d.name, "literal expression", None, (), seen, value)
        if isinstance(body, _Context):
            scope = dict(env)
            result: dict[str, object] = {}
            final: object = result
            seen = {n: env.get(n) for n in sorted(body.names())}
            for name, entry in body.entries:
                value, _ = self._evaluate_body(d, entry, scope)
                if name is None:
                    final = value
                else:
                    result[name] = scope[name] = value
            return final, DmnStep(d.name, "context", None, (), seen, final)
        return self._evaluate_table(d, body, env)

    def _evaluate_table(
        self, d: _Decision, table: _Table, env: Mapping[str, object]
    ) -> tuple[object, DmnStep]:
        values = [clause.expr.evaluate(env) for clause in table.inputs]
        matched = [
            rule.number
            for rule in table.rules
            if all(t.test(v, env) is True for t, v in zip(rule.tests, values, strict=True))
        ]
        by_number = {r.number: r for r in table.rules}

        def output(number: int) -> object:
            rule = by_number[number]
            vals = [e.evaluate(env) for e in rule.outputs]
            return _shape(table, vals)

        chosen, result = self._apply_policy(d, table, matched, output, env, values)
        seen = {c.label: v for c, v in zip(table.inputs, values, strict=True)}
        notes = {n: a for n in chosen if (a := by_number[n].annotation)}
        step = DmnStep(d.name, "decision table", table.policy, tuple(chosen), seen, result, notes)
        return result, step

    def _apply_policy(
        self,
        d: _Decision,
        table: _Table,
        matched: list[int],
        output: Any,
        env: Mapping[str, object],
        values: list[object],
    ) -> tuple[list[int], object]:
        policy = table.hit_policy
        if not matched:
            default = _default(table, env)
            if default is None and table.aggregation == "COUNT":
                return [], Decimal(0)
            return [], default
        if policy == "UNIQUE" and len(matched) > 1:
            raise self._violation(d, table, matched, values, "UNIQUE allows one matching rule")
        if policy == "ANY":
            results = [output(n) for n in matched]
            if any(not equals(r, results[0]) for r in results[1:]):
                raise self._violation(
                    d,
                    table,
                    matched,
                    values,
                    "ANY allows several rules only if their outputs agree",
                )
            return matched, results[0]
        if policy in ("UNIQUE", "FIRST"):
            return matched[:1], output(matched[0])
        if policy == "PRIORITY":
            best = min(matched, key=lambda n: (_priority(table, output(n)), n))
            return [best], output(best)
        if policy == "OUTPUT ORDER":
            ordered = sorted(matched, key=lambda n: (_priority(table, output(n)), n))
            return ordered, [output(n) for n in ordered]
        results = [output(n) for n in matched]
        if policy == "RULE ORDER" or table.aggregation is None:
            return matched, results
        return matched, _aggregate(table.aggregation, results)

    def _violation(
        self, d: _Decision, table: _Table, matched: list[int], values: list[object], rule: str
    ) -> DmnEvaluationError:
        shown = ", ".join(
            f"{c.label} = {_show(v)}" for c, v in zip(table.inputs, values, strict=True)
        )
        return DmnEvaluationError(
            f"decision '{d.name}': rules {', '.join(map(str, matched))} all match ({table.hit_policy})",
            where=Location(file=self.path, field=f"decision '{d.name}'"),
            found=f"inputs {shown}; matching rules {matched}",
            expected=rule,
            fix="correct the overlapping rules in the model, or choose the hit policy that fits "
            "(FIRST, PRIORITY or COLLECT)",
        )

    # over columns -----------------------------------------------------------------------------

    def evaluate_batch(
        self, columns: Mapping[str, object], *, decision: str | None = None
    ) -> DmnBatchResult:
        """Evaluate many cases at once. ``columns`` maps input names (``Violation.Type`` for a
        structure's component) to numpy or pyarrow arrays of equal length. Decision tables test
        whole columns with numpy; cells that cannot be vectorised are evaluated row by row and
        named in the result's ``row_wise``."""
        sizes = {name: len(_array(v)) for name, v in columns.items()}
        if len(set(sizes.values())) > 1:
            raise DmnEvaluationError(
                "the batch columns have different lengths",
                found=", ".join(f"{k}: {v}" for k, v in sizes.items()),
                expected="columns of one length",
                fix="pass columns of the same number of rows",
            )
        n = next(iter(sizes.values()), 0)
        cols: dict[str, Column] = {k: Column.of(v) for k, v in columns.items()}
        batch = _Batch(self, cols, n)
        for d in self._plan(decision):
            batch.run(d)
        return DmnBatchResult(n, batch.outputs, batch.matched, batch.row_wise)


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shape(table: _Table, values: list[object]) -> object:
    if len(table.outputs) == 1:
        return values[0]
    return {
        (o.name or o.label or f"output {i + 1}"): v
        for i, (o, v) in enumerate(zip(table.outputs, values, strict=True))
    }


def _default(table: _Table, env: Mapping[str, object]) -> object:
    if all(o.default is None for o in table.outputs):
        return None
    values = [None if o.default is None else o.default.evaluate(env) for o in table.outputs]
    return _shape(table, values)


def _priority(table: _Table, result: object) -> tuple[int, ...]:
    values = [result] if len(table.outputs) == 1 else list(dict(result).values())  # type: ignore[call-overload]
    key: list[int] = []
    for o, v in zip(table.outputs, values, strict=True):
        allowed = o.values or []
        index = next((i for i, a in enumerate(allowed) if equals(a, v)), len(allowed))
        key.append(index)
    return tuple(key)


def _aggregate(aggregation: str, results: list[object]) -> object:
    if aggregation == "COUNT":
        return Decimal(len(results))
    if any(r is None for r in results) or not results:
        return None
    if aggregation == "SUM":
        total = Decimal(0)
        for r in results:
            if not isinstance(r, Decimal):
                return None
            total += r
        return total
    from civicflow.decisions._feel import compare

    best = results[0]
    op = "<" if aggregation == "MIN" else ">"
    for r in results[1:]:
        better = compare(op, r, best)
        if better is None:
            return None
        if better:
            best = r
    return best


# ---------------------------------------------------------------------------------------------
# batch evaluation


def _array(value: object) -> npt.NDArray[Any]:
    to_numpy = getattr(value, "to_numpy", None)
    if to_numpy is not None and not isinstance(value, np.ndarray):
        return np.asarray(to_numpy(zero_copy_only=False))
    return np.asarray(value)


class _Batch:
    def __init__(self, model: DmnModel, cols: dict[str, Column], n: int) -> None:
        self.model = model
        self.cols = cols
        self.n = n
        self.outputs: dict[str, npt.NDArray[Any]] = {}
        self.matched: dict[str, npt.NDArray[Any]] = {}
        self.row_wise: dict[str, str] = {}
        self._envs: list[dict[str, object]] | None = None
        self._env_keys: set[str] = set()

    def envs(self) -> list[dict[str, object]]:
        """One FEEL environment per row (built on first need, for the row-wise fallback)."""
        if self._envs is None or any(k not in self._env_keys for k in self.cols):
            self._env_keys = set(self.cols)
            envs: list[dict[str, object]] = [{} for _ in range(self.n)]
            for key, col in self.cols.items():
                parts = key.split(".") if key not in self.model._decisions else [key]
                for i, raw in enumerate(col.values.tolist()):
                    value = None if col.null[i] else to_feel(raw)
                    target = envs[i]
                    for p in parts[:-1]:
                        nested = target.setdefault(p, {})
                        if not isinstance(nested, dict):
                            break
                        target = nested
                    else:
                        target[parts[-1]] = value
            self._envs = envs
        return self._envs

    def note(self, decision: str, what: str) -> None:
        previous = self.row_wise.get(decision)
        self.row_wise[decision] = what if previous is None else f"{previous}; {what}"

    def publish(
        self,
        d: _Decision,
        result: npt.NDArray[Any],
        table: _Table | None,
        *,
        parts: dict[str, npt.NDArray[Any]] | None = None,
    ) -> None:
        self.outputs[d.name] = result
        self.cols[d.name] = (
            Column("object", result, null_mask(result))
            if parts is not None or (result.dtype == object and _has_dicts(result))
            else Column.of(result)
        )
        if parts is not None:
            for key, part in parts.items():
                self.outputs[f"{d.name}.{key}"] = part
                self.cols[f"{d.name}.{key}"] = Column.of(part)
            if d.alias is not None and d.alias not in self.cols:
                self.cols[d.alias] = self.cols[d.name]
            return
        if d.alias is not None and d.alias not in self.cols:
            self.cols[d.alias] = self.cols[d.name]
        if (
            table is not None
            and len(table.outputs) > 1
            and table.hit_policy in ("UNIQUE", "FIRST", "PRIORITY", "ANY")
        ):
            for o in table.outputs:
                key = f"{d.name}.{o.name or o.label}"
                part = np.array(
                    [None if r is None else r.get(o.name or o.label) for r in result.tolist()],
                    dtype=object,
                )
                part = _typed(part.tolist())
                self.outputs[key] = part
                self.cols[key] = Column.of(part)

    def run(self, d: _Decision) -> None:
        body = d.body
        if isinstance(body, _Table):
            self.table(d, body)
            return
        if isinstance(body, _Literal):
            vec = vector_expression(body.expr, self.cols, self.n)
            if vec is not None:
                self.publish(
                    d,
                    np.where(vec.null, np.nan, vec.values) if vec.kind == "number" else vec.values,
                    None,
                )
                return
        self.note(
            d.name,
            f"{'literal expression' if isinstance(body, _Literal) else 'context'} evaluated row by row",
        )
        envs = self.envs()
        values = [self.model._evaluate_body(d, body, env)[0] for env in envs]
        self.publish(d, _typed(values), None)

    def table(self, d: _Decision, table: _Table) -> None:
        n = self.n
        inputs: list[Column] = []
        for clause in table.inputs:
            vec = vector_expression(clause.expr, self.cols, n)
            if vec is None:
                self.note(d.name, f"input '{clause.text}' evaluated row by row")
                vec = Column.of(_typed([clause.expr.evaluate(e) for e in self.envs()]))
            inputs.append(vec)
        cache: dict[tuple[int, str], npt.NDArray[np.bool_]] = {}
        matches = np.ones((n, len(table.rules)), dtype=bool)
        for j, rule in enumerate(table.rules):
            for k, test in enumerate(rule.tests):
                if test.is_any:
                    continue
                key = (k, test.text)
                mask = cache.get(key) if not test.names() else None
                if mask is None:
                    mask = vector_test(test, inputs[k], self.cols, n)
                    if mask is None:
                        self.note(
                            d.name, f"rule {rule.number} entry '{test.text}' tested row by row"
                        )
                        raw = inputs[k].values.tolist()
                        nulls = inputs[k].null
                        envs = self.envs()
                        mask = np.fromiter(
                            (
                                test.test(None if nulls[i] else to_feel(raw[i]), envs[i]) is True
                                for i in range(n)
                            ),
                            dtype=bool,
                            count=n,
                        )
                    if not test.names():
                        cache[key] = mask
                matches[:, j] &= mask
        self._resolve(d, table, matches)

    def _rule_outputs(self, table: _Table) -> list[object] | None:
        """Per rule, its output when it is a constant; None if an output entry reads inputs."""
        out: list[object] = []
        for rule in table.rules:
            if any(e.names() for e in rule.outputs):
                return None
            out.append(_shape(table, [e.evaluate({}) for e in rule.outputs]))
        return out

    def _resolve(self, d: _Decision, table: _Table, matches: npt.NDArray[np.bool_]) -> None:
        n, r = matches.shape
        policy = table.hit_policy
        constants = self._rule_outputs(table)
        if constants is None:
            self.note(d.name, "output entries that read inputs evaluated row by row")
            envs = self.envs()
            per_row = [
                [_shape(table, [e.evaluate(env) for e in rule.outputs]) for rule in table.rules]
                for env in envs
            ]
        rule_values: list[object] = constants if constants is not None else []
        default_env: Mapping[str, object] = {}
        per_row_default: list[object] | None = None
        default_value: object = None
        if any(o.default is not None and o.default.names() for o in table.outputs):
            self.note(d.name, "default output that reads inputs evaluated row by row")
            per_row_default = [_default(table, env) for env in self.envs()]
            defaults = per_row_default
        else:
            default_value = _default(table, default_env)
            defaults = [default_value] * n

        def value_at(row: int, rule_index: int) -> object:
            if constants is not None:
                return rule_values[rule_index]
            return per_row[row][rule_index]

        count = matches.sum(axis=1)
        if policy in ("UNIQUE", "FIRST", "PRIORITY", "ANY"):
            if policy == "UNIQUE" and r and (count > 1).any():
                row = int(np.argmax(count > 1))
                rules = [int(i) + 1 for i in np.flatnonzero(matches[row])]
                raise DmnEvaluationError(
                    f"decision '{d.name}': rules {', '.join(map(str, rules))} all match on row {row + 1} (UNIQUE)",
                    where=Location(file=self.model.path, row=row + 1, field=f"decision '{d.name}'"),
                    found=f"matching rules {rules}",
                    expected="UNIQUE allows one matching rule",
                    fix="correct the overlapping rules, or choose FIRST, PRIORITY or COLLECT",
                )
            if policy == "PRIORITY" and r:
                keys = [
                    (_priority(table, rule_values[j]) if constants is not None else (0,), j)
                    for j in range(r)
                ]
                order = np.array([j for _, j in sorted(keys)], dtype=np.int64)
                if constants is None:
                    self.note(d.name, "PRIORITY with computed outputs ordered row by row")
                    chosen = np.array(
                        [_by_priority(table, per_row[i], matches[i])[:1] or [-1] for i in range(n)],
                        dtype=np.int64,
                    ).reshape(n)
                else:
                    reordered = matches[:, order]
                    first = np.argmax(reordered, axis=1)
                    chosen = np.where(count > 0, order[first], -1)
            else:
                chosen = (
                    np.where(count > 0, np.argmax(matches, axis=1), -1) if r else np.full(n, -1)
                )
            if policy == "ANY" and r and (count > 1).any():
                for many in np.flatnonzero(count > 1).tolist():
                    hits = np.flatnonzero(matches[many]).tolist()
                    first_value = value_at(many, hits[0])
                    if any(not equals(value_at(many, j), first_value) for j in hits[1:]):
                        rules = [int(j) + 1 for j in hits]
                        raise DmnEvaluationError(
                            f"decision '{d.name}': rules {', '.join(map(str, rules))} match on row {many + 1} with different outputs (ANY)",
                            where=Location(
                                file=self.model.path, row=many + 1, field=f"decision '{d.name}'"
                            ),
                            found=f"matching rules {rules}",
                            expected="ANY allows several rules only if their outputs agree",
                            fix="make the outputs agree, or choose FIRST, PRIORITY or COLLECT",
                        )
            self.matched[d.name] = (chosen + 1).astype(np.int32)
            if constants is not None and per_row_default is None:
                # constant outputs: one lookup per output column, the last slot the default
                index = np.where(chosen >= 0, chosen, r)
                slots = [*rule_values, default_value]
                if len(table.outputs) > 1:
                    parts: dict[str, npt.NDArray[Any]] = {}
                    for o in table.outputs:
                        key = o.name or o.label or ""
                        per_slot = [v.get(key) if isinstance(v, dict) else None for v in slots]
                        parts[key] = _typed(per_slot)[index]
                    whole = np.empty(len(slots), dtype=object)
                    for j, v in enumerate(slots):
                        whole[j] = v
                    self.publish(d, whole[index], table, parts=parts)
                    return
                result = _typed(slots)[index]
            else:
                result = _typed(
                    [
                        per_row[i][c] if c >= 0 else defaults[i]
                        for i, c in enumerate(chosen.tolist())
                    ]
                )
            self.publish(d, result, table)
            return
        # multi-hit policies
        if policy == "OUTPUT ORDER":
            if constants is not None:
                order = np.array(
                    sorted(range(r), key=lambda j: (_priority(table, rule_values[j]), j)),
                    dtype=np.int64,
                )
            else:
                self.note(d.name, "OUTPUT ORDER with computed outputs ordered row by row")
                order = np.arange(r)
        else:
            order = np.arange(r)
        reordered = matches[:, order] if r else matches
        rows, cols = np.nonzero(reordered)
        rule_index = order[cols] if r else cols
        splits = np.searchsorted(rows, np.arange(1, n))
        per_row_hits = np.split(rule_index, splits) if n else []
        matched_obj = np.empty(n, dtype=object)
        for i, row_hits in enumerate(per_row_hits):
            matched_obj[i] = tuple(int(j) + 1 for j in row_hits)
        if constants is None and policy == "OUTPUT ORDER":
            for i in range(n):
                matched_obj[i] = tuple(j + 1 for j in _by_priority(table, per_row[i], matches[i]))
        self.matched[d.name] = matched_obj
        agg = table.aggregation if policy == "COLLECT" else None
        if (
            agg is not None
            and constants is not None
            and all(isinstance(v, Decimal) for v in rule_values)
            and r
        ):
            vals = np.array([float(v) for v in rule_values], dtype=np.float64)  # type: ignore[arg-type]
            if agg == "SUM":
                out = (matches * vals).sum(axis=1)
            elif agg == "MIN":
                out = np.where(matches, vals, np.inf).min(axis=1)
            elif agg == "MAX":
                out = np.where(matches, vals, -np.inf).max(axis=1)
            else:
                out = count.astype(np.float64)
            empty = [Decimal(0) if agg == "COUNT" and v is None else v for v in defaults]
            if all(v is None or isinstance(v, Decimal) for v in empty):
                self.publish(d, np.where(count > 0, out, _typed(empty).astype(np.float64)), table)
                return
            mixed = [to_feel(out[i]) if count[i] else empty[i] for i in range(n)]
            self.publish(d, _typed(mixed), table)
            return
        results: list[object] = []
        for i, numbers in enumerate(matched_obj.tolist()):
            values = [value_at(i, num - 1) for num in numbers]
            if not values:
                nothing = Decimal(0) if agg == "COUNT" and defaults[i] is None else defaults[i]
                results.append(nothing)
            elif agg is None:
                results.append(values)
            else:
                results.append(_aggregate(agg, values))
        if agg is not None and constants is not None:
            self.note(d.name, f"COLLECT {agg} over non-numeric outputs aggregated row by row")
        self.publish(d, _typed(results), table)


def _by_priority(table: _Table, values: list[object], row: npt.NDArray[np.bool_]) -> list[int]:
    """The matched rule indexes of one row, in output-value priority order (rule order on ties)."""
    hits = [int(j) for j in np.flatnonzero(row)]
    return sorted(hits, key=lambda j: (_priority(table, values[j]), j))


def _has_dicts(values: npt.NDArray[Any]) -> bool:
    return any(isinstance(v, dict | list) for v in values.tolist())


def _typed(values: list[object]) -> npt.NDArray[Any]:
    """Numbers (Decimal) and nulls as float64 with NaN; anything else as an object array."""
    if values and all(
        v is None or (isinstance(v, Decimal | float | int) and not isinstance(v, bool))
        for v in values
    ):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)  # type: ignore[arg-type]
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


# ---------------------------------------------------------------------------------------------
# reading the XML


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)

    def where(self, element: etree._Element) -> Location:
        tag = etree.QName(element).localname
        ident = element.get("id")
        name = element.get("name") or element.get("label")
        parts = [tag]
        if ident:
            parts.append(f"id '{ident}'")
        if name:
            parts.append(f"name '{name}'")
        line = element.sourceline if isinstance(element.sourceline, int) else None
        return Location(file=self.file, line=line, field=" ".join(parts))

    def refuse(
        self,
        element: etree._Element,
        why: str,
        *,
        expected: str = SUPPORTED,
        fix: str | None = None,
    ) -> DmnImportError:
        tag = etree.QName(element).localname
        return DmnImportError(
            f"cannot import {self.path.name}: <{tag}> — {why}",
            where=self.where(element),
            found=f"<{tag}>",
            expected=expected,
            fix=fix
            or "remove or rewrite this element (a decision table or FEEL literal expression), "
            "or keep this model outside civicflow",
        )


def load_dmn(path: str | Path) -> DmnModel:
    """Read a DMN 1.1, 1.2 or 1.3 file. Refuses, with the element and the reason, what it cannot
    run."""
    path = Path(path)
    try:
        root = etree.parse(str(path), _parser()).getroot()
    except OSError as exc:
        raise DmnImportError(
            f"cannot read {path}",
            where=Location(file=str(path)),
            found=str(exc),
            expected="a readable DMN XML file",
            fix="check the path",
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise _not_xml(path, exc) from exc
    return _build_model(path, root)


def parse_dmn(text: str, *, file: str = "<dmn model>") -> DmnModel:
    """Read a DMN 1.1, 1.2 or 1.3 model from its XML text (a stored rule set version); ``file``
    names it in errors. Refuses what it cannot run like :func:`load_dmn`."""
    path = Path(file)
    try:
        root = etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        raise _not_xml(path, exc) from exc
    return _build_model(path, root)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )


def _not_xml(path: Path, exc: etree.XMLSyntaxError) -> DmnImportError:
    return DmnImportError(
        f"{path.name} is not well-formed XML",
        where=Location(file=str(path), line=exc.lineno),
        found=str(exc),
        expected="a DMN XML file",
        fix="export the model again from the modeller",
    )


def _build_model(path: Path, root: etree._Element) -> DmnModel:
    reader = _Reader(path)
    qname = etree.QName(root)
    version = DMN_NAMESPACES.get(qname.namespace or "")
    if version is None or qname.localname != "definitions":
        raise DmnImportError(
            f"{path.name} is not a DMN 1.1, 1.2 or 1.3 model",
            where=Location(
                file=str(path),
                line=root.sourceline if isinstance(root.sourceline, int) else None,
                field=f"<{qname.localname}>",
            ),
            found=f"root <{qname.localname}> in namespace '{qname.namespace}'",
            expected="<definitions> in one of "
            + ", ".join(f"{ns} (DMN {v})" for ns, v in DMN_NAMESPACES.items()),
            fix="export the model as DMN 1.3 (or 1.2, 1.1)",
        )
    return _Builder(reader, root, qname.namespace or "", version).build()


class _Builder:
    def __init__(self, reader: _Reader, root: etree._Element, ns: str, version: str) -> None:
        self.r = reader
        self.root = root
        self.ns = ns
        self.version = version
        self.items: dict[str, ItemDefinition] = {}
        self.names: set[str] = set()

    def tag(self, element: etree._Element) -> str | None:
        if not isinstance(element.tag, str):
            return None
        q = etree.QName(element)
        return q.localname if q.namespace == self.ns else None

    def children(self, element: etree._Element) -> list[tuple[str, etree._Element]]:
        return [(t, c) for c in element if (t := self.tag(c)) is not None]

    def text(self, element: etree._Element, child: str = "text") -> str:
        for t, c in self.children(element):
            if t == child:
                return (c.text or "").strip()
        return ""

    def check_language(self, element: etree._Element, default: str) -> None:
        language = (element.get("expressionLanguage") or default or "").strip()
        if language.lower() not in FEEL_LANGUAGES and language not in FEEL_LANGUAGES:
            raise self.r.refuse(
                element,
                f"expression language '{language}' is not FEEL",
                expected="FEEL expressions (no expressionLanguage, or the FEEL namespace)",
                fix="rewrite the expression in FEEL",
            )

    def build(self) -> DmnModel:
        decisions_xml: list[etree._Element] = []
        inputs_xml: list[etree._Element] = []
        self.language = (self.root.get("expressionLanguage") or "").strip()
        for tag, child in self.children(self.root):
            if tag == "itemDefinition":
                item = self.item(child)
                self.items[item.name] = item
            elif tag == "inputData":
                inputs_xml.append(child)
            elif tag == "decision":
                decisions_xml.append(child)
            elif tag in _REFUSED_WHY:
                raise self.r.refuse(child, _REFUSED_WHY[tag])
            elif tag not in _DOCUMENTATION:
                raise self.r.refuse(child, "this element is not supported")
        self.check_language(self.root, "")
        by_id: dict[str, str] = {}
        inputs: list[DmnInput] = []
        for element in inputs_xml:
            name = element.get("name") or ""
            type_ref = None
            for t, c in self.children(element):
                if t == "variable":
                    type_ref = c.get("typeRef")
            inputs.append(DmnInput(name, type_ref, "inputData", self.items.get(type_ref or "")))
            by_id[element.get("id") or name] = name
            self.names.add(name)
        decision_ids: dict[str, str] = {}
        for element in decisions_xml:
            name = element.get("name") or element.get("id") or ""
            decision_ids[element.get("id") or name] = name
            self.names.add(name)
            for t, c in self.children(element):
                if t == "variable" and c.get("name"):
                    self.names.add(c.get("name") or "")
        self._collect_names(self.root)
        self.known = known_names(self.names)
        decisions = [self.decision(e, decision_ids) for e in decisions_xml]
        ordered = self.order(decisions)
        inputs.extend(self.variables(ordered, {i.name for i in inputs}))
        return DmnModel(
            path=self.r.file,
            name=self.root.get("name") or self.r.path.stem,
            version=self.version,
            items=self.items,
            inputs=inputs,
            decisions=ordered,
        )

    def _collect_names(self, root: etree._Element) -> None:
        def add_item(item: ItemDefinition) -> None:
            self.names.add(item.name)
            for c in item.components:
                add_item(c)

        for item in self.items.values():
            add_item(item)
        for element in root.iter():
            if self.tag(element) in ("output", "contextEntry", "variable") and element.get("name"):
                self.names.add(element.get("name") or "")
            if self.tag(element) == "contextEntry":
                for t, c in self.children(element):
                    if t == "variable" and c.get("name"):
                        self.names.add(c.get("name") or "")

    def item(self, element: etree._Element) -> ItemDefinition:
        type_ref: str | None = None
        components: list[ItemDefinition] = []
        allowed: str | None = None
        for tag, child in self.children(element):
            if tag == "typeRef":
                type_ref = (child.text or "").strip() or None
            elif tag == "itemComponent":
                components.append(self.item(child))
            elif tag == "allowedValues":
                allowed = self.text(child)
            elif tag in _REFUSED_WHY:
                raise self.r.refuse(child, _REFUSED_WHY[tag])
            elif tag not in _DOCUMENTATION and tag != "typeConstraint":
                raise self.r.refuse(child, "this part of an item definition is not supported")
        type_ref = type_ref or element.get("typeRef")
        return ItemDefinition(
            name=element.get("name") or "",
            type_ref=type_ref,
            is_collection=element.get("isCollection") == "true",
            components=tuple(components),
            allowed_values=allowed,
        )

    def decision(self, element: etree._Element, decision_ids: dict[str, str]) -> _Decision:
        name = element.get("name") or element.get("id") or ""
        type_ref: str | None = None
        requires: list[str] = []
        body: _Body | None = None
        for tag, child in self.children(element):
            if tag == "variable":
                type_ref = child.get("typeRef")
            elif tag == "informationRequirement":
                for t, req in self.children(child):
                    href = req.get("href") or ""
                    if not href.startswith("#"):
                        raise self.r.refuse(
                            req,
                            f"it points into another model ('{href}'); imports are not supported",
                            fix="put the required decision or input in this file",
                        )
                    if t == "requiredDecision":
                        target = decision_ids.get(href[1:])
                        if target is None:
                            raise self.r.refuse(
                                req,
                                f"the required decision '{href}' is not in the model",
                                expected="an href to a decision of this file",
                                fix="correct the href",
                            )
                        if target not in requires:
                            requires.append(target)
            elif tag in _EXPRESSIONS:
                if body is not None:
                    raise self.r.refuse(child, "a decision has one expression")
                body = self.body(tag, child)
            elif tag in _REFUSED_WHY:
                raise self.r.refuse(child, _REFUSED_WHY[tag])
            elif tag not in _DOCUMENTATION:
                raise self.r.refuse(child, "this element of a decision is not supported")
        if body is None:
            raise self.r.refuse(
                element,
                "the decision has no decision logic",
                expected="a decisionTable, literalExpression or context inside the decision",
                fix="give the decision its logic, or remove it",
            )
        alias = None
        if isinstance(body, _Table) and len(body.outputs) == 1:
            out_name = body.outputs[0].name
            if out_name and out_name != name:
                alias = out_name
        return _Decision(element.get("id") or name, name, type_ref, body, requires, alias)

    def body(self, tag: str, element: etree._Element) -> _Body:
        if tag == "decisionTable":
            return self.table(element)
        if tag == "literalExpression":
            return self.literal(element)
        entries: list[tuple[str | None, _Body]] = []
        for t, entry in self.children(element):
            if t != "contextEntry":
                if t in _REFUSED_WHY:
                    raise self.r.refuse(entry, _REFUSED_WHY[t])
                if t in _DOCUMENTATION:
                    continue
                raise self.r.refuse(entry, "a context holds context entries only")
            entry_name: str | None = None
            entry_body: _Body | None = None
            for t2, c in self.children(entry):
                if t2 == "variable":
                    entry_name = c.get("name")
                elif t2 in _EXPRESSIONS:
                    entry_body = self.body(t2, c)
                elif t2 in _REFUSED_WHY:
                    raise self.r.refuse(c, _REFUSED_WHY[t2])
                elif t2 not in _DOCUMENTATION:
                    raise self.r.refuse(c, "this expression in a context entry is not supported")
            if entry_body is None:
                raise self.r.refuse(
                    entry,
                    "the context entry has no expression",
                    expected="a literal expression, decision table or context",
                    fix="give the entry a value",
                )
            entries.append((entry_name, entry_body))
        return _Context(entries)

    def feel(self, element: etree._Element, text: str, *, tests: bool = False) -> Any:
        try:
            if tests:
                return parse_unary_tests(text, self.known)
            return parse_expression(text, self.known)
        except FeelError as exc:
            raise DmnImportError(
                f"cannot import {self.r.path.name}: the FEEL text {text!r} cannot be read",
                where=self.r.where(element),
                found=exc.found or text,
                expected=exc.expected,
                fix=exc.fix,
            ) from exc

    def literal(self, element: etree._Element) -> _Literal:
        self.check_language(element, self.language)
        for t, c in self.children(element):
            if t == "importedValues":
                raise self.r.refuse(c, "imported values are not supported")
        text = self.text(element)
        if not text:
            raise self.r.refuse(
                element,
                "the literal expression is empty",
                expected="a FEEL expression",
                fix="write the expression",
            )
        return _Literal(text, self.feel(element, text))

    def table(self, element: etree._Element) -> _Table:
        policy = (element.get("hitPolicy") or "UNIQUE").strip().upper()
        if policy not in HIT_POLICIES:
            raise self.r.refuse(
                element,
                f"hit policy '{policy}' is not supported",
                expected=", ".join(HIT_POLICIES),
                fix="choose one of the supported hit policies",
            )
        aggregation = (element.get("aggregation") or "").strip().upper() or None
        if aggregation is not None and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
            raise self.r.refuse(
                element,
                f"aggregation '{aggregation}' with hit policy {policy}",
                expected="SUM, MIN, MAX or COUNT with COLLECT",
                fix="use COLLECT with one of these aggregations",
            )
        inputs: list[_Input] = []
        outputs: list[_Output] = []
        rule_elements: list[etree._Element] = []
        for tag, child in self.children(element):
            if tag == "input":
                inputs.append(self.input_clause(child, len(inputs) + 1))
            elif tag == "output":
                outputs.append(self.output_clause(child))
            elif tag == "rule":
                rule_elements.append(child)
            elif tag == "annotation":
                continue
            elif tag not in _DOCUMENTATION:
                raise self.r.refuse(child, "this element of a decision table is not supported")
        if not outputs:
            raise self.r.refuse(
                element,
                "the decision table has no output",
                expected="at least one <output>",
                fix="add the output column",
            )
        if aggregation is not None and len(outputs) > 1:
            raise self.r.refuse(
                element,
                "an aggregation over several outputs is undefined in DMN",
                expected="one output with COLLECT SUM/MIN/MAX/COUNT",
                fix="split the table",
            )
        if policy in ("PRIORITY", "OUTPUT ORDER") and not any(o.values for o in outputs):
            raise self.r.refuse(
                element,
                f"hit policy {policy} needs output values (their order is the priority)",
                expected="<outputValues> on the output",
                fix="list the output values in priority order",
            )
        rules = [self.rule(r, i + 1, inputs, outputs) for i, r in enumerate(rule_elements)]
        return _Table(policy, aggregation, inputs, outputs, rules)

    def input_clause(self, element: etree._Element, number: int) -> _Input:
        for attribute, value in element.attrib.items():
            if etree.QName(attribute).localname == "inputVariable" and value:
                raise self.r.refuse(
                    element,
                    f"a Camunda input variable ('{value}') renames the input value in its tests",
                    expected="tests on the input value itself",
                    fix="write the tests without the input variable (use '?' in FEEL)",
                )
        expression = None
        for tag, child in self.children(element):
            if tag == "inputExpression":
                expression = child
            elif tag not in ("inputValues", *_DOCUMENTATION):
                raise self.r.refuse(child, "this element of an input clause is not supported")
        if expression is None:
            raise self.r.refuse(
                element,
                "the input has no input expression",
                expected="<inputExpression><text>…</text></inputExpression>",
                fix="add the input expression",
            )
        self.check_language(expression, self.language)
        text = self.text(expression)
        if not text:
            raise self.r.refuse(
                expression,
                "the input expression is empty",
                expected="a FEEL expression (a name or path)",
                fix="write the input expression",
            )
        label = element.get("label") or text
        return _Input(label, text, self.feel(expression, text), expression.get("typeRef"))

    def output_clause(self, element: etree._Element) -> _Output:
        values: list[object] | None = None
        default: Expr | None = None
        for tag, child in self.children(element):
            if tag == "outputValues":
                text = self.text(child)
                if text:
                    parsed = self.feel(child, text, tests=True)
                    values = [t.expr.evaluate({}) for t in parsed.tests if hasattr(t, "expr")]
            elif tag == "defaultOutputEntry":
                self.check_language(child, self.language)
                text = self.text(child)
                if text:
                    default = self.feel(child, text)
            elif tag not in _DOCUMENTATION:
                raise self.r.refuse(child, "this element of an output clause is not supported")
        return _Output(
            element.get("name"), element.get("label"), element.get("typeRef"), values, default
        )

    def rule(
        self, element: etree._Element, number: int, inputs: list[_Input], outputs: list[_Output]
    ) -> _Rule:
        tests: list[UnaryTests] = []
        entries: list[Expr] = []
        input_texts: list[str] = []
        output_texts: list[str] = []
        notes: list[str] = []
        for tag, child in self.children(element):
            if tag == "inputEntry":
                self.check_language(child, "")
                text = self.text(child)
                input_texts.append(text or "-")
                tests.append(self.feel(child, text, tests=True))
            elif tag == "outputEntry":
                self.check_language(child, self.language)
                text = self.text(child)
                output_texts.append(text)
                entries.append(self.feel(child, text) if text else _NULL)
            elif tag == "annotationEntry":
                note = self.text(child)
                if note:
                    notes.append(note)
            elif tag == "description":
                note = (child.text or "").strip()
                if note:
                    notes.append(note)
            elif tag not in _DOCUMENTATION:
                raise self.r.refuse(child, "this element of a rule is not supported")
        if len(tests) != len(inputs) or len(entries) != len(outputs):
            raise self.r.refuse(
                element,
                f"rule {number} has {len(tests)} input entries and {len(entries)} output entries",
                expected=f"{len(inputs)} input entries and {len(outputs)} output entries (one per column)",
                fix="give the rule one entry per input and output column",
            )
        return _Rule(
            number,
            element.get("id"),
            tests,
            entries,
            tuple(input_texts),
            tuple(output_texts),
            "; ".join(notes) or None,
        )

    def order(self, decisions: list[_Decision]) -> list[_Decision]:
        by_name = {d.name: d for d in decisions}
        aliases = {d.alias: d.name for d in decisions if d.alias and d.alias not in by_name}
        for d in decisions:
            for name in d.body.names():
                target = by_name.get(name) or by_name.get(aliases.get(name, ""))
                if target is not None and target.name != d.name and target.name not in d.requires:
                    d.requires.append(target.name)
        ordered: list[_Decision] = []
        state: dict[str, int] = {}

        def visit(d: _Decision, chain: list[str]) -> None:
            if state.get(d.name) == 2:
                return
            if state.get(d.name) == 1:
                raise DmnImportError(
                    f"cannot import {self.r.path.name}: decisions require each other in a cycle",
                    where=Location(file=self.r.file, field=f"decision '{d.name}'"),
                    found=" → ".join([*chain, d.name]),
                    expected="a requirement graph without cycles",
                    fix="remove one of the requirements",
                )
            state[d.name] = 1
            for req in d.requires:
                visit(by_name[req], [*chain, d.name])
            state[d.name] = 2
            ordered.append(d)

        for d in decisions:
            visit(d, [])
        return ordered

    def variables(self, decisions: Iterable[_Decision], declared: set[str]) -> list[DmnInput]:
        bound = declared | {d.name for d in decisions} | {d.alias for d in decisions if d.alias}
        found: dict[str, str | None] = {}
        for d in decisions:
            for name in sorted(d.body.names()):
                if name not in bound and name not in found and name != "?":
                    found[name] = _input_type(d.body, name)
        return [DmnInput(name, t, "variable") for name, t in found.items()]


def _input_type(body: _Body, name: str) -> str | None:
    if isinstance(body, _Table):
        for clause in body.inputs:
            if clause.text == name:
                return clause.type_ref
    if isinstance(body, _Context):
        for _, entry in body.entries:
            found = _input_type(entry, name)
            if found is not None:
                return found
    return None


class _NullExpr(Expr):
    def evaluate(self, env: Mapping[str, object]) -> object:
        return None


_NULL = _NullExpr()
