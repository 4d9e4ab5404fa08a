"""Application state as SQLAlchemy 2.x ORM rows. The schema itself is made by the migrations in
``civicflow/app/migrations``; a test checks the two agree."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from civicflow.app._encrypted import EncryptedJSON, EncryptedText
from civicflow.core import Location, NotFoundError


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


RowT = TypeVar("RowT", bound=Base)


def get_row(
    session: Session, model: type[RowT], key: str, *, what: str, field: str, fix: str | None = None
) -> RowT:
    """The row of ``model`` whose id is ``key`` (passed as ``field``), or :class:`NotFoundError`
    saying ``what`` is missing."""
    row = session.get(model, key)
    if row is None:
        raise NotFoundError(what, where=Location(field=field), found=key, fix=fix)
    return row


def _id_column() -> Any:
    """A row's id: a string primary key (``usr_…``, ``ws_…``, from :func:`civicflow.core.new_id`)."""
    return mapped_column(String(64), primary_key=True)


def _owner_column(target: str, *, primary_key: bool = False) -> Any:
    """The id of the row ``target`` (``"table.id"``) this row belongs to and goes with: part of
    the primary key, or indexed."""
    fk = ForeignKey(target, ondelete="CASCADE")
    if primary_key:
        return mapped_column(String(64), fk, primary_key=True)
    return mapped_column(String(64), fk, index=True)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = _id_column()
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc"),)


class WorkspaceRow(Base):
    __tablename__ = "workspaces"
    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class MembershipRow(Base):
    __tablename__ = "memberships"
    workspace_id: Mapped[str] = _owner_column("workspaces.id", primary_key=True)
    user_id: Mapped[str] = _owner_column("users.id", primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = _owner_column("users.id")
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SessionRow(Base):
    """A signed-in browser session. The cookie carries a random id; only its SHA-256 is stored,
    so a copy of this table signs no one in."""

    __tablename__ = "sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = _owner_column("users.id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DashboardVisitRow(Base):
    """When a user last opened a workspace's dashboard ("what changed since your last visit").
    Interface bookkeeping like a session, not a state of the agency: not in the ledger."""

    __tablename__ = "dashboard_visits"
    user_id: Mapped[str] = _owner_column("users.id", primary_key=True)
    workspace_id: Mapped[str] = _owner_column("workspaces.id", primary_key=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    success: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ix_login_attempts_email_ip_at", "email", "ip", "at"),)


class _Programme:
    """Columns every programme item has."""

    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ObjectiveRow(_Programme, Base):
    __tablename__ = "objectives"
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kpi: Mapped[str] = mapped_column(String(100))
    baseline_name: Mapped[str] = mapped_column(String(64))
    baseline_value: Mapped[float] = mapped_column(Float)
    target_value: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date] = mapped_column(Date)


class MeasurementRow(Base):
    __tablename__ = "objective_measurements"
    id: Mapped[str] = _id_column()
    objective_id: Mapped[str] = _owner_column("objectives.id")
    value: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    change: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)
    """``ProgressChange`` against the reference baseline (migration 0006); None when typed in."""


class StakeholderRow(_Programme, Base):
    __tablename__ = "stakeholders"
    name: Mapped[str] = mapped_column(EncryptedText("stakeholders.name"))
    kind: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(
        EncryptedText("stakeholders.organisation"), default=""
    )
    interest: Mapped[int] = mapped_column(Integer)
    influence: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(EncryptedText("stakeholders.notes"), default="")


class ConsultationRow(_Programme, Base):
    __tablename__ = "consultations"
    stakeholder_id: Mapped[str] = _owner_column("stakeholders.id")
    held_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(EncryptedText("consultations.summary"))
    outcome: Mapped[str] = mapped_column(EncryptedText("consultations.outcome"), default="")


class CommunicationRow(_Programme, Base):
    __tablename__ = "communications"
    title: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(200))
    planned_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)


class BudgetLineRow(_Programme, Base):
    __tablename__ = "budget_lines"
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    recurrence: Mapped[str] = mapped_column(String(16))
    period: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class RiskRow(_Programme, Base):
    __tablename__ = "risks"
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(200))
    mitigation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))


class PilotRow(_Programme, Base):
    __tablename__ = "pilots"
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    success_criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    # the pilot's design and latest evaluation (migration 0006)
    dataset: Mapped[str] = mapped_column(String(64), default="", server_default="")
    scope_filter: Mapped[str] = mapped_column(Text, default="", server_default="")
    control_filter: Mapped[str] = mapped_column(Text, default="", server_default="")
    baseline_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    baseline_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class DecisionRow(_Programme, Base):
    __tablename__ = "decisions"
    title: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(200))


class SimulationModelRow(Base):
    """A simulation model document (``civicflow.planning.SimulationModel.to_dict()``)."""

    __tablename__ = "simulation_models"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    dataset: Mapped[str | None] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_simulation_models_name"),)


class SimulationScenarioRow(Base):
    """A what-if scenario of a stored model (``civicflow.planning.Scenario`` as JSON)."""

    __tablename__ = "simulation_scenarios"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    model_id: Mapped[str] = _owner_column("simulation_models.id")
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("model_id", "name", name="uq_simulation_scenarios_name"),)


class SimulationRunRow(Base):
    """A validation, simulation run or scenario comparison and its result (JSON)."""

    __tablename__ = "simulation_runs"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    model_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("simulation_models.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    dataset: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BusinessCaseRow(Base):
    """A saved business case: its name and where its first draft came from; the documents are
    its versions (:class:`BusinessCaseVersionRow`)."""

    __tablename__ = "business_cases"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_business_cases_name"),)


class BusinessCaseVersionRow(Base):
    """One version of a case (``civicflow.planning.case_to_dict``), never overwritten; its
    evaluation (base case, Monte Carlo, tornado) is stored with it once run."""

    __tablename__ = "business_case_versions"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    case_id: Mapped[str] = _owner_column("business_cases.id")
    version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("case_id", "version", name="uq_business_case_versions_version"),
    )


class TrainingPlanRow(_Programme, Base):
    """A training plan of the programme (migration 0006)."""

    __tablename__ = "training_plans"
    role: Mapped[str] = mapped_column(String(200))
    course: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    people: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3))
    notes: Mapped[str] = mapped_column(Text, default="")


class GovernanceSystemRow(Base):
    """A register entry (``civicflow.governance.RegisterEntry.to_dict()``, history included)."""

    __tablename__ = "governance_systems"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_governance_systems_name"),)


class GovernanceQuestionSetRow(Base):
    """A question set a user supplied (the AIA questionnaire as published), kept per version."""

    __tablename__ = "governance_question_sets"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    set_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "set_id", "version", name="uq_governance_question_sets"),
    )


class GovernanceAssessmentRow(Base):
    """An assessment: its kind, the question set's version, the answers and the latest result."""

    __tablename__ = "governance_assessments"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    system_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("governance_systems.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    question_set_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("governance_question_sets.id", ondelete="RESTRICT")
    )
    version: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GovernanceControlRow(Base):
    """The workspace's state of one compliance control (owner, status, due date, evidence)."""

    __tablename__ = "governance_controls"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    catalogue: Mapped[str] = mapped_column(String(64))
    control: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))
    due: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "catalogue", "control", name="uq_governance_controls"),
    )


class GovernanceAttachmentRow(Base):
    """An evidence file attached to an assessment's answer or a compliance control; its content
    is kept under the workspace by its SHA-256 (``governance/attachments/<sha[:2]>/<sha>``)."""

    __tablename__ = "governance_attachments"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    target: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_governance_attachments_target", "workspace_id", "target"),)


class PrivacyDecisionRow(Base):
    """A data steward's decision on one column of a workspace's datasets: ``keep`` it clear at
    ingest (with the reason) or ``pseudonymise`` it although it was not classified as an
    identifier."""

    __tablename__ = "privacy_column_decisions"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    column: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "column", name="uq_privacy_column_decisions_column"),
    )


class PrivacyVaultRow(Base):
    """A pseudonym's original value, sealed with AES-GCM under the key ring (never in clear)."""

    __tablename__ = "privacy_vault"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    pseudonym: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(Text)
    dataset: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "pseudonym", name="uq_privacy_vault_pseudonym"),
    )


class PrivacyReleaseRow(Base):
    """A differentially private release of a dataset: its epsilon, the dataset's budget at the
    time, and the release with its utility report (JSON)."""

    __tablename__ = "privacy_releases"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    dataset: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    epsilon: Mapped[float] = mapped_column(Float)
    budget: Mapped[float] = mapped_column(Float)
    release: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FairnessAuditRow(Base):
    """One version of a named fairness audit: a decision audit of a file or a process audit of a
    dataset, its configuration and its result (``FairnessAudit.to_dict()`` /
    ``ProcessFairness.to_dict()``)."""

    __tablename__ = "fairness_audits"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    system_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """The audited automated system: a governance register entry (``governance_systems.id``)."""
    system_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    system_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The system's model version audited (default: the register entry's ``model_version``)."""
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", "version", name="uq_fairness_audits_version"),
    )


class FairnessExplanationRow(Base):
    """Stored explanations of a model's decisions for rows of a table
    (``ModelExplanation.to_dict()``): the model and data identified by their SHA-256."""

    __tablename__ = "fairness_explanations"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    model_name: Mapped[str] = mapped_column(String(500))
    model_sha256: Mapped[str] = mapped_column(String(64))
    data_name: Mapped[str] = mapped_column(String(500))
    data_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list[int]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    system_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GovernanceInfrastructureRow(Base):
    """One system of the infrastructure inventory (``InfrastructureItem.to_dict()``)."""

    __tablename__ = "governance_infrastructure"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_governance_infrastructure_name"),
    )


class GovernanceReadinessRow(Base):
    """A saved readiness scorecard (``Scorecard.to_dict()``): the points of its trend."""

    __tablename__ = "governance_readiness"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scorecard: Mapped[dict[str, Any]] = mapped_column(JSON)
    taken_by: Mapped[str] = mapped_column(String(64))


class FairnessStreamRow(Base):
    """A registered decision stream: a file re-audited on demand or by a scheduled command, its
    audit configuration (``AuditConfig.to_dict()``) and its last check (``MonitorCheck.to_dict()``
    with the audit's id and version)."""

    __tablename__ = "fairness_streams"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(1000))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_check: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    system_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The automated system whose decisions the stream carries (a governance register entry)."""
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_fairness_streams_name"),)


class PrivacyRequestRow(Base):
    """A data-subject request (GDPR Arts. 15-22): the subject's identifiers only as pseudonyms
    (key ring) or salted hashes, its verification, deadline, extension and outcome."""

    __tablename__ = "privacy_requests"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    kind: Mapped[str] = mapped_column(String(16))
    subject_tokens: Mapped[list[str]] = mapped_column(JSON)
    salt: Mapped[str] = mapped_column(String(64))
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    extended_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(
        EncryptedText("privacy_requests.extension_reason"), default=""
    )
    status: Mapped[str] = mapped_column(String(16))
    verified_how: Mapped[str] = mapped_column(
        EncryptedText("privacy_requests.verified_how"), default=""
    )
    verified_by: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(EncryptedText("privacy_requests.outcome"), default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacyLegalHoldRow(Base):
    """A dataset on legal hold (GDPR Art. 17(3)): erasure leaves it unchanged and says so."""

    __tablename__ = "privacy_legal_holds"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    dataset: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "dataset", name="uq_privacy_legal_holds_dataset"),
    )


class RuleSetVersionRow(Base):
    """One version of a rule set: its YAML text and tests, its automation level, and where it
    stands (draft → in_review → approved → published). A published version is never changed."""

    __tablename__ = "ruleset_versions"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    tests_text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    automation: Mapped[str] = mapped_column(String(16))
    review_negative: Mapped[bool] = mapped_column(Boolean)
    review_uncertain: Mapped[bool] = mapped_column(Boolean)
    test_result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    kind: Mapped[str] = mapped_column(String(8), default="yaml", server_default="yaml")
    """``yaml`` (a rule set) or ``dmn`` (a DMN model's XML in ``text``)."""
    dmn_decision: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """A DMN model's decision whose result is the outcome."""
    dmn_positive: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    """A DMN model's outcome values that count as positive (empty: any truthy value)."""
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", "version", name="uq_ruleset_versions_version"),
    )


class RuleDecisionRow(Base):
    """A decision under a published rule set version: the inputs, the date it is for, the
    outcome, the trace (``Decision.to_dict()``), the automation level it went through, and
    where it stands (final, recommended, pending_review, confirmed, overridden)."""

    __tablename__ = "rule_decisions"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    ruleset_version_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ruleset_versions.id"), index=True
    )
    ruleset: Mapped[str] = mapped_column(String(200))
    case_ref: Mapped[str] = mapped_column(String(200))
    decided_on: Mapped[date] = mapped_column(Date)
    inputs: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("rule_decisions.inputs"))
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(200))
    positive: Mapped[bool] = mapped_column(Boolean)
    uncertain: Mapped[bool] = mapped_column(Boolean)
    trace: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("rule_decisions.trace"))
    automation: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    final_positive: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    batch_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """The batch the decision was decided in (its ledger entry is the batch's), else None."""


class RuleReviewRow(Base):
    """A caseworker's review of a decision: confirmed, or overridden with a reason and the rule
    the caseworker holds responsible (overrides counted per rule)."""

    __tablename__ = "rule_reviews"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    decision_id: Mapped[str] = _owner_column("rule_decisions.id")
    action: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(200), nullable=True)
    final_positive: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(EncryptedText("rule_reviews.reason"))
    reviewed_by: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleAppealRow(Base):
    """An appeal of a decision: re-decided under the rules in force on the original date, with
    the result (``Decision.to_dict()``) and the reason recorded."""

    __tablename__ = "rule_appeals"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    decision_id: Mapped[str] = _owner_column("rule_decisions.id")
    ruleset_version_id: Mapped[str] = mapped_column(String(64), ForeignKey("ruleset_versions.id"))
    grounds: Mapped[str] = mapped_column(EncryptedText("rule_appeals.grounds"))
    inputs: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("rule_appeals.inputs"))
    result: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("rule_appeals.result"))
    positive: Mapped[bool] = mapped_column(Boolean)
    changed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(EncryptedText("rule_appeals.reason"))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AllocationRow(Base):
    """One version of a named allocation scenario: its configuration, the demand's source and
    the result (``AllocationResult.to_dict()``: efficient and fair plans, per-area outcomes, the
    price of fairness); ``system_id`` is its entry in the governance register."""

    __tablename__ = "allocations"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    system_id: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", "version", name="uq_allocations_version"),
    )


class ForecastRow(Base):
    """One version of a named demand forecast: where its series came from (a dataset or a
    table), its configuration and its result (``ForecastResult.to_dict(history=True)``: the
    forecasts with intervals, the model chosen per series, the accuracy on held-out periods)."""

    __tablename__ = "forecasts"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", "version", name="uq_forecasts_version"),
    )


class PrivacyRetentionPolicyRow(Base):
    """One version of a retention policy: a dataset's (or, ``*``, every dataset's without its
    own) retention period. A change is a new version; ``active`` false removes the policy."""

    __tablename__ = "privacy_retention_policies"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    dataset: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    older_than_days: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    name: Mapped[str] = mapped_column(String(64))
    """The policy's name (versions share it); a dataset's name for the policies before names."""
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """``civicflow.privacy.RetentionRule.to_dict()``; None: delete whole cases older than
    ``older_than_days`` (the policies before categories and actions)."""
    position: Mapped[int] = mapped_column(Integer, default=100)
    """Order among a dataset's policies (lower first; then by name)."""
    __table_args__ = (
        UniqueConstraint(
            "workspace_id", "name", "version", name="uq_privacy_retention_policies_name_version"
        ),
    )


class AssistantSettingsRow(Base):
    """The citizen assistant of a workspace: public or not, how long transcripts are kept, and
    the governance register entry made when it was first enabled."""

    __tablename__ = "assistant_settings"
    workspace_id: Mapped[str] = _owner_column("workspaces.id", primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    retention_days: Mapped[int] = mapped_column(Integer)
    system_id: Mapped[str] = mapped_column(String(64), default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssistantConversationRow(Base):
    """A citizen's conversation (its id is the citizen's only key to it)."""

    __tablename__ = "assistant_conversations"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AssistantTurnRow(Base):
    """One question and the assistant's reply. ``question`` and ``comment`` are stored with
    personal data redacted; the source and version the answer quoted and the knowledge base's
    version (``KnowledgeBase.fingerprint``) it was asked against, for the counts."""

    __tablename__ = "assistant_turns"
    id: Mapped[str] = _id_column()
    conversation_id: Mapped[str] = _owner_column("assistant_conversations.id")
    workspace_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    question: Mapped[str] = mapped_column(EncryptedText("assistant_turns.question"))
    answered: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(32))
    reply: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    chunk_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    version: Mapped[str] = mapped_column(String(64), default="")
    kb_version: Mapped[str] = mapped_column(String(64), default="", index=True)
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rating: Mapped[str] = mapped_column(String(16), default="")
    comment: Mapped[str] = mapped_column(EncryptedText("assistant_turns.comment"), default="")


class AssistantHandoffRow(Base):
    """A conversation handed to a person: opened by the citizen, picked up, answered and closed
    by a caseworker (REVIEW_WRITE). ``reply`` is stored with personal data redacted."""

    __tablename__ = "assistant_handoffs"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    conversation_id: Mapped[str] = _owner_column("assistant_conversations.id")
    turn_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    assignee: Mapped[str] = mapped_column(String(64), default="")
    reply: Mapped[str] = mapped_column(EncryptedText("assistant_handoffs.reply"), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacySealKeyRow(Base):
    """The random key that seals one record's personal fields in the ledger's digests
    (``app/_sealed.py``): deleting it (erasure, deletion) makes the record's past entries
    unlinkable to any guess of those values (crypto-shredding) without changing a hash."""

    __tablename__ = "privacy_seal_keys"
    object_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(EncryptedText("privacy_seal_keys.key"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleDecisionBatchRow(Base):
    """A batch of decisions under one published rule set version for one date: where the cases
    came from, the counts by outcome and by routing, and the digest of its decisions (the one
    ledger entry of the batch carries it; ``RuleDecisionRow.batch_id`` names the batch)."""

    __tablename__ = "rule_decision_batches"
    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _owner_column("workspaces.id")
    ruleset_version_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ruleset_versions.id"), index=True
    )
    ruleset: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    decided_on: Mapped[date] = mapped_column(Date)
    cases: Mapped[int] = mapped_column(Integer)
    positive: Mapped[int] = mapped_column(Integer)
    uncertain: Mapped[int] = mapped_column(Integer)
    statuses: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
