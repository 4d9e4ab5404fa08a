"""A FEEL subset (DMN's expression language): a tokenizer, a Pratt parser, an evaluator with
decimal numbers and null propagation, unary tests (the cells of a decision table) and a vectorised
evaluation of unary tests over numpy columns.

Names may contain spaces (``Violation.Actual Speed``, ``Years of Service``): the tokenizer is given
the names the model knows and takes the longest known name at each position, as the FEEL grammar's
name resolution asks. What is outside the subset raises :class:`FeelSyntaxError` naming the text and
the position, never a silent guess."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from civicflow.core import CivicflowError, Location

# FEEL numbers are IEEE 754-2008 decimal128: 34 significant digits, half-even rounding.
FEEL_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN)

BUILTIN_NAMES = (
    "date and time",
    "days and time duration",
    "years and months duration",
    "string length",
    "upper case",
    "lower case",
    "starts with",
    "ends with",
    "list contains",
    "distinct values",
    "string join",
    "is defined",
)

_KEYWORDS = frozenset(
    {"and", "or", "if", "then", "else", "true", "false", "null", "in", "between", "not"}
    | {"for", "some", "every", "return", "satisfies", "function", "instance", "of"}
)


class FeelError(CivicflowError):
    """A FEEL expression or unary test could not be read or evaluated."""


class FeelSyntaxError(FeelError):
    """The text is not in civicflow's FEEL subset: says the text, the position and what was expected."""


# ---------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range value ``[start..end)``; a None endpoint is unbounded (only from ``< x`` forms)."""

    start: object
    end: object
    start_included: bool
    end_included: bool

    def contains(self, value: object) -> bool | None:
        low = _after(value, self.start, self.start_included)
        high = _after(self.end, value, self.end_included)
        if low is None or high is None:
            return None
        return low and high


def _after(value: object, bound: object, included: bool) -> bool | None:
    if bound is None:
        return True
    if included:
        return compare(">=", value, bound)
    return compare(">", value, bound)


def to_feel(value: object) -> object:
    """A Python value as a FEEL value: numbers become Decimal (a float through its shortest repr,
    so 3.6 is exactly 3.6), NaN/NaT become null, mappings contexts and sequences lists."""
    if value is None or isinstance(value, bool | str | Decimal | Range):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return Decimal(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(number))
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        if np.datetime_data(value.dtype)[0] == "D":
            return dt.date.fromisoformat(str(value))
        return dt.datetime.fromisoformat(str(value.astype("datetime64[us]")))
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_feel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_feel(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_feel(v) for v in value.tolist()]
    raise FeelError(
        f"a value of type {type(value).__name__} is not a FEEL value",
        found=repr(value)[:80],
        expected="a number, string, boolean, date, date-time, duration, list, mapping or None",
        fix="convert the input to one of these types before evaluating",
    )


def kind_of(value: object) -> str:
    """The FEEL type of a value: number, string, boolean, date, date and time, time, duration,
    list, context, range or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, dt.timedelta):
        return "duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    return type(value).__name__


def equals(a: object, b: object) -> bool:
    """FEEL ``=``: null equals only null, values of different types are not equal."""
    if a is None or b is None:
        return a is None and b is None
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb:
        return False
    if ka == "list":
        assert isinstance(a, list) and isinstance(b, list)
        return len(a) == len(b) and all(equals(x, y) for x, y in zip(a, b, strict=True))
    if ka == "context":
        assert isinstance(a, dict) and isinstance(b, dict)
        return a.keys() == b.keys() and all(equals(a[k], b[k]) for k in a)
    return a == b


_ORDERED = frozenset({"number", "string", "date", "date and time", "time", "duration"})


def compare(op: str, a: object, b: object) -> bool | None:
    """FEEL comparison; ``<`` and friends of null or of different types are null."""
    if op == "=":
        return equals(a, b)
    if op == "!=":
        return not equals(a, b)
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb or ka not in _ORDERED:
        return None
    x: Any = a
    y: Any = b
    if op == "<":
        return bool(x < y)
    if op == "<=":
        return bool(x <= y)
    if op == ">":
        return bool(x > y)
    if op == ">=":
        return bool(x >= y)
    raise FeelError(f"unknown comparison '{op}'")


def _arith(op: str, a: object, b: object) -> object:
    if a is None or b is None:
        return None
    x: Any = a
    y: Any = b
    ka, kb = kind_of(a), kind_of(b)
    try:
        if ka == kb == "number":
            if op == "+":
                return FEEL_CONTEXT.add(x, y)
            if op == "-":
                return FEEL_CONTEXT.subtract(x, y)
            if op == "*":
                return FEEL_CONTEXT.multiply(x, y)
            if op == "/":
                return None if y == 0 else FEEL_CONTEXT.divide(x, y)
            if op == "**":
                return FEEL_CONTEXT.power(x, y)
        if op == "+" and ka == kb == "string":
            return x + y
        if ka in ("date", "date and time") and kb == "duration" and op in "+-":
            return x + y if op == "+" else x - y
        if ka == "duration" and kb in ("date", "date and time") and op == "+":
            return y + x
        if ka == kb and ka in ("date", "date and time", "duration") and op == "-":
            return x - y
        if ka == kb == "duration" and op == "+":
            return x + y
    except (decimal.InvalidOperation, OverflowError):
        return None
    return None


# ---------------------------------------------------------------------------------------------
# tokens


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number, string, name, op, end
    text: str
    pos: int


_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_IDENT = re.compile(r"[^\W\d]\w*|\?")
_OPS: tuple[str, ...] = (
    "**",
    "<=",
    ">=",
    "!=",
    "..",
    "+",
    "-",
    "*",
    "/",
    "=",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
)
_OPS += ("{", "}", ",", ".", ":", "@")


class KnownNames:
    """Known names grouped by first character, longest first (for longest-match tokenizing)."""

    def __init__(self, names: Iterable[str]) -> None:
        by_first: dict[str, list[str]] = {}
        for name in {*names, *BUILTIN_NAMES}:
            if name and (" " in name or not _IDENT.fullmatch(name)):
                by_first.setdefault(name[0], []).append(name)
        self.by_first = {k: sorted(v, key=len, reverse=True) for k, v in by_first.items()}

    def match(self, text: str, pos: int) -> str | None:
        for name in self.by_first.get(text[pos], ()):
            if text.startswith(name, pos):
                end = pos + len(name)
                if (
                    end < len(text)
                    and (text[end].isalnum() or text[end] == "_")
                    and (name[-1].isalnum() or name[-1] == "_")
                ):
                    continue
                return name
        return None


def tokenize(text: str, names: Iterable[str] | KnownNames = ()) -> list[Token]:
    """The tokens of ``text``; names with spaces or symbols are single tokens when known."""
    known = names if isinstance(names, KnownNames) else KnownNames(names)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
            continue
        char = text[pos]
        if char == '"':
            end, value = _read_string(text, pos)
            tokens.append(Token("string", value, pos))
            pos = end
            continue
        name = known.match(text, pos)
        if name is not None:
            tokens.append(Token("name", name, pos))
            pos += len(name)
            continue
        if text.startswith("..", pos):
            tokens.append(Token("op", "..", pos))
            pos += 2
            continue
        number = _NUMBER.match(text, pos)
        if number:
            tokens.append(Token("number", number.group(), pos))
            pos = number.end()
            continue
        ident = _IDENT.match(text, pos)
        if ident:
            tokens.append(Token("name", ident.group(), pos))
            pos = ident.end()
            continue
        for op in _OPS:
            if text.startswith(op, pos):
                tokens.append(Token("op", op, pos))
                pos += len(op)
                break
        else:
            raise _syntax(text, pos, "a name, number, string or operator")
    tokens.append(Token("end", "", len(text)))
    return tokens


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}


def _read_string(text: str, start: int) -> tuple[int, str]:
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == '"':
            return pos + 1, "".join(out)
        if char == "\\" and pos + 1 < len(text):
            nxt = text[pos + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[pos + 2 : pos + 6]):
                out.append(chr(int(text[pos + 2 : pos + 6], 16)))
                pos += 6
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                pos += 2
                continue
        out.append(char)
        pos += 1
    raise _syntax(text, start, 'a closing " for the string that starts here')


def _syntax(text: str, pos: int, expected: str) -> FeelSyntaxError:
    shown = text if len(text) <= 120 else text[:120] + "…"
    near = text[pos : pos + 20] or "(end of text)"
    return FeelSyntaxError(
        f"cannot read the FEEL text {shown!r} at position {pos + 1}",
        where=Location(field=f"position {pos + 1}"),
        found=near,
        expected=expected,
        fix="write it in civicflow's FEEL subset (docs/decisions.md, 'DMN import')",
    )


# ---------------------------------------------------------------------------------------------
# expression nodes

Env = Mapping[str, object]


class Expr:
    """A parsed FEEL expression."""

    def evaluate(self, env: Env) -> object:
        raise FeelError(f"{type(self).__name__} cannot be evaluated")

    def names(self) -> set[str]:
        """Free variable names the expression reads (paths contribute their first step)."""
        return set()


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    value: object

    def evaluate(self, env: Env) -> object:
        return self.value


@dataclass(frozen=True, slots=True)
class Name(Expr):
    name: str

    def evaluate(self, env: Env) -> object:
        return env.get(self.name)

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True, slots=True)
class PathExpr(Expr):
    base: Expr
    member: str

    def evaluate(self, env: Env) -> object:
        return _member(self.base.evaluate(env), self.member)

    def names(self) -> set[str]:
        return self.base.names()

    def dotted(self) -> str | None:
        """``A.B.C`` when the path is a chain of names, else None."""
        if isinstance(self.base, Name):
            return f"{self.base.name}.{self.member}"
        if isinstance(self.base, PathExpr):
            head = self.base.dotted()
            return None if head is None else f"{head}.{self.member}"
        return None


_DATE_PARTS = {"year", "month", "day", "hour", "minute", "second", "weekday"}


def _member(value: object, member: str) -> object:
    if isinstance(value, dict):
        return value.get(member)
    if isinstance(value, list):
        return [_member(v, member) for v in value]
    if isinstance(value, dt.date) and member in _DATE_PARTS:
        if member == "weekday":
            return Decimal(value.isoweekday())
        part = getattr(value, member, None)
        return None if part is None else Decimal(part)
    return None


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    operand: Expr

    def evaluate(self, env: Env) -> object:
        value = self.operand.evaluate(env)
        if isinstance(value, Decimal):
            return -value
        if isinstance(value, dt.timedelta):
            return -value
        return None

    def names(self) -> set[str]:
        return self.operand.names()


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr

    def evaluate(self, env: Env) -> object:
        op = self.op
        if op in ("and", "or"):
            return _logic(op, self.left.evaluate(env), self.right.evaluate(env))
        a = self.left.evaluate(env)
        b = self.right.evaluate(env)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            return compare(op, a, b)
        return _arith(op, a, b)

    def names(self) -> set[str]:
        return self.left.names() | self.right.names()


def _logic(op: str, a: object, b: object) -> bool | None:
    x = a if isinstance(a, bool) else None
    y = b if isinstance(b, bool) else None
    if op == "and":
        if x is False or y is False:
            return False
        return True if x is True and y is True else None
    if x is True or y is True:
        return True
    return False if x is False and y is False else None


@dataclass(frozen=True, slots=True)
class Between(Expr):
    value: Expr
    low: Expr
    high: Expr

    def evaluate(self, env: Env) -> object:
        v = self.value.evaluate(env)
        return _logic(
            "and",
            compare(">=", v, self.low.evaluate(env)),
            compare("<=", v, self.high.evaluate(env)),
        )

    def names(self) -> set[str]:
        return self.value.names() | self.low.names() | self.high.names()


@dataclass(frozen=True, slots=True)
class InExpr(Expr):
    value: Expr
    tests: UnaryTests

    def evaluate(self, env: Env) -> object:
        return self.tests.test(self.value.evaluate(env), env)

    def names(self) -> set[str]:
        return self.value.names() | self.tests.names()


@dataclass(frozen=True, slots=True)
class IfExpr(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr

    def evaluate(self, env: Env) -> object:
        if self.condition.evaluate(env) is True:
            return self.then.evaluate(env)
        return self.otherwise.evaluate(env)

    def names(self) -> set[str]:
        return self.condition.names() | self.then.names() | self.otherwise.names()


@dataclass(frozen=True, slots=True)
class ListExpr(Expr):
    items: tuple[Expr, ...]

    def evaluate(self, env: Env) -> object:
        return [item.evaluate(env) for item in self.items]

    def names(self) -> set[str]:
        return set().union(*(i.names() for i in self.items)) if self.items else set()


@dataclass(frozen=True, slots=True)
class ContextExpr(Expr):
    entries: tuple[tuple[str, Expr], ...]

    def evaluate(self, env: Env) -> object:
        scope = dict(env)
        out: dict[str, object] = {}
        for key, expr in self.entries:
            out[key] = scope[key] = expr.evaluate(scope)
        return out

    def names(self) -> set[str]:
        found: set[str] = set()
        local: set[str] = set()
        for key, expr in self.entries:
            found |= expr.names() - local
            local.add(key)
        return found


@dataclass(frozen=True, slots=True)
class RangeExpr(Expr):
    start: Expr
    end: Expr
    start_included: bool
    end_included: bool

    def evaluate(self, env: Env) -> object:
        start = self.start.evaluate(env)
        end = self.end.evaluate(env)
        if start is None or end is None:
            return None
        return Range(start, end, self.start_included, self.end_included)

    def names(self) -> set[str]:
        return self.start.names() | self.end.names()


@dataclass(frozen=True, slots=True)
class Filter(Expr):
    base: Expr
    condition: Expr

    def evaluate(self, env: Env) -> object:
        value = self.base.evaluate(env)
        items = value if isinstance(value, list) else [value]
        index = self.condition.evaluate(env) if not self.condition.names() else None
        if isinstance(index, Decimal):
            i = int(index)
            if i > 0 and i <= len(items):
                return items[i - 1]
            if i < 0 and -i <= len(items):
                return items[i]
            return None
        out = []
        for item in items:
            scope = dict(env)
            if isinstance(item, dict):
                scope.update(item)
            scope["item"] = item
            if self.condition.evaluate(scope) is True:
                out.append(item)
        return out

    def names(self) -> set[str]:
        return self.base.names() | (self.condition.names() - {"item"})


@dataclass(frozen=True, slots=True)
class Call(Expr):
    function: str
    args: tuple[Expr, ...]

    def evaluate(self, env: Env) -> object:
        values = [a.evaluate(env) for a in self.args]
        return BUILTINS[self.function](values)

    def names(self) -> set[str]:
        return set().union(*(a.names() for a in self.args)) if self.args else set()


# ---------------------------------------------------------------------------------------------
# unary tests


class PositiveTest:
    """One test of a unary-tests cell, applied to the input value ``?``."""

    def test(self, value: object, env: Env) -> bool | None:
        raise FeelError(f"{type(self).__name__} cannot be tested")

    def names(self) -> set[str]:
        return set()


@dataclass(frozen=True, slots=True)
class CompareTest(PositiveTest):
    op: str
    endpoint: Expr

    def test(self, value: object, env: Env) -> bool | None:
        return compare(self.op, value, self.endpoint.evaluate(env))

    def names(self) -> set[str]:
        return self.endpoint.names()


@dataclass(frozen=True, slots=True)
class RangeTest(PositiveTest):
    range: RangeExpr

    def test(self, value: object, env: Env) -> bool | None:
        bounds = self.range.evaluate(env)
        return bounds.contains(value) if isinstance(bounds, Range) else None

    def names(self) -> set[str]:
        return self.range.names()


@dataclass(frozen=True, slots=True)
class ExprTest(PositiveTest):
    """An expression: with ``?`` in it a boolean about the input; else the input equals its value
    (or is in it, for a list or range value)."""

    expr: Expr

    def test(self, value: object, env: Env) -> bool | None:
        uses_input = "?" in self.expr.names()
        if uses_input:
            scope = dict(env)
            scope["?"] = value
            result = self.expr.evaluate(scope)
            return result if isinstance(result, bool) else None
        target = self.expr.evaluate(env)
        if isinstance(target, Range):
            return target.contains(value)
        if isinstance(target, list) and not isinstance(value, list):
            return any(equals(value, t) for t in target)
        return equals(value, target)

    def names(self) -> set[str]:
        return self.expr.names() - {"?"}


@dataclass(frozen=True, slots=True)
class UnaryTests:
    """A decision-table input entry: ``-`` (any), a disjunction of positive tests, or ``not(...)``."""

    tests: tuple[PositiveTest, ...]
    negated: bool = False
    text: str = ""

    @property
    def is_any(self) -> bool:
        return not self.tests and not self.negated

    def test(self, value: object, env: Env) -> bool | None:
        if self.is_any:
            return True
        results = [t.test(value, env) for t in self.tests]
        if any(r is True for r in results):
            matched: bool | None = True
        elif all(r is False for r in results):
            matched = False
        else:
            matched = None
        if self.negated:
            return None if matched is None else not matched
        return matched

    def names(self) -> set[str]:
        return set().union(*(t.names() for t in self.tests)) if self.tests else set()


# ---------------------------------------------------------------------------------------------
# parser


_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_BINDING = {"or": 10, "and": 20, "between": 30, "in": 30, "+": 40, "-": 40, "*": 50, "/": 50}
_BINDING.update({op: 30 for op in _COMPARISONS})
_BINDING.update({"**": 60, ".": 80, "[": 80, "(": 80})


class _Parser:
    def __init__(self, text: str, names: Iterable[str] | KnownNames) -> None:
        self.text = text
        self.tokens = tokenize(text, names)
        self.i = 0
        self.in_range_end = False  # `[a..b[`: a '[' after the end closes the range, not a filter

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, text: str, kind: str | None = None) -> bool:
        tok = self.tok
        return tok.text == text and tok.kind in ((kind,) if kind else ("op", "name"))

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise _syntax(self.text, self.tok.pos, f"'{text}'")
        return self.advance()

    def done(self) -> None:
        if self.tok.kind != "end":
            raise _syntax(self.text, self.tok.pos, "the end of the expression")

    # expressions --------------------------------------------------------------------------

    def expression(self, min_bp: int = 0) -> Expr:
        left = self.prefix()
        while True:
            tok = self.tok
            key = tok.text if tok.kind in ("op", "name") else ""
            if tok.kind == "name" and key not in ("and", "or", "between", "in"):
                break
            bp = _BINDING.get(key)
            if bp is None or bp <= min_bp or (key == "[" and self.in_range_end):
                break
            self.advance()
            left = self.infix(key, left, bp)
        return left

    def infix(self, op: str, left: Expr, bp: int) -> Expr:
        if op == ".":
            tok = self.advance()
            if tok.kind != "name":
                raise _syntax(self.text, tok.pos, "a name after '.'")
            return PathExpr(left, tok.text)
        if op == "[":
            condition = self.expression()
            self.expect("]")
            return Filter(left, condition)
        if op == "(":
            raise _syntax(
                self.text, self.tokens[self.i - 1].pos, "a known function name before '('"
            )
        if op == "between":
            low = self.expression(bp)
            self.expect("and")
            high = self.expression(bp)
            return Between(left, low, high)
        if op == "in":
            if self.at("("):
                # `x in (1, 2, 3)` or `x in (1..5)`: a parenthesised list of positive tests
                start = self.i
                self.advance()
                try:
                    tests = self.positive_tests()
                    self.expect(")")
                    return InExpr(left, UnaryTests(tuple(tests)))
                except FeelSyntaxError:
                    self.i = start
            return InExpr(left, UnaryTests((self.positive_test(),)))
        if op == "**":
            return Binary(op, left, self.expression(bp - 1))
        return Binary(op, left, self.expression(bp))

    def prefix(self) -> Expr:
        tok = self.advance()
        if tok.kind == "number":
            return Literal(Decimal(tok.text))
        if tok.kind == "string":
            return Literal(tok.text)
        if tok.kind == "end":
            raise _syntax(self.text, tok.pos, "an expression")
        text = tok.text
        if tok.kind == "op":
            if text == "-":
                return Unary(self.expression(70))
            if text == "(":
                return self.paren_or_range()
            if text == "[":
                return self.list_or_range()
            if text == "]":
                return self.range_rest(self.expression(), start_included=False)
            if text == "{":
                return self.context()
            if text == "@" and self.tok.kind == "string":
                return Literal(_temporal(self.advance().text, self.text, tok.pos))
            raise _syntax(self.text, tok.pos, "an expression")
        # names and keywords
        if text == "true":
            return Literal(True)
        if text == "false":
            return Literal(False)
        if text == "null":
            return Literal(None)
        if text == "if":
            condition = self.expression()
            self.expect("then")
            then = self.expression()
            self.expect("else")
            return IfExpr(condition, then, self.expression())
        if text in ("for", "some", "every", "function", "instance"):
            raise _unsupported(self.text, tok.pos, f"'{text}' expressions")
        if self.at("(", "op"):
            return self.call(tok)
        if text in _KEYWORDS:
            raise _syntax(self.text, tok.pos, "an expression")
        return Name(text)

    def call(self, tok: Token) -> Expr:
        if tok.text not in BUILTINS:
            raise FeelSyntaxError(
                f"unknown function '{tok.text}' in {self.text!r} at position {tok.pos + 1}",
                where=Location(field=f"position {tok.pos + 1}"),
                found=tok.text,
                expected=f"one of the built-in functions: {', '.join(sorted(BUILTINS))}",
                fix="business knowledge models and user functions are not supported; inline the logic",
            )
        self.expect("(")
        args: list[Expr] = []
        if not self.at(")"):
            while True:
                if self.tok.kind == "name" and self.tokens[self.i + 1].text == ":":
                    raise _unsupported(self.text, self.tok.pos, "named function arguments")
                args.append(self.expression())
                if not self.at(","):
                    break
                self.advance()
        self.expect(")")
        return Call(tok.text, tuple(args))

    def paren_or_range(self) -> Expr:
        inner = self.expression()
        if self.at(".."):
            return self.range_rest(inner, start_included=False)
        self.expect(")")
        return inner

    def list_or_range(self) -> Expr:
        if self.at("]"):
            self.advance()
            return ListExpr(())
        first = self.expression()
        if self.at(".."):
            return self.range_rest(first, start_included=True)
        items = [first]
        while self.at(","):
            self.advance()
            items.append(self.expression())
        self.expect("]")
        return ListExpr(tuple(items))

    def range_rest(self, start: Expr, *, start_included: bool) -> RangeExpr:
        self.expect("..")
        outer = self.in_range_end
        self.in_range_end = True
        end = self.expression()
        self.in_range_end = outer
        tok = self.advance()
        if tok.text == "]" and tok.kind == "op":
            return RangeExpr(start, end, start_included, True)
        if tok.text in (")", "[") and tok.kind == "op":
            return RangeExpr(start, end, start_included, False)
        raise _syntax(self.text, tok.pos, "']', ')' or '[' closing the range")

    def context(self) -> Expr:
        entries: list[tuple[str, Expr]] = []
        if self.at("}"):
            self.advance()
            return ContextExpr(())
        while True:
            tok = self.advance()
            if tok.kind not in ("name", "string"):
                raise _syntax(self.text, tok.pos, "a context key")
            self.expect(":")
            entries.append((tok.text, self.expression()))
            if self.at("}"):
                self.advance()
                return ContextExpr(tuple(entries))
            self.expect(",")

    # unary tests --------------------------------------------------------------------------

    def unary_tests(self) -> UnaryTests:
        if self.tok.kind == "end":
            return UnaryTests((), text=self.text)
        if self.at("-", "op") and self.tokens[self.i + 1].kind == "end":
            self.advance()
            return UnaryTests((), text=self.text)
        if self.at("not", "name") and self.tokens[self.i + 1].text == "(":
            self.advance()
            self.advance()
            tests = self.positive_tests()
            self.expect(")")
            self.done()
            return UnaryTests(tuple(tests), negated=True, text=self.text)
        tests = self.positive_tests()
        self.done()
        return UnaryTests(tuple(tests), text=self.text)

    def positive_tests(self) -> list[PositiveTest]:
        tests = [self.positive_test()]
        while self.at(","):
            self.advance()
            tests.append(self.positive_test())
        return tests

    def positive_test(self) -> PositiveTest:
        tok = self.tok
        if tok.kind == "op" and tok.text in ("<", "<=", ">", ">=", "=", "!="):
            self.advance()
            return CompareTest(tok.text, self.expression(40 - 1))
        expr = self.expression()
        if isinstance(expr, RangeExpr):
            return RangeTest(expr)
        return ExprTest(expr)


def _unsupported(text: str, pos: int, what: str) -> FeelSyntaxError:
    return FeelSyntaxError(
        f"{what} are not in civicflow's FEEL subset ({text!r}, position {pos + 1})",
        where=Location(field=f"position {pos + 1}"),
        found=text[pos : pos + 30],
        expected="literals, names, paths, arithmetic, comparisons, and/or, if-then-else, "
        "lists, contexts, ranges and the built-in functions",
        fix="rewrite the expression without it, or keep this decision outside the DMN import",
    )


def _temporal(value: str, text: str, pos: int) -> object:
    parsed = _parse_temporal(value)
    if parsed is None:
        raise _syntax(text, pos, 'an ISO date, date-time or duration inside @"..."')
    return parsed


def parse_expression(text: str, names: Iterable[str] | KnownNames = ()) -> Expr:
    """Parse a FEEL expression; ``names`` are the variable names in scope (may contain spaces)."""
    parser = _Parser(text, names)
    expr = parser.expression()
    parser.done()
    return expr


def parse_unary_tests(text: str, names: Iterable[str] | KnownNames = ()) -> UnaryTests:
    """Parse a decision-table input entry (FEEL unary tests); empty text and ``-`` mean any."""
    return _Parser(text.strip(), names).unary_tests()


def evaluate(text: str, env: Mapping[str, object] | None = None) -> object:
    """Parse and evaluate ``text`` with ``env`` (Python values, converted with :func:`to_feel`)."""
    scope = {k: to_feel(v) for k, v in (env or {}).items()}
    return parse_expression(text, _keys(scope)).evaluate(scope)


def _keys(value: object) -> set[str]:
    """Every context key in a value, nested ones included (the names a path may use)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            found |= _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _keys(inner)
    return found


def known_names(names: Iterable[str]) -> KnownNames:
    """A prepared set of names for repeated parsing (the tokenizer's longest-match table)."""
    return KnownNames(names)


# ---------------------------------------------------------------------------------------------
# built-in functions


def _numbers(args: list[object]) -> list[object] | None:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return values if isinstance(values, list) else None


def _min(args: list[object]) -> object:
    values = _numbers(args)
    if not values or any(v is None for v in values):
        return None
    best = values[0]
    for v in values[1:]:
        lt = compare("<", v, best)
        if lt is None:
            return None
        if lt:
            best = v
    return best


def _max(args: list[object]) -> object:
    values = _numbers(args)
    if not values or any(v is None for v in values):
        return None
    best = values[0]
    for v in values[1:]:
        gt = compare(">", v, best)
        if gt is None:
            return None
        if gt:
            best = v
    return best


def _sum(args: list[object]) -> object:
    values = _numbers(args)
    if values is None or not all(isinstance(v, Decimal) for v in values):
        return None
    if not values:
        return None
    total = Decimal(0)
    for v in values:
        assert isinstance(v, Decimal)
        total = FEEL_CONTEXT.add(total, v)
    return total


def _count(args: list[object]) -> object:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return Decimal(len(values)) if isinstance(values, list) else None


def _mean(args: list[object]) -> object:
    total = _sum(args)
    count = _count(args)
    if not isinstance(total, Decimal) or not isinstance(count, Decimal) or count == 0:
        return None
    return FEEL_CONTEXT.divide(total, count)


def _one_number(fn: Callable[[Decimal], object]) -> Callable[[list[object]], object]:
    def call(args: list[object]) -> object:
        if len(args) != 1 or not isinstance(args[0], Decimal):
            return None
        return fn(args[0])

    return call


def _decimal(args: list[object]) -> object:
    if len(args) != 2 or not isinstance(args[0], Decimal) or not isinstance(args[1], Decimal):
        return None
    return args[0].quantize(Decimal(1).scaleb(-int(args[1])), rounding=decimal.ROUND_HALF_EVEN)


def _modulo(args: list[object]) -> object:
    if len(args) != 2 or not all(isinstance(a, Decimal) for a in args):
        return None
    a, b = args
    assert isinstance(a, Decimal) and isinstance(b, Decimal)
    if b == 0:
        return None
    return a - b * (a / b).to_integral_value(rounding=decimal.ROUND_FLOOR)


def _strings(n: int, fn: Callable[..., object]) -> Callable[[list[object]], object]:
    def call(args: list[object]) -> object:
        if len(args) != n or not all(isinstance(a, str) for a in args):
            return None
        return fn(*args)

    return call


_DURATION = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)


def _parse_temporal(text: str) -> object:
    duration = _DURATION.fullmatch(text)
    if duration and text not in ("P", "-P") and not text.endswith("T"):
        sign, years, months, days, hours, minutes, seconds = duration.groups()
        if years or months:
            return None  # years-and-months durations are outside the subset
        delta = dt.timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=float(seconds or 0),
        )
        return -delta if sign else delta
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _date(args: list[object]) -> object:
    if len(args) == 1 and isinstance(args[0], str):
        try:
            return dt.date.fromisoformat(args[0])
        except ValueError:
            return None
    if len(args) == 1 and isinstance(args[0], dt.date):
        return args[0].date() if isinstance(args[0], dt.datetime) else args[0]
    parts = [int(a) for a in args if isinstance(a, Decimal)]
    if len(args) == 3 and len(parts) == 3:
        try:
            return dt.date(parts[0], parts[1], parts[2])
        except ValueError:
            return None
    return None


def _date_and_time(args: list[object]) -> object:
    if len(args) == 1 and isinstance(args[0], str):
        try:
            return dt.datetime.fromisoformat(args[0].replace("Z", "+00:00"))
        except ValueError:
            return None
    if len(args) == 2 and isinstance(args[0], dt.date) and isinstance(args[1], dt.time):
        return dt.datetime.combine(args[0], args[1])
    return None


def _duration(args: list[object]) -> object:
    if len(args) == 1 and isinstance(args[0], str):
        found = _DURATION.fullmatch(args[0])
        if found and (found.group(2) or found.group(3)):
            raise FeelError(
                f"the duration {args[0]!r} counts years or months",
                found=args[0],
                expected="a days-and-time duration (P1DT2H30M)",
                fix="years-and-months durations are outside civicflow's FEEL subset; use days",
            )
        value = _parse_temporal(args[0])
        return value if isinstance(value, dt.timedelta) else None
    return None


def _substring(args: list[object]) -> object:
    if len(args) not in (2, 3) or not isinstance(args[0], str) or not isinstance(args[1], Decimal):
        return None
    text, start = args[0], int(args[1])
    begin = start - 1 if start > 0 else len(text) + start
    if len(args) == 3:
        if not isinstance(args[2], Decimal):
            return None
        return text[begin : begin + int(args[2])]
    return text[begin:]


def _not(args: list[object]) -> object:
    return (not args[0]) if len(args) == 1 and isinstance(args[0], bool) else None


def _list_contains(args: list[object]) -> object:
    if len(args) != 2 or not isinstance(args[0], list):
        return None
    return any(equals(v, args[1]) for v in args[0])


def _all_any(kind: str) -> Callable[[list[object]], object]:
    def call(args: list[object]) -> object:
        values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        return _fold_logic(kind, values)

    return call


def _fold_logic(kind: str, values: Sequence[object]) -> bool | None:
    result: bool | None = kind == "and"
    for v in values:
        result = _logic(kind, result, v if isinstance(v, bool) else None)
    return result


def _string(args: list[object]) -> object:
    if len(args) != 1 or args[0] is None:
        return None
    value = args[0]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _number(args: list[object]) -> object:
    if len(args) != 1 or not isinstance(args[0], str):
        return None
    try:
        return Decimal(args[0])
    except decimal.InvalidOperation:
        return None


def _distinct(args: list[object]) -> object:
    if len(args) != 1 or not isinstance(args[0], list):
        return None
    out: list[object] = []
    for v in args[0]:
        if not any(equals(v, o) for o in out):
            out.append(v)
    return out


BUILTINS: dict[str, Callable[[list[object]], object]] = {
    "not": _not,
    "date": _date,
    "date and time": _date_and_time,
    "duration": _duration,
    "days and time duration": _duration,
    "min": _min,
    "max": _max,
    "sum": _sum,
    "count": _count,
    "mean": _mean,
    "abs": _one_number(abs),
    "floor": _one_number(lambda n: n.to_integral_value(rounding=decimal.ROUND_FLOOR)),
    "ceiling": _one_number(lambda n: n.to_integral_value(rounding=decimal.ROUND_CEILING)),
    "decimal": _decimal,
    "modulo": _modulo,
    "string": _string,
    "number": _number,
    "string length": _strings(1, lambda s: Decimal(len(s))),
    "upper case": _strings(1, str.upper),
    "lower case": _strings(1, str.lower),
    "contains": _strings(2, lambda s, t: t in s),
    "starts with": _strings(2, str.startswith),
    "ends with": _strings(2, str.endswith),
    "substring": _substring,
    "list contains": _list_contains,
    "distinct values": _distinct,
    "all": _all_any("and"),
    "any": _all_any("or"),
    "is defined": lambda args: len(args) == 1 and args[0] is not None,
}


# ---------------------------------------------------------------------------------------------
# vectorised unary tests


@dataclass(slots=True)
class Column:
    """A batch column prepared for vectorised tests: its FEEL kind, numpy values and null mask."""

    kind: str  # number, string, boolean, date, date and time, object
    values: npt.NDArray[Any]
    null: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, array: object) -> Column:
        values = _as_numpy(array)
        n = len(values)
        dtype = values.dtype
        if dtype.kind == "b":
            return cls("boolean", values, np.zeros(n, dtype=bool))
        if dtype.kind in "iuf":
            floats = values.astype(np.float64, copy=False)
            return cls("number", floats, np.isnan(floats))
        if dtype.kind == "M":
            unit = np.datetime_data(dtype)[0]
            return cls("date" if unit == "D" else "date and time", values, np.isnat(values))
        if dtype.kind == "U":
            return cls("string", values.astype(object), np.zeros(n, dtype=bool))
        null = null_mask(values)
        present = values[~null]
        kinds = {type(v) for v in present.tolist()}
        if kinds == {str}:
            return cls("string", values, null)
        if kinds <= {bool}:
            return cls("boolean", values, null)
        if kinds == {dt.date}:
            days = np.array(
                [v if v is not None else "NaT" for v in values.tolist()], dtype="datetime64[D]"
            )
            return cls("date", days, null)
        if kinds and kinds <= {int, float, Decimal}:
            floats = np.where(null, np.nan, values).astype(np.float64)
            return cls("number", floats, null | np.isnan(floats))
        return cls("object", values, null)


def null_mask(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Where an object array holds None (an elementwise comparison in C, not a Python loop)."""
    equal: Any = np.equal
    return np.asarray(equal(values, None), dtype=np.bool_)


def _as_numpy(array: object) -> npt.NDArray[Any]:
    if isinstance(array, np.ndarray):
        return array
    to_numpy = getattr(array, "to_numpy", None)
    if to_numpy is not None:  # pyarrow arrays and chunked arrays
        result = to_numpy(zero_copy_only=False)
        return np.asarray(result)
    return np.asarray(array)


_NUMPY_OPS: dict[str, Callable[[Any, Any], npt.NDArray[np.bool_]]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _scalar(value: object) -> tuple[str, object] | None:
    kind = kind_of(value)
    if kind == "number":
        assert isinstance(value, Decimal)
        return kind, float(value)
    if kind in ("string", "boolean"):
        return kind, value
    if kind == "date":
        assert isinstance(value, dt.date)
        return kind, np.datetime64(value, "D")
    if kind == "date and time":
        assert isinstance(value, dt.datetime)
        if value.tzinfo is not None:
            return None
        return kind, np.datetime64(value, "us")
    if kind == "null":
        return kind, None
    return None


Masks = tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]  # (true, null)


def vector_test(
    tests: UnaryTests, column: Column, columns: Mapping[str, Column], n: int
) -> npt.NDArray[np.bool_] | None:
    """The rows where the input entry is true, evaluated over whole columns; None when a part of
    it cannot be vectorised (the caller then evaluates those cells row by row)."""
    if tests.is_any:
        return np.ones(n, dtype=bool)
    parts: list[Masks] = []
    for test in tests.tests:
        masks = _vector_positive(test, column, columns, n)
        if masks is None:
            return None
        parts.append(masks)
    true = np.logical_or.reduce([p[0] for p in parts])
    if not tests.negated:
        return true
    null = np.logical_or.reduce([p[1] for p in parts]) & ~true
    return ~true & ~null


def _operand(expr: Expr, columns: Mapping[str, Column]) -> tuple[str, object, Any] | None:
    """An endpoint as (kind, numpy-comparable value or column values, null mask or False)."""
    if not expr.names():
        scalar = _scalar(expr.evaluate({}))
        if scalar is None:
            return None
        return scalar[0], scalar[1], np.bool_(scalar[1] is None)
    key = (
        expr.name
        if isinstance(expr, Name)
        else expr.dotted()
        if isinstance(expr, PathExpr)
        else None
    )
    if key is not None and key in columns:
        col = columns[key]
        return col.kind, col.values, col.null
    return None


def _vector_positive(
    test: PositiveTest, column: Column, columns: Mapping[str, Column], n: int
) -> Masks | None:
    none = np.zeros(n, dtype=bool)
    if column.kind == "object":
        return None
    if isinstance(test, CompareTest) or (
        isinstance(test, ExprTest) and "?" not in test.expr.names()
    ):
        op = test.op if isinstance(test, CompareTest) else "="
        endpoint = test.endpoint if isinstance(test, CompareTest) else test.expr
        operand = _operand(endpoint, columns)
        if operand is None:
            return None
        kind, value, value_null = operand
        if kind in ("list", "range") or (isinstance(value, np.ndarray) and kind == "object"):
            return None
        if op in ("=", "!="):
            if kind == "null":
                eq = column.null.copy()
            elif kind != column.kind:
                eq = none
            else:
                eq = np.asarray(column.values == value, dtype=bool) & ~column.null & ~value_null
            return (eq if op == "=" else ~eq), none
        if kind != column.kind or kind not in ("number", "string", "date", "date and time"):
            return none, np.ones(n, dtype=bool)
        null = column.null | value_null
        if kind == "string":
            safe = np.where(null, "", column.values)
            other = np.where(value_null, "", value) if isinstance(value, np.ndarray) else value
            true = np.asarray(_NUMPY_OPS[op](safe.astype(str), np.asarray(other).astype(str)))
        else:
            true = np.asarray(_NUMPY_OPS[op](column.values, value))
        return true & ~null, null
    if isinstance(test, RangeTest):
        rng = test.range
        low = _vector_positive(
            CompareTest(">=" if rng.start_included else ">", rng.start), column, columns, n
        )
        high = _vector_positive(
            CompareTest("<=" if rng.end_included else "<", rng.end), column, columns, n
        )
        if low is None or high is None:
            return None
        null = low[1] | high[1]
        return low[0] & high[0] & ~null, null
    return None


def vector_expression(expr: Expr, columns: Mapping[str, Column], n: int) -> Column | None:
    """``expr`` over whole columns (names, dotted paths, literals, + - * / of numbers), or None."""
    if isinstance(expr, Name | PathExpr):
        key = expr.name if isinstance(expr, Name) else expr.dotted()
        return columns.get(key) if key is not None else None
    if not expr.names():
        scalar = _scalar(expr.evaluate({}))
        if scalar is None:
            return None
        kind, value = scalar
        if kind == "number":
            assert isinstance(value, float)
            return Column("number", np.full(n, value), np.zeros(n, dtype=bool))
        if kind == "null":
            return Column("number", np.full(n, np.nan), np.ones(n, dtype=bool))
        if kind in ("date", "date and time"):
            return Column(kind, np.full(n, value), np.zeros(n, dtype=bool))
        return Column(kind, np.full(n, value, dtype=object), np.zeros(n, dtype=bool))
    if isinstance(expr, Unary):
        inner = vector_expression(expr.operand, columns, n)
        if inner is None or inner.kind != "number":
            return None
        return Column("number", -inner.values, inner.null)
    if isinstance(expr, Binary) and expr.op in ("+", "-", "*", "/"):
        left = vector_expression(expr.left, columns, n)
        right = vector_expression(expr.right, columns, n)
        if left is None or right is None or left.kind != "number" or right.kind != "number":
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            if expr.op == "+":
                values = left.values + right.values
            elif expr.op == "-":
                values = left.values - right.values
            elif expr.op == "*":
                values = left.values * right.values
            else:
                values = np.where(right.values == 0, np.nan, left.values / right.values)
        null = left.null | right.null | np.isnan(values)
        return Column("number", np.where(null, np.nan, values), null)
    return None
