"""EU AI Act classification on a table of realistic public-sector systems."""

from __future__ import annotations

import pytest

from civicflow.core import InputError
from civicflow.governance import (
    FRIA_ELEMENTS,
    AiActCategory,
    builtin_question_set,
    classify_ai_act,
    dpia_result,
    nist_profile,
)

PUBLIC_DEPLOYER = {"ai_system": "yes", "role": "deployer", "public_body": "yes"}
NOTHING = {"prohibited": ["none"], "annex_i": "no", "annex_iii": ["none"], "transparency": ["none"]}

SYSTEMS = [
    # (system, answers, category, articles that must be in the checklist, articles that must not)
    (
        "housing-benefit eligibility scoring by a municipality",
        PUBLIC_DEPLOYER
        | NOTHING
        | {"annex_iii": ["5a"], "profiling": "yes", "exemption": ["none"]},
        AiActCategory.HIGH_RISK,
        {"Art. 4", "Art. 26", "Art. 27", "Art. 49(3)", "Art. 86"},
        {"Art. 9", "Art. 49(1)"},
    ),
    (
        "benefit-fraud risk scoring that 'only detects patterns' but profiles claimants",
        PUBLIC_DEPLOYER
        | NOTHING
        | {"annex_iii": ["5a"], "profiling": "yes", "exemption": ["detect_patterns"]},
        AiActCategory.HIGH_RISK,
        {"Art. 27", "Art. 86"},
        {"Art. 6(4)"},
    ),
    (
        "citizen social score lowering access to unrelated services",
        PUBLIC_DEPLOYER | NOTHING | {"prohibited": ["5-1-c"]},
        AiActCategory.PROHIBITED,
        {"Art. 5"},
        {"Art. 26", "Art. 4"},
    ),
    (
        "predicting who will commit a crime from profiling alone",
        PUBLIC_DEPLOYER | NOTHING | {"prohibited": ["5-1-d"], "annex_iii": ["6d"]},
        AiActCategory.PROHIBITED,
        {"Art. 5"},
        set(),
    ),
    (
        "probation service re-offending risk tool, developed in-house",
        PUBLIC_DEPLOYER
        | NOTHING
        | {"role": "both", "annex_iii": ["6d"], "profiling": "yes", "exemption": ["none"]},
        AiActCategory.HIGH_RISK,
        {
            "Art. 9",
            "Art. 10",
            "Art. 11",
            "Art. 12",
            "Art. 13",
            "Art. 14",
            "Art. 15",
            "Art. 49(1)",
            "Art. 26",
            "Art. 27",
            "Art. 49(3)",
            "Art. 86",
        },
        set(),
    ),
    (
        "visa application triage",
        PUBLIC_DEPLOYER | NOTHING | {"annex_iii": ["7c"], "profiling": "yes"},
        AiActCategory.HIGH_RISK,
        {"Art. 27", "Art. 49(3)", "Art. 86"},
        set(),
    ),
    (
        "case-law research assistant for judges",
        PUBLIC_DEPLOYER | NOTHING | {"annex_iii": ["8a"], "profiling": "no", "exemption": ["none"]},
        AiActCategory.HIGH_RISK,
        {"Art. 26", "Art. 27", "Art. 86"},
        set(),
    ),
    (
        "emergency-call triage for ambulance dispatch",
        PUBLIC_DEPLOYER | NOTHING | {"annex_iii": ["5d"], "profiling": "no"},
        AiActCategory.HIGH_RISK,
        {"Art. 26", "Art. 27", "Art. 86"},
        set(),
    ),
    (
        "traffic-light control as a safety component of road traffic",
        PUBLIC_DEPLOYER | NOTHING | {"annex_iii": ["2"], "profiling": "no"},
        AiActCategory.HIGH_RISK,
        {"Art. 26", "Art. 49(3)"},
        {"Art. 27", "Art. 86"},  # point 2 is outside the FRIA and Art. 86
    ),
    (
        "extracting fields from benefit application forms for a caseworker (narrow procedural)",
        PUBLIC_DEPLOYER
        | NOTHING
        | {
            "role": "provider",
            "annex_iii": ["5a"],
            "profiling": "no",
            "exemption": ["narrow_procedural"],
        },
        AiActCategory.MINIMAL,
        {"Art. 6(4)", "Art. 49(2)", "Art. 4"},
        {"Art. 9", "Art. 27"},
    ),
    (
        "council website chatbot answering questions about bin collection",
        PUBLIC_DEPLOYER | NOTHING | {"role": "both", "transparency": ["interacts"]},
        AiActCategory.TRANSPARENCY,
        {"Art. 50(1)", "Art. 4"},
        {"Art. 26"},
    ),
    (
        "machine-translated public-health announcements published without review",
        PUBLIC_DEPLOYER | NOTHING | {"transparency": ["public_text"]},
        AiActCategory.TRANSPARENCY,
        {"Art. 50(4)"},
        set(),
    ),
    (
        "spam filter on the agency's mailbox",
        PUBLIC_DEPLOYER | NOTHING,
        AiActCategory.MINIMAL,
        {"Art. 4", "Art. 95"},
        {"Art. 26"},
    ),
    (
        "rule-based deadline reminder written by caseworkers",
        {"ai_system": "no", "role": "deployer", "public_body": "yes"},
        AiActCategory.OUT_OF_SCOPE,
        set(),
        {"Art. 4"},
    ),
]


@pytest.mark.parametrize(
    ("system", "answers", "category", "present", "absent"), SYSTEMS, ids=[s[0] for s in SYSTEMS]
)
def test_public_sector_systems_are_classified(system, answers, category, present, absent) -> None:
    result = classify_ai_act(answers)
    assert result.category is category, (system, result.reasons)
    articles = set(result.articles)
    assert present <= articles, present - articles
    assert not absent & articles, absent & articles
    assert result.reasons


def test_the_fria_carries_its_six_elements() -> None:
    result = classify_ai_act(SYSTEMS[0][1])
    fria = next(o for o in result.obligations if o.article == "Art. 27")
    assert fria.elements == FRIA_ELEMENTS
    assert [e[:3] for e in fria.elements] == ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)"]


def test_exemption_and_law_enforcement_registration_are_explained() -> None:
    exempt = classify_ai_act(SYSTEMS[9][1])
    assert exempt.exempted and exempt.exemption_basis == ("narrow_procedural",)
    assert "Art. 6(3)" in exempt.reasons[0]
    police = classify_ai_act(SYSTEMS[4][1])
    registration = next(o for o in police.obligations if o.article == "Art. 49(3)")
    assert "secure non-public section" in registration.detail


def test_an_unknown_annex_point_is_refused() -> None:
    with pytest.raises(InputError) as info:
        classify_ai_act(PUBLIC_DEPLOYER | {"annex_iii": ["9z"]})
    assert info.value.where is not None and info.value.where.field == "annex_iii"


def test_the_guided_questions_hide_the_exemption_without_an_annex_use() -> None:
    questions = builtin_question_set("eu-ai-act")
    exemption = questions.question("exemption")
    assert exemption is not None
    assert not questions.is_visible(exemption, {"ai_system": "yes", "annex_iii": ["none"]})
    assert questions.is_visible(exemption, {"ai_system": "yes", "annex_iii": ["5a"]})


def test_dpia_screening_and_prior_consultation() -> None:
    light = dpia_result({"criteria": ["large_scale"]})
    assert not light.required
    scoring = dpia_result(
        {
            "criteria": ["evaluation", "vulnerable", "special"],
            "lawful_basis": "e",
            "risk_discrimination_likelihood": "likely",
            "risk_discrimination_severity": "serious",
            "residual_high": "yes",
            "minimisation": "yes",
        }
    )
    assert scoring.required and scoring.prior_consultation
    # criteria 3 + likely 3 + serious 3 + residual 4 = 13; minimisation 2
    assert (scoring.risk, scoring.mitigation) == (13, 2)
    assert "special_condition" in scoring.unanswered  # asked because special data is processed
    assert "special_condition" not in light.unanswered


def test_nist_profile_per_function() -> None:
    profile = nist_profile({"GV-1.1": "in-place", "GV-1.6": "partial", "MS-2.11": "in-place"})
    by_name = {p.function: p for p in profile}
    assert [p.function for p in profile] == ["govern", "map", "measure", "manage"]
    assert (by_name["govern"].score, by_name["govern"].max_score) == (3, 12)
    assert "GV-1.6" not in by_name["govern"].not_in_place
    assert by_name["manage"].share == 0
