"""`civicflow rules …` in process, with --json: tests as data, deciding and explaining from a rule
set file (nothing stored), and a version through review (four eyes) to publication, then a stored
decision and its explanation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.app import SYSTEM, accounts, local_operator, open_local_app
from civicflow.app._local import os_login
from civicflow.cli import app
from civicflow.decisions import EXAMPLES

runner = CliRunner()
RULES = str(EXAMPLES / "social_support.yaml")
COUPLE = [
    "-i",
    "resident=yes",
    "-i",
    "age=41",
    "-i",
    "household_size=2",
    "-i",
    "household_income=2310",
]


def _run(args: list[str], code: int = 0) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, (result.output, result.exception)
    return result.stdout


def _fails(args: list[str], match: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert match in str(result.exception) + result.output


def _json(args: list[str], code: int = 0) -> dict:
    return json.loads(_run([*args, "--json"], code))


def test_rules_test_passes_and_reports_a_failure_with_its_line(tmp_path: Path) -> None:
    report = _json(["rules", "test", RULES])
    assert report["passed"] is True and len(report["cases"]) == 8
    broken = tmp_path / "broken.tests.yaml"
    broken.write_text(
        (EXAMPLES / "social_support.tests.yaml")
        .read_text()
        .replace("benefit_amount: 647", "benefit_amount: 600")
    )
    text = _run(["rules", "test", RULES, "--tests", str(broken)], code=1)
    assert "FAIL single parent with two children, low income" in text
    assert "benefit_amount: expected 600, found 647" in text
    assert "7 of 8 cases passed, 1 failed" in text


def test_decide_and_explain_a_rule_set_file(tmp_path: Path) -> None:
    decided = _json(["rules", "decide", RULES, "--date", "2026-03-01", *COUPLE])
    assert decided["stored"] is False and decided["outcome"] == "not eligible"
    assert "exceeds the limit of 2,150" in decided["explanation"]
    text = _run(["rules", "explain", RULES, "--date", "2026-03-01", *COUPLE])
    assert "not eligible" in text and "legal reference" in text
    traced = _json(["rules", "explain", RULES, "--date", "2026-03-01", *COUPLE])
    (limit,) = [s for s in traced["trace"] if s["name"] == "applicable_limit"]
    assert limit["reference"]["article"] == "art. 12"
    assert limit["parameters"][0] | {"reference": None} == {
        "name": "income_limit", "label": "monthly income limit", "value": 2150, "key": 2,
        "since": "2026-01-01", "reference": None,
    }  # fmt: skip
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "resident,age,household_size,household_income,children\n"
        "yes,41,2,2310,0\nyes,29,3,1200,2\nno,50,1,100,0\n"
    )
    out = tmp_path / "out.csv"
    batch = _json(
        ["rules", "decide", RULES, "--date", "2026-03-01", "--cases", str(cases), "--out", str(out)]
    )
    assert (batch["cases"], batch["positive"], batch["negative"]) == (3, 1, 2)
    assert out.read_text().splitlines()[2].startswith("2,True,647")
    _fails(["rules", "decide", RULES, "-i", "age=abc"], "the input 'age' is not a valid integer")


def test_a_version_through_review_to_a_stored_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    w = ["-w", str(ws)]
    submitted = _json(["rules", "submit", RULES, *w, "--automation", "automatic"])
    assert submitted["status"] == "in_review" and submitted["tests_passed"] is True
    version = submitted["id"]
    _fails(["rules", "approve", version, *w], "cannot approve it")
    _fails(["rules", "publish", version, *w], "cannot be published")
    # a second policy officer (another login) approves
    ctx = open_local_app()
    try:
        other = local_operator(ctx, workspace_path=ws, login="officer2")
        accounts.grant_role(
            ctx, actor=SYSTEM, workspace_id=other.workspace_id, user_id=other.actor.user_id,
            role="service_owner",
        )  # fmt: skip
    finally:
        ctx.close()
    me = os_login()
    monkeypatch.setenv("LOGNAME", "officer2")
    monkeypatch.setenv("USER", "officer2")
    approved = _json(["rules", "approve", version, *w])
    assert (
        approved["status"] == "approved" and approved["ledger_entry"]["action"] == "rules.approve"
    )
    published = _json(["rules", "publish", version, *w])
    assert published["status"] == "published"
    monkeypatch.setenv("LOGNAME", me)
    monkeypatch.setenv("USER", me)
    stored = _json(
        ["rules", "decide", "social_support", *w, "--date", "2026-03-01", *COUPLE, "--case", "A-7"]
    )
    assert stored["stored"] is True and stored["status"] == "final" and stored["case_ref"] == "A-7"
    assert stored["ledger_entry"]["action"] == "decision.decide"
    shown = _json(["rules", "explain", stored["id"], *w])
    assert shown["explanation"] == stored["explanation"] and shown["appeals"] == []
    stream = tmp_path / "stream.csv"
    exported = _json(["rules", "decisions", *w, "--out", str(stream)])
    assert [d["id"] for d in exported["decisions"]] == [stored["id"]]
    header, row = stream.read_text().splitlines()
    assert header.startswith("decision_id,ruleset,case_ref,date,resident,age")
    assert row.endswith(",0,0,final,0")
    listed = _json(["rules", "list", *w])
    assert [(v["version"], v["status"]) for v in listed] == [(1, "published")]


def test_a_dmn_model_decides_and_explains_from_the_command_line(tmp_path: Path) -> None:
    from conftest import shared_file

    model = str(shared_file("decisions", "kogito", "traffic-violation.dmn"))
    case = tmp_path / "case.json"
    case.write_text(
        json.dumps(
            {
                "Driver": {"Points": 15},
                "Violation": {"Type": "speed", "Speed Limit": 100, "Actual Speed": 140},
            }
        )
    )
    suspended = "Should the driver be suspended?"
    args = ["--decision", suspended, "--positive", "No", "--inputs", str(case)]
    decided = _json(["rules", "decide", model, *args])
    assert decided["stored"] is False
    assert decided["outputs"]["Fine"] == {"Amount": 1000, "Points": 7}
    assert decided["outputs"][suspended] == "Yes"
    assert decided["positive"] is False
    assert decided["explanation"].startswith(
        "The outcome is: negative ('Should the driver be suspended?' is Yes) because 'Fine' is"
    )
    explained = _json(["rules", "explain", model, *args])
    fine = next(s for s in explained["trace"] if s["name"] == "Fine")
    assert fine["reference"]["article"] == "decision Fine, rules 2"
    _fails(["rules", "decide", model, "--decision", "Nope", "--inputs", str(case)], "no decision")
    dinner = str(shared_file("decisions", "camunda", "dinnerDecisions.dmn"))
    table = tmp_path / "dinners.csv"
    table.write_text("season,guestCount,guestsWithChildren\nSpring,10,false\nWinter,7,true\n")
    out = tmp_path / "dinners.out.csv"
    batch = _json(["rules", "decide", dinner, "--decision", "Dish", "--positive", "Stew",
                   "--cases", str(table), "--out", str(out)])  # fmt: skip
    assert (batch["cases"], batch["positive"]) == (2, 1)
    assert out.read_text().splitlines()[1].startswith("1,positive,Stew,")


def test_a_dmn_model_through_review_and_a_stored_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import shared_file

    ws = tmp_path / "ws"
    w = ["-w", str(ws)]
    model = tmp_path / "dinner.dmn"
    model.write_text(shared_file("decisions", "camunda", "dinnerDecisions.dmn").read_text())
    (tmp_path / "dinner.tests.yaml").write_text(
        "ruleset: dinner\ncases:\n  - name: spring\n    date: 2026-03-01\n"
        "    inputs: {season: Spring, guestCount: 10, guestsWithChildren: false}\n"
        "    expected: {Dish: Stew}\n"
    )
    submitted = _json(["rules", "submit", str(model), *w, "--decision", "Dish", "--positive",
                       "Stew", "--name", "dinner", "--automation", "recommend"])  # fmt: skip
    assert (submitted["kind"], submitted["name"], submitted["tests_passed"]) == (
        "dmn",
        "dinner",
        True,
    )
    ctx = open_local_app()
    try:
        other = local_operator(ctx, workspace_path=ws, login="officer2")
        accounts.grant_role(
            ctx, actor=SYSTEM, workspace_id=other.workspace_id, user_id=other.actor.user_id,
            role="service_owner",
        )  # fmt: skip
    finally:
        ctx.close()
    me = os_login()
    monkeypatch.setenv("LOGNAME", "officer2")
    monkeypatch.setenv("USER", "officer2")
    _json(["rules", "approve", submitted["id"], *w])
    _json(["rules", "publish", submitted["id"], *w])
    monkeypatch.setenv("LOGNAME", me)
    monkeypatch.setenv("USER", me)
    table = tmp_path / "dinners.csv"
    table.write_text(
        "case_ref,season,guestCount,guestsWithChildren\n"
        "D-1,Spring,10,false\nD-2,Winter,7,true\nD-3,Summer,3,false\n"
    )
    out = tmp_path / "results.csv"
    stored = _json(["rules", "decide", "dinner", *w, "--date", "2026-03-01", "--cases",
                    str(table), "--out", str(out)])  # fmt: skip
    assert stored["stored"] is True and stored["cases"] == 3
    assert stored["statuses"] == {"recommended": 3} and stored["in_review"] == 3
    assert stored["ledger_entry"]["action"] == "decision.decide_batch"
    header, *rows = out.read_text().splitlines()
    assert header.startswith("decision_id,case_ref,date,outcome,positive,uncertain,status,Dish")
    assert sorted(r.split(",")[1] for r in rows) == ["D-1", "D-2", "D-3"]
    shown = _json(["rules", "batch", stored["id"], *w])
    assert shown["verified"] is True and len(shown["review"]) == 3
    text = _run(["rules", "batch", stored["id"], *w])
    assert "3 recommended" in text and "digest verified" in text
    verified = _json(["ledger", "verify"])  # one entry for the batch; the chain still holds
    assert verified["ok"] is True and verified["problems"] == []

    # a dataset's cases as a batch: each input from the case's latest event carrying it
    log = tmp_path / "dinner_log.csv"
    log.write_text(
        "case,activity,time,season,guestCount,guestsWithChildren\n"
        "E-1,Ask,2026-01-01 10:00,Winter,2,false\n"
        "E-1,Serve,2026-01-01 12:00,Spring,10,false\n"
        "E-2,Ask,2026-01-02 10:00,Winter,7,true\n"
    )
    _json(["ingest", str(log), *w, "--name", "dinners", "--case-id", "case", "--activity",
           "activity", "--timestamp", "time"])  # fmt: skip
    from_dataset = _json(["rules", "decide", "dinner", *w, "--date", "2026-03-01",
                          "--dataset", "dinners", "--out", str(out)])  # fmt: skip
    assert from_dataset["cases"] == 2 and from_dataset["source"] == "dataset dinners"
    results = {r.split(",")[1]: r for r in out.read_text().splitlines()[1:]}
    assert sorted(results) == ["E-1", "E-2"]
    assert ",Stew" in results["E-1"]  # Spring with 10 guests (its latest values), not Winter
    _fails(["rules", "decide", "dinner", *w, "--dataset", "dinners", "--cases", str(table)],
           "--dataset")  # fmt: skip
