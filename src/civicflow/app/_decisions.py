"""Rules-as-code use cases: rule set versions through draft → in review → approved (by a different
person) → published, decisions under the published rules with their automation level, the review
queue (confirm or override with a reason), appeals re-decided under the rules in force on the
original date, what-ifs of a parameter change on past decisions, and the public eligibility check.

Permissions: reading needs WORKSPACE_READ; drafting, approving, publishing and what-ifs need
RULES_WRITE (policy officers: service owners and admins); deciding, reviewing and appeals need
REVIEW_WRITE (caseworkers and admins). The public eligibility check needs no actor and stores
nothing. Every change writes one ledger entry in the transaction that stores it:

* ``rules.draft``, ``rules.update``, ``rules.submit``, ``rules.return``, ``rules.approve``,
  ``rules.publish`` on the object ``ruleset_version``;
* ``rules.what_if`` on ``ruleset`` (the rule set's name; nothing stored but the entry);
* ``decision.decide``, ``decision.confirm``, ``decision.override`` (the reason is the entry's
  reason), ``decision.appeal`` on ``rule_decision``;
* ``decision.decide_batch`` on ``rule_decision_batch``: ONE entry for a whole batch, whose state
  holds the digest of every decision of the batch (``verify_batch`` recomputes it from the
  stored rows), so a batch of 100,000 cases adds one entry, not 100,000.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from civicflow.app._context import AppContext
from civicflow.app._governance import ensure_registered
from civicflow.app._models import (
    RuleAppealRow,
    RuleDecisionBatchRow,
    RuleDecisionRow,
    RuleReviewRow,
    RuleSetVersionRow,
)
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    CivicflowError,
    ConfigurationError,
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDeniedError,
    check_choice,
    new_id,
    utcnow,
)
from civicflow.decisions import (
    Case,
    Decision,
    ParameterChange,
    RuleModel,
    RuleSet,
    TestReport,
    WhatIf,
    detect_kind,
    parse_ruleset,
    parse_tests,
    read_model,
    run_tests,
    what_if,
)

if TYPE_CHECKING:
    import pandas as pd

    from civicflow.mining import EventLogFilter

Automation = Literal["automatic", "recommend", "review"]
AUTOMATION: tuple[str, ...] = ("automatic", "recommend", "review")
STATUSES = ("draft", "in_review", "approved", "published")
QUEUE = ("recommended", "pending_review")
VERSION = "ruleset_version"
DECISION = "rule_decision"
BATCH = "rule_decision_batch"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSetVersion:
    """A stored version of a rule set and where it stands."""

    id: str
    workspace_id: str
    name: str
    version: int
    title: str
    status: str
    text: str
    tests_text: str
    digest: str
    automation: str
    review_negative: bool
    review_uncertain: bool
    test_result: dict[str, Any] | None
    created_by: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    published_by: str | None
    published_at: dt.datetime | None
    kind: str = "yaml"
    dmn_decision: str | None = None
    dmn_positive: tuple[str, ...] = ()

    def model(self) -> RuleModel:
        """The version's model: a YAML rule set or a DMN model, behind one interface."""
        return read_model(
            self.text, kind=self.kind, file=f"{self.name} v{self.version}",
            decision=self.dmn_decision, positive=self.dmn_positive,
            name=self.name if self.kind == "dmn" else "",
        )  # fmt: skip

    def ruleset(self) -> RuleSet:
        """A YAML version's rule set (a DMN version has none: use :meth:`model`)."""
        return parse_ruleset(self.text, file=f"{self.name} v{self.version}")

    def to_dict(self, *, text: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "status": self.status,
            "kind": self.kind,
            "dmn_decision": self.dmn_decision,
            "dmn_positive": list(self.dmn_positive),
            "digest": self.digest,
            "automation": self.automation,
            "review_negative": self.review_negative,
            "review_uncertain": self.review_uncertain,
            "tests_passed": None if self.test_result is None else self.test_result.get("passed"),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "approved_by": self.approved_by,
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "published_by": self.published_by,
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }
        if text:
            data |= {
                "text": self.text,
                "tests_text": self.tests_text,
                "test_result": self.test_result,
            }
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredDecision:
    """A decision stored under a rule set version, with its trace and where it stands."""

    id: str
    workspace_id: str
    ruleset_version_id: str
    ruleset: str
    case_ref: str
    decided_on: dt.date
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    outcome: str
    positive: bool
    uncertain: bool
    trace: dict[str, Any]
    automation: str
    status: str
    final_positive: bool | None
    created_by: str
    created_at: dt.datetime

    @property
    def explanation(self) -> str:
        return str(self.trace.get("explanation", ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ruleset": self.ruleset,
            "ruleset_version_id": self.ruleset_version_id,
            "case_ref": self.case_ref,
            "date": self.decided_on.isoformat(),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "outcome": self.outcome,
            "positive": self.positive,
            "uncertain": self.uncertain,
            "automation": self.automation,
            "status": self.status,
            "final_positive": self.final_positive,
            "explanation": self.explanation,
            "trace": self.trace.get("trace", []),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    id: str
    decision_id: str
    action: str
    rule: str | None
    final_positive: bool
    reason: str
    reviewed_by: str
    reviewed_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "decision_id": self.decision_id, "action": self.action,
            "rule": self.rule, "final_positive": self.final_positive, "reason": self.reason,
            "reviewed_by": self.reviewed_by, "reviewed_at": self.reviewed_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Appeal:
    """An appeal: the decision re-decided under the rules in force on its original date."""

    id: str
    decision_id: str
    ruleset_version_id: str
    grounds: str
    inputs: dict[str, Any]
    result: dict[str, Any]
    positive: bool
    changed: bool
    reason: str
    decided_by: str
    decided_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "decision_id": self.decision_id,
            "ruleset_version_id": self.ruleset_version_id, "grounds": self.grounds,
            "inputs": self.inputs, "positive": self.positive, "changed": self.changed,
            "outcome": self.result.get("outcome"), "explanation": self.result.get("explanation"),
            "reason": self.reason, "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Eligibility:
    """One published rule set's answer on the public page: may qualify, and why; or which
    questions are still unanswered."""

    ruleset: str
    title: str
    description: str
    positive: bool | None
    explanation: str
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset, "title": self.title, "description": self.description,
            "positive": self.positive, "explanation": self.explanation,
            "missing": list(self.missing),
        }  # fmt: skip


# --- rule set versions ---------------------------------------------------------------------


def _version_out(row: RuleSetVersionRow) -> RuleSetVersion:
    return RuleSetVersion(
        id=row.id, workspace_id=row.workspace_id, name=row.name, version=row.version,
        title=row.title, status=row.status, text=row.text, tests_text=row.tests_text,
        digest=row.digest, automation=row.automation, review_negative=row.review_negative,
        review_uncertain=row.review_uncertain, test_result=row.test_result,
        created_by=row.created_by, created_at=row.created_at, approved_by=row.approved_by,
        approved_at=row.approved_at, published_by=row.published_by, published_at=row.published_at,
        kind=row.kind or "yaml", dmn_decision=row.dmn_decision,
        dmn_positive=tuple(str(v) for v in row.dmn_positive or ()),
    )  # fmt: skip


def _state(row: RuleSetVersionRow) -> dict[str, Any]:
    return {
        "name": row.name, "version": row.version, "status": row.status, "digest": row.digest,
        "kind": row.kind or "yaml", "dmn_decision": row.dmn_decision,
        "dmn_positive": row.dmn_positive,
        "tests_digest": _digest(row.tests_text), "automation": row.automation,
        "review_negative": row.review_negative, "review_uncertain": row.review_uncertain,
        "approved_by": row.approved_by, "published_by": row.published_by,
    }  # fmt: skip


def _digest(text: str) -> str:
    from civicflow.core import sha256_hex

    return sha256_hex(text.encode("utf-8"))


def _check_automation(automation: str) -> None:
    check_choice(automation, AUTOMATION, what="automation level", field="automation")


def _tests(ruleset: RuleModel, tests_text: str, *, name: str) -> TestReport:
    suite = parse_tests(tests_text, file=f"{name} tests")
    if suite.ruleset and suite.ruleset != ruleset.name:
        raise ConfigurationError(
            f"the tests are for the rule set '{suite.ruleset}', not '{ruleset.name}'",
            where=Location(file=f"{name} tests", field="ruleset"),
            found=suite.ruleset,
            expected=ruleset.name,
            fix="give the tests written for this rule set",
        )
    return run_tests(ruleset, suite)


def draft_ruleset(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    text: str,
    tests_text: str,
    automation: str = "recommend",
    review_negative: bool = False,
    review_uncertain: bool = True,
    reason: str | None = None,
    kind: str | None = None,
    decision: str | None = None,
    positive: Sequence[str] = (),
    name: str | None = None,
) -> RuleSetVersion:
    """Store a rule set (YAML) or a DMN model (XML; ``kind`` is detected when not given) and its
    YAML tests as the next draft version of its name. A DMN model decides ``decision`` (default:
    its last decision), positive when the value is one of ``positive`` (default: any truthy
    value), under ``name`` (default: the model's name). The text is checked first: a bad rule
    file stores nothing. RULES_WRITE; ledger ``rules.draft``."""
    actor.require(Permission.RULES_WRITE, workspace_id)
    _check_automation(automation)
    kind = kind or detect_kind(text)
    ruleset = _read(text, kind=kind, decision=decision, positive=positive, name=name)
    report = _tests(ruleset, tests_text, name=ruleset.name)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        latest = s.scalar(
            select(func.max(RuleSetVersionRow.version)).where(
                RuleSetVersionRow.workspace_id == workspace_id,
                RuleSetVersionRow.name == ruleset.name,
            )
        )
        row = RuleSetVersionRow(
            id=new_id("rsv_"), workspace_id=workspace_id, name=ruleset.name,
            version=(latest or 0) + 1, title=ruleset.title[:500], status="draft", text=text,
            tests_text=tests_text, digest=ruleset.digest, automation=automation,
            review_negative=review_negative, review_uncertain=review_uncertain,
            test_result=report.to_dict(), created_by=actor.pseudonym, created_at=utcnow(),
            kind=kind, dmn_decision=ruleset.outcome if kind == "dmn" else None,
            dmn_positive=[str(v) for v in positive] if kind == "dmn" else None,
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="rules.draft", object_type=VERSION, object_id=row.id,
            workspace_id=workspace_id, after=_state(row), reason=reason,
        )  # fmt: skip
        return _version_out(row)


def _read(
    text: str,
    *,
    kind: str,
    decision: str | None = None,
    positive: Sequence[str] = (),
    name: str | None = None,
) -> RuleModel:
    model = read_model(
        text, kind=kind, file="rule set" if kind == "yaml" else "DMN model",
        decision=decision or None, positive=tuple(positive),
        name=(name or "") if kind == "dmn" else "",
    )  # fmt: skip
    if kind == "yaml" and name and name != model.name:
        raise ConfigurationError(
            "a YAML rule set is named by its 'ruleset:' key",
            where=Location(field="name"),
            found=name,
            expected=model.name,
            fix="leave the name out, or change 'ruleset:' in the text",
        )
    return model


def _version_row(s: Session, workspace_id: str, version_id: str) -> RuleSetVersionRow:
    row = s.get(RuleSetVersionRow, version_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            f"there is no rule set version '{version_id}' in this workspace",
            where=Location(field="version_id"),
            found=version_id,
            fix="list the versions with `civicflow rules list`",
        )
    return row


def _expect_status(row: RuleSetVersionRow, *allowed: str, doing: str) -> None:
    if row.status in allowed:
        return
    raise ConflictError(
        f"{row.name} v{row.version} is {row.status.replace('_', ' ')}: it cannot be {doing}",
        where=Location(field="status"),
        found=row.status,
        expected=" or ".join(allowed),
        fix="published versions never change: draft a new version"
        if row.status == "published"
        else "move it through draft → in review → approved → published in order",
    )


def update_draft(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    version_id: str,
    text: str | None = None,
    tests_text: str | None = None,
    automation: str | None = None,
    review_negative: bool | None = None,
    review_uncertain: bool | None = None,
) -> RuleSetVersion:
    """Change a draft (only a draft: a version in review, approved or published is immutable).
    RULES_WRITE; ledger ``rules.update``."""
    actor.require(Permission.RULES_WRITE, workspace_id)
    if automation is not None:
        _check_automation(automation)
    with ctx.session() as s:
        row = _version_row(s, workspace_id, version_id)
        _expect_status(row, "draft", doing="changed")
        before = _state(row)
        new_text = row.text if text is None else text
        new_tests = row.tests_text if tests_text is None else tests_text
        kind = row.kind or "yaml"
        if detect_kind(new_text) != kind:
            raise ConflictError(
                f"{row.name} v{row.version} holds a {kind.upper()} text: a draft keeps its kind",
                where=Location(field="text"),
                found=detect_kind(new_text).upper(),
                expected=kind.upper(),
                fix="give the same kind of text, or draft the other kind as a new rule set",
            )
        ruleset = _read(
            new_text, kind=kind, decision=row.dmn_decision, positive=row.dmn_positive or (),
            name=row.name,
        )  # fmt: skip
        if ruleset.name != row.name:
            raise ConflictError(
                "a new version cannot rename the rule set",
                where=Location(field="ruleset"),
                found=ruleset.name,
                expected=row.name,
                fix="keep 'ruleset:' the same, or draft it as a new rule set",
            )
        row.text, row.tests_text, row.digest = new_text, new_tests, ruleset.digest
        row.title = ruleset.title[:500]
        row.test_result = _tests(ruleset, new_tests, name=row.name).to_dict()
        if automation is not None:
            row.automation = automation
        if review_negative is not None:
            row.review_negative = review_negative
        if review_uncertain is not None:
            row.review_uncertain = review_uncertain
        record(
            ctx, s, actor=actor, action="rules.update", object_type=VERSION, object_id=row.id,
            workspace_id=workspace_id, before=before, after=_state(row),
        )  # fmt: skip
        return _version_out(row)


def _move(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    version_id: str,
    allowed: tuple[str, ...],
    to: str,
    action: str,
    doing: str,
    reason: str | None,
) -> RuleSetVersion:
    actor.require(Permission.RULES_WRITE, workspace_id)
    with ctx.session() as s:
        row = _version_row(s, workspace_id, version_id)
        _expect_status(row, *allowed, doing=doing)
        before = _state(row)
        if to == "approved":
            if row.created_by == actor.pseudonym:
                raise PermissionDeniedError(
                    f"{actor.pseudonym} drafted {row.name} v{row.version} and cannot approve it",
                    where=Location(field="actor"),
                    found=actor.pseudonym,
                    expected="a different policy officer than the author",
                    fix="ask another person with rules:write to approve it (four eyes)",
                )
            row.approved_by, row.approved_at = actor.pseudonym, utcnow()
        if to == "published":
            report = _tests(_version_out(row).model(), row.tests_text, name=row.name)
            row.test_result = report.to_dict()
            if not report.passed:
                raise ConflictError(
                    f"{row.name} v{row.version} cannot be published: "
                    f"{len(report.failures)} of {len(report.results)} tests fail",
                    where=Location(field="tests"),
                    found=report.describe(),
                    expected="every test case passing",
                    fix="correct the rules or the tests in a new draft, then approve it again",
                )
            if not report.results:
                raise ConflictError(
                    f"{row.name} v{row.version} has no test cases",
                    where=Location(field="tests"),
                    found="0 cases",
                    expected="at least one test case",
                    fix="write test cases (inputs, date, expected outputs) in a new draft",
                )
            row.published_by, row.published_at = actor.pseudonym, utcnow()
        if to == "draft":
            row.approved_by = row.approved_at = None
        row.status = to
        record(
            ctx, s, actor=actor, action=action, object_type=VERSION, object_id=row.id,
            workspace_id=workspace_id, before=before, after=_state(row), reason=reason,
        )  # fmt: skip
        if to == "published":
            _register(ctx, s, actor=actor, workspace_id=workspace_id, row=row)
        return _version_out(row)


def register_name(ruleset: str) -> str:
    """The governance register entry of a published rule set's decisions."""
    return f"Rules: {ruleset}"[:200]


def _register(
    ctx: AppContext, s: Session, *, actor: Actor, workspace_id: str, row: RuleSetVersionRow
) -> str:
    """A rule set deciding cases is an automated system: its first publication registers it in
    the governance register (proposed; its decisions are the stream the fairness audit reads)."""
    rules = _version_out(row).model()
    acts = list(rules.legal_acts)
    oversight = (
        "in-the-loop" if row.automation in ("recommend", "review")
        else "on-the-loop" if row.review_negative or row.review_uncertain
        else "out-of-the-loop"
    )  # fmt: skip
    return ensure_registered(
        ctx, s, actor=actor, workspace_id=workspace_id, name=register_name(row.name),
        reason=f"registered by the first publication of rule set {row.name}",
        purpose=f"Decides {rules.outcome} ({rules.title}) by the published rule set "
        f"{row.name}, with a trace and a plain-language explanation for every decision.",
        legal_basis="; ".join(acts) or "not yet recorded: the rules name no act",
        owner=actor.pseudonym, senior_responsible_owner=actor.pseudonym,
        affected_people="the people whose cases are decided under the rule set",
        datasets=(f"decisions recorded under rule set {row.name}",),
        model_type="rules as code (YAML rule set, versioned, tested)" if rules.kind == "yaml"
        else "rules as code (DMN model, versioned, tested)",
        model_version=f"v{row.version}",
        oversight=oversight,
    )  # fmt: skip


def submit_ruleset(
    ctx: AppContext, *, actor: Actor, workspace_id: str, version_id: str, reason: str | None = None
) -> RuleSetVersion:
    """Draft → in review. RULES_WRITE; ledger ``rules.submit``."""
    return _move(ctx, actor=actor, workspace_id=workspace_id, version_id=version_id,
                 allowed=("draft",), to="in_review", action="rules.submit",
                 doing="submitted for review", reason=reason)  # fmt: skip


def return_ruleset(
    ctx: AppContext, *, actor: Actor, workspace_id: str, version_id: str, reason: str
) -> RuleSetVersion:
    """In review or approved → back to draft, with the reviewer's reason. RULES_WRITE; ledger
    ``rules.return``."""
    return _move(ctx, actor=actor, workspace_id=workspace_id, version_id=version_id,
                 allowed=("in_review", "approved"), to="draft", action="rules.return",
                 doing="returned to draft", reason=reason)  # fmt: skip


def approve_ruleset(
    ctx: AppContext, *, actor: Actor, workspace_id: str, version_id: str, reason: str | None = None
) -> RuleSetVersion:
    """In review → approved, by a different person than the author. RULES_WRITE; ledger
    ``rules.approve``."""
    return _move(ctx, actor=actor, workspace_id=workspace_id, version_id=version_id,
                 allowed=("in_review",), to="approved", action="rules.approve",
                 doing="approved", reason=reason)  # fmt: skip


def publish_ruleset(
    ctx: AppContext, *, actor: Actor, workspace_id: str, version_id: str, reason: str | None = None
) -> RuleSetVersion:
    """Approved → published, only when every test passes; then immutable. RULES_WRITE; ledger
    ``rules.publish``."""
    return _move(ctx, actor=actor, workspace_id=workspace_id, version_id=version_id,
                 allowed=("approved",), to="published", action="rules.publish",
                 doing="published", reason=reason)  # fmt: skip


def list_versions(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str | None = None
) -> list[RuleSetVersion]:
    """Every version (the history), by name and newest version first."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(RuleSetVersionRow).where(RuleSetVersionRow.workspace_id == workspace_id)
        if name is not None:
            q = q.where(RuleSetVersionRow.name == name)
        rows = s.scalars(q.order_by(RuleSetVersionRow.name, RuleSetVersionRow.version.desc()))
        return [_version_out(r) for r in rows]


def get_version(
    ctx: AppContext, *, actor: Actor, workspace_id: str, version_id: str
) -> RuleSetVersion:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _version_out(_version_row(s, workspace_id, version_id))


def _published(s: Session, workspace_id: str, name: str) -> RuleSetVersionRow:
    row = s.scalars(
        select(RuleSetVersionRow)
        .where(
            RuleSetVersionRow.workspace_id == workspace_id,
            RuleSetVersionRow.name == name,
            RuleSetVersionRow.status == "published",
        )
        .order_by(RuleSetVersionRow.version.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFoundError(
            f"the rule set '{name}' has no published version",
            where=Location(field="ruleset"),
            found=name,
            expected="a rule set drafted, approved and published",
            fix="publish a version first (`civicflow rules publish`)",
        )
    return row


def published_version(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str
) -> RuleSetVersion:
    """The rule set's current published version (the highest)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _version_out(_published(s, workspace_id, name))


def run_version_tests(
    ctx: AppContext, *, actor: Actor, workspace_id: str, version_id: str
) -> TestReport:
    """Run a version's tests (nothing stored)."""
    version = get_version(ctx, actor=actor, workspace_id=workspace_id, version_id=version_id)
    return _tests(version.model(), version.tests_text, name=version.name)


# --- decisions -----------------------------------------------------------------------------


def _decision_out(row: RuleDecisionRow) -> StoredDecision:
    return StoredDecision(
        id=row.id, workspace_id=row.workspace_id, ruleset_version_id=row.ruleset_version_id,
        ruleset=row.ruleset, case_ref=row.case_ref, decided_on=row.decided_on,
        inputs=row.inputs, outputs=row.outputs, outcome=row.outcome, positive=row.positive,
        uncertain=row.uncertain, trace=row.trace, automation=row.automation, status=row.status,
        final_positive=row.final_positive, created_by=row.created_by, created_at=row.created_at,
    )  # fmt: skip


def _status(version: RuleSetVersionRow, decision: Decision) -> str:
    if version.automation == "review":
        return "pending_review"
    if (version.review_negative and not decision.positive) or (
        version.review_uncertain and decision.uncertain
    ):
        return "pending_review"
    return "final" if version.automation == "automatic" else "recommended"


def decide_case(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    ruleset: str,
    inputs: Mapping[str, Any],
    on: dt.date,
    case_ref: str = "",
) -> StoredDecision:
    """Decide one case under the rule set's published version for the date ``on`` and store it
    with its trace. Automatic rule sets give a final decision; "recommend" puts it in the
    review queue as a recommendation; "review" (and negative or uncertain outcomes when the
    version says so) as pending review. REVIEW_WRITE; ledger ``decision.decide``."""
    actor.require(Permission.REVIEW_WRITE, workspace_id)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        version = _published(s, workspace_id, ruleset)
        decision = _version_out(version).model().decide(inputs, on=on)
        status = _status(version, decision)
        row = RuleDecisionRow(
            id=new_id("dec_"), workspace_id=workspace_id, ruleset_version_id=version.id,
            ruleset=version.name, case_ref=case_ref[:200], decided_on=on,
            inputs=dict(decision.inputs), outputs=dict(decision.outputs),
            outcome=decision.outcome[:200], positive=decision.positive,
            uncertain=decision.uncertain, trace=decision.to_dict(), automation=version.automation,
            status=status, final_positive=decision.positive if status == "final" else None,
            created_by=actor.pseudonym, created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="decision.decide", object_type=DECISION,
            object_id=row.id, workspace_id=workspace_id,
            after={"ruleset": version.name, "version": version.version, "digest": version.digest,
                   "date": on.isoformat(), "inputs": row.inputs, "outputs": row.outputs,
                   "positive": row.positive, "uncertain": row.uncertain, "status": status},
        )  # fmt: skip
        return _decision_out(row)


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionBatch:
    """A batch of stored decisions: where its cases came from, its counts by outcome and by
    routing (final, recommended, pending review), and the digest of its decisions."""

    id: str
    workspace_id: str
    ruleset_version_id: str
    ruleset: str
    source: str
    decided_on: dt.date
    cases: int
    positive: int
    uncertain: int
    statuses: dict[str, int]
    digest: str
    created_by: str
    created_at: dt.datetime

    @property
    def negative(self) -> int:
        return self.cases - self.positive

    @property
    def in_review(self) -> int:
        """Decisions the batch put in the review queue (recommended or pending review)."""
        return sum(self.statuses.get(q, 0) for q in QUEUE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "ruleset": self.ruleset, "ruleset_version_id": self.ruleset_version_id,
            "source": self.source, "date": self.decided_on.isoformat(), "cases": self.cases,
            "positive": self.positive, "negative": self.negative, "uncertain": self.uncertain,
            "statuses": dict(self.statuses), "in_review": self.in_review, "digest": self.digest,
            "created_by": self.created_by, "created_at": self.created_at.isoformat(),
        }  # fmt: skip


Progress = Callable[[int, int], None]
"""Called with (cases done, cases in all) as a batch proceeds."""

BATCH_CHUNK = 5_000
"""Cases decided and inserted at a time (one multi-row INSERT per chunk)."""


def _batch_out(row: RuleDecisionBatchRow) -> DecisionBatch:
    return DecisionBatch(
        id=row.id, workspace_id=row.workspace_id, ruleset_version_id=row.ruleset_version_id,
        ruleset=row.ruleset, source=row.source, decided_on=row.decided_on, cases=row.cases,
        positive=row.positive, uncertain=row.uncertain, statuses=dict(row.statuses),
        digest=row.digest, created_by=row.created_by, created_at=row.created_at,
    )  # fmt: skip


def _row_digest(row: Mapping[str, Any]) -> str:
    """One batch decision's digest: what the rules decided (not where review has taken it)."""
    from civicflow.ledger import state_digest

    digest = state_digest(
        [row["id"], row["ruleset_version_id"], row["case_ref"], row["decided_on"],
         row["inputs"], row["outputs"], row["outcome"], row["positive"], row["uncertain"]]
    )  # fmt: skip
    assert digest is not None
    return digest


def _batch_digest(row_digests: Sequence[tuple[str, str]]) -> str:
    """The batch's digest: over its decisions' digests in the order of their ids."""
    return _digest("\n".join(f"{i} {d}" for i, d in sorted(row_digests)))


def _batch_state(row: RuleDecisionBatchRow, version: int, version_digest: str) -> dict[str, Any]:
    return {
        "ruleset": row.ruleset, "version": version, "digest": version_digest,
        "date": row.decided_on.isoformat(), "source": row.source, "cases": row.cases,
        "positive": row.positive, "uncertain": row.uncertain, "statuses": dict(row.statuses),
        "decisions_digest": row.digest,
    }  # fmt: skip


def decide_batch_cases(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    ruleset: str,
    rows: Sequence[Mapping[str, Any]],
    on: dt.date,
    source: str = "",
    case_ref_column: str | None = "case_ref",
    progress: Progress | None = None,
) -> DecisionBatch:
    """Decide a table of cases (one mapping of input name → value per case; the column
    ``case_ref_column``, when present, is each case's reference) under the rule set's published
    version for the date ``on``, and store every decision with its trace, routed by the
    automation level like :func:`decide_case`. All or nothing: one transaction, decisions
    inserted ``BATCH_CHUNK`` at a time, and ONE ledger entry for the batch carrying the digest
    of its decisions. REVIEW_WRITE; ledger ``decision.decide_batch``."""
    actor.require(Permission.REVIEW_WRITE, workspace_id)
    if not rows:
        raise InputError(
            "the batch has no cases",
            where=Location(file=source or None, field="rows"),
            found="0 rows",
            expected="one row per case, one column per input",
            fix="give a table with at least one case",
        )
    total = len(rows)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        version = _published(s, workspace_id, ruleset)
        model = _version_out(version).model()
        batch = RuleDecisionBatchRow(
            id=new_id("dbt_"), workspace_id=workspace_id, ruleset_version_id=version.id,
            ruleset=version.name, source=(source or "table")[:500], decided_on=on, cases=total,
            positive=0, uncertain=0, statuses={}, digest="", created_by=actor.pseudonym,
            created_at=utcnow(),
        )  # fmt: skip
        s.add(batch)
        s.flush()
        statuses: Counter[str] = Counter()
        positive = uncertain = 0
        digests: list[tuple[str, str]] = []
        now = utcnow()
        done = 0
        for start in range(0, total, BATCH_CHUNK):
            part = rows[start : start + BATCH_CHUNK]
            inputs = [
                {k: v for k, v in r.items() if k != case_ref_column} if case_ref_column else r
                for r in part
            ]
            values: list[dict[str, Any]] = []
            for index, decision in enumerate(_offset_rows(model.decide_many(inputs, on=on), start)):
                status = _status(version, decision)
                ref = part[index].get(case_ref_column) if case_ref_column else None
                decision_id = new_id("dec_")
                value: dict[str, Any] = {
                    "id": decision_id, "workspace_id": workspace_id,
                    "ruleset_version_id": version.id, "ruleset": version.name,
                    "case_ref": str(ref if ref not in (None, "") else f"row {start + index + 1}")[:200],
                    "decided_on": on, "inputs": dict(decision.inputs),
                    "outputs": dict(decision.outputs), "outcome": decision.outcome[:200],
                    "positive": decision.positive, "uncertain": decision.uncertain,
                    "trace": decision.to_dict(), "automation": version.automation,
                    "status": status,
                    "final_positive": decision.positive if status == "final" else None,
                    "created_by": actor.pseudonym, "created_at": now, "batch_id": batch.id,
                }  # fmt: skip
                digests.append((decision_id, _row_digest(value)))
                statuses[status] += 1
                positive += decision.positive
                uncertain += decision.uncertain
                values.append(value)
            s.execute(insert(RuleDecisionRow), values)
            done += len(part)
            if progress is not None:
                progress(done, total)
        batch.positive, batch.uncertain = int(positive), int(uncertain)
        batch.statuses = dict(statuses)
        batch.digest = _batch_digest(digests)
        record(
            ctx, s, actor=actor, action="decision.decide_batch", object_type=BATCH,
            object_id=batch.id, workspace_id=workspace_id,
            after=_batch_state(batch, version.version, version.digest),
        )  # fmt: skip
        return _batch_out(batch)


def read_cases(data: bytes, *, name: str) -> list[dict[str, Any]]:
    """The cases of a CSV (every value as text; the rule set converts it by the input's type)
    or Parquet table (``name`` ends in ``.parquet``), one mapping per row. A table that cannot be
    read raises an error naming it."""
    import io

    import pandas as pd

    try:
        if name.lower().endswith((".parquet", ".pq")):
            frame = pd.read_parquet(io.BytesIO(data))
        else:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InputError(
            f"cannot read the cases in {name}",
            where=Location(file=name),
            found=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            expected="a CSV with a header row (one column per input) or a Parquet file",
            fix="export the cases again as CSV with a header row",
        ) from None
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        dict(zip(frame.columns.astype(str), row, strict=True))
        for row in frame.itertuples(index=False)
    ]


def dataset_cases(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset: str,
    inputs: Sequence[str],
    filter: EventLogFilter | None = None,
) -> list[dict[str, Any]]:
    """The cases of a workspace's dataset as a batch's rows: one mapping per case (seen through
    ``filter``), the case id as ``case_ref``, and each of ``inputs`` (a rule set's input names)
    from the case attribute of that name, else from the event attribute of that name at the
    case's last event that carries it (the case's latest known value). An input the dataset has
    in neither is left out, so the rule set names it as missing. WORKSPACE_READ."""
    from civicflow.app._assessment import engine_lock, open_view
    from civicflow.eventlog import CASE_ID, TIMESTAMP

    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset, filter=filter
    )
    cases = view.cases
    events = view.events
    from_case = [name for name in inputs if name in cases.columns and name != CASE_ID]
    from_events = [name for name in inputs if name not in from_case and name in events.columns]
    table = cases.select(CASE_ID, *from_case)
    if from_events:
        latest = events.group_by(CASE_ID).aggregate(
            **{
                name: events[name].last(order_by=events[TIMESTAMP], where=events[name].notnull())
                for name in from_events
            }
        )
        table = table.left_join(latest, CASE_ID).select(CASE_ID, *from_case, *from_events)
    with engine_lock(ctx):
        frame = view.execute(table.order_by(CASE_ID))
    frame = frame.rename(columns={CASE_ID: "case_ref"})
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        dict(zip(frame.columns.astype(str), row, strict=True))
        for row in frame.itertuples(index=False)
    ]


def _offset_rows(decisions: Iterator[Decision], start: int) -> Iterator[Decision]:
    """``decisions`` of a chunk starting at row ``start`` + 1: an error naming a row of the chunk
    names the row of the whole table instead."""
    try:
        yield from decisions
    except InputError as exc:
        where = exc.where
        if where is None or where.row is None or start == 0:
            raise
        row = where.row + start
        raise InputError(
            exc.what.replace(f"row {where.row}:", f"row {row}:", 1),
            where=Location(file=where.file, row=row, field=where.field),
            found=exc.found,
            expected=exc.expected,
            fix=exc.fix,
        ) from None


def get_batch(ctx: AppContext, *, actor: Actor, workspace_id: str, batch_id: str) -> DecisionBatch:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _batch_out(_batch_row(s, workspace_id, batch_id))


def _batch_row(s: Session, workspace_id: str, batch_id: str) -> RuleDecisionBatchRow:
    row = s.get(RuleDecisionBatchRow, batch_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            f"there is no batch of decisions '{batch_id}' in this workspace",
            where=Location(field="batch_id"),
            found=batch_id,
            fix="list the batches with `civicflow rules batches`",
        )
    return row


def list_batches(
    ctx: AppContext, *, actor: Actor, workspace_id: str, limit: int | None = 20
) -> list[DecisionBatch]:
    """The batches of decisions, newest first."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = (
            select(RuleDecisionBatchRow)
            .where(RuleDecisionBatchRow.workspace_id == workspace_id)
            .order_by(RuleDecisionBatchRow.created_at.desc(), RuleDecisionBatchRow.id)
        )
        if limit is not None:
            q = q.limit(limit)
        return [_batch_out(r) for r in s.scalars(q)]


def batch_decisions(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    batch_id: str,
    statuses: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[StoredDecision]:
    """A batch's decisions (only those in ``statuses``, e.g. its review items), by case."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        _batch_row(s, workspace_id, batch_id)
        q = select(RuleDecisionRow).where(
            RuleDecisionRow.workspace_id == workspace_id, RuleDecisionRow.batch_id == batch_id
        )
        if statuses is not None:
            q = q.where(RuleDecisionRow.status.in_(list(statuses)))
        q = q.order_by(RuleDecisionRow.id)
        if limit is not None:
            q = q.limit(limit)
        return [_decision_out(r) for r in s.scalars(q)]


RESULT_COLUMNS = ("decision_id", "case_ref", "date", "outcome", "positive", "uncertain", "status")
"""The leading columns of a batch's results table; the outputs follow, then the explanation."""


def batch_results(
    ctx: AppContext, *, actor: Actor, workspace_id: str, batch_id: str
) -> pd.DataFrame:
    """A batch's results as a table: one row per case with the decision's id, its outcome,
    routing, outputs and explanation (what ``--out`` and the page's download write)."""
    import pandas as pd

    decisions = batch_decisions(ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id)
    outputs = list(dict.fromkeys(k for d in decisions[:1] for k in d.outputs))
    rows = [
        {
            "decision_id": d.id, "case_ref": d.case_ref, "date": d.decided_on.isoformat(),
            "outcome": d.outcome, "positive": d.positive, "uncertain": d.uncertain,
            "status": d.status, **{k: _cell(d.outputs.get(k)) for k in outputs},
            "explanation": d.explanation,
        }
        for d in decisions
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=[*RESULT_COLUMNS, *outputs, "explanation"])


def _cell(value: Any) -> Any:
    import json

    return json.dumps(value) if isinstance(value, list | dict) else value


def verify_batch(ctx: AppContext, *, actor: Actor, workspace_id: str, batch_id: str) -> bool:
    """Recompute a batch's digest from its stored decisions and check it against the batch and
    against the state its ledger entry carries: False when a decision was changed, removed or
    added since."""
    from civicflow.ledger import state_digest

    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        batch = _batch_row(s, workspace_id, batch_id)
        version = s.get(RuleSetVersionRow, batch.ruleset_version_id)
        assert version is not None
        digests = []
        d = RuleDecisionRow
        columns = (d.id, d.ruleset_version_id, d.case_ref, d.decided_on, d.inputs, d.outputs,
                   d.outcome, d.positive, d.uncertain)  # fmt: skip
        names = [c.key for c in columns]
        for r in s.execute(select(*columns).where(d.batch_id == batch_id)):
            value = dict(zip(names, r, strict=True))
            digests.append((value["id"], _row_digest(value)))
        entries = ctx.ledger.entries(s.connection(), object_type=BATCH, object_id=batch_id, limit=1)
        expected = state_digest(_batch_state(batch, version.version, version.digest))
        return (
            len(digests) == batch.cases
            and _batch_digest(digests) == batch.digest
            and bool(entries)
            and entries[0].after_digest == expected
        )


def _decision_row(s: Session, workspace_id: str, decision_id: str) -> RuleDecisionRow:
    row = s.get(RuleDecisionRow, decision_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            f"there is no decision '{decision_id}' in this workspace",
            where=Location(field="decision_id"),
            found=decision_id,
            fix="list the decisions with `civicflow rules decisions`",
        )
    return row


def get_decision(
    ctx: AppContext, *, actor: Actor, workspace_id: str, decision_id: str
) -> StoredDecision:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _decision_out(_decision_row(s, workspace_id, decision_id))


def list_decisions(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    ruleset: str | None = None,
    statuses: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[StoredDecision]:
    """Stored decisions, newest first (only ``ruleset``'s, only those in ``statuses``)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(RuleDecisionRow).where(RuleDecisionRow.workspace_id == workspace_id)
        if ruleset is not None:
            q = q.where(RuleDecisionRow.ruleset == ruleset)
        if statuses is not None:
            q = q.where(RuleDecisionRow.status.in_(list(statuses)))
        q = q.order_by(RuleDecisionRow.created_at.desc(), RuleDecisionRow.id)
        if limit is not None:
            q = q.limit(limit)
        return [_decision_out(r) for r in s.scalars(q)]


STREAM_COLUMNS = ("decision_id", "ruleset", "case_ref", "date")
"""The decision stream's leading columns; the inputs follow, then ``positive``, ``uncertain``,
``status`` and ``final_positive`` (the outcome after review, empty while none)."""


def decision_stream(decisions: Sequence[StoredDecision]) -> pd.DataFrame:
    """Decisions as the table a fairness audit reads: one row per decision with its inputs (the
    attributes an audit groups by), the rules' outcome and the final outcome after review."""
    import pandas as pd

    names = list(dict.fromkeys(k for d in decisions for k in d.inputs))
    rows = [
        {
            "decision_id": d.id, "ruleset": d.ruleset, "case_ref": d.case_ref,
            "date": d.decided_on.isoformat(), **{n: d.inputs.get(n) for n in names},
            "positive": int(d.positive), "uncertain": int(d.uncertain), "status": d.status,
            "final_positive": None if d.final_positive is None else int(d.final_positive),
        }
        for d in decisions
    ]  # fmt: skip
    columns = [*STREAM_COLUMNS, *names, "positive", "uncertain", "status", "final_positive"]
    return pd.DataFrame(rows, columns=columns)


def recorded_decisions(
    ctx: AppContext, *, workspace_id: str, ruleset: str | None = None
) -> list[StoredDecision]:
    """Every decision recorded in the workspace (``ruleset``'s only), oldest first, without a
    role check: for use cases that checked their own permission (a fairness audit)."""
    with ctx.read_session() as s:
        q = select(RuleDecisionRow).where(RuleDecisionRow.workspace_id == workspace_id)
        if ruleset is not None:
            q = q.where(RuleDecisionRow.ruleset == ruleset)
        q = q.order_by(RuleDecisionRow.created_at, RuleDecisionRow.id)
        return [_decision_out(r) for r in s.scalars(q)]


def review_queue(
    ctx: AppContext, *, actor: Actor, workspace_id: str, ruleset: str | None = None
) -> list[StoredDecision]:
    """Decisions waiting for a caseworker (recommended or pending review), oldest first."""
    queue = list_decisions(
        ctx, actor=actor, workspace_id=workspace_id, ruleset=ruleset, statuses=QUEUE
    )
    return sorted(queue, key=lambda d: d.created_at)


def review_decision(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    decision_id: str,
    action: str,
    reason: str = "",
    rule: str | None = None,
) -> tuple[StoredDecision, Review]:
    """Confirm a queued decision, or override it (the opposite outcome) with a reason and,
    when the caseworker can name it, the rule held responsible. REVIEW_WRITE; ledger
    ``decision.confirm`` / ``decision.override``."""
    actor.require(Permission.REVIEW_WRITE, workspace_id)
    check_choice(action, ("confirm", "override"), what="review action", field="action")
    if action == "override" and not reason.strip():
        raise InputError(
            "an override needs a reason",
            where=Location(field="reason"),
            found="no reason",
            expected="why the rules' outcome is wrong for this case",
            fix="write the reason (it is ledgered and counted per rule)",
        )
    with ctx.session() as s:
        row = _decision_row(s, workspace_id, decision_id)
        if row.status not in QUEUE:
            raise ConflictError(
                f"the decision {decision_id} is {row.status.replace('_', ' ')}, not in the review queue",
                where=Location(field="decision_id"),
                found=row.status,
                expected=" or ".join(QUEUE),
                fix="an appeal is the way to contest a decided case",
            )
        if rule is not None:
            names = [
                step["name"] for step in row.trace.get("trace", []) if step.get("kind") == "rule"
            ]
            if rule not in names:
                raise InputError(
                    f"'{rule}' is not a rule of {row.ruleset}",
                    where=Location(field="rule"),
                    found=rule,
                    expected="one of: " + ", ".join(names),
                    fix="name the rule the override concerns, or leave it out",
                )
        before = {"status": row.status, "final_positive": row.final_positive}
        final = row.positive if action == "confirm" else not row.positive
        row.status = "confirmed" if action == "confirm" else "overridden"
        row.final_positive = final
        review = RuleReviewRow(
            id=new_id("rev_"), workspace_id=workspace_id, decision_id=row.id, action=action,
            rule=rule, final_positive=final, reason=reason.strip(), reviewed_by=actor.pseudonym,
            reviewed_at=utcnow(),
        )  # fmt: skip
        s.add(review)
        record(
            ctx, s, actor=actor, action=f"decision.{action}", object_type=DECISION,
            object_id=row.id, workspace_id=workspace_id, before=before,
            after={"status": row.status, "final_positive": final, "rule": rule},
            reason=reason.strip() or None,
        )  # fmt: skip
        return _decision_out(row), _review_out(review)


def _review_out(row: RuleReviewRow) -> Review:
    return Review(
        id=row.id, decision_id=row.decision_id, action=row.action, rule=row.rule,
        final_positive=row.final_positive, reason=row.reason, reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
    )  # fmt: skip


def list_reviews(
    ctx: AppContext, *, actor: Actor, workspace_id: str, decision_id: str | None = None
) -> list[Review]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(RuleReviewRow).where(RuleReviewRow.workspace_id == workspace_id)
        if decision_id is not None:
            q = q.where(RuleReviewRow.decision_id == decision_id)
        return [_review_out(r) for r in s.scalars(q.order_by(RuleReviewRow.reviewed_at))]


def override_counts(
    ctx: AppContext, *, actor: Actor, workspace_id: str, ruleset: str
) -> dict[str, int]:
    """Overrides per rule of a rule set (``(unspecified)`` when no rule was named): many
    overrides of one rule is a signal that the rule is wrong."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.execute(
            select(RuleReviewRow.rule)
            .join(RuleDecisionRow, RuleDecisionRow.id == RuleReviewRow.decision_id)
            .where(
                RuleReviewRow.workspace_id == workspace_id,
                RuleDecisionRow.ruleset == ruleset,
                RuleReviewRow.action == "override",
            )
        )
        counts = Counter(r[0] or "(unspecified)" for r in rows)
        return dict(counts.most_common())


# --- appeals -------------------------------------------------------------------------------


def _appeal_out(row: RuleAppealRow) -> Appeal:
    return Appeal(
        id=row.id, decision_id=row.decision_id, ruleset_version_id=row.ruleset_version_id,
        grounds=row.grounds, inputs=row.inputs, result=row.result, positive=row.positive,
        changed=row.changed, reason=row.reason, decided_by=row.decided_by,
        decided_at=row.decided_at,
    )  # fmt: skip


def appeal_decision(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    decision_id: str,
    grounds: str,
    reason: str,
    corrected_inputs: Mapping[str, Any] | None = None,
) -> Appeal:
    """Contest a decision: re-decide it (with facts corrected on appeal, if any) under the
    rules in force on the ORIGINAL date — the current published version of the rule set,
    evaluated for that date (its dated rules and parameters select what applied then), or the
    original version when the current one no longer covers that date — and record the result
    and the reason. REVIEW_WRITE; ledger ``decision.appeal``."""
    actor.require(Permission.REVIEW_WRITE, workspace_id)
    for field, text in (("grounds", grounds), ("reason", reason)):
        if not text.strip():
            raise InputError(
                f"an appeal needs its {field}",
                where=Location(field=field),
                found="nothing",
                expected="the citizen's grounds and the decider's reason"
                if field == "grounds"
                else "why the appeal is decided this way",
                fix=f"write the {field}",
            )
    with ctx.session() as s:
        row = _decision_row(s, workspace_id, decision_id)
        inputs = dict(row.inputs) | dict(corrected_inputs or {})
        current = _published(s, workspace_id, row.ruleset)
        try:
            version = current
            decision = _version_out(current).model().decide(inputs, on=row.decided_on)
        except ConfigurationError:
            original = s.get(RuleSetVersionRow, row.ruleset_version_id)
            assert original is not None
            version = original
            decision = _version_out(original).model().decide(inputs, on=row.decided_on)
        before_positive = row.final_positive if row.final_positive is not None else row.positive
        appeal = RuleAppealRow(
            id=new_id("apl_"), workspace_id=workspace_id, decision_id=row.id,
            ruleset_version_id=version.id, grounds=grounds.strip(), inputs=inputs,
            result=decision.to_dict(), positive=decision.positive,
            changed=decision.positive != before_positive, reason=reason.strip(),
            decided_by=actor.pseudonym, decided_at=utcnow(),
        )  # fmt: skip
        s.add(appeal)
        record(
            ctx, s, actor=actor, action="decision.appeal", object_type=DECISION,
            object_id=row.id, workspace_id=workspace_id,
            before={"positive": before_positive, "inputs": row.inputs},
            after={"positive": decision.positive, "inputs": inputs, "version": version.version,
                   "digest": version.digest, "date": row.decided_on.isoformat(),
                   "grounds": grounds.strip()},
            reason=reason.strip(),
        )  # fmt: skip
        return _appeal_out(appeal)


def list_appeals(
    ctx: AppContext, *, actor: Actor, workspace_id: str, decision_id: str | None = None
) -> list[Appeal]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(RuleAppealRow).where(RuleAppealRow.workspace_id == workspace_id)
        if decision_id is not None:
            q = q.where(RuleAppealRow.decision_id == decision_id)
        return [_appeal_out(r) for r in s.scalars(q.order_by(RuleAppealRow.decided_at.desc()))]


# --- what-if and the public check ----------------------------------------------------------


def what_if_change(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    ruleset: str,
    change: ParameterChange,
    version_id: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> WhatIf:
    """The effect of ``change`` on the rule set's past decisions (those dated ``since`` ..
    ``until``): each re-decided for its own date under the published version (or the version
    ``version_id``, e.g. a draft) with and without the change. Nothing is stored but the
    ledger entry. RULES_WRITE; ledger ``rules.what_if``."""
    actor.require(Permission.RULES_WRITE, workspace_id)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        version = (
            _version_row(s, workspace_id, version_id)
            if version_id
            else _published(s, workspace_id, ruleset)
        )
        q = select(RuleDecisionRow).where(
            RuleDecisionRow.workspace_id == workspace_id, RuleDecisionRow.ruleset == ruleset
        )
        if since is not None:
            q = q.where(RuleDecisionRow.decided_on >= since)
        if until is not None:
            q = q.where(RuleDecisionRow.decided_on <= until)
        cases = [Case(key=r.id, inputs=r.inputs, on=r.decided_on) for r in s.scalars(q)]
        if not cases:
            raise NotFoundError(
                f"there are no past decisions of '{ruleset}' to test the change on",
                where=Location(field="ruleset"),
                found="0 decisions"
                + (f" from {since}" if since else "")
                + (f" to {until}" if until else ""),
                expected="decisions stored under the rule set",
                fix="widen the dates, or decide cases first",
            )
        model = _version_out(version).model()
        if model.what_if_refusal is not None or not isinstance(model, RuleSet):
            raise ConflictError(
                f"a what-if cannot run on {version.name} v{version.version}",
                where=Location(field="ruleset"),
                found=f"a {model.kind.upper()} version",
                expected="a YAML rule set with dated parameters",
                fix=model.what_if_refusal or "what-ifs change a YAML rule set's parameters",
            )
        result = what_if(model, change, cases)
        record(
            ctx, s, actor=actor, action="rules.what_if", object_type="ruleset", object_id=ruleset,
            workspace_id=workspace_id,
            after={"version": version.version, "change": change.describe(),
                   "cases": result.cases, "gains": len(result.gains), "losses": len(result.losses),
                   "cost": round(result.cost, 2)},
        )  # fmt: skip
        return result


def published_rulesets(ctx: AppContext, *, workspace_id: str) -> list[RuleModel]:
    """Every rule set's current published version. Public: no actor (the public eligibility
    page lists the questions they ask)."""
    with ctx.read_session() as s:
        require_workspace_row(s, workspace_id)
        rows = s.scalars(
            select(RuleSetVersionRow)
            .where(
                RuleSetVersionRow.workspace_id == workspace_id,
                RuleSetVersionRow.status == "published",
            )
            .order_by(RuleSetVersionRow.name, RuleSetVersionRow.version.desc())
        ).all()
        latest: dict[str, RuleSetVersionRow] = {}
        for row in rows:
            latest.setdefault(row.name, row)
        return [_version_out(row).model() for row in latest.values()]


def check_eligibility(
    ctx: AppContext, *, workspace_id: str, answers: Mapping[str, Any], on: dt.date
) -> list[Eligibility]:
    """Run every published rule set on a person's answers for the date ``on``: who may qualify
    and why. Public (no actor) and stores nothing, not even a ledger entry."""
    results: list[Eligibility] = []
    for ruleset in published_rulesets(ctx, workspace_id=workspace_id):
        given = {
            k: v for k, v in answers.items() if k in ruleset.input_names and v not in (None, "")
        }
        missing = tuple(
            spec.label for spec in ruleset.inputs if spec.required and spec.name not in given
        )
        if missing:
            results.append(Eligibility(ruleset.name, ruleset.title, ruleset.description, None,
                                       "Answer these questions to check: " + ", ".join(missing) + ".",
                                       missing))  # fmt: skip
            continue
        try:
            decision = ruleset.decide(given, on=on)
        except CivicflowError as exc:
            results.append(Eligibility(ruleset.name, ruleset.title, ruleset.description, None,
                                       f"We could not check this: {exc.what}."))  # fmt: skip
            continue
        results.append(
            Eligibility(
                ruleset.name,
                ruleset.title,
                ruleset.description,
                decision.positive,
                decision.explanation,
            )
        )
    return results
