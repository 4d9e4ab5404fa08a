"""One entry point for every kind of assessment: answers in, a result and its one-line summary
out (what a register entry and its transparency record show)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from civicflow.core import InputError, Record, check_choice
from civicflow.governance._aia import AIA_ID, score_aia
from civicflow.governance._aiact import AI_ACT_SET, classify_ai_act
from civicflow.governance._profiles import dpia_result, nist_profile
from civicflow.governance._questionnaire import AnswerSet, QuestionSet, builtin_question_set

ASSESSMENT_KINDS = (AIA_ID, AI_ACT_SET, "gdpr-dpia", "nist-ai-rmf")
KIND_TITLES = {
    AIA_ID: "Algorithmic Impact Assessment (Canada)",
    AI_ACT_SET: "EU AI Act classification",
    "gdpr-dpia": "Data protection impact assessment (GDPR Art. 35)",
    "nist-ai-rmf": "NIST AI RMF profile",
}


@dataclass(frozen=True, slots=True)
class Outcome(Record):
    kind: str
    summary: str
    result: Mapping[str, Any]
    _json = True


def question_set_for(kind: str) -> QuestionSet:
    """The built-in question set of ``kind`` (the AIA's is the user's file: see ``load_aia``)."""
    check_choice(kind, ASSESSMENT_KINDS, what="assessment kind", field="kind", error=InputError)
    if kind == AIA_ID:
        raise InputError(
            "the AIA questionnaire is not bundled",
            found=kind,
            expected="the published questionnaire supplied as a file",
            fix="pass the AIA questionnaire file (survey-enfr.json from canada-ca/aia-eia-js)",
        )
    return builtin_question_set(kind)


def evaluate(kind: str, question_set: QuestionSet, answers: AnswerSet) -> Outcome:
    """Score or classify ``answers`` by the rules of ``kind``."""
    check_choice(kind, ASSESSMENT_KINDS, what="assessment kind", field="kind", error=InputError)
    if kind == AIA_ID:
        score = score_aia(question_set, answers)
        summary = (
            f"impact level {score.level_roman} (current score {score.current_score} of "
            f"{score.max_raw_impact}; raw {score.raw_impact}, mitigation {score.mitigation})"
        )
        return Outcome(kind, summary, score.to_dict())
    if kind == AI_ACT_SET:
        result = classify_ai_act(answers)
        points = ", ".join(result.annex_iii_points)
        summary = result.category.value + (f" (Annex III {points})" if points else "")
        return Outcome(kind, summary, result.to_dict())
    if kind == "gdpr-dpia":
        dpia = dpia_result(answers)
        summary = (
            ("DPIA required" if dpia.required else "DPIA not required by the screening")
            + f"; risk {dpia.risk:g} of {dpia.max_risk:g}, mitigation {dpia.mitigation:g} of "
            f"{dpia.max_mitigation:g}"
            + ("; prior consultation (Art. 36) needed" if dpia.prior_consultation else "")
        )
        return Outcome(kind, summary, dpia.to_dict())
    profile = nist_profile(answers)
    summary = ", ".join(f"{p.title} {round(100 * p.share)} %" for p in profile)
    return Outcome(kind, summary, {"functions": [p.to_dict() for p in profile]})
