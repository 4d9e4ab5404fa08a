"""Readings of civicflow's own question sets: the GDPR DPIA's screening and outcome, and the NIST
AI RMF profile per function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from civicflow.core import Record
from civicflow.governance._questionnaire import (
    AnswerSet,
    QuestionSet,
    builtin_question_set,
    check_answers,
    totals,
)

DPIA_CRITERIA_THRESHOLD = 2
"""WP248 rev.01: processing meeting two or more criteria in most cases needs a DPIA."""


@dataclass(frozen=True, slots=True)
class DpiaResult(Record):
    required: bool
    criteria: tuple[str, ...]
    risk: float
    max_risk: float
    mitigation: float
    max_mitigation: float
    prior_consultation: bool
    unanswered: tuple[str, ...]
    _json = True


@dataclass(frozen=True, slots=True)
class FunctionProfile(Record):
    function: str
    title: str
    score: float
    max_score: float
    share: float
    not_in_place: tuple[str, ...]
    _json = True


def _answers(name: str, answers: AnswerSet | Mapping[str, Any]) -> tuple[QuestionSet, AnswerSet]:
    question_set = builtin_question_set(name)
    if isinstance(answers, AnswerSet):
        return question_set, answers
    return question_set, check_answers(question_set, answers)


def dpia_result(answers: AnswerSet | Mapping[str, Any]) -> DpiaResult:
    """Whether a DPIA is required (two or more WP248 criteria, or an Art. 35(3) case), the
    weighted risk and mitigation, and whether the supervisory authority must be consulted first
    (Art. 36: a high residual risk)."""
    question_set, answer_set = _answers("gdpr-dpia", answers)
    values = answer_set.values
    given = values.get("criteria")
    criteria = tuple(str(c) for c in given) if isinstance(given, list) else ()
    art_35_3 = {"evaluation", "monitoring"} & set(criteria) or (
        "special" in criteria and "large_scale" in criteria
    )
    sums = totals(question_set, answer_set)
    visible = {q.name for q in question_set.questions() if question_set.is_visible(q, values)}
    return DpiaResult(
        required=len(criteria) >= DPIA_CRITERIA_THRESHOLD or bool(art_35_3),
        criteria=criteria,
        risk=sums.risk,
        max_risk=sums.max_risk,
        mitigation=sums.mitigation,
        max_mitigation=sums.max_mitigation,
        prior_consultation=values.get("residual_high") == "yes",
        unanswered=tuple(
            q.name
            for q in question_set.questions()
            if q.name in visible and values.get(q.name) in (None, "", [])
        ),
    )


def nist_profile(answers: AnswerSet | Mapping[str, Any]) -> tuple[FunctionProfile, ...]:
    """The NIST AI RMF profile: per function (Govern, Map, Measure, Manage) the share of the
    selected subcategories in place, and those not in place (unanswered counts as not in place)."""
    question_set, answer_set = _answers("nist-ai-rmf", answers)
    out = []
    for section in question_set.sections:
        score = max_score = 0.0
        missing = []
        for question in section.questions:
            answer = answer_set.get(question.name)
            weight = 0.0 if answer is None else answer.weight(question)
            score += weight
            max_score += question.max_weight
            if weight == 0:
                missing.append(question.name)
        out.append(
            FunctionProfile(
                section.name,
                section.title,
                score,
                max_score,
                score / max_score if max_score else 0.0,
                tuple(missing),
            )
        )
    return tuple(out)
