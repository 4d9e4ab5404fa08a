"""Governance use cases: the register of automated systems, impact assessments with every answer
audited, lifecycle moves and transparency records — role-checked and ledgered.

Reading needs WORKSPACE_READ; every change needs GOVERNANCE_WRITE (service owners, DPOs, admins)
and writes its ledger entries in the transaction that stores it:

* ``governance_system.create | update | move`` (a move's reason is the entry's reason);
* ``control.update`` on ``<catalogue>:<control>`` (owner, status, due date, evidence links);
* ``assessment.create``; per changed answer ``assessment.answer`` on the object
  ``<assessment id>:<question>`` (before and after digests of that answer, so every answer is
  audited); then ``assessment.score`` with the result; a linked system's
  ``governance_system.link``.

The published records (:func:`published_records`) are public: they need no actor.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicflow.app._context import AppContext
from civicflow.app._models import (
    GovernanceAssessmentRow,
    GovernanceAttachmentRow,
    GovernanceControlRow,
    GovernanceInfrastructureRow,
    GovernanceQuestionSetRow,
    GovernanceReadinessRow,
    GovernanceSystemRow,
    WorkspaceRow,
)
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    check_choice,
    new_id,
    utcnow,
)
from civicflow.governance import (
    AIA_ID,
    BUILTIN_CATALOGUES,
    Art30Row,
    AssessmentLink,
    AtrsRecord,
    Attachment,
    Catalogue,
    Compatibility,
    ControlState,
    ControlStatus,
    Declared,
    EvidenceLink,
    Facets,
    GapsReport,
    InfrastructureItem,
    QuestionSet,
    ReadinessEvidence,
    RegisterEntry,
    Scorecard,
    SupportStatus,
    answer_target,
    article_30_record,
    atrs_record,
    builtin_catalogue,
    check_answers,
    check_file,
    control_target,
    edit_entry,
    entry_from_dict,
    evaluate,
    evidence_link,
    gaps_report,
    inventory_item,
    item_from_dict,
    load_aia,
    move_entry,
    new_entry,
    parse_aia,
    question_set_for,
    readiness_scorecard,
    replace_link,
    scan_categories,
)
from civicflow.governance import KIND_TITLES as _TITLES
from civicflow.report import Section, governance_section

SYSTEM = "governance_system"
ASSESSMENT = "assessment"
ANSWER = "assessment_answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredAssessment:
    id: str
    workspace_id: str
    system_id: str | None
    kind: str
    version: str
    answers: dict[str, Any]
    result: dict[str, Any]
    summary: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "system_id": self.system_id,
            "kind": self.kind,
            "version": self.version,
            "summary": self.summary,
            "answers": self.answers,
            "result": self.result,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _assessment_out(row: GovernanceAssessmentRow) -> StoredAssessment:
    return StoredAssessment(
        id=row.id, workspace_id=row.workspace_id, system_id=row.system_id, kind=row.kind,
        version=row.version, answers=dict(row.answers), result=dict(row.result),
        summary=row.summary, created_by=row.created_by, created_at=row.created_at,
        updated_at=row.updated_at,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# the register


def _system_row(s: Session, workspace_id: str, ref: str) -> GovernanceSystemRow:
    row = s.get(GovernanceSystemRow, ref)
    if row is None or row.workspace_id != workspace_id:
        row = s.scalars(
            select(GovernanceSystemRow).where(
                GovernanceSystemRow.workspace_id == workspace_id, GovernanceSystemRow.name == ref
            )
        ).first()
    if row is None:
        known = s.scalars(
            select(GovernanceSystemRow.name).where(GovernanceSystemRow.workspace_id == workspace_id)
        ).all()
        raise NotFoundError(
            f"there is no registered system '{ref}' in this workspace",
            where=Location(field="system"),
            found=ref,
            expected="one of: " + (", ".join(known) or "(no systems registered yet)"),
            fix="list them with `civicflow governance register list`",
        )
    return row


def _entry(row: GovernanceSystemRow) -> RegisterEntry:
    return entry_from_dict(row.document)


def _write_entry(row: GovernanceSystemRow, entry: RegisterEntry) -> None:
    row.name = entry.name
    row.status = entry.status.value
    row.published = entry.published
    row.document = entry.to_dict()
    row.updated_at = utcnow()


def ensure_registered(
    ctx: AppContext,
    s: Session,
    *,
    actor: Actor,
    workspace_id: str,
    name: str,
    reason: str,
    **fields: Any,
) -> str:
    """The register entry named ``name`` (an automated system civicflow itself runs: an
    allocation, the assistant, a rule set): the one of that name if someone registered it
    already, else a new proposed entry with ``fields``, ledgered ``governance_system.create`` in
    the caller's session ``s`` (so with the change that brought the system about)."""
    existing = s.scalars(
        select(GovernanceSystemRow.id).where(
            GovernanceSystemRow.workspace_id == workspace_id, GovernanceSystemRow.name == name
        )
    ).first()
    if existing is not None:
        return existing
    now = utcnow()
    entry = new_entry(id=new_id("sys_"), by=actor.pseudonym, at=now, reason=reason, name=name,
                      **fields)  # fmt: skip
    row = GovernanceSystemRow(
        id=entry.id, workspace_id=workspace_id, created_by=actor.pseudonym, created_at=now
    )
    _write_entry(row, entry)
    s.add(row)
    record(
        ctx, s, actor=actor, action=f"{SYSTEM}.create", object_type=SYSTEM, object_id=entry.id,
        workspace_id=workspace_id, after=row.document, reason=reason,
    )  # fmt: skip
    return entry.id


def list_systems(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[RegisterEntry]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(GovernanceSystemRow)
            .where(GovernanceSystemRow.workspace_id == workspace_id)
            .order_by(GovernanceSystemRow.name)
        ).all()
        return [_entry(r) for r in rows]


def get_system(ctx: AppContext, *, actor: Actor, workspace_id: str, ref: str) -> RegisterEntry:
    """A registered system by id or name."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _entry(_system_row(s, workspace_id, ref))


def _name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"a system named '{name}' is registered already",
        where=Location(field="name"),
        found=name,
        expected="a name not used yet in this workspace",
        fix="choose another name, or update the registered system",
    )


def add_system(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    fields: Mapping[str, Any],
    reason: str | None = None,
) -> RegisterEntry:
    """Register a system, proposed (GOVERNANCE_WRITE; ledger ``governance_system.create``)."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    now = utcnow()
    entry = new_entry(
        id=new_id("sys_"), by=actor.pseudonym, at=now, reason=reason or "registered", **fields
    )
    try:
        with ctx.session() as s:
            require_workspace_row(s, workspace_id)
            row = GovernanceSystemRow(
                id=entry.id, workspace_id=workspace_id, created_by=actor.pseudonym,
                created_at=now,
            )  # fmt: skip
            _write_entry(row, entry)
            s.add(row)
            record(
                ctx, s, actor=actor, action=f"{SYSTEM}.create", object_type=SYSTEM,
                object_id=entry.id, workspace_id=workspace_id, after=row.document, reason=reason,
            )  # fmt: skip
    except IntegrityError as exc:
        raise _name_taken(entry.name) from exc
    return entry


def update_system(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    ref: str,
    fields: Mapping[str, Any],
    reason: str | None = None,
) -> RegisterEntry:
    """Change a system's fields (GOVERNANCE_WRITE; ledger ``governance_system.update``)."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    try:
        with ctx.session() as s:
            row = _system_row(s, workspace_id, ref)
            before = row.document
            entry = edit_entry(_entry(row), **fields)
            _write_entry(row, entry)
            record(
                ctx, s, actor=actor, action=f"{SYSTEM}.update", object_type=SYSTEM,
                object_id=row.id, workspace_id=workspace_id, before=before, after=row.document,
                reason=reason,
            )  # fmt: skip
    except IntegrityError as exc:
        raise _name_taken(str(fields.get("name"))) from exc
    return entry


def move_system(
    ctx: AppContext, *, actor: Actor, workspace_id: str, ref: str, to: str, reason: str
) -> RegisterEntry:
    """Move a system along its lifecycle (GOVERNANCE_WRITE; ledger ``governance_system.move``
    with the reason)."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    with ctx.session() as s:
        row = _system_row(s, workspace_id, ref)
        before = row.document
        entry = move_entry(_entry(row), to, by=actor.pseudonym, reason=reason, at=utcnow())
        _write_entry(row, entry)
        record(
            ctx, s, actor=actor, action=f"{SYSTEM}.move", object_type=SYSTEM, object_id=row.id,
            workspace_id=workspace_id, before=before, after=row.document, reason=reason,
        )  # fmt: skip
    return entry


def export_record(
    ctx: AppContext, *, actor: Actor, workspace_id: str, ref: str, facets: Facets | None = None
) -> AtrsRecord:
    """A system's ATRS transparency record (WORKSPACE_READ)."""
    return atrs_record(
        get_system(ctx, actor=actor, workspace_id=workspace_id, ref=ref), facets=facets
    )


def published_records(ctx: AppContext) -> list[tuple[str, AtrsRecord]]:
    """Every published system's record with its workspace's name: public, no sign-in."""
    with ctx.read_session() as s:
        rows = s.execute(
            select(GovernanceSystemRow, WorkspaceRow.name)
            .join(WorkspaceRow, WorkspaceRow.id == GovernanceSystemRow.workspace_id)
            .where(GovernanceSystemRow.published.is_(True))
            .order_by(GovernanceSystemRow.name, GovernanceSystemRow.id)
        ).all()
        return [(ws, atrs_record(_entry(row))) for row, ws in rows]


def published_record(ctx: AppContext, system_id: str) -> AtrsRecord:
    """One published record by its system's id (public); an unpublished one is not found."""
    with ctx.read_session() as s:
        row = s.get(GovernanceSystemRow, system_id)
        if row is None or not row.published:
            raise NotFoundError(
                f"there is no published record '{system_id}'",
                where=Location(field="system"),
                found=system_id,
                fix="see the list of published records",
            )
        return atrs_record(_entry(row))


# --------------------------------------------------------------------------------------------
# assessments


def _question_set(s: Session, row: GovernanceAssessmentRow) -> QuestionSet:
    if row.kind == AIA_ID:
        stored = s.get(GovernanceQuestionSetRow, row.question_set_id)
        assert stored is not None
        return parse_aia(stored.document, version=stored.version, source="stored questionnaire")
    return question_set_for(row.kind)


def _assessment_row(s: Session, workspace_id: str, assessment_id: str) -> GovernanceAssessmentRow:
    row = s.get(GovernanceAssessmentRow, assessment_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            f"there is no assessment '{assessment_id}' in this workspace",
            where=Location(field="assessment"),
            found=assessment_id,
            fix="list them with `civicflow governance assessment list`",
        )
    return row


def start_assessment(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    kind: str,
    system: str | None = None,
    questionnaire: Path | None = None,
    reason: str | None = None,
) -> StoredAssessment:
    """Start an assessment of ``kind`` (``canada-aia`` needs the published ``questionnaire``
    file, kept per version in the workspace), optionally linked to a registered system
    (GOVERNANCE_WRITE; ledger ``assessment.create``)."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    if kind == AIA_ID:
        if questionnaire is None:
            raise InputError(
                "the AIA needs its questionnaire file",
                where=Location(field="questionnaire"),
                expected="the published survey-enfr.json",
                fix="pass the questionnaire file downloaded from canada-ca/aia-eia-js",
            )
        qs = load_aia(questionnaire)
        document = json.loads(Path(questionnaire).read_text(encoding="utf-8"))
    else:
        qs = question_set_for(kind)
        document = None
    now = utcnow()
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        system_id = None if system is None else _system_row(s, workspace_id, system).id
        set_row_id = None
        if document is not None:
            existing = s.scalars(
                select(GovernanceQuestionSetRow).where(
                    GovernanceQuestionSetRow.workspace_id == workspace_id,
                    GovernanceQuestionSetRow.set_id == qs.id,
                    GovernanceQuestionSetRow.version == qs.version,
                )
            ).first()
            if existing is None:
                existing = GovernanceQuestionSetRow(
                    id=new_id("qs_"), workspace_id=workspace_id, set_id=qs.id,
                    version=qs.version, document=document, created_by=actor.pseudonym,
                    created_at=now,
                )  # fmt: skip
                s.add(existing)
                s.flush()  # before the assessment that refers to it (no ORM relationship)
            set_row_id = existing.id
        outcome = evaluate(kind, qs, check_answers(qs, {}))
        row = GovernanceAssessmentRow(
            id=new_id("asm_"), workspace_id=workspace_id, system_id=system_id, kind=kind,
            question_set_id=set_row_id, version=qs.version, answers={},
            result=dict(outcome.result), summary=outcome.summary, created_by=actor.pseudonym,
            created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action=f"{ASSESSMENT}.create", object_type=ASSESSMENT,
            object_id=row.id, workspace_id=workspace_id,
            after={"kind": kind, "version": qs.version, "system_id": system_id}, reason=reason,
        )  # fmt: skip
        return _assessment_out(row)


def answer_assessment(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    assessment_id: str,
    answers: Mapping[str, Any],
    reason: str | None = None,
) -> StoredAssessment:
    """Give or change answers (a value of ``None`` withdraws one), then score. Every changed
    answer is its own ledger entry ``assessment.answer``; the new result ``assessment.score``.
    The answers are checked against the question set first: a bad one stores nothing."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    with ctx.session() as s:
        row = _assessment_row(s, workspace_id, assessment_id)
        qs = _question_set(s, row)
        old = dict(row.answers)
        merged = {k: v for k, v in (old | dict(answers)).items() if v is not None}
        checked = check_answers(qs, merged)
        if checked.ignored:
            raise InputError(
                f"'{checked.ignored[0]}' is no question of this assessment",
                where=Location(field=checked.ignored[0]),
                found=", ".join(checked.ignored),
                expected=f"question names of {qs.id} {qs.version}",
                fix="check the question names",
            )
        outcome = evaluate(row.kind, qs, checked)
        for name in sorted(set(old) | set(merged)):
            if old.get(name) == merged.get(name):
                continue
            record(
                ctx, s, actor=actor, action=f"{ASSESSMENT}.answer", object_type=ANSWER,
                object_id=f"{row.id}:{name}", workspace_id=workspace_id,
                before=None if name not in old else {name: old[name]},
                after=None if name not in merged else {name: merged[name]}, reason=reason,
            )  # fmt: skip
        before = {"answers": old, "result": row.result}
        row.answers = merged
        row.result = dict(outcome.result)
        row.summary = outcome.summary
        row.updated_at = utcnow()
        record(
            ctx, s, actor=actor, action=f"{ASSESSMENT}.score", object_type=ASSESSMENT,
            object_id=row.id, workspace_id=workspace_id, before=before,
            after={"answers": merged, "result": row.result}, reason=reason,
        )  # fmt: skip
        if row.system_id is not None:
            system = _system_row(s, workspace_id, row.system_id)
            before_doc = system.document
            link = AssessmentLink(_TITLES[row.kind], row.id, outcome.summary, row.updated_at)
            _write_entry(system, replace_link(_entry(system), link))
            record(
                ctx, s, actor=actor, action=f"{SYSTEM}.link", object_type=SYSTEM,
                object_id=system.id, workspace_id=workspace_id, before=before_doc,
                after=system.document, reason=f"assessment {row.id}",
            )  # fmt: skip
        return _assessment_out(row)


def get_assessment(
    ctx: AppContext, *, actor: Actor, workspace_id: str, assessment_id: str
) -> StoredAssessment:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _assessment_out(_assessment_row(s, workspace_id, assessment_id))


def list_assessments(
    ctx: AppContext, *, actor: Actor, workspace_id: str, system: str | None = None
) -> list[StoredAssessment]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        query = select(GovernanceAssessmentRow).where(
            GovernanceAssessmentRow.workspace_id == workspace_id
        )
        if system is not None:
            query = query.where(
                GovernanceAssessmentRow.system_id == _system_row(s, workspace_id, system).id
            )
        rows = s.scalars(
            query.order_by(GovernanceAssessmentRow.created_at, GovernanceAssessmentRow.id)
        ).all()
        return [_assessment_out(r) for r in rows]


# --------------------------------------------------------------------------------------------
# compliance controls and the Art. 30 record

CONTROL = "control"


def _control_state(row: GovernanceControlRow) -> ControlState:
    return ControlState(
        catalogue=row.catalogue, control=row.control, owner=row.owner,
        status=ControlStatus(row.status), due=row.due,
        evidence=tuple(EvidenceLink(e["kind"], e["ref"], e.get("note", "")) for e in row.evidence),
    )  # fmt: skip


def control_states(
    ctx: AppContext, *, actor: Actor, workspace_id: str, catalogue: str
) -> list[ControlState]:
    """The workspace's state of each control of ``catalogue`` it has touched (WORKSPACE_READ)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(GovernanceControlRow).where(
                GovernanceControlRow.workspace_id == workspace_id,
                GovernanceControlRow.catalogue == catalogue,
            )
        ).all()
        return [_control_state(r) for r in rows]


def set_control(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    catalogue: Catalogue,
    control: str,
    owner: str | None = None,
    status: str | None = None,
    due: date | None = None,
    evidence: Sequence[str] = (),
    remove: Sequence[str] = (),
    reason: str | None = None,
) -> ControlState:
    """Set a control's owner, status or due date, add evidence links (``kind:ref``; an
    ``assessment:`` link must name an assessment of this workspace) and take off those named in
    ``remove`` (``kind:ref``). GOVERNANCE_WRITE; ledger ``control.update`` on the object
    ``<catalogue>:<control>``."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    catalogue.control(control)
    if status is not None:
        check_choice(status, [s.value for s in ControlStatus], what="control status",
                     field="status", error=InputError)  # fmt: skip
    links = [evidence_link(e) for e in evidence]
    dropped = {(link.kind, link.ref) for link in (evidence_link(r) for r in remove)}
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        for link in links:
            if link.kind == "assessment":
                _assessment_row(s, workspace_id, link.ref)
        row = s.scalars(
            select(GovernanceControlRow).where(
                GovernanceControlRow.workspace_id == workspace_id,
                GovernanceControlRow.catalogue == catalogue.id,
                GovernanceControlRow.control == control,
            )
        ).first()
        before = None if row is None else _control_state(row).to_dict()
        if row is None:
            row = GovernanceControlRow(
                id=new_id("ctl_"), workspace_id=workspace_id, catalogue=catalogue.id,
                control=control, owner="", status=ControlStatus.NOT_STARTED.value, due=None,
                evidence=[],
            )  # fmt: skip
            s.add(row)
        if owner is not None:
            row.owner = owner.strip()
        if status is not None:
            row.status = status
        if due is not None:
            row.due = due
        kept = [e for e in row.evidence if (e["kind"], e["ref"]) not in dropped]
        known = {(e["kind"], e["ref"]) for e in kept}
        row.evidence = kept + [
            link.to_dict() for link in links if (link.kind, link.ref) not in known
        ]
        row.updated_by = actor.pseudonym
        row.updated_at = utcnow()
        state = _control_state(row)
        record(
            ctx, s, actor=actor, action=f"{CONTROL}.update", object_type=CONTROL,
            object_id=f"{catalogue.id}:{control}", workspace_id=workspace_id, before=before,
            after=state.to_dict(), reason=reason,
        )  # fmt: skip
        return state


def gaps(ctx: AppContext, *, actor: Actor, workspace_id: str, catalogue: Catalogue) -> GapsReport:
    """The gaps report of ``catalogue`` in this workspace (WORKSPACE_READ)."""
    states = control_states(ctx, actor=actor, workspace_id=workspace_id, catalogue=catalogue.id)
    return gaps_report(catalogue, states, today=utcnow().date())


def dataset_scans(ctx: AppContext, *, actor: Actor, workspace_id: str) -> dict[str, str | None]:
    """Each dataset of the workspace with the categories of personal data its PII scan found
    (stored in its manifest when it was ingested with the privacy transform), ``None`` for a
    dataset stored without a scan (WORKSPACE_READ)."""
    from civicflow.app._assessment import list_datasets

    return {
        d.name: scan_categories(d.manifest.options)
        for d in list_datasets(ctx, actor=actor, workspace_id=workspace_id)
    }


def processing_record(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    controller: str,
    data_categories: Mapping[str, str] | None = None,
) -> tuple[Art30Row, ...]:
    """The GDPR Art. 30 record of processing generated from the register (WORKSPACE_READ). The
    categories of personal data of each system come from the PII scans of the datasets it uses
    (:func:`dataset_scans`), unless ``data_categories`` gives them per dataset or the entry's
    ``details`` states them."""
    entries = list_systems(ctx, actor=actor, workspace_id=workspace_id)
    scanned = {
        name: text
        for name, text in dataset_scans(ctx, actor=actor, workspace_id=workspace_id).items()
        if text is not None
    }
    return article_30_record(
        entries, controller=controller, data_categories=scanned | dict(data_categories or {})
    )


# --------------------------------------------------------------------------------------------
# the readiness scorecard


def readiness_evidence(ctx: AppContext, *, actor: Actor, workspace_id: str) -> ReadinessEvidence:
    """The workspace's evidence for the ten preparations (WORKSPACE_READ): the programme model
    (objectives, measurements, stakeholders and consultations, budget lines, pilots,
    communications), the frozen baselines, the DPIAs, the datasets' PII scans, the
    infrastructure inventory and the compliance controls."""
    from civicflow.app import _programme as prog
    from civicflow.app._assessment import list_workspace_baselines

    actor.require(Permission.WORKSPACE_READ, workspace_id)
    objectives = prog.OBJECTIVES.list(ctx, actor=actor, workspace_id=workspace_id)
    baselines = {
        b.name for b in list_workspace_baselines(ctx, actor=actor, workspace_id=workspace_id)
    }
    measured = sum(
        1
        for o in objectives
        if prog.list_measurements(ctx, actor=actor, workspace_id=workspace_id, objective_id=o.id)
    )
    stakeholders = prog.STAKEHOLDERS.list(ctx, actor=actor, workspace_id=workspace_id)
    kind_of = {s.id: s.kind.value for s in stakeholders}
    consulted = {
        kind_of[c.stakeholder_id]
        for c in prog.CONSULTATIONS.list(ctx, actor=actor, workspace_id=workspace_id)
    }
    pilots = prog.PILOTS.list(ctx, actor=actor, workspace_id=workspace_id)
    inventory = list_inventory(ctx, actor=actor, workspace_id=workspace_id)
    runs = list_assessments(ctx, actor=actor, workspace_id=workspace_id)
    scans = dataset_scans(ctx, actor=actor, workspace_id=workspace_id)
    shares = []
    for name in BUILTIN_CATALOGUES:
        if control_states(ctx, actor=actor, workspace_id=workspace_id, catalogue=name):
            shares.append(
                gaps(
                    ctx, actor=actor, workspace_id=workspace_id, catalogue=builtin_catalogue(name)
                ).share_implemented
            )
    return ReadinessEvidence(
        objectives=len(objectives),
        objectives_with_frozen_baseline=sum(o.baseline_name in baselines for o in objectives),
        objectives_measured=measured,
        frozen_baselines=len(baselines),
        stakeholder_groups=frozenset(kind_of.values()),
        consulted_groups=frozenset(consulted),
        budget_categories=frozenset(
            b.category.value
            for b in prog.BUDGET_LINES.list(ctx, actor=actor, workspace_id=workspace_id)
        ),
        dpia_done=any(r.kind == "gdpr-dpia" and r.answers for r in runs),
        pii_scans=sum(text is not None for text in scans.values()),
        datasets_unscanned=tuple(sorted(name for name, text in scans.items() if text is None)),
        infrastructure_assessed=sum(i.assessed for i in inventory) if inventory else None,
        infrastructure_items=len(inventory),
        infrastructure_blockers=tuple(
            f"{i.name} ({i.compatibility.value if i.compatibility is Compatibility.INCOMPATIBLE else i.support.value})"
            for i in inventory
            if i.compatibility is Compatibility.INCOMPATIBLE
            or i.support is SupportStatus.END_OF_LIFE
        ),
        pilots=len(pilots),
        pilots_with_criteria=sum(bool(p.success_criteria) for p in pilots),
        communications=len(prog.COMMUNICATIONS.list(ctx, actor=actor, workspace_id=workspace_id)),
        controls_share=sum(shares) / len(shares) if shares else None,
        assessments=sum(bool(r.answers) for r in runs),
    )


def readiness(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    declared: Mapping[str, Declared] | None = None,
) -> Scorecard:
    """The readiness scorecard of the workspace (WORKSPACE_READ)."""
    evidence = readiness_evidence(ctx, actor=actor, workspace_id=workspace_id)
    return readiness_scorecard(evidence, declared=declared)


def assessment_questions(
    ctx: AppContext, *, actor: Actor, workspace_id: str, assessment_id: str
) -> QuestionSet:
    """The question set (at the stored version) an assessment answers (WORKSPACE_READ)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _question_set(s, _assessment_row(s, workspace_id, assessment_id))


# --------------------------------------------------------------------------------------------
# the infrastructure inventory

INFRASTRUCTURE = "infrastructure"


def list_inventory(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[InfrastructureItem]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(GovernanceInfrastructureRow)
            .where(GovernanceInfrastructureRow.workspace_id == workspace_id)
            .order_by(GovernanceInfrastructureRow.name)
        ).all()
        return [item_from_dict(r.document) for r in rows]


def save_inventory_item(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    fields: Mapping[str, Any],
    reason: str | None = None,
) -> InfrastructureItem:
    """Add a system to the inventory, or change the one with the same name (GOVERNANCE_WRITE;
    ledger ``infrastructure.create | update``)."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        name = str(fields.get("name", "")).strip()
        row = s.scalars(
            select(GovernanceInfrastructureRow).where(
                GovernanceInfrastructureRow.workspace_id == workspace_id,
                GovernanceInfrastructureRow.name == name,
            )
        ).first()
        before = None if row is None else dict(row.document)
        base = {} if row is None else {k: v for k, v in row.document.items() if k != "id"}
        item = inventory_item(new_id("inf_") if row is None else row.id, base | dict(fields))
        if row is None:
            row = GovernanceInfrastructureRow(id=item.id, workspace_id=workspace_id)
            s.add(row)
        row.name = item.name
        row.document = item.to_dict()
        row.updated_by = actor.pseudonym
        row.updated_at = utcnow()
        record(
            ctx, s, actor=actor,
            action=f"{INFRASTRUCTURE}.{'create' if before is None else 'update'}",
            object_type=INFRASTRUCTURE, object_id=item.id, workspace_id=workspace_id,
            before=before, after=row.document, reason=reason,
        )  # fmt: skip
        return item


# --------------------------------------------------------------------------------------------
# the readiness trend

READINESS = "readiness"


@dataclass(frozen=True, slots=True)
class ReadinessPoint:
    """A saved scorecard: when, overall and per area."""

    id: str
    taken_at: datetime
    overall: float
    areas: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "taken_at": self.taken_at.isoformat(),
            "overall": self.overall,
            "areas": self.areas,
        }


def save_readiness(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    declared: Mapping[str, Declared] | None = None,
) -> Scorecard:
    """Score the workspace now and keep the scorecard as a point of the trend (GOVERNANCE_WRITE;
    ledger ``readiness.save``)."""
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    card = readiness(ctx, actor=actor, workspace_id=workspace_id, declared=declared)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        row = GovernanceReadinessRow(
            id=new_id("rdy_"), workspace_id=workspace_id, taken_at=utcnow(),
            scorecard=card.to_dict(), taken_by=actor.pseudonym,
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action=f"{READINESS}.save", object_type=READINESS,
            object_id=row.id, workspace_id=workspace_id, after=row.scorecard,
        )  # fmt: skip
    return card


def readiness_trend(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[ReadinessPoint]:
    """The saved scorecards, oldest first (WORKSPACE_READ)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(GovernanceReadinessRow)
            .where(GovernanceReadinessRow.workspace_id == workspace_id)
            .order_by(GovernanceReadinessRow.taken_at, GovernanceReadinessRow.id)
        ).all()
        return [
            ReadinessPoint(
                r.id,
                r.taken_at,
                float(r.scorecard["overall"]),
                {a["area"]: float(a["score"]) for a in r.scorecard["areas"]},
            )
            for r in rows
        ]


# --------------------------------------------------------------------------------------------
# evidence files attached to answers and controls

ATTACHMENT = "governance_attachment"


def _attachment_out(row: GovernanceAttachmentRow) -> Attachment:
    return Attachment(
        id=row.id, target=row.target, filename=row.filename, media_type=row.media_type,
        size=row.size, sha256=row.sha256, created_by=row.created_by, created_at=row.created_at,
    )  # fmt: skip


def attachment_path(workspace_path: Path, sha256: str) -> Path:
    """Where a file's content is kept: ``<workspace>/governance/attachments/<sha[:2]>/<sha>``."""
    return Path(workspace_path) / "governance" / "attachments" / sha256[:2] / sha256


def _keep_content(path: Path, data: bytes) -> bool:
    """Write the content at ``path`` unless it is there already (content-addressed); True when
    this call created it (so a failed transaction takes it away again)."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{new_id('tmp_')}")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return True


def _attach(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    target: str,
    filename: str,
    data: bytes,
    reason: str | None,
    check_target: Callable[[Session], None],
    after_attach: Callable[[Session, GovernanceAttachmentRow], None] | None = None,
) -> Attachment:
    actor.require(Permission.GOVERNANCE_WRITE, workspace_id)
    checked = check_file(filename, data)
    with ctx.read_session() as s:
        ws_path = Path(require_workspace_row(s, workspace_id).path)
        check_target(s)
    path = attachment_path(ws_path, checked.sha256)
    created = _keep_content(path, data)
    try:
        with ctx.session() as s:
            row = GovernanceAttachmentRow(
                id=new_id("att_"), workspace_id=workspace_id, target=target,
                filename=checked.filename, media_type=checked.media_type, size=checked.size,
                sha256=checked.sha256, created_by=actor.pseudonym, created_at=utcnow(),
            )  # fmt: skip
            s.add(row)
            record(
                ctx, s, actor=actor, action=f"{ATTACHMENT}.create", object_type=ATTACHMENT,
                object_id=row.id, workspace_id=workspace_id, after_digest=checked.sha256,
                reason=reason or f"{checked.filename} ({checked.size:,} bytes) on {target}",
            )  # fmt: skip
            if after_attach is not None:
                after_attach(s, row)
            return _attachment_out(row)
    except BaseException:
        if created:
            path.unlink(missing_ok=True)
        raise


def attach_to_answer(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    assessment_id: str,
    question: str,
    filename: str,
    data: bytes,
    reason: str | None = None,
) -> Attachment:
    """Attach an evidence file to an assessment's question (GOVERNANCE_WRITE; the file checked
    by :func:`civicflow.governance.check_file`, kept by its SHA-256; ledger
    ``governance_attachment.create`` whose after-digest is the file's SHA-256)."""

    def check(s: Session) -> None:
        qs = _question_set(s, _assessment_row(s, workspace_id, assessment_id))
        if qs.question(question) is None:
            raise InputError(
                f"the assessment has no question '{question}'",
                where=Location(field="question"),
                found=question,
                expected="a question of the assessment's question set",
                fix="choose the question the file is evidence for",
            )

    return _attach(
        ctx, actor=actor, workspace_id=workspace_id, target=answer_target(assessment_id, question),
        filename=filename, data=data, reason=reason, check_target=check,
    )  # fmt: skip


def attach_to_control(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    catalogue: Catalogue,
    control: str,
    filename: str,
    data: bytes,
    reason: str | None = None,
) -> Attachment:
    """Attach an evidence file to a compliance control (GOVERNANCE_WRITE): kept as for
    :func:`attach_to_answer`, and linked as the control's evidence ``attachment:<id>`` (ledger
    ``control.update`` in the same transaction)."""
    catalogue.control(control)

    def link(s: Session, att: GovernanceAttachmentRow) -> None:
        row = s.scalars(
            select(GovernanceControlRow).where(
                GovernanceControlRow.workspace_id == workspace_id,
                GovernanceControlRow.catalogue == catalogue.id,
                GovernanceControlRow.control == control,
            )
        ).first()
        before = None if row is None else _control_state(row).to_dict()
        if row is None:
            row = GovernanceControlRow(
                id=new_id("ctl_"), workspace_id=workspace_id, catalogue=catalogue.id,
                control=control, owner="", status=ControlStatus.NOT_STARTED.value, due=None,
                evidence=[],
            )  # fmt: skip
            s.add(row)
        row.evidence = [
            *row.evidence,
            EvidenceLink("attachment", att.id, att.filename).to_dict(),
        ]
        row.updated_by = actor.pseudonym
        row.updated_at = utcnow()
        record(
            ctx, s, actor=actor, action=f"{CONTROL}.update", object_type=CONTROL,
            object_id=f"{catalogue.id}:{control}", workspace_id=workspace_id, before=before,
            after=_control_state(row).to_dict(), reason=f"attached {att.filename}",
        )  # fmt: skip

    return _attach(
        ctx, actor=actor, workspace_id=workspace_id,
        target=control_target(catalogue.id, control), filename=filename, data=data,
        reason=reason, check_target=lambda s: None, after_attach=link,
    )  # fmt: skip


def list_attachments(
    ctx: AppContext, *, actor: Actor, workspace_id: str, target: str | None = None
) -> list[Attachment]:
    """The files attached to ``target`` (all of the workspace's without one), oldest first
    (WORKSPACE_READ). ``target``: :func:`~civicflow.governance.answer_target` or
    :func:`~civicflow.governance.control_target`, or ``assessment:<id>:`` for all of an
    assessment's answers."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        query = select(GovernanceAttachmentRow).where(
            GovernanceAttachmentRow.workspace_id == workspace_id
        )
        if target is not None:
            if target.endswith(":"):
                query = query.where(
                    GovernanceAttachmentRow.target.startswith(target, autoescape=True)
                )
            else:
                query = query.where(GovernanceAttachmentRow.target == target)
        rows = s.scalars(
            query.order_by(GovernanceAttachmentRow.created_at, GovernanceAttachmentRow.id)
        ).all()
        return [_attachment_out(r) for r in rows]


def read_attachment(
    ctx: AppContext, *, actor: Actor, workspace_id: str, attachment_id: str
) -> tuple[Attachment, bytes]:
    """An attached file and its content (WORKSPACE_READ). Content that no longer matches the
    SHA-256 kept when it was attached is refused (a :class:`ConflictError`), never served."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = s.get(GovernanceAttachmentRow, attachment_id)
        if row is None or row.workspace_id != workspace_id:
            raise NotFoundError(
                f"there is no attached file '{attachment_id}' in this workspace",
                where=Location(field="attachment"),
                found=attachment_id,
                fix="open the file from the assessment or control it is attached to",
            )
        att = _attachment_out(row)
        path = attachment_path(Path(require_workspace_row(s, workspace_id).path), row.sha256)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConflictError(
            f"the content of '{att.filename}' is missing from the workspace",
            where=Location(file=str(path)),
            found=str(exc),
            expected=f"the file with SHA-256 {att.sha256}",
            fix="restore the workspace folder from a backup; `civicflow ledger verify` lists it",
        ) from exc
    if hashlib.sha256(data).hexdigest() != att.sha256:
        raise ConflictError(
            f"the content of '{att.filename}' changed after it was attached",
            where=Location(file=str(path)),
            found=hashlib.sha256(data).hexdigest(),
            expected=f"SHA-256 {att.sha256} (in the ledger entry that attached it)",
            fix="restore the workspace folder from a backup; `civicflow ledger verify` lists it",
        )
    return att, data


# --------------------------------------------------------------------------------------------
# the report's section


def report_section(ctx: AppContext, *, actor: Actor, workspace_id: str) -> Section | None:
    """The report's "Governance" section (WORKSPACE_READ): the register, the answered
    assessments with their levels and requirements, the state of each control catalogue the
    workspace keeps, and the readiness scorecard once the workspace has any of it (None
    before)."""
    systems = list_systems(ctx, actor=actor, workspace_id=workspace_id)
    runs = list_assessments(ctx, actor=actor, workspace_id=workspace_id)
    controls = [
        gaps(ctx, actor=actor, workspace_id=workspace_id, catalogue=builtin_catalogue(name))
        for name in BUILTIN_CATALOGUES
        if control_states(ctx, actor=actor, workspace_id=workspace_id, catalogue=name)
    ]
    inventory = list_inventory(ctx, actor=actor, workspace_id=workspace_id)
    if not (
        systems
        or runs
        or controls
        or inventory
        or readiness_trend(ctx, actor=actor, workspace_id=workspace_id)
    ):
        return None
    card = readiness(ctx, actor=actor, workspace_id=workspace_id)
    return governance_section(
        systems=[s.to_dict() for s in systems],
        assessments=[r.to_dict() for r in runs],
        titles=_TITLES,
        controls=[c.to_dict() for c in controls],
        readiness=card.to_dict(),
    )


def local_report_section(workspace_path: Path | str) -> Section | None:
    """The "Governance" section for a report written on the command line, read only (None when
    the command line's database does not know the workspace or its operator; see
    :func:`civicflow.app.business_case.local_report_section`)."""
    from civicflow.app._business_case import local_section

    return local_section(workspace_path, report_section)
