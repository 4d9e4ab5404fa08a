"""Conditions on earlier answers: the small expression language of conditional questions.

It is the subset of SurveyJS's ``visibleIf`` that published questionnaires use (the Government of
Canada's AIA among them), so one grammar serves the official questionnaire and civicflow's own:

    {name} = "value"        {name} != "value"      {name} contains "value"
    {name} contains ["a", "b"]                     {name} notcontains "value"
    {name} empty            {name} notempty        a and b     a or b     ( ... )

``contains`` on a multiple-choice answer (a list) asks whether every listed value was chosen; on a
single answer (text) whether every listed value occurs in it, as SurveyJS does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from civicflow.core import InputError, Location

_TOKEN = re.compile(
    r"\s*(?:(?P<var>\{[^{}]+\})|(?P<str>\"[^\"]*\"|'[^']*')|(?P<lb>\[)|(?P<rb>\])|(?P<comma>,)"
    r"|(?P<lp>\()|(?P<rp>\))|(?P<op>!=|=|<>)|(?P<word>[A-Za-z]+))"
)
_WORDS = {"and", "or", "contains", "notcontains", "empty", "notempty"}


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition; ``holds(answers)`` evaluates it, ``names`` are the questions it reads."""

    text: str
    _tree: tuple[object, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(_names(self._tree))

    def holds(self, answers: Mapping[str, object]) -> bool:
        return _eval(self._tree, answers)


def parse_condition(text: str, *, where: str = "visibleIf") -> Condition:
    """Parse ``text``; a construct outside the grammar is an :class:`InputError` naming it."""
    tokens = _tokenise(text, where)
    parser = _Parser(tokens, text, where)
    tree = parser.expression()
    if parser.pos != len(tokens):
        parser.fail(f"unexpected '{tokens[parser.pos][1]}'")
    return Condition(text=text, _tree=tree)


def _tokenise(text: str, where: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None or match.end() == pos:
            raise _error(text, where, f"cannot read the condition at character {pos + 1}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word":
            value = value.lower()
            if value not in _WORDS:
                raise _error(text, where, f"unknown word '{value}'")
        tokens.append((kind, value))
        pos = match.end()
    return tokens


def _error(text: str, where: str, what: str) -> InputError:
    return InputError(
        f"condition not understood: {what}",
        where=Location(field=where),
        found=text,
        expected='{name} = "value", contains, notcontains, empty, notempty, and, or, parentheses',
        fix="rewrite the condition with those operators",
    )


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str, where: str) -> None:
        self.tokens, self.text, self.where, self.pos = tokens, text, where, 0

    def fail(self, what: str) -> None:
        raise _error(self.text, self.where, what)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str) -> str:
        token = self.peek()
        if token is None or token[0] != kind:
            self.fail(f"expected {kind} at token {self.pos + 1}")
            raise AssertionError  # pragma: no cover
        self.pos += 1
        return token[1]

    def expression(self) -> tuple[object, ...]:
        left = self.conjunction()
        while self.peek() == ("word", "or"):
            self.pos += 1
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> tuple[object, ...]:
        left = self.atom()
        while self.peek() == ("word", "and"):
            self.pos += 1
            left = ("and", left, self.atom())
        return left

    def atom(self) -> tuple[object, ...]:
        token = self.peek()
        if token is not None and token[0] == "lp":
            self.pos += 1
            inner = self.expression()
            self.take("rp")
            return inner
        name = self.take("var")[1:-1].strip()
        op = self.peek()
        if op is None:
            self.fail("a comparison is missing after the name")
            raise AssertionError  # pragma: no cover
        self.pos += 1
        if op in (("word", "empty"), ("word", "notempty")):
            return (op[1], name)
        if op[0] == "op":
            return ("!=" if op[1] in ("!=", "<>") else "=", name, self.value())
        if op in (("word", "contains"), ("word", "notcontains")):
            return (op[1], name, self.value())
        self.fail(f"unexpected '{op[1]}' after {{{name}}}")
        raise AssertionError  # pragma: no cover

    def value(self) -> object:
        token = self.peek()
        if token is not None and token[0] == "lb":
            self.pos += 1
            items: list[str] = []
            while self.peek() is not None and self.peek() != ("rb", "]"):
                items.append(self.take("str")[1:-1])
                if self.peek() == ("comma", ","):
                    self.pos += 1
            self.take("rb")
            return tuple(items)
        return self.take("str")[1:-1]


def _names(tree: tuple[object, ...]) -> list[str]:
    if tree[0] in ("and", "or"):
        return _names(tree[1]) + _names(tree[2])  # type: ignore[arg-type]
    return [str(tree[1])]


def _eval(tree: tuple[object, ...], answers: Mapping[str, object]) -> bool:
    op = tree[0]
    if op == "and":
        return _eval(tree[1], answers) and _eval(tree[2], answers)  # type: ignore[arg-type]
    if op == "or":
        return _eval(tree[1], answers) or _eval(tree[2], answers)  # type: ignore[arg-type]
    answer = answers.get(str(tree[1]))
    if op == "empty":
        return answer in (None, "", [], ())
    if op == "notempty":
        return answer not in (None, "", [], ())
    wanted = tree[2]
    if op == "=":
        return _equal(answer, wanted)
    if op == "!=":
        return not _equal(answer, wanted)
    found = _contains(answer, wanted)
    return found if op == "contains" else not found


def _equal(answer: object, wanted: object) -> bool:
    if isinstance(answer, list | tuple):
        return isinstance(wanted, tuple) and sorted(map(str, answer)) == sorted(wanted)
    return answer is not None and str(answer) == wanted


def _contains(answer: object, wanted: object) -> bool:
    items = wanted if isinstance(wanted, tuple) else (str(wanted),)
    if isinstance(answer, list | tuple):
        chosen = {str(a) for a in answer}
        return all(item in chosen for item in items)
    if isinstance(answer, str):
        return all(item in answer for item in items)
    return False
