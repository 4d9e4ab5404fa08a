"""The Government of Canada's Algorithmic Impact Assessment (AIA), scored as its official tool
(canada-ca/aia-eia-js, ``calculateFinalScore`` in ``src/store.ts``) scores it.

The questionnaire is read from its published SurveyJS JSON (a file the user supplies: civicflow
never bundles it). In that form a choice carries its weight in its value, ``item<n>-<weight>``,
and a question counts towards the raw impact score when its name or its parent panel's ends in
``-RS``, towards the mitigation score for ``-MS`` (``-NS``: not scored). The official rules:

* raw impact = the sum of the chosen risk weights; its maximum sums every risk question's
  maximum (a single-choice question's heaviest choice, all of a multiple-choice one's);
* mitigation = the sum of the chosen mitigation weights; the mitigation questions come twice
  (design and implementation phase), so the threshold is 80 % of *half* their maximum;
* if mitigation reaches the threshold, the current score is the raw score less 15 %, rounded half
  up (JavaScript's ``Math.round``); else the raw score;
* impact level I if the current score is at most 25 % of the maximum raw score, II at most 50 %,
  III at most 75 %, IV above.

Every answer counts, also one to a question the other answers hide, as in the official tool;
answers to names that are no scored question are ignored (both are listed in the result).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from civicflow.core import InputError, Location, Record, sha256_hex
from civicflow.governance._condition import parse_condition
from civicflow.governance._questionnaire import (
    AnswerSet,
    Choice,
    Question,
    QuestionKind,
    QuestionSet,
    Role,
    Section,
    check_answers,
    totals,
)

AIA_ID = "canada-aia"
MITIGATION_SHARE = 0.8
REDUCTION = 0.15
LEVEL_THRESHOLDS = (0.25, 0.5, 0.75)
ROMAN = ("I", "II", "III", "IV")
PHASES = {"item1": "design", "item2": "implementation"}
_KINDS = {
    "radiogroup": QuestionKind.SINGLE,
    "dropdown": QuestionKind.SINGLE,
    "checkbox": QuestionKind.MULTIPLE,
}
_SKIPPED = {"html", "image", "expression"}


@dataclass(frozen=True, slots=True)
class Requirement(Record):
    """One requirement of the Directive on Automated Decision-Making (Appendix C) at one level."""

    number: int
    name: str
    text: str
    name_fr: str
    text_fr: str
    _json = True


@dataclass(frozen=True, slots=True)
class AiaScore(Record):
    """The official tool's four numbers (raw impact, mitigation, current score, level) and how
    they were reached."""

    raw_impact: float
    max_raw_impact: float
    mitigation: float
    max_mitigation: float
    mitigation_threshold: float
    reduction_applied: bool
    current_score: float
    share: float
    level: int
    level_roman: str
    phase: str | None
    requirements: tuple[Requirement, ...]
    answered: int
    hidden: tuple[str, ...]
    ignored: tuple[str, ...]
    questionnaire_version: str
    _json = True


def load_aia(path: Path) -> QuestionSet:
    """The AIA questionnaire from its published SurveyJS JSON (``survey-enfr.json``)."""
    try:
        raw = Path(path).read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise InputError(
            "the AIA questionnaire cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            expected="the AIA questionnaire as published (SurveyJS JSON, survey-enfr.json)",
            fix="pass the file downloaded from canada-ca/aia-eia-js (src/survey-enfr.json)",
        ) from exc
    return parse_aia(data, version=f"sha256:{sha256_hex(raw)[:12]}", source=str(path))


def parse_aia(data: Any, *, version: str, source: str = "") -> QuestionSet:
    if not isinstance(data, Mapping) or not isinstance(data.get("pages"), list):
        raise InputError(
            "this is not the AIA questionnaire: it has no list of pages",
            where=Location(file=source or None, field="pages"),
            found=repr(data)[:80],
            expected="a SurveyJS survey with 'pages'",
            fix="pass the published questionnaire (src/survey-enfr.json), not an answer file",
        )
    sections: list[Section] = []
    for page in data["pages"]:
        name = str(page.get("name", f"page{len(sections) + 1}"))
        questions: list[Question] = []
        _collect(page.get("elements", []), parent=name, section=name, cond=None, out=questions)
        if not questions:
            continue
        cond = page.get("visibleIf")
        sections.append(
            Section(
                name=name,
                title=_locale(page.get("title")) or name,
                questions=tuple(questions),
                visible_if=parse_condition(cond, where=name) if cond else None,
            )
        )
    if not any(q.role is Role.RISK for s in sections for q in s.questions):
        raise InputError(
            "the questionnaire has no scored risk question (no '-RS' name)",
            where=Location(file=source or None),
            found=f"{sum(len(s.questions) for s in sections)} questions",
            expected="the AIA questionnaire with its '-RS' and '-MS' panels",
            fix="pass the published questionnaire (src/survey-enfr.json)",
        )
    return QuestionSet(
        id=AIA_ID,
        version=version,
        title="Algorithmic Impact Assessment (Government of Canada)",
        sections=tuple(sections),
        source=source,
    )


def _collect(
    elements: list[Any], *, parent: str, section: str, cond: str | None, out: list[Question]
) -> None:
    for element in elements:
        kind = str(element.get("type", ""))
        name = str(element.get("name", ""))
        own = element.get("visibleIf")
        joined = own if cond is None else (cond if not own else f"({cond}) and ({own})")
        if kind == "panel":
            _collect(
                element.get("elements", []), parent=name, section=section, cond=joined, out=out
            )
            continue
        if kind in _SKIPPED or not name:
            continue
        qkind = _KINDS.get(kind, QuestionKind.TEXT)
        role = Role.NONE
        if qkind is not QuestionKind.TEXT:
            role = _role(name) or _role(parent) or Role.NONE
        out.append(
            Question(
                name=name,
                kind=qkind,
                title=_locale(element.get("title")) or name,
                section=section,
                role=role,
                choices=tuple(_choice(c) for c in element.get("choices", [])),
                visible_if=parse_condition(joined, where=name) if joined else None,
                evidence=kind == "comment",
                help=_locale(element.get("description")),
            )
        )


def _role(name: str) -> Role | None:
    if name.endswith("-RS"):
        return Role.RISK
    if name.endswith("-MS"):
        return Role.MITIGATION
    if name.endswith("-NS"):
        return Role.NONE
    return None


def _choice(raw: Any) -> Choice:
    value = raw.get("value") if isinstance(raw, Mapping) else raw
    label = _locale(raw.get("text")) if isinstance(raw, Mapping) else ""
    return Choice(value=str(value), label=label or str(value), weight=embedded_weight(value))


def _locale(text: Any) -> str:
    if isinstance(text, Mapping):
        return str(text.get("default") or text.get("en") or "")
    return "" if text is None else str(text)


def embedded_weight(value: Any) -> float:
    """A choice value's weight as the official tool reads it: a number as it is; in text the part
    after the last ``-`` read as JavaScript's ``Number`` reads it (not a number: 0; no ``-``: 0)."""
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or "-" not in value:
        return 0.0
    return _js_number(value[value.rindex("-") + 1 :])


def _js_number(text: str) -> float:
    body = text.strip()
    if body == "":
        return 0.0
    if body in ("Infinity", "+Infinity"):
        return math.inf
    if body.lower().startswith(("0x", "0o", "0b")):
        try:
            return float(int(body, 0))
        except ValueError:
            return 0.0
    if "_" in body or body.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return 0.0
    try:
        return float(body)
    except ValueError:
        return 0.0


def read_answers(path: Path) -> dict[str, Any]:
    """Answers from a JSON file: ``{name: value}``, ``{name: {"value": …, "evidence": …}}``, or a
    file saved by the official tool (``{"currentPage": …, "data": {…}}``, ``data`` also as text)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, Mapping) and "data" in data and "currentPage" in data:
            data = data["data"]
            if isinstance(data, str):
                data = json.loads(data)
    except (OSError, ValueError) as exc:
        raise InputError(
            "the answers cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            expected="a JSON object of answers by question name",
            fix="check the path and that the file is JSON",
        ) from exc
    if not isinstance(data, Mapping):
        raise InputError(
            "the answers are not an object of answers by question name",
            where=Location(file=str(path)),
            found=type(data).__name__,
            expected='{"question name": "chosen value", …}',
            fix="save the answers as a JSON object",
        )
    return dict(data)


def score_aia(question_set: QuestionSet, answers: AnswerSet | Mapping[str, Any]) -> AiaScore:
    """Score an answer set exactly as the official tool does (see the module's text)."""
    answer_set = answers if isinstance(answers, AnswerSet) else check_answers(question_set, answers)
    sums = totals(question_set, answer_set, include_hidden=True)
    raw = sums.risk
    threshold = MITIGATION_SHARE * (sums.max_mitigation / 2)
    reduced = sums.mitigation >= threshold
    current = float(math.floor((1 - REDUCTION) * raw + 0.5)) if reduced else raw
    level = 4
    for index, limit in enumerate(LEVEL_THRESHOLDS):
        if current <= sums.max_risk * limit:
            level = index + 1
            break
    phase_answer = answer_set.get("projectDetailsPhase")
    phase = None if phase_answer is None else PHASES.get(str(phase_answer.value))
    return AiaScore(
        raw_impact=_n(raw),
        max_raw_impact=_n(sums.max_risk),
        mitigation=_n(sums.mitigation),
        max_mitigation=_n(sums.max_mitigation),
        mitigation_threshold=_n(threshold),
        reduction_applied=reduced,
        current_score=_n(current),
        share=current / sums.max_risk if sums.max_risk else 0.0,
        level=level,
        level_roman=ROMAN[level - 1],
        phase=phase,
        requirements=aia_requirements(level),
        answered=len(answer_set.answers),
        hidden=answer_set.hidden,
        ignored=answer_set.ignored,
        questionnaire_version=question_set.version,
    )


def _n(value: float) -> float:
    return int(value) if float(value).is_integer() else value  # type: ignore[return-value]


def aia_requirements(level: int) -> tuple[Requirement, ...]:
    """What the Directive on Automated Decision-Making (Appendix C) requires at impact ``level``
    (notice, explanation, peer review, GBA Plus, training, human involvement, approval)."""
    if level not in (1, 2, 3, 4):
        raise InputError(
            "an impact level is 1 to 4",
            where=Location(field="level"),
            found=str(level),
            expected="1, 2, 3 or 4",
            fix="pass the level as a number from 1 (I) to 4 (IV)",
        )
    text = resources.files("civicflow.governance").joinpath("data", "canada_adm_requirements.csv")
    rows = csv.DictReader(io.StringIO(text.read_text(encoding="utf-8")))
    return tuple(
        Requirement(
            number=int(row["requirement_no"]),
            name=row["requirement_en"],
            text=row["text_en"].strip(),
            name_fr=row["requirement_fr"],
            text_fr=row["text_fr"].strip(),
        )
        for row in rows
        if int(row["impact_level"]) == level
    )
