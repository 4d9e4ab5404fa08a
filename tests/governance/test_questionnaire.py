"""The questionnaire engine: conditions, checked answers, weighted totals, question-set files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicflow.core import InputError
from civicflow.governance import (
    QuestionKind,
    Role,
    check_answers,
    load_question_set,
    parse_condition,
    totals,
)


def test_conditions_follow_the_surveyjs_subset() -> None:
    cond = parse_condition('({a} = "x" or {a} = "y") and {b} contains ["p", "q"]')
    assert cond.names == {"a", "b"}
    assert cond.holds({"a": "y", "b": ["q", "p", "r"]})
    assert not cond.holds({"a": "y", "b": ["q"]})
    assert not cond.holds({"a": "z", "b": ["p", "q"]})
    assert parse_condition('{s} contains "item1-2"').holds({"s": "item1-2"})
    assert parse_condition("{s} notempty").holds({"s": "t"})
    assert parse_condition("{s} empty").holds({})
    assert parse_condition('{s} != "a"').holds({"s": "b"})
    with pytest.raises(InputError) as info:
        parse_condition('{a} > "3"', where="q7")
    assert info.value.where is not None and info.value.where.field == "q7"
    with pytest.raises(InputError):
        parse_condition('{a} = "x" xor {b} = "y"')


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data))
    return path


SET = {
    "id": "demo",
    "sections": [
        {
            "name": "s1",
            "questions": [
                {
                    "name": "uses_pii",
                    "kind": "single",
                    "title": "Personal data?",
                    "role": "risk",
                    "choices": [{"value": "yes", "weight": 3}, {"value": "no"}],
                },
                {
                    "name": "controls",
                    "kind": "multiple",
                    "title": "Controls",
                    "role": "mitigation",
                    "visible_if": '{uses_pii} = "yes"',
                    "evidence": True,
                    "choices": [{"value": "enc", "weight": 2}, {"value": "log", "weight": 1}],
                },
                {"name": "notes", "kind": "text", "title": "Notes"},
            ],
        }
    ],
}


def test_a_question_set_file_is_versioned_and_scored(tmp_path: Path) -> None:
    qs = load_question_set(_write(tmp_path, SET))
    assert qs.version.startswith("sha256:")
    changed = json.loads(json.dumps(SET))
    changed["sections"][0]["questions"][0]["choices"][0]["weight"] = 4
    assert load_question_set(_write(tmp_path, changed)).version != qs.version
    controls = qs.question("controls")
    assert controls is not None and controls.kind is QuestionKind.MULTIPLE
    assert controls.role is Role.MITIGATION and controls.max_weight == 3
    answers = check_answers(
        qs, {"uses_pii": "yes", "controls": {"value": ["enc"], "evidence": "KMS policy v2"}}
    )
    assert answers.get("controls").evidence == "KMS policy v2"
    assert totals(qs, answers).to_dict() == {
        "risk": 3,
        "max_risk": 3,
        "mitigation": 2,
        "max_mitigation": 3,
    }
    # controls answered although personal data is not used: hidden, and not counted by default
    hidden = check_answers(qs, {"uses_pii": "no", "controls": ["enc", "log"]})
    assert hidden.hidden == ("controls",)
    assert totals(qs, hidden).mitigation == 0
    assert totals(qs, hidden, include_hidden=True).mitigation == 3


def test_bad_question_sets_and_answers_name_the_field(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(SET))
    bad["sections"][0]["questions"][0]["kind"] = "slider"
    with pytest.raises(InputError) as info:
        load_question_set(_write(tmp_path, bad))
    assert info.value.where is not None and info.value.where.field == "uses_pii.kind"
    qs = load_question_set(_write(tmp_path, SET))
    with pytest.raises(InputError) as info:
        check_answers(qs, {"notes": ["a", "b"]})
    assert info.value.where is not None and info.value.where.field == "notes"
