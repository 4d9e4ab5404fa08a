"""Rules-as-code use cases: rule set versions through review and publication (four eyes, tests
must pass, published immutable), decisions with automation levels, the review queue with
overrides counted per rule, appeals under the original date's rules, what-if, the public check
— role-checked and ledgered; a failed operation stores nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, Role, accounts, workspaces
from civicflow.app import decisions as rd
from civicflow.core import ConfigurationError, ConflictError, InputError, PermissionDeniedError
from civicflow.decisions import EXAMPLES, ParameterChange
from civicflow.ledger import tables

TEXT = (EXAMPLES / "social_support.yaml").read_text()
TESTS = (EXAMPLES / "social_support.tests.yaml").read_text()
COUPLE = {"resident": True, "age": 41, "household_size": 2, "household_income": 2310}
MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="benefits", path=tmp_path / "ws")

    def member(role: Role, tag: str = "") -> Actor:
        u = accounts.create_user(
            ctx, actor=admin, email=f"{role.value}{tag}@agency.example", display_name=role.label,
            password=None,
        )  # fmt: skip
        accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=role)
        return accounts.get_actor(ctx, u.id)

    return ctx, ws, member, admin


def _actions(ctx: AppContext) -> list[str]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.entries.c.action).order_by(tables.entries.c.idx))
        return [r[0] for r in rows]


def _publish(ctx, ws, author, approver, **kwargs):  # type: ignore[no-untyped-def]
    v = rd.draft_ruleset(
        ctx, actor=author, workspace_id=ws.id, text=TEXT, tests_text=TESTS, **kwargs
    )
    rd.submit_ruleset(ctx, actor=author, workspace_id=ws.id, version_id=v.id)
    rd.approve_ruleset(ctx, actor=approver, workspace_id=ws.id, version_id=v.id)
    return rd.publish_ruleset(ctx, actor=approver, workspace_id=ws.id, version_id=v.id)


def test_a_version_is_approved_by_another_person_and_published_immutable(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, _admin = setup
    officer, other = member(Role.SERVICE_OWNER), member(Role.SERVICE_OWNER, "2")
    with pytest.raises(PermissionDeniedError):
        rd.draft_ruleset(
            ctx, actor=member(Role.CASEWORKER), workspace_id=ws.id, text=TEXT, tests_text=TESTS
        )
    v = rd.draft_ruleset(ctx, actor=officer, workspace_id=ws.id, text=TEXT, tests_text=TESTS)
    assert (v.name, v.version, v.status) == ("social_support", 1, "draft")
    assert v.test_result is not None and v.test_result["passed"] is True
    with pytest.raises(ConflictError, match="cannot be approved"):
        rd.approve_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    rd.submit_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    with pytest.raises(PermissionDeniedError, match="cannot approve it"):
        rd.approve_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    approved = rd.approve_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    assert approved.approved_by == other.pseudonym
    published = rd.publish_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    assert published.status == "published" and published.published_at is not None
    with pytest.raises(ConflictError, match="published versions never change"):
        rd.update_draft(
            ctx, actor=officer, workspace_id=ws.id, version_id=v.id, automation="automatic"
        )
    with pytest.raises(ConflictError):
        rd.return_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id, reason="x")
    second = rd.draft_ruleset(ctx, actor=officer, workspace_id=ws.id, text=TEXT, tests_text=TESTS)
    assert second.version == 2
    history = rd.list_versions(
        ctx, actor=member(Role.VIEWER), workspace_id=ws.id, name="social_support"
    )
    assert [(h.version, h.status) for h in history] == [(2, "draft"), (1, "published")]
    assert [a for a in _actions(ctx) if a.startswith("rules.")] == [
        "rules.draft",
        "rules.submit",
        "rules.approve",
        "rules.publish",
        "rules.draft",
    ]


def test_a_version_with_a_failing_test_cannot_be_published(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, _admin = setup
    officer, other = member(Role.SERVICE_OWNER), member(Role.SERVICE_OWNER, "2")
    broken = TESTS.replace("applicable_limit: 2150}", "applicable_limit: 2100}")
    v = rd.draft_ruleset(ctx, actor=officer, workspace_id=ws.id, text=TEXT, tests_text=broken)
    assert v.test_result is not None and v.test_result["passed"] is False
    rd.submit_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    rd.approve_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    before = len(_actions(ctx))
    with pytest.raises(ConflictError, match="1 of 8 tests fail") as caught:
        rd.publish_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)
    assert "applicable_limit: expected 2,100, found 2,150" in (caught.value.found or "")
    assert len(_actions(ctx)) == before
    assert (
        rd.get_version(ctx, actor=officer, workspace_id=ws.id, version_id=v.id).status == "approved"
    )
    report = rd.run_version_tests(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)
    assert len(report.failures) == 1


def test_a_bad_rule_file_stores_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, _member, admin = setup
    before = len(_actions(ctx))
    with pytest.raises(ConfigurationError, match="unknown name"):
        rd.draft_ruleset(
            ctx, actor=admin, workspace_id=ws.id,
            text=TEXT.replace("formula: age >= minimum_age", "formula: age >= minimum_agee"),
            tests_text=TESTS,
        )  # fmt: skip
    assert rd.list_versions(ctx, actor=admin, workspace_id=ws.id) == []
    assert len(_actions(ctx)) == before


def test_automation_levels_route_decisions(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, _admin = setup
    officer, other, worker = (
        member(Role.SERVICE_OWNER),
        member(Role.SERVICE_OWNER, "2"),
        member(Role.CASEWORKER),
    )
    _publish(ctx, ws, officer, other, automation="automatic", review_negative=True)
    with pytest.raises(PermissionDeniedError):
        rd.decide_case(
            ctx,
            actor=officer,
            workspace_id=ws.id,
            ruleset="social_support",
            inputs=COUPLE,
            on=MARCH,
        )
    refused = rd.decide_case(
        ctx, actor=worker, workspace_id=ws.id, ruleset="social_support", inputs=COUPLE, on=MARCH,
        case_ref="A-1",
    )  # fmt: skip
    assert refused.positive is False and refused.status == "pending_review"
    assert "exceeds the limit of 2,150" in refused.explanation
    assert any(step["name"] == "applicable_limit" for step in refused.trace["trace"])
    granted = rd.decide_case(
        ctx, actor=worker, workspace_id=ws.id, ruleset="social_support",
        inputs=dict(COUPLE, household_income=1000), on=MARCH,
    )  # fmt: skip
    assert granted.status == "final" and granted.final_positive is True
    queue = rd.review_queue(ctx, actor=worker, workspace_id=ws.id)
    assert [d.id for d in queue] == [refused.id]
    with pytest.raises(ConflictError, match="not in the review queue"):
        rd.review_decision(
            ctx, actor=worker, workspace_id=ws.id, decision_id=granted.id, action="confirm"
        )


def test_overrides_need_a_reason_and_are_counted_per_rule(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, _admin = setup
    officer, other, worker = (
        member(Role.SERVICE_OWNER),
        member(Role.SERVICE_OWNER, "2"),
        member(Role.CASEWORKER),
    )
    _publish(ctx, ws, officer, other, automation="review")
    made = [
        rd.decide_case(
            ctx,
            actor=worker,
            workspace_id=ws.id,
            ruleset="social_support",
            inputs=dict(COUPLE, household_income=2200 + i),
            on=MARCH,
        )
        for i in range(3)
    ]
    assert all(d.status == "pending_review" for d in made)
    with pytest.raises(InputError, match="needs a reason"):
        rd.review_decision(
            ctx, actor=worker, workspace_id=ws.id, decision_id=made[0].id, action="override"
        )
    with pytest.raises(InputError, match="not a rule"):
        rd.review_decision(
            ctx, actor=worker, workspace_id=ws.id, decision_id=made[0].id, action="override",
            reason="x", rule="no_such_rule",
        )  # fmt: skip
    for d in made[:2]:
        decided, review = rd.review_decision(
            ctx, actor=worker, workspace_id=ws.id, decision_id=d.id, action="override",
            reason="the limit ignores a disabled household member", rule="income_within_limit",
        )  # fmt: skip
        assert decided.status == "overridden" and decided.final_positive is True
        assert review.rule == "income_within_limit"
    confirmed, _ = rd.review_decision(
        ctx, actor=worker, workspace_id=ws.id, decision_id=made[2].id, action="confirm"
    )
    assert confirmed.final_positive is False
    counts = rd.override_counts(
        ctx, actor=member(Role.VIEWER), workspace_id=ws.id, ruleset="social_support"
    )
    assert counts == {"income_within_limit": 2}
    reviews = [a for a in _actions(ctx) if a.startswith("decision.") and a != "decision.decide"]
    assert reviews == ["decision.override", "decision.override", "decision.confirm"]


def test_an_appeal_is_decided_under_the_rules_of_the_original_date(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, admin = setup
    officer, other, worker = (
        member(Role.SERVICE_OWNER),
        member(Role.SERVICE_OWNER, "2"),
        member(Role.CASEWORKER),
    )
    _publish(ctx, ws, officer, other, automation="automatic")
    # decided in 2025 with income 2,100: over the 2025 limit of 2,050 for two (2,150 from 2026)
    old = rd.decide_case(
        ctx, actor=worker, workspace_id=ws.id, ruleset="social_support",
        inputs=dict(COUPLE, household_income=2100), on=dt.date(2025, 6, 1),
    )  # fmt: skip
    assert old.positive is False
    same = rd.appeal_decision(
        ctx, actor=worker, workspace_id=ws.id, decision_id=old.id,
        grounds="the limit is 2,150", reason="the 2025 limit of 2,050 applied on the decision date",
    )  # fmt: skip
    assert same.positive is False and same.changed is False
    assert "limit of 2,050" in str(same.result["explanation"])
    corrected = rd.appeal_decision(
        ctx, actor=worker, workspace_id=ws.id, decision_id=old.id,
        grounds="my income was 1,950", reason="payslips show 1,950",
        corrected_inputs={"household_income": 1950},
    )  # fmt: skip
    assert corrected.positive is True and corrected.changed is True
    assert [a.id for a in rd.list_appeals(ctx, actor=admin, workspace_id=ws.id, decision_id=old.id)] == [
        corrected.id, same.id,
    ]  # fmt: skip
    with pytest.raises(InputError, match="grounds"):
        rd.appeal_decision(
            ctx, actor=worker, workspace_id=ws.id, decision_id=old.id, grounds=" ", reason="r"
        )


def test_what_if_and_the_public_check(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, admin = setup
    officer, other, worker = (
        member(Role.SERVICE_OWNER),
        member(Role.SERVICE_OWNER, "2"),
        member(Role.CASEWORKER),
    )
    assert rd.check_eligibility(ctx, workspace_id=ws.id, answers={}, on=MARCH) == []
    _publish(ctx, ws, officer, other, automation="automatic")
    for income in (1000, 2200, 2310, 2600):
        rd.decide_case(ctx, actor=worker, workspace_id=ws.id, ruleset="social_support",
                       inputs=dict(COUPLE, household_income=income), on=MARCH)  # fmt: skip
    change = ParameterChange(parameter="income_limit", scale={1: 1580, 2: 2350, 3: 2520})
    with pytest.raises(PermissionDeniedError):
        rd.what_if_change(
            ctx, actor=worker, workspace_id=ws.id, ruleset="social_support", change=change
        )
    result = rd.what_if_change(
        ctx, actor=officer, workspace_id=ws.id, ruleset="social_support", change=change
    )
    assert result.cases == 4 and len(result.gains) == 2 and not result.losses
    assert result.cost > 0
    assert _actions(ctx)[-1] == "rules.what_if"
    before = len(_actions(ctx))
    answers = {"resident": "yes", "age": "41", "household_size": "2", "household_income": "2310"}
    (answer,) = rd.check_eligibility(ctx, workspace_id=ws.id, answers=answers, on=MARCH)
    assert answer.positive is False and "exceeds the limit" in answer.explanation
    (partial,) = rd.check_eligibility(ctx, workspace_id=ws.id, answers={"age": 30}, on=MARCH)
    assert partial.positive is None and "household income" in partial.missing
    assert len(_actions(ctx)) == before
    assert len(rd.list_decisions(ctx, actor=admin, workspace_id=ws.id)) == 4


def test_a_fairness_audit_reads_the_recorded_decisions_in_place(setup) -> None:  # type: ignore[no-untyped-def]
    """The decision stream is what the fairness audit reads: every recorded decision with its
    inputs as the groups, the rules' outcome and the outcome after review; the digest changes
    when a review changes an outcome."""
    from civicflow.app import fairness as af
    from civicflow.fairness import AuditConfig

    ctx, ws, member, _admin = setup
    officer, other = member(Role.SERVICE_OWNER), member(Role.SERVICE_OWNER, "2")
    worker, auditor = member(Role.CASEWORKER), member(Role.AUDITOR)
    _publish(ctx, ws, officer, other, automation="automatic", review_negative=True)
    incomes = {1: [900, 1200, 1500, 3000], 2: [1000, 1400, 2310, 2500, 2600, 2800]}
    made = [
        rd.decide_case(
            ctx,
            actor=worker,
            workspace_id=ws.id,
            ruleset="social_support",
            on=MARCH,
            inputs=dict(COUPLE, household_size=size, household_income=income),
        )
        for size, amounts in incomes.items()
        for income in amounts
    ]
    source = af.RecordedDecisionsSource(ws.id, "social_support")
    config = AuditConfig(outcome="positive", groups=("household_size",), min_group_size=1)
    stored, audit = af.audit_source(
        ctx, actor=auditor, workspace_id=ws.id, source=source, config=config
    )
    assert stored.name == "social_support-decisions" and audit.rows == len(made)
    # the publication registered the rule set; its decisions are audited as that system
    from civicflow.app import governance

    entry = governance.get_system(
        ctx, actor=auditor, workspace_id=ws.id, ref="Rules: social_support"
    )
    assert entry.oversight.value == "on-the-loop" and entry.model_version == "v1"
    assert "Social Support Act" in entry.legal_basis
    assert stored.system_name == "Rules: social_support" and stored.system_version == "v1"
    expected = {
        size: sum(d.positive for d in made if d.inputs["household_size"] == size) / len(amounts)
        for size, amounts in incomes.items()
    }
    for size, rate in expected.items():
        assert audit.metric("household_size", str(size), "selection_rate").value == pytest.approx(
            rate
        )
    assert rate < 1.0  # a household of 2 above the limit is refused
    refused = [d for d in made if not d.positive]
    rd.review_decision(
        ctx, actor=worker, workspace_id=ws.id, decision_id=refused[0].id, action="override",
        reason="the income includes a one-off payment",
    )  # fmt: skip
    for d in refused[1:]:
        rd.review_decision(
            ctx, actor=worker, workspace_id=ws.id, decision_id=d.id, action="confirm"
        )
    final = AuditConfig(outcome="final_positive", groups=("household_size",), min_group_size=1)
    again, _ = af.audit_source(
        ctx, actor=auditor, workspace_id=ws.id, source=source, config=final, name="after-review"
    )
    assert again.source_sha256 != stored.source_sha256
    with pytest.raises(InputError, match="no column sex"):
        af.audit_source(
            ctx, actor=auditor, workspace_id=ws.id, source=source,
            config=AuditConfig(outcome="positive", groups=("sex",)),
        )  # fmt: skip
    with pytest.raises(InputError, match="no decisions recorded under rule set housing"):
        af.audit_source(
            ctx, actor=auditor, workspace_id=ws.id,
            source=af.RecordedDecisionsSource(ws.id, "housing"), config=config,
        )  # fmt: skip
    assert af.source_from_dict("decisions", source.reference()) == source
