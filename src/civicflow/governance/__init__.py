"""Governance: a questionnaire engine (versioned question sets, conditional questions, risk and
mitigation weights, evidence), the Government of Canada's AIA scored as its official tool scores
it, EU AI Act classification, the register of automated systems and transparency records.

No web or database imports: ``civicflow.app`` stores, role-checks and ledgers what this computes.
"""

from civicflow.governance._aia import (
    AIA_ID,
    AiaScore,
    Requirement,
    aia_requirements,
    embedded_weight,
    load_aia,
    parse_aia,
    read_answers,
    score_aia,
)
from civicflow.governance._aiact import (
    AI_ACT_SET,
    FRIA_ELEMENTS,
    AiActCategory,
    AiActClassification,
    Obligation,
    classify_ai_act,
)
from civicflow.governance._condition import Condition, parse_condition
from civicflow.governance._profiles import (
    DPIA_CRITERIA_THRESHOLD,
    DpiaResult,
    FunctionProfile,
    dpia_result,
    nist_profile,
)
from civicflow.governance._questionnaire import (
    BUILTIN_SETS,
    Answer,
    AnswerSet,
    Choice,
    Question,
    QuestionKind,
    QuestionSet,
    Role,
    Section,
    Totals,
    builtin_question_set,
    check_answers,
    load_question_set,
    parse_question_set,
    totals,
)

__all__ = [
    "AIA_ID",
    "AI_ACT_SET",
    "BUILTIN_SETS",
    "DPIA_CRITERIA_THRESHOLD",
    "FRIA_ELEMENTS",
    "AiActCategory",
    "AiActClassification",
    "AiaScore",
    "Answer",
    "AnswerSet",
    "Choice",
    "Condition",
    "DpiaResult",
    "FunctionProfile",
    "Obligation",
    "Question",
    "QuestionKind",
    "QuestionSet",
    "Requirement",
    "Role",
    "Section",
    "Totals",
    "aia_requirements",
    "builtin_question_set",
    "check_answers",
    "classify_ai_act",
    "dpia_result",
    "embedded_weight",
    "load_aia",
    "load_question_set",
    "nist_profile",
    "parse_aia",
    "parse_condition",
    "parse_question_set",
    "read_answers",
    "score_aia",
    "totals",
]
