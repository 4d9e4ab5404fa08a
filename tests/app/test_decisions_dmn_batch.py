"""DMN models through the rule set lifecycle (draft → review → approval by another person →
publish only when their YAML tests pass; then decide, review, appeal; what-if refused with its
reason), and batches of decisions: every decision stored and routed, one ledger entry per batch
whose digest ``verify_batch`` recomputes, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.app.test_decisions import MARCH, TEXT, _actions, _publish, setup  # noqa: F401
from tests.conftest import shared_file

from civicflow.app import Role
from civicflow.app import decisions as rd
from civicflow.app._models import RuleDecisionRow
from civicflow.core import CivicflowError, ConflictError, InputError, PermissionDeniedError
from civicflow.decisions import DmnImportError, ParameterChange


def _loan() -> tuple[str, str]:
    """The Camunda loan-compliance model and YAML tests made from its expected results."""
    text = shared_file("decisions", "camunda", "personLoanCompliance.dmn").read_text()
    expected = json.loads(
        shared_file("decisions", "camunda", "personLoanCompliance.expected.json").read_text()
    )
    tests = {
        "ruleset": "loan_compliance",
        "cases": [
            {"name": f"camunda case {c['id']}", "date": MARCH.isoformat(), "inputs": c["inputs"],
             "expected": {"Person Loan Compliance": c["expected"]}}
            for c in expected["cases"]
        ],
    }  # fmt: skip
    return text, json.dumps(tests)


def _draft_loan(ctx, ws, author, tests_text=None, **kwargs):  # type: ignore[no-untyped-def]
    text, tests = _loan()
    return rd.draft_ruleset(
        ctx, actor=author, workspace_id=ws.id, text=text, tests_text=tests_text or tests,
        name="loan_compliance", positive=("Compliant",), **kwargs,
    )  # fmt: skip


def test_a_dmn_model_goes_through_the_lifecycle_like_a_rule_set(setup) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ctx, ws, member, _admin = setup
    officer, other, worker = (
        member(Role.SERVICE_OWNER),
        member(Role.SERVICE_OWNER, "2"),
        member(Role.CASEWORKER),
    )
    with pytest.raises(PermissionDeniedError):
        _draft_loan(ctx, ws, worker)
    v = _draft_loan(ctx, ws, officer, review_negative=True)
    assert (v.kind, v.name, v.dmn_decision, v.dmn_positive) == (
        "dmn", "loan_compliance", "Person Loan Compliance", ("Compliant",)
    )  # fmt: skip
    assert v.test_result is not None and v.test_result["passed"] is True
    rd.submit_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    with pytest.raises(PermissionDeniedError, match="cannot approve it"):
        rd.approve_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    rd.approve_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    published = rd.publish_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    assert published.status == "published" and published.to_dict()["kind"] == "dmn"

    refused = rd.decide_case(
        ctx, actor=worker, workspace_id=ws.id, ruleset="loan_compliance", on=MARCH,
        inputs={"creditRating": "B", "creditBalance": 10000, "loanBalance": 50000},
    )  # fmt: skip
    assert refused.positive is False and refused.status == "pending_review"
    assert "'Person Loan Compliance' is Not Compliant" in refused.explanation
    _, review = rd.review_decision(
        ctx, actor=worker, workspace_id=ws.id, decision_id=refused.id, action="override",
        reason="the rating was wrongly recorded", rule="Person Loan Compliance",
    )  # fmt: skip
    assert review.final_positive is True
    counts = rd.override_counts(ctx, actor=worker, workspace_id=ws.id, ruleset="loan_compliance")
    assert counts == {"Person Loan Compliance": 1}
    appeal = rd.appeal_decision(
        ctx, actor=worker, workspace_id=ws.id, decision_id=refused.id, grounds="rating is A",
        reason="rating corrected", corrected_inputs={"creditRating": "A", "creditBalance": 5000,
                                                     "loanBalance": 10000},
    )  # fmt: skip
    assert appeal.positive is True and appeal.ruleset_version_id == v.id
    with pytest.raises(ConflictError, match="what-if cannot run") as caught:
        rd.what_if_change(
            ctx, actor=officer, workspace_id=ws.id, ruleset="loan_compliance",
            change=ParameterChange(parameter="x", value=1.0),
        )  # fmt: skip
    assert "no parameters separate from its rules" in (caught.value.fix or "")
    (answer,) = rd.check_eligibility(
        ctx, workspace_id=ws.id, on=MARCH,
        answers={"creditRating": "A", "creditBalance": 5000, "loanBalance": 10000},
    )  # fmt: skip
    assert answer.positive is True
    assert [a for a in _actions(ctx) if a.startswith("rules.")] == [
        "rules.draft", "rules.submit", "rules.approve", "rules.publish",
    ]  # fmt: skip


def test_a_dmn_model_with_a_failing_test_is_not_published_and_a_bad_one_not_stored(setup) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ctx, ws, member, _admin = setup
    officer, other = member(Role.SERVICE_OWNER), member(Role.SERVICE_OWNER, "2")
    _text, tests = _loan()
    wrong = tests.replace('"Compliant"', '"Refused"')
    v = _draft_loan(ctx, ws, officer, tests_text=wrong)
    assert v.test_result is not None and v.test_result["passed"] is False
    rd.submit_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    rd.approve_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    with pytest.raises(ConflictError, match="1 of 2 tests fail"):
        rd.publish_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    before = len(_actions(ctx))
    with pytest.raises(DmnImportError, match="not well-formed XML"):
        rd.draft_ruleset(
            ctx, actor=officer, workspace_id=ws.id, text="<definitions>", tests_text=tests
        )
    with pytest.raises(CivicflowError, match="has no decision 'Nope'"):
        _draft_loan(ctx, ws, officer, decision="Nope")
    rd.return_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id, reason="tests fail")
    before = len(_actions(ctx))
    with pytest.raises(ConflictError, match="keeps its kind"):
        rd.update_draft(ctx, actor=officer, workspace_id=ws.id, version_id=v.id, text=TEXT)
    assert len(_actions(ctx)) == before
    assert len(rd.list_versions(ctx, actor=officer, workspace_id=ws.id)) == 1


def _dinner_rows(n: int) -> list[dict[str, str]]:
    seasons = ("Spring", "Summer", "Fall", "Winter")
    return [
        {"case_ref": f"D-{i}", "season": seasons[i % 4], "guestCount": str(2 + i % 9),
         "guestsWithChildren": "true" if i % 3 == 0 else "false"}
        for i in range(n)
    ]  # fmt: skip


def test_a_batch_stores_every_decision_with_one_ledger_entry(setup) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ctx, ws, member, admin = setup
    officer, other, worker = (
        member(Role.SERVICE_OWNER),
        member(Role.SERVICE_OWNER, "2"),
        member(Role.CASEWORKER),
    )
    _publish(ctx, ws, officer, other, automation="automatic", review_negative=True)
    incomes = [1000, 2200, 2310, 2600, 900, 1500, 3000]
    csv = "case_ref,resident,age,household_size,household_income\n" + "".join(
        f"C-{i},yes,40,2,{income}\n" for i, income in enumerate(incomes)
    )
    rows = rd.read_cases(csv.encode(), name="cases.csv")
    assert rows[0] == {"case_ref": "C-0", "resident": "yes", "age": "40", "household_size": "2",
                       "household_income": "1000"}  # fmt: skip
    seen: list[tuple[int, int]] = []
    with pytest.raises(PermissionDeniedError):
        rd.decide_batch_cases(ctx, actor=officer, workspace_id=ws.id, ruleset="social_support",
                              rows=rows, on=MARCH)  # fmt: skip
    before = len(_actions(ctx))
    batch = rd.decide_batch_cases(
        ctx, actor=worker, workspace_id=ws.id, ruleset="social_support", rows=rows, on=MARCH,
        source="cases.csv", progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert seen[-1] == (7, 7)
    one_by_one = [
        rd.decide_case(ctx, actor=worker, workspace_id=ws.id, ruleset="social_support",
                       inputs={k: v for k, v in rows[i].items() if k != "case_ref"}, on=MARCH,
                       case_ref=rows[i]["case_ref"])
        for i in range(len(incomes))
    ]  # fmt: skip
    assert batch.cases == 7 and batch.positive == sum(d.positive for d in one_by_one)
    assert batch.statuses == {"final": batch.positive, "pending_review": 7 - batch.positive}
    assert batch.in_review == 7 - batch.positive
    assert _actions(ctx)[before] == "decision.decide_batch"
    assert _actions(ctx)[before + 1 :] == ["decision.decide"] * 7  # one entry for the batch
    stored = rd.batch_decisions(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)
    assert sorted(d.case_ref for d in stored) == [f"C-{i}" for i in range(7)]
    for d in stored:
        twin = one_by_one[int(d.case_ref[2:])]
        assert (d.positive, d.status, d.explanation) == (
            twin.positive,
            twin.status,
            twin.explanation,
        )
        assert d.trace["trace"] == twin.trace["trace"]
    queue = rd.review_queue(ctx, actor=worker, workspace_id=ws.id)
    assert {d.id for d in stored if d.status == "pending_review"} <= {d.id for d in queue}
    results = rd.batch_results(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)
    assert list(results.columns[:7]) == list(rd.RESULT_COLUMNS) and len(results) == 7
    assert results["explanation"].str.len().min() > 0
    assert rd.list_batches(ctx, actor=admin, workspace_id=ws.id)[0].id == batch.id

    # the digest holds, and catches a decision changed behind the application's back
    assert rd.verify_batch(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)
    d = next(d for d in stored if d.status == "pending_review")
    rd.review_decision(ctx, actor=worker, workspace_id=ws.id, decision_id=d.id, action="confirm")
    assert rd.verify_batch(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.update(RuleDecisionRow).where(RuleDecisionRow.id == d.id).values(positive=True)
        )
    assert not rd.verify_batch(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)


def test_a_batch_is_all_or_nothing_and_runs_on_a_dmn_model(setup, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ctx, ws, member, admin = setup
    officer, other, worker = (
        member(Role.SERVICE_OWNER),
        member(Role.SERVICE_OWNER, "2"),
        member(Role.CASEWORKER),
    )
    _publish(ctx, ws, officer, other)
    from civicflow.app import _decisions

    monkeypatch.setattr(_decisions, "BATCH_CHUNK", 2)
    rows = [{"resident": "yes", "age": "40", "household_size": "2", "household_income": "1000"}] * 3
    rows = [
        *rows,
        {"resident": "yes", "age": "40", "household_size": "2", "household_income": "lots"},
    ]
    before = len(_actions(ctx))
    with pytest.raises(InputError, match="row 4: the input 'household_income'"):
        rd.decide_batch_cases(ctx, actor=worker, workspace_id=ws.id, ruleset="social_support",
                              rows=rows, on=MARCH)  # fmt: skip
    assert len(_actions(ctx)) == before
    assert rd.list_decisions(ctx, actor=admin, workspace_id=ws.id) == []
    assert rd.list_batches(ctx, actor=admin, workspace_id=ws.id) == []
    with pytest.raises(InputError, match="no cases"):
        rd.decide_batch_cases(ctx, actor=worker, workspace_id=ws.id, ruleset="social_support",
                              rows=[], on=MARCH)  # fmt: skip

    text = shared_file("decisions", "camunda", "dinnerDecisions.dmn").read_text()
    spring = {"season": "Spring", "guestCount": 10, "guestsWithChildren": False}
    tests = json.dumps({"ruleset": "dinner", "cases": [
        {"name": "stew in spring", "date": "2026-03-01", "inputs": spring,
         "expected": {"Dish": "Stew"}},
    ]})  # fmt: skip
    v = rd.draft_ruleset(ctx, actor=officer, workspace_id=ws.id, text=text, tests_text=tests,
                         name="dinner", decision="Dish", positive=("Stew",),
                         automation="recommend")  # fmt: skip
    rd.submit_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    rd.approve_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    rd.publish_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    batch = rd.decide_batch_cases(ctx, actor=worker, workspace_id=ws.id, ruleset="dinner",
                                  rows=_dinner_rows(9), on=MARCH, source="dinner.csv")  # fmt: skip
    stored = rd.batch_decisions(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)
    assert batch.cases == 9 and batch.statuses == {"recommended": 9}
    for d in stored:
        row = _dinner_rows(9)[int(d.case_ref[2:])]
        one = v.model().decide({k: x for k, x in row.items() if k != "case_ref"}, on=MARCH)
        assert d.outputs["Dish"] == one.outputs["Dish"] and d.positive == one.positive
    assert batch.positive == sum(d.outputs["Dish"] == "Stew" for d in stored)
    assert rd.verify_batch(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)


def test_read_cases_reads_parquet_and_names_a_bad_table(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "cases.parquet"
    pd.DataFrame({"age": [40, 51], "resident": [True, None]}).to_parquet(path)
    rows = rd.read_cases(path.read_bytes(), name="cases.parquet")
    assert rows == [{"age": 40, "resident": True}, {"age": 51, "resident": None}]
    with pytest.raises(InputError, match=r"cannot read the cases in bad\.parquet"):
        rd.read_cases(b"not parquet", name="bad.parquet")
