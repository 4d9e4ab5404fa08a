"""Formulas: small expressions parsed with :mod:`ast` against a strict whitelist, type-checked
when the rule set loads, and evaluated vectorised over numpy columns (one case is a column of one).

Allowed: names (inputs, rules, scalar parameters), numbers, strings, ``True``/``False``,
``+ - * / // %``, comparisons (``== != < <= > >=``, ``in``/``not in`` a list of constants),
``and``/``or``/``not``, ``a if c else b``, the functions ``min``, ``max``, ``where``, ``abs``,
``round``, ``floor``, ``ceil``, and a scale parameter looked up by a key: ``income_limit[household_size]``.
Nothing else parses: no attributes, no calls of other names, no comprehensions, no ``eval``.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from civicflow.core import ConfigurationError, Location

NUMBER = "number"
BOOLEAN = "boolean"
TEXT = "text"

FUNCTIONS = ("min", "max", "where", "abs", "round", "floor", "ceil")


@dataclass(slots=True)
class Env:
    """What a formula reads: the columns (inputs and rules decided so far) and the parameters in
    force, and where it writes the keys of the scale lookups it made (kept for the trace)."""

    values: dict[str, Any]
    scalars: Mapping[str, float]
    scales: Mapping[str, tuple[Any, Any]]
    lookups: dict[str, Any] = field(default_factory=dict)


Fn = Callable[[Env], Any]


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a name in a formula refers to: ``input``, ``rule``, ``parameter`` or ``scale``."""

    kind: str
    type: str


@dataclass(frozen=True, slots=True)
class Formula:
    """A compiled formula: its text, result type, the names and parameters it reads."""

    source: str
    type: str
    names: frozenset[str]
    parameters: frozenset[str]
    fn: Fn

    def __call__(self, env: Env) -> Any:
        return self.fn(env)


def referenced_names(source: str, *, where: Location) -> frozenset[str]:
    """The bare names a formula mentions (to order rules before compiling them)."""
    tree = _parse(source, where=where)
    return frozenset(
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in FUNCTIONS
    )


def compile_formula(source: str, symbols: Mapping[str, Symbol], *, where: Location) -> Formula:
    """Parse, check and compile ``source``; errors name the file, line and field in ``where``."""
    tree = _parse(source, where=where)
    compiler = _Compiler(source, symbols, where)
    kind, fn = compiler.node(tree.body)
    return Formula(
        source=source,
        type=kind,
        names=frozenset(compiler.names),
        parameters=frozenset(compiler.parameters),
        fn=fn,
    )


def _parse(source: str, *, where: Location) -> ast.Expression:
    if not isinstance(source, str) or not source.strip():
        raise ConfigurationError(
            "a formula is empty",
            where=where,
            found=repr(source),
            expected="an expression such as: household_income <= income_limit[household_size]",
            fix="write the formula as text",
        )
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigurationError(
            f"the formula does not parse: {exc.msg}",
            where=where,
            found=source,
            expected="an expression of names, numbers, comparisons, and/or/not, arithmetic",
            fix="check brackets and operators (use 'and'/'or', not '&&'/'||')",
        ) from None


_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod,
}
_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_EQUAL: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


class _Compiler:
    def __init__(self, source: str, symbols: Mapping[str, Symbol], where: Location) -> None:
        self.source = source
        self.symbols = symbols
        self.where = where
        self.names: set[str] = set()
        self.parameters: set[str] = set()

    def fail(self, what: str, node: ast.AST, *, expected: str, fix: str) -> ConfigurationError:
        segment = ast.get_source_segment(self.source.strip(), node) or self.source
        return ConfigurationError(
            f"formula: {what}", where=self.where, found=segment, expected=expected, fix=fix
        )

    def node(self, node: ast.expr) -> tuple[str, Fn]:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(
                f"'{type(node).__name__}' is not allowed in a formula",
                node,
                expected="names, numbers, strings, comparisons, and/or/not, + - * / // %, "
                "a if c else b, " + ", ".join(FUNCTIONS) + ", parameter[key]",
                fix="rewrite the formula with the allowed elements (split it into several rules)",
            )
        result: tuple[str, Fn] = method(node)
        return result

    def typed(self, node: ast.expr, kind: str, role: str) -> Fn:
        found, fn = self.node(node)
        if found != kind:
            raise self.fail(
                f"{role} must be {kind}, found {found}",
                node,
                expected=f"a {kind} expression",
                fix="compare numbers to get a yes/no, or use a number where arithmetic is done",
            )
        return fn

    def _Constant(self, node: ast.Constant) -> tuple[str, Fn]:
        value = node.value
        if isinstance(value, bool):
            return BOOLEAN, lambda env, v=value: v
        if isinstance(value, int | float):
            number = float(value) if isinstance(value, float) else value
            return NUMBER, lambda env, v=number: v
        if isinstance(value, str):
            return TEXT, lambda env, v=value: v
        raise self.fail(
            f"the constant {value!r} is not allowed",
            node,
            expected="a number, a quoted text, True or False",
            fix="use a number or a quoted text",
        )

    def _Name(self, node: ast.Name) -> tuple[str, Fn]:
        name = node.id
        symbol = self.symbols.get(name)
        if symbol is None:
            close = difflib.get_close_matches(name, list(self.symbols), n=3)
            raise self.fail(
                f"unknown name '{name}'",
                node,
                expected="an input, a rule or a parameter of this rule set",
                fix=f"did you mean {' or '.join(repr(c) for c in close)}?"
                if close
                else "declare it under inputs, rules or parameters",
            )
        if symbol.kind == "scale":
            raise self.fail(
                f"the parameter '{name}' is a scale and needs a key",
                node,
                expected=f"{name}[key], e.g. {name}[household_size]",
                fix=f"look it up: {name}[...]",
            )
        if symbol.kind == "parameter":
            self.parameters.add(name)
            return symbol.type, lambda env, n=name: env.scalars[n]
        self.names.add(name)
        return symbol.type, lambda env, n=name: env.values[n]

    def _Subscript(self, node: ast.Subscript) -> tuple[str, Fn]:
        target = node.value
        symbol = self.symbols.get(target.id) if isinstance(target, ast.Name) else None
        if not isinstance(target, ast.Name) or symbol is None or symbol.kind != "scale":
            raise self.fail(
                "only a scale parameter can be looked up with [ ]",
                node,
                expected="scale_parameter[key], e.g. income_limit[household_size]",
                fix="declare the parameter with 'scale:' values, or remove the brackets",
            )
        name = target.id
        self.parameters.add(name)
        key = self.typed(node.slice, NUMBER, "the key of a scale lookup")

        def lookup(env: Env) -> Any:
            thresholds, values = env.scales[name]
            k = key(env)
            env.lookups[name] = k
            index = np.searchsorted(thresholds, k, side="right") - 1
            return values[np.clip(index, 0, len(values) - 1)]

        return NUMBER, lookup

    def _BinOp(self, node: ast.BinOp) -> tuple[str, Fn]:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.fail(
                "this operator is not allowed",
                node,
                expected="+ - * / // %",
                fix="use the allowed arithmetic",
            )
        left = self.typed(node.left, NUMBER, "arithmetic")
        right = self.typed(node.right, NUMBER, "arithmetic")

        def arith(env: Env) -> Any:
            with np.errstate(divide="ignore", invalid="ignore"):
                return op(left(env), right(env))

        return NUMBER, arith

    def _UnaryOp(self, node: ast.UnaryOp) -> tuple[str, Fn]:
        if isinstance(node.op, ast.Not):
            inner = self.typed(node.operand, BOOLEAN, "'not'")
            return BOOLEAN, lambda env: np.logical_not(inner(env))
        if isinstance(node.op, ast.USub):
            number = self.typed(node.operand, NUMBER, "'-'")
            return NUMBER, lambda env: np.negative(number(env))
        if isinstance(node.op, ast.UAdd):
            return NUMBER, self.typed(node.operand, NUMBER, "'+'")
        raise self.fail(
            "this operator is not allowed", node, expected="not, -, +", fix="use 'not' or '-'"
        )

    def _BoolOp(self, node: ast.BoolOp) -> tuple[str, Fn]:
        parts = [self.typed(v, BOOLEAN, f"each side of '{_word(node.op)}'") for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def boolean(env: Env) -> Any:
            result = parts[0](env)
            for part in parts[1:]:
                result = combine(result, part(env))
            return result

        return BOOLEAN, boolean

    def _Compare(self, node: ast.Compare) -> tuple[str, Fn]:
        left_kind, left = self.node(node.left)
        steps: list[Fn] = []
        current_kind, current = left_kind, left
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                steps.append(self._membership(op, current_kind, current, comparator))
                continue
            kind, right = self.node(comparator)
            if kind != current_kind:
                raise self.fail(
                    f"cannot compare {current_kind} with {kind}",
                    node,
                    expected="both sides of the same type",
                    fix="compare numbers with numbers and texts with texts",
                )
            if type(op) in _ORDER:
                if kind != NUMBER:
                    raise self.fail(
                        f"'<', '>' compare numbers, not {kind}",
                        node,
                        expected="numbers on both sides",
                        fix="use == or != for texts and yes/no values",
                    )
                fn = _ORDER[type(op)]
            elif type(op) in _EQUAL:
                fn = _EQUAL[type(op)]
            else:
                raise self.fail(
                    "this comparison is not allowed",
                    node,
                    expected="== != < <= > >= in, not in",
                    fix="use == instead of 'is'",
                )
            steps.append(_pair(fn, current, right))
            current_kind, current = kind, right

        def compare(env: Env) -> Any:
            result = steps[0](env)
            for step in steps[1:]:
                result = np.logical_and(result, step(env))
            return result

        return BOOLEAN, compare

    def _membership(self, op: ast.cmpop, kind: str, left: Fn, node: ast.expr) -> Fn:
        if not isinstance(node, ast.List | ast.Tuple) or not all(
            isinstance(e, ast.Constant) for e in node.elts
        ):
            raise self.fail(
                "'in' needs a list of constants",
                node,
                expected="x in ['a', 'b'] or x in [1, 2, 3]",
                fix="write the values in square brackets",
            )
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        wanted = TEXT if all(isinstance(v, str) for v in values) else NUMBER
        if kind != wanted or any(isinstance(v, bool) for v in values):
            raise self.fail(
                f"'in' compares a {kind} with a list of {wanted}s",
                node,
                expected=f"a list of {kind} constants",
                fix="make the list's values the same type as the left side",
            )
        negate = isinstance(op, ast.NotIn)
        allowed = np.array(values)

        def member(env: Env) -> Any:
            result = np.isin(left(env), allowed)
            return np.logical_not(result) if negate else result

        return member

    def _IfExp(self, node: ast.IfExp) -> tuple[str, Fn]:
        return self._choose(node.test, node.body, node.orelse, node)

    def _choose(
        self, test: ast.expr, yes: ast.expr, no: ast.expr, node: ast.expr
    ) -> tuple[str, Fn]:
        condition = self.typed(test, BOOLEAN, "the condition")
        kind, then = self.node(yes)
        other = self.typed(no, kind, "the other branch")
        return kind, lambda env: np.where(condition(env), then(env), other(env))

    def _Call(self, node: ast.Call) -> tuple[str, Fn]:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS or node.keywords:
            raise self.fail(
                "only the functions " + ", ".join(FUNCTIONS) + " can be called",
                node,
                expected=", ".join(f"{f}(...)" for f in FUNCTIONS),
                fix="use one of these, without keyword arguments",
            )
        args = node.args
        if name == "where":
            if len(args) != 3:
                raise self.fail(
                    "where() takes 3 arguments",
                    node,
                    expected="where(condition, value_if_yes, value_if_no)",
                    fix="give a condition and two values",
                )
            return self._choose(args[0], args[1], args[2], node)
        if name in ("min", "max"):
            if len(args) < 2:
                raise self.fail(
                    f"{name}() takes 2 or more numbers",
                    node,
                    expected=f"{name}(a, b, ...)",
                    fix="give at least two values",
                )
            parts = [self.typed(a, NUMBER, f"{name}()") for a in args]
            combine = np.minimum if name == "min" else np.maximum

            def extreme(env: Env) -> Any:
                result = parts[0](env)
                for part in parts[1:]:
                    result = combine(result, part(env))
                return result

            return NUMBER, extreme
        if name == "round" and len(args) == 2:
            digits = args[1]
            if not isinstance(digits, ast.Constant) or type(digits.value) is not int:
                raise self.fail(
                    "round()'s digits must be a whole number",
                    node,
                    expected="round(x, 2)",
                    fix="write the number of decimals",
                )
            number = self.typed(args[0], NUMBER, "round()")
            return NUMBER, lambda env, d=digits.value: np.round(number(env), d)
        if len(args) != 1:
            raise self.fail(
                f"{name}() takes 1 argument",
                node,
                expected=f"{name}(x)",
                fix="give one number",
            )
        number = self.typed(args[0], NUMBER, f"{name}()")
        unary: dict[str, Callable[[Any], Any]] = {
            "abs": np.abs,
            "round": np.round,
            "floor": np.floor,
            "ceil": np.ceil,
        }
        fn = unary[str(name)]
        return NUMBER, lambda env: fn(number(env))


def _pair(fn: Callable[[Any, Any], Any], left: Fn, right: Fn) -> Fn:
    return lambda env: fn(left(env), right(env))


def _word(op: ast.boolop) -> str:
    return "and" if isinstance(op, ast.And) else "or"
