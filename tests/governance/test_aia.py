"""The AIA scored as the official tool (canada-ca/aia-eia-js, calculateFinalScore) scores it, on
the published questionnaire, with answer sets worked out by hand (weights are the suffix of each
chosen value: "item1-3" weighs 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicflow.core import InputError
from civicflow.governance import (
    aia_requirements,
    check_answers,
    embedded_weight,
    load_aia,
    parse_aia,
    read_answers,
    score_aia,
)
from conftest import shared_file


@pytest.fixture(scope="module")
def aia():
    return load_aia(shared_file("impact-assessment", "canada_aia_survey_enfr.json"))


DESIGN = {"projectDetailsPhase": "item1"}
# riskProfile: 3 + 3 + 1 + 4 + 3 + 1 = 15
RISK_PROFILE = {
    "riskProfile1": "item1-3",
    "riskProfile2": "item1-3",
    "riskProfile3": "item1-1",
    "riskProfile4": "item3-4",
    "riskProfile7": "item1-3",
    "riskProfile8": "item1-1",
}
# six impact questions at 4 each = 24
IMPACT_24 = {q: "item1-4" for q in ("impact30", "impact3")} | {
    q: "item4-4" for q in ("impact6", "impact7", "impact9", "impact24")
}
# 15 + 24 + 2 = 41: level I (41 <= 25 % of 167 = 41.75)
LEVEL_1 = DESIGN | RISK_PROFILE | IMPACT_24 | {"projectAuthority1": "item1-2"}
# 41 + 1 = 42: level II (just above 41.75)
LEVEL_2 = LEVEL_1 | {"aboutSystem3": "item3-1"}
# impact: 24 + 2 + 2 + 2 (4A, 22, 5) + 4 * 3 (11, 13, 15) + 3 (18) + 1 (23) + 4 (28) = 50;
# + riskProfile 15 = 65; + aboutAlgorithm 1 + 3 + 3 + 2 = 74; + aboutData 2 + 4 + 4 + 4 = 88;
# + businessDrivers5 2 = 90: level III (83.5 < 90 <= 125.25)
LEVEL_3 = (
    DESIGN
    | RISK_PROFILE
    | IMPACT_24
    | {
        "impact4A": "item1-2",
        "impact22": "item1-2",
        "impact5": "item1-2",
        "impact11": "item4-4",
        "impact13": "item4-4",
        "impact15": "item4-4",
        "impact18": "item1-3",
        "impact23": "item1-1",
        "impact28": "item4-4",
        "aboutAlgorithm1": "item1-1",
        "aboutAlgorithm2": "item1-3",
        "aboutAlgorithm8": "item1-3",
        "aboutAlgorithm9": "item1-2",
        "aboutDataSource1": "item1-2",
        "aboutDataSource5": "item1-4",
        "aboutDataSource6": "item1-4",
        "aboutDataSource7": "item4-4",
        "businessDrivers5": "item1-2",
    }
)
# 90 + aboutSystem 2 + 2 + 2 + 2 + 2 + 4 = 104; + decisionSector1 (8 boxes of 1) = 112;
# + projectAuthority1 2 = 114; + aboutDataSource4 2, 8: 4, 3: 3, 2: 4 = 127: level IV (> 125.25)
LEVEL_4 = LEVEL_3 | {
    "aboutSystem5": "item3-2",
    "aboutSystem6": "item2-2",
    "aboutSystem7": "item2-2",
    "aboutSystem9": "item2-2",
    "aboutSystem10A": "item2-2",
    "aboutSystem11": "item4-4",
    "decisionSector1": [f"item{i}-1" for i in range(1, 9)],
    "projectAuthority1": "item1-2",
    "aboutDataSource4": "item1-2",
    "aboutDataSource8": "item4-4",
    "aboutDataSource3": "item3-3",
    "aboutDataSource2": "item5-4",
}
# design-phase mitigation: consultation 2 + 2 + 3 + 3 = 10; data quality 3+1+1+1+2+1+2+1+2 = 14;
# fairness without 21 and 24A: 1+1+2+2+2+2+1+2+2+1+2+2+2+2+2+2+2 + 2+2+2+2 = 38. Total 62.
MITIGATION_62 = {
    "consultationDesign1": "item1-2",
    "consultationDesign3": "item1-2",
    "consultationDesign6": "item1-3",
    "consultationDesign7": "item1-3",
    "dataQualityDesign1": "item1-3",
    "dataQualityDesign2": "item1-1",
    "dataQualityDesign3": "item1-1",
    "dataQualityDesign4": "item1-1",
    "dataQualityDesign5": "item1-2",
    "dataQualityDesign7": "item1-1",
    "dataQualityDesign8": "item1-2",
    "dataQualityDesign9": "item1-1",
    "dataQualityDesign10": "item1-2",
} | {
    f"fairnessDesign{n}": f"item1-{w}"
    for n, w in [
        ("1", 1), ("1A", 1), ("2", 2), ("3", 2), ("4", 2), ("5", 2), ("7", 1), ("10", 2),
        ("8", 2), ("9", 1), ("12", 2), ("13", 2), ("16", 2), ("17", 2), ("18", 2), ("19", 2),
        ("20", 2), ("22", 2), ("22A", 2), ("23", 2), ("24", 2),
    ]
}  # fmt: skip
MITIGATION_61 = MITIGATION_62 | {"fairnessDesign9": "item2-0"}


def test_the_published_questionnaire_has_the_official_maxima(aia) -> None:
    empty = score_aia(aia, {})
    # 70 risk questions (167 at most) and 90 mitigation questions, 77 per phase
    assert (empty.max_raw_impact, empty.max_mitigation) == (167, 154)
    assert empty.mitigation_threshold == pytest.approx(61.6)
    assert (empty.level, empty.current_score) == (1, 0)


@pytest.mark.parametrize(
    ("answers", "raw", "level", "roman"),
    [
        (LEVEL_1, 41, 1, "I"),
        (LEVEL_2, 42, 2, "II"),
        (LEVEL_3, 90, 3, "III"),
        (LEVEL_4, 127, 4, "IV"),
    ],
)
def test_hand_worked_answer_sets_reach_each_level(aia, answers, raw, level, roman) -> None:
    score = score_aia(aia, answers)
    assert score.raw_impact == raw
    assert score.mitigation == 0
    assert not score.reduction_applied
    assert score.current_score == raw
    assert (score.level, score.level_roman) == (level, roman)
    assert score.phase == "design"
    assert score.hidden == () and score.ignored == ()
    assert [r.name for r in score.requirements] == [
        "Notice",
        "Explanation",
        "Peer review",
        "Gender-based Analysis Plus",
        "Training",
        "Ensuring human involvement",
        "Approval for the system to operate",
    ]


def test_the_mitigation_boundary(aia) -> None:
    below = score_aia(aia, LEVEL_3 | MITIGATION_61)
    at = score_aia(aia, LEVEL_3 | MITIGATION_62)
    assert (below.mitigation, at.mitigation) == (61, 62)
    # 61 < 0.8 * 154 / 2 = 61.6: no reduction, level III stays
    assert not below.reduction_applied
    assert (below.current_score, below.level) == (90, 3)
    # 62 >= 61.6: 0.85 * 90 = 76.5, rounded half up to 77 (Math.round): level II
    assert at.reduction_applied
    assert (at.current_score, at.level) == (77, 2)
    # level IV with the reduction: 0.85 * 127 = 107.95 -> 108, level III
    four = score_aia(aia, LEVEL_4 | MITIGATION_62)
    assert (four.raw_impact, four.current_score, four.level) == (127, 108, 3)


def test_the_reduction_at_exactly_eighty_percent() -> None:
    # a questionnaire in the published form with mitigation 10 per phase: 80 % of 10 is exactly 8
    survey = {
        "pages": [
            {
                "name": "risk",
                "elements": [
                    {
                        "type": "panel",
                        "name": "riskPanel-RS",
                        "elements": [
                            {"type": "radiogroup", "name": "r1", "choices": ["item1-0", "item2-20"]}
                        ],
                    }
                ],
            },
            *[
                {
                    "name": f"mit{phase}",
                    "elements": [
                        {
                            "type": "checkbox",
                            "name": f"m{phase}-MS",
                            "choices": [f"item{i}-2" for i in range(1, 6)],
                        }
                    ],
                }
                for phase in ("Design", "Implementation")
            ],
        ]
    }
    qs = parse_aia(survey, version="test")
    exactly = score_aia(
        qs, {"r1": "item2-20", "mDesign-MS": ["item1-2", "item2-2", "item3-2", "item4-2"]}
    )
    assert (exactly.mitigation, exactly.mitigation_threshold) == (8, 8)
    assert exactly.reduction_applied and exactly.current_score == 17  # round(0.85 * 20)
    short = score_aia(qs, {"r1": "item2-20", "mDesign-MS": ["item1-2", "item2-2", "item3-2"]})
    assert not short.reduction_applied and short.current_score == 20
    assert short.level == 4 and exactly.level == 4  # 17 > 0.75 * 20


def test_hidden_answers_count_as_in_the_official_tool(aia) -> None:
    # aboutDataSource10 is asked only when personal information is used; the tool still counts it
    score = score_aia(aia, DESIGN | {"aboutDataSource1": "item2-0", "aboutDataSource10": "item1-2"})
    assert score.raw_impact == 2
    assert score.hidden == ("aboutDataSource10",)


def test_unknown_names_are_ignored_and_bad_choices_refused(aia) -> None:
    score = score_aia(aia, {"someOldQuestion": "item1-4", "impact30": "item1-4"})
    assert score.ignored == ("someOldQuestion",) and score.raw_impact == 4
    with pytest.raises(InputError) as info:
        check_answers(aia, {"impact30": "item9-9"})
    assert info.value.where is not None and info.value.where.field == "impact30"
    with pytest.raises(InputError):
        check_answers(aia, {"impact30": ["item1-4", "item2-2"]})


def test_the_official_tools_saved_file_is_read(tmp_path: Path, aia) -> None:
    path = tmp_path / "SurveyResults.json"
    path.write_text(json.dumps({"currentPage": 3, "data": json.dumps(LEVEL_2)}))
    assert score_aia(aia, read_answers(path)).raw_impact == 42


def test_embedded_weights_read_as_javascript_number_reads_them() -> None:
    assert embedded_weight("item1-3") == 3
    assert embedded_weight("item3") == 0
    assert embedded_weight("item1-") == 0  # Number("") is 0
    assert embedded_weight("a-b-2.5") == 2.5
    assert embedded_weight("item1-x") == 0  # NaN counts 0
    assert embedded_weight(4) == 4


def test_requirements_per_level_follow_the_directive() -> None:
    peer = {lvl: aia_requirements(lvl)[2].text for lvl in (1, 2, 3, 4)}
    assert peer[1] == "None"
    assert peer[4] != "None"
    approval = aia_requirements(4)[6]
    assert approval.name == "Approval for the system to operate"
    assert "Treasury Board" in approval.text
    with pytest.raises(InputError):
        aia_requirements(5)
