"""EU AI Act (Regulation (EU) 2024/1689) classification by guided questions, and the obligations
that follow as a checklist.

The questions are the built-in question set ``eu-ai-act`` (data/eu-ai-act.json); the rules:

1. not an AI system (Art. 3(1)): out of scope;
2. any Art. 5 practice: prohibited;
3. a safety component under Annex I (Art. 6(1)) or an Annex III use (Art. 6(2)): high-risk, unless
   an Art. 6(3) condition holds *and* the system does not profile natural persons (profiling keeps
   an Annex III system high-risk); the exempted provider documents its assessment (Art. 6(4)) and
   registers (Art. 49(2));
4. an Art. 50 situation: transparency obligations (alongside high-risk ones when both apply);
5. otherwise minimal risk (AI literacy, Art. 4; voluntary codes of conduct, Art. 95).

This is a guided first reading of the Regulation for an agency's register, not legal advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from civicflow.core import Record
from civicflow.governance._questionnaire import AnswerSet, builtin_question_set, check_answers

AI_ACT_SET = "eu-ai-act"


class AiActCategory(StrEnum):
    OUT_OF_SCOPE = "out-of-scope"
    PROHIBITED = "prohibited"
    HIGH_RISK = "high-risk"
    TRANSPARENCY = "transparency"
    MINIMAL = "minimal"


FRIA_ELEMENTS = (
    "(a) a description of the deployer's processes in which the high-risk AI system will be used "
    "in line with its intended purpose",
    "(b) the period of time within which, and the frequency with which, the system is intended to "
    "be used",
    "(c) the categories of natural persons and groups likely to be affected by its use in the "
    "specific context",
    "(d) the specific risks of harm likely to have an impact on those categories of persons or "
    "groups, taking into account the information given by the provider under Art. 13",
    "(e) a description of the implementation of human oversight measures, according to the "
    "instructions for use",
    "(f) the measures to be taken where those risks materialise, including the arrangements for "
    "internal governance and complaint mechanisms",
)
"""The six elements of the fundamental-rights impact assessment, Art. 27(1)(a)-(f)."""


@dataclass(frozen=True, slots=True)
class Obligation(Record):
    """One item of the checklist: the article, who it binds (provider or deployer), what it asks."""

    article: str
    title: str
    party: str
    detail: str
    elements: tuple[str, ...] = ()
    _json = True


@dataclass(frozen=True, slots=True)
class AiActClassification(Record):
    category: AiActCategory
    reasons: tuple[str, ...]
    prohibited_practices: tuple[str, ...]
    annex_iii_points: tuple[str, ...]
    annex_i: bool
    exempted: bool
    exemption_basis: tuple[str, ...]
    transparency_situations: tuple[str, ...]
    obligations: tuple[Obligation, ...]
    _json = True

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(o.article for o in self.obligations)


def classify_ai_act(answers: AnswerSet | Mapping[str, Any]) -> AiActClassification:
    """Classify a system from its answers to the ``eu-ai-act`` question set."""
    answer_set = (
        answers
        if isinstance(answers, AnswerSet)
        else check_answers(builtin_question_set(AI_ACT_SET), answers)
    )
    values = answer_set.values

    def chosen(name: str) -> tuple[str, ...]:
        value = values.get(name)
        items = value if isinstance(value, list) else ([] if value is None else [value])
        return tuple(str(v) for v in items if v != "none")

    def yes(name: str) -> bool:
        return values.get(name) == "yes"

    role = str(values.get("role") or "deployer")
    provider, deployer = role in ("provider", "both"), role in ("deployer", "both")
    public = yes("public_body")
    if not yes("ai_system"):
        return AiActClassification(
            AiActCategory.OUT_OF_SCOPE,
            ("not an AI system under Art. 3(1): the Regulation does not apply",),
            (), (), False, False, (), (), (),
        )  # fmt: skip
    practices = chosen("prohibited")
    points = chosen("annex_iii")
    annex_i = yes("annex_i")
    profiling = yes("profiling")
    exemption = chosen("exemption")
    situations = chosen("transparency")
    reasons: list[str] = []
    obligations: list[Obligation] = [_LITERACY]
    if practices:
        reasons.append(f"prohibited practice under {', '.join(_art5(p) for p in practices)}")
        obligations = [
            Obligation(
                "Art. 5",
                "Prohibited AI practice",
                "provider and deployer",
                "the system must not be placed on the market, put into service or used; stop or "
                "redesign it",
            )
        ]
        return AiActClassification(
            AiActCategory.PROHIBITED, tuple(reasons), practices, points, annex_i, False, (),
            situations, tuple(obligations),
        )  # fmt: skip
    exempted = bool(points) and not annex_i and bool(exemption) and not profiling
    high_risk = annex_i or (bool(points) and not exempted)
    if annex_i:
        reasons.append("safety component or product under Annex I (Art. 6(1))")
    if points:
        listed = ", ".join(f"Annex III {_point(p)}" for p in points)
        if exempted:
            reasons.append(
                f"{listed}, but not high-risk under Art. 6(3) "
                f"({', '.join(_EXEMPTIONS[e] for e in exemption)}) and no profiling"
            )
        elif exemption and profiling:
            reasons.append(
                f"{listed}: high-risk; the Art. 6(3) exemption does not apply because the system "
                "profiles natural persons"
            )
        else:
            reasons.append(f"{listed}: high-risk (Art. 6(2))")
    if exempted and provider:
        obligations += [_DOCUMENT_63, _REGISTER_492]
    if high_risk:
        if provider:
            obligations += _PROVIDER
            obligations.append(_REGISTER_491)
        if deployer:
            obligations.append(_DEPLOYER)
            if public:
                obligations.append(_register_493(points))
        fria_points = [p for p in points if not p.startswith("2")]
        if deployer and ((public and fria_points) or any(p in ("5b", "5c") for p in points)):
            obligations.append(
                Obligation(
                    "Art. 27",
                    "Fundamental-rights impact assessment (FRIA) before first use",
                    "deployer",
                    "assess the impact on fundamental rights before putting the system into use, "
                    "notify the market surveillance authority of the results; the DPIA under GDPR "
                    "Art. 35 complements it",
                    FRIA_ELEMENTS,
                )
            )
        if deployer and [p for p in points if not p.startswith("2")]:
            obligations.append(_EXPLANATION)
    for situation in situations:
        obligations.append(_TRANSPARENCY[situation])
    if situations:
        reasons.append(
            "transparency obligations under "
            + ", ".join(sorted({_TRANSPARENCY[s].article for s in situations}))
        )
    if high_risk:
        category = AiActCategory.HIGH_RISK
    elif situations:
        category = AiActCategory.TRANSPARENCY
    else:
        category = AiActCategory.MINIMAL
        reasons.append("no prohibited practice, no high-risk use, no transparency situation")
        obligations.append(_CODES)
    return AiActClassification(
        category, tuple(reasons), (), points, annex_i, exempted, exemption if exempted else (),
        situations, tuple(obligations),
    )  # fmt: skip


def _art5(code: str) -> str:
    _, number, letter = code.split("-")
    return f"Art. 5({number})({letter})"


def _point(code: str) -> str:
    return code if len(code) == 1 else f"{code[0]}({code[1:]})"


_EXEMPTIONS = {
    "narrow_procedural": "a narrow procedural task, Art. 6(3)(a)",
    "improve_human": "improves a completed human activity, Art. 6(3)(b)",
    "detect_patterns": "detects patterns without replacing human assessment, Art. 6(3)(c)",
    "preparatory": "a preparatory task, Art. 6(3)(d)",
}
_LITERACY = Obligation(
    "Art. 4",
    "AI literacy",
    "provider and deployer",
    "ensure a sufficient level of AI literacy of staff dealing with the system",
)
_CODES = Obligation(
    "Art. 95",
    "Voluntary codes of conduct",
    "provider and deployer",
    "no mandatory requirements beyond AI literacy; codes of conduct may be applied voluntarily",
)
_DOCUMENT_63 = Obligation(
    "Art. 6(4)",
    "Document the assessment that the system is not high-risk",
    "provider",
    "document the Art. 6(3) assessment before placing on the market or putting into service and "
    "provide it to national competent authorities on request",
)
_REGISTER_492 = Obligation(
    "Art. 49(2)",
    "Registration of a system assessed as not high-risk",
    "provider",
    "register the system in the EU database before placing it on the market or into service",
)
_REGISTER_491 = Obligation(
    "Art. 49(1)",
    "Registration in the EU database",
    "provider",
    "register the provider and the system in the EU database (Art. 71) before placing it on the "
    "market or putting it into service",
)
_PROVIDER = [
    Obligation("Art. 9", "Risk management system", "provider",
               "establish, document and maintain a risk management system over the lifecycle"),
    Obligation("Art. 10", "Data and data governance", "provider",
               "training, validation and testing data: governance, relevance, representativeness, "
               "examination for biases"),
    Obligation("Art. 11", "Technical documentation", "provider",
               "draw up the technical documentation (Annex IV) before placing on the market"),
    Obligation("Art. 12", "Record-keeping", "provider",
               "automatic recording of events (logs) over the system's lifetime"),
    Obligation("Art. 13", "Transparency and information to deployers", "provider",
               "instructions for use that let deployers interpret and use the output"),
    Obligation("Art. 14", "Human oversight", "provider",
               "design for effective oversight by natural persons, including the ability to "
               "override or stop"),
    Obligation("Art. 15", "Accuracy, robustness and cybersecurity", "provider",
               "appropriate, declared levels of accuracy; resilience to errors and attacks"),
]  # fmt: skip
_DEPLOYER = Obligation(
    "Art. 26",
    "Obligations of deployers",
    "deployer",
    "use per the instructions; assign human oversight to competent, trained people; keep input "
    "data relevant; monitor and report incidents; keep logs at least six months; inform workers "
    "and the natural persons subject to decisions",
)
_EXPLANATION = Obligation(
    "Art. 86",
    "Right to explanation of individual decision-making",
    "deployer",
    "give a person affected by a decision based on the system's output, with legal or similarly "
    "significant effects, clear and meaningful explanations of the system's role and the main "
    "elements of the decision",
)


def _register_493(points: tuple[str, ...]) -> Obligation:
    secure = [p for p in points if p[0] in ("1", "6", "7")]
    detail = (
        "public authorities register their use of the system in the EU database before putting "
        "it into service"
    )
    if secure:
        detail += (
            "; for law enforcement, migration, asylum and border control (Annex III points 1, 6, "
            "7) in the secure non-public section (Art. 49(4))"
        )
    return Obligation("Art. 49(3)", "Registration of use by a public authority", "deployer", detail)


_TRANSPARENCY = {
    "interacts": Obligation(
        "Art. 50(1)", "Inform people that they interact with an AI system", "provider",
        "design the system so that the people interacting with it are informed, unless obvious",
    ),
    "synthetic": Obligation(
        "Art. 50(2)", "Mark synthetic content", "provider",
        "outputs marked in a machine-readable format and detectable as artificially generated",
    ),
    "emotion_biometric": Obligation(
        "Art. 50(3)", "Inform people exposed to emotion recognition or biometric categorisation",
        "deployer", "inform the natural persons exposed; process personal data under the GDPR",
    ),
    "deep_fake": Obligation(
        "Art. 50(4)", "Disclose deep fakes", "deployer",
        "disclose that the content has been artificially generated or manipulated",
    ),
    "public_text": Obligation(
        "Art. 50(4)", "Disclose AI-generated text on matters of public interest", "deployer",
        "disclose that the text was artificially generated, unless a person reviewed it and holds "
        "editorial responsibility",
    ),
}  # fmt: skip
