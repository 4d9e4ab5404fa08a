"""One questionnaire engine: versioned question sets with sections, single and multiple choice,
conditional questions, risk and mitigation weights and free-text evidence; answer sets checked
against them; the weighted totals every scoring rule starts from.

A question set is data: civicflow's own sets (the GDPR DPIA, the NIST AI RMF profile) are JSON
files in this package (:func:`builtin_question_set`), the Government of Canada's AIA is read from
its published SurveyJS form (:func:`civicflow.governance.load_aia`). Both become the same
:class:`QuestionSet`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from civicflow.core import InputError, Location, Record, check_choice, sha256_hex
from civicflow.governance._condition import Condition, parse_condition

BUILTIN_SETS = ("eu-ai-act", "gdpr-dpia", "nist-ai-rmf")
"""The question sets written for civicflow, shipped as data files in this package."""


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"


class Role(StrEnum):
    """What a question's weights count towards."""

    RISK = "risk"
    MITIGATION = "mitigation"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Choice(Record):
    value: str
    label: str
    weight: float = 0.0
    _json = True


@dataclass(frozen=True, slots=True)
class Question(Record):
    """One question. ``evidence``: free-text evidence is invited with the answer."""

    name: str
    kind: QuestionKind
    title: str
    section: str
    role: Role = Role.NONE
    choices: tuple[Choice, ...] = ()
    visible_if: Condition | None = None
    evidence: bool = False
    reference: str = ""
    help: str = ""
    _json = True
    _skip = ("visible_if",)
    _extra = ("condition",)

    @property
    def condition(self) -> str | None:
        return None if self.visible_if is None else self.visible_if.text

    @property
    def max_weight(self) -> float:
        """The most a question can add: the heaviest choice, or all choices of a multiple one."""
        weights = [c.weight for c in self.choices]
        if self.kind is QuestionKind.MULTIPLE:
            return sum(weights)
        return max([0.0, *weights])

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True, slots=True)
class Section(Record):
    name: str
    title: str
    questions: tuple[Question, ...]
    visible_if: Condition | None = None
    _json = True
    _skip = ("visible_if",)


@dataclass(frozen=True, slots=True)
class QuestionSet:
    """A versioned question set. ``version`` changes whenever a question, weight or condition does
    (for a file read as published, the version is its content's digest)."""

    id: str
    version: str
    title: str
    sections: tuple[Section, ...]
    source: str = ""
    _index: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for question in self.questions():
            if question.name in self._index:
                raise InputError(
                    f"question set '{self.id}' names two questions '{question.name}'",
                    where=Location(field="name"),
                    found=question.name,
                    expected="unique question names",
                    fix="rename one of them",
                )
            self._index[question.name] = question

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    def question(self, name: str) -> Question | None:
        return self._index.get(name)

    def section_of(self, question: Question) -> Section:
        return next(s for s in self.sections if s.name == question.section)

    def is_visible(self, question: Question, values: Mapping[str, object]) -> bool:
        """Whether the question is asked, given the answers so far (its section's condition and
        its own)."""
        section = self.section_of(question)
        return all(c is None or c.holds(values) for c in (section.visible_if, question.visible_if))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "source": self.source,
            "sections": [s.to_dict() for s in self.sections],
        }


@dataclass(frozen=True, slots=True)
class Answer(Record):
    """One answer: a choice's value, several (a multiple-choice question) or text, with evidence."""

    question: str
    value: str | tuple[str, ...] | None
    evidence: str = ""
    _json = True

    def weight(self, question: Question) -> float:
        if question.kind is QuestionKind.TEXT or self.value is None:
            return 0.0
        values = self.value if isinstance(self.value, tuple) else (self.value,)
        return sum(c.weight for v in values if (c := question.choice(v)) is not None)


@dataclass(frozen=True, slots=True)
class AnswerSet(Record):
    """Answers to one version of a question set. ``ignored``: names that are no question of it
    (kept out, as the official AIA tool ignores them); ``hidden``: answers to questions that the
    other answers do not ask (kept, see each scoring rule)."""

    question_set: str
    version: str
    answers: tuple[Answer, ...]
    ignored: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    _json = True

    @property
    def values(self) -> dict[str, object]:
        return {
            a.question: list(a.value) if isinstance(a.value, tuple) else a.value
            for a in self.answers
        }

    def get(self, name: str) -> Answer | None:
        return next((a for a in self.answers if a.question == name), None)


@dataclass(frozen=True, slots=True)
class Totals(Record):
    """The weighted sums of an answer set: what the answers add and the most they could."""

    risk: float
    max_risk: float
    mitigation: float
    max_mitigation: float
    _json = True


def check_answers(question_set: QuestionSet, raw: Mapping[str, Any]) -> AnswerSet:
    """Check answers against the set: a choice that is not offered, several values for a
    single-choice question or a non-text answer to a text question is an :class:`InputError`
    naming the question and the value. Each answer is ``value`` or ``{"value": …, "evidence": …}``.
    """
    answers: list[Answer] = []
    ignored: list[str] = []
    for name, given in raw.items():
        question = question_set.question(str(name))
        if question is None:
            ignored.append(str(name))
            continue
        value, evidence = _split(given, name)
        answers.append(Answer(question.name, _check_value(question, value), evidence))
    values = AnswerSet(question_set.id, question_set.version, tuple(answers)).values
    hidden = tuple(
        a.question
        for a in answers
        if not question_set.is_visible(question_set._index[a.question], values)
    )
    return AnswerSet(question_set.id, question_set.version, tuple(answers), tuple(ignored), hidden)


def _split(given: Any, name: str) -> tuple[Any, str]:
    if isinstance(given, Mapping):
        evidence = given.get("evidence", "")
        if not isinstance(evidence, str):
            raise _bad(name, evidence, "evidence as text")
        return given.get("value"), evidence
    return given, ""


def _check_value(question: Question, value: Any) -> str | tuple[str, ...] | None:
    if value is None or value == "" or value == []:
        return None
    if question.kind is QuestionKind.TEXT:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise _bad(question.name, value, "text")
    offered = [c.value for c in question.choices]
    if question.kind is QuestionKind.MULTIPLE:
        items = value if isinstance(value, list | tuple) else [value]
    elif isinstance(value, list | tuple):
        raise _bad(question.name, value, "one choice (a single-choice question)")
    else:
        items = [value]
    for item in items:
        check_choice(
            str(item),
            offered,
            what=f"answer to '{question.name}'",
            field=question.name,
            error=InputError,
            fix=f"answer '{question.name}' with one of the values its choices offer",
        )
    if question.kind is QuestionKind.MULTIPLE:
        return tuple(str(i) for i in items)
    return str(items[0])


def _bad(name: str, value: Any, expected: str) -> InputError:
    return InputError(
        f"the answer to '{name}' is not {expected}",
        where=Location(field=name),
        found=repr(value),
        expected=expected,
        fix=f"correct the answer to '{name}'",
    )


def totals(
    question_set: QuestionSet, answers: AnswerSet, *, include_hidden: bool = False
) -> Totals:
    """Sum risk and mitigation weights of the answers, and the maxima over every question of the
    set. Answers to questions the other answers do not ask count only with ``include_hidden``."""
    risk = mitigation = max_risk = max_mitigation = 0.0
    skip = set() if include_hidden else set(answers.hidden)
    given = {a.question: a for a in answers.answers if a.question not in skip}
    for question in question_set.questions():
        answer = given.get(question.name)
        weight = 0.0 if answer is None else answer.weight(question)
        if question.role is Role.RISK:
            risk += weight
            max_risk += question.max_weight
        elif question.role is Role.MITIGATION:
            mitigation += weight
            max_mitigation += question.max_weight
    return Totals(risk, max_risk, mitigation, max_mitigation)


# --- civicflow's own question-set files ---------------------------------------------------------


def builtin_question_set(name: str) -> QuestionSet:
    """One of the question sets written for civicflow (:data:`BUILTIN_SETS`)."""
    check_choice(name, BUILTIN_SETS, what="question set", error=InputError)
    text = resources.files("civicflow.governance").joinpath("data", f"{name}.json").read_text()
    return parse_question_set(json.loads(text), source=f"civicflow.governance/data/{name}.json")


def load_question_set(path: Path) -> QuestionSet:
    """A question set in civicflow's JSON form (see docs/GOVERNANCE.md) from a file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            "the question set cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            expected="a JSON question set",
            fix="check the path and that the file is JSON",
        ) from exc
    return parse_question_set(data, source=str(path))


def parse_question_set(data: Mapping[str, Any], *, source: str = "") -> QuestionSet:
    sections = []
    for s_index, raw_section in enumerate(_list(data, "sections", source)):
        s_name = _text(raw_section, "name", source)
        s_cond = raw_section.get("visible_if")
        questions = []
        for raw in _list(raw_section, "questions", source):
            q_name = _text(raw, "name", source)
            kind = QuestionKind(_pick(raw, "kind", [k.value for k in QuestionKind], q_name))
            role = Role(_pick(raw, "role", [r.value for r in Role], q_name, default="none"))
            choices = tuple(
                Choice(
                    value=_text(c, "value", source),
                    label=str(c.get("label", c["value"])),
                    weight=_weight(c.get("weight", 0), q_name),
                )
                for c in raw.get("choices", [])
            )
            if kind is not QuestionKind.TEXT and not choices:
                raise _bad(q_name, raw.get("choices"), "a choice question with choices")
            cond = raw.get("visible_if")
            questions.append(
                Question(
                    name=q_name,
                    kind=kind,
                    title=_text(raw, "title", source),
                    section=s_name,
                    role=role,
                    choices=choices,
                    visible_if=None if not cond else parse_condition(cond, where=q_name),
                    evidence=bool(raw.get("evidence", False)),
                    reference=str(raw.get("reference", "")),
                    help=str(raw.get("help", "")),
                )
            )
        sections.append(
            Section(
                name=s_name,
                title=str(raw_section.get("title", s_name)),
                questions=tuple(questions),
                visible_if=None if not s_cond else parse_condition(s_cond, where=s_name),
            )
        )
        del s_index
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    return QuestionSet(
        id=_text(data, "id", source),
        version=str(data.get("version") or f"sha256:{sha256_hex(canonical)[:12]}"),
        title=str(data.get("title", "")),
        sections=tuple(sections),
        source=str(data.get("source", source)),
    )


def _list(data: Mapping[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise InputError(
            f"the question set has no list '{key}'",
            where=Location(file=source or None, field=key),
            found=repr(value)[:80],
            expected=f"'{key}': a list",
            fix="follow the question-set form in docs/GOVERNANCE.md",
        )
    return value


def _text(data: Mapping[str, Any], key: str, source: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"'{key}' is missing or empty",
            where=Location(file=source or None, field=key),
            found=repr(value),
            expected="non-empty text",
            fix=f"give every item its '{key}'",
        )
    return value


def _pick(
    data: Mapping[str, Any], key: str, choices: list[str], name: str, default: str | None = None
) -> str:
    value = data.get(key, default)
    check_choice(value, choices, what=key, field=f"{name}.{key}", error=InputError)
    return str(value)


def _weight(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(name, value, "a numeric weight")
    return float(value)
