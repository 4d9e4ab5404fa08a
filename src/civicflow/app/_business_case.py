"""Business case use cases: saved cases per workspace, each a list of versions that are never
overwritten (a change is a new version), evaluated (base case, Monte Carlo, tornado) with the
result stored on the version, compared side by side — role-checked and ledgered.

Reading needs WORKSPACE_READ; every change needs BUSINESS_CASE_WRITE (admins, service owners,
analysts) and writes one ledger entry in the transaction that stores it: ``business_case.create |
version | evaluate | delete``. The ledgered state of a case is its name, description, source and
every version (document and result): :func:`case_state`, which ``ledger verify`` recomputes.

``from_opportunity`` is the one step from a ranked automation opportunity to a what-if scenario
of a stored simulation model (``scenario.create``, through :mod:`civicflow.app.planning`) and a
draft case whose costs are the programme's budget lines and whose benefits are the hours and
rework the log measures at that activity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicflow.app._assessment import open_view
from civicflow.app._context import AppContext
from civicflow.app._models import BusinessCaseRow, BusinessCaseVersionRow
from civicflow.app._planning import StoredScenario, get_run, list_runs, store_scenario
from civicflow.app._programme import BUDGET_LINES
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConflictError, InputError, Location, NotFoundError, new_id, utcnow
from civicflow.eventlog import TIMESTAMP, DuckDBEngine
from civicflow.mining import EventLogFilter
from civicflow.planning import (
    ActivityDuration,
    BusinessCase,
    CostLine,
    HoursSaved,
    MonteCarloConfig,
    Opportunities,
    OpportunityConfig,
    OtherBenefit,
    Range,
    RemoveRework,
    ReworkAvoided,
    SavingsFromScenario,
    Scenario,
    Uncertain,
    automation_opportunities,
    benefits_from_comparison,
    case_from_dict,
    case_to_dict,
    costs_from_budget,
    monte_carlo,
    monte_carlo_to_dict,
    result_to_dict,
    tornado,
    tornado_to_dict,
)
from civicflow.report import Section, business_case_section, opportunities_section

CASE = "business_case"
SECONDS_PER_YEAR = 365.25 * 86_400


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseVersion:
    """One version of a case: its document, and its evaluation once run (``result``: ``base``,
    ``monte_carlo``, ``tornado``, ``config``)."""

    version: int
    note: str
    document: dict[str, Any]
    result: dict[str, Any] | None
    created_by: str
    created_at: datetime

    @property
    def case(self) -> BusinessCase:
        return case_from_dict(self.document)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "note": self.note,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "document": self.document,
            "result": self.result,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCase:
    id: str
    workspace_id: str
    name: str
    description: str
    source: dict[str, Any]
    versions: tuple[CaseVersion, ...]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def latest(self) -> CaseVersion:
        return self.versions[-1]

    def version(self, number: int | None = None) -> CaseVersion:
        """A version by its number (the latest when None)."""
        if number is None:
            return self.latest
        for v in self.versions:
            if v.version == number:
                return v
        raise NotFoundError(
            f"business case '{self.name}' has no version {number}",
            where=Location(field="version"),
            found=str(number),
            expected="one of: " + ", ".join(str(v.version) for v in self.versions),
            fix="list the versions with `civicflow business-case show`",
        )

    def to_dict(self, *, versions: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "latest_version": self.latest.version,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
        if versions:
            out["versions"] = [v.to_dict() for v in self.versions]
        else:
            out["latest"] = self.latest.to_dict()
        return out


def case_state(row: BusinessCaseRow, versions: Sequence[BusinessCaseVersionRow]) -> dict[str, Any]:
    """What the ledger's before/after digests of a case are taken of (and ``verify`` checks)."""
    return {
        "name": row.name,
        "description": row.description,
        "source": row.source,
        "versions": [
            {"version": v.version, "note": v.note, "document": v.document, "result": v.result}
            for v in sorted(versions, key=lambda v: v.version)
        ],
    }


def _versions(s: Session, case_id: str) -> list[BusinessCaseVersionRow]:
    return list(
        s.scalars(
            select(BusinessCaseVersionRow)
            .where(BusinessCaseVersionRow.case_id == case_id)
            .order_by(BusinessCaseVersionRow.version)
        )
    )


def _out(row: BusinessCaseRow, versions: Sequence[BusinessCaseVersionRow]) -> StoredCase:
    return StoredCase(
        id=row.id, workspace_id=row.workspace_id, name=row.name, description=row.description,
        source=row.source,
        versions=tuple(
            CaseVersion(version=v.version, note=v.note, document=v.document, result=v.result,
                        created_by=v.created_by, created_at=v.created_at)
            for v in versions
        ),
        created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def _case_row(s: Session, workspace_id: str, ref: str) -> BusinessCaseRow:
    """A case by id or by name."""
    row = s.get(BusinessCaseRow, ref)
    if row is None or row.workspace_id != workspace_id:
        row = s.scalars(
            select(BusinessCaseRow).where(
                BusinessCaseRow.workspace_id == workspace_id, BusinessCaseRow.name == ref
            )
        ).first()
    if row is None:
        known = s.scalars(
            select(BusinessCaseRow.name).where(BusinessCaseRow.workspace_id == workspace_id)
        ).all()
        raise NotFoundError(
            f"there is no business case '{ref}' in this workspace",
            where=Location(field="case"),
            found=ref,
            expected="one of: " + (", ".join(known) or "(no business cases yet)"),
            fix="list them with `civicflow business-case list`, or create one",
        )
    return row


def _name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"a business case named '{name}' exists already",
        where=Location(field="name"),
        found=name,
        expected="a name not used yet",
        fix="choose another name, or add a version to the existing case",
    )


def _text(value: str, field: str, limit: int) -> str:
    text = value.strip()
    if len(text) > limit:
        raise InputError(
            f"the {field} is too long",
            where=Location(field=field),
            found=f"{len(text)} characters",
            expected=f"at most {limit} characters",
            fix=f"shorten the {field}",
        )
    return text


# --------------------------------------------------------------------------------------------
# reading


def list_cases(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[StoredCase]:
    """The workspace's cases with all their versions, oldest first."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        require_workspace_row(s, workspace_id)
        rows = s.scalars(
            select(BusinessCaseRow)
            .where(BusinessCaseRow.workspace_id == workspace_id)
            .order_by(BusinessCaseRow.created_at, BusinessCaseRow.id)
        ).all()
        return [_out(r, _versions(s, r.id)) for r in rows]


def get_case(ctx: AppContext, *, actor: Actor, workspace_id: str, case: str) -> StoredCase:
    """A case by id or name, with every version."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = _case_row(s, workspace_id, case)
        return _out(row, _versions(s, row.id))


def budget_costs(ctx: AppContext, *, actor: Actor, workspace_id: str) -> tuple[CostLine, ...]:
    """The programme's budget lines as cost lines of a case."""
    lines = BUDGET_LINES.list(ctx, actor=actor, workspace_id=workspace_id)
    return costs_from_budget(lines)  # type: ignore[arg-type]


def report_section(ctx: AppContext, *, actor: Actor, workspace_id: str) -> Section | None:
    """The report's "Business case" section of the workspace's cases (None without cases)."""
    cases = list_cases(ctx, actor=actor, workspace_id=workspace_id)
    return business_case_section(
        [c.to_dict() | {"base": result_to_dict(c.latest.case.evaluate())} for c in cases]
    )


def local_report_section(workspace_path: Path | str) -> Section | None:
    """The "Business case" section for a report written on the command line: the cases of the
    workspace folder as the command line's operator sees them, read only — None when there is no
    application database yet, the folder is not a registered workspace, the operator has no
    account or role there, or the database is at another schema (nothing is created or
    registered here)."""
    return local_section(workspace_path, report_section)


def local_section(
    workspace_path: Path | str, build: Callable[..., Section | None]
) -> Section | None:
    """``build(ctx, actor=, workspace_id=)`` for the workspace folder as the command line's
    operator sees it, read only (None in the cases :func:`local_report_section` names)."""
    from sqlalchemy.engine import make_url

    from civicflow.app._accounts import get_actor
    from civicflow.app._context import database_url, migration_status, open_app
    from civicflow.app._local import _find_operator, _registered, os_login
    from civicflow.core import get_settings

    settings = get_settings()
    url = make_url(database_url(settings))
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or not Path(url.database).exists()
    ):
        return None
    ctx = open_app(settings=settings)
    try:
        if not migration_status(ctx.engine).up_to_date:
            return None
        row = _registered(ctx, Path(workspace_path).resolve())
        operator = _find_operator(ctx, os_login())
        if row is None or operator is None or not operator.is_active:
            return None
        actor = get_actor(ctx, operator.id)
        if not actor.can(Permission.WORKSPACE_READ, row.id):
            return None
        return build(ctx, actor=actor, workspace_id=row.id)
    finally:
        ctx.close()


# --------------------------------------------------------------------------------------------
# changing


def create_case(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    case: BusinessCase,
    description: str = "",
    note: str = "",
    source: dict[str, Any] | None = None,
    reason: str | None = None,
) -> StoredCase:
    """Store a new case as its version 1 (BUSINESS_CASE_WRITE; ledger ``business_case.create``)."""
    with ctx.session() as s:
        return _insert_case(
            ctx, s, actor=actor, workspace_id=workspace_id, case=case, description=description,
            note=note, source=source, reason=reason,
        )  # fmt: skip


def _insert_case(
    ctx: AppContext,
    s: Session,
    *,
    actor: Actor,
    workspace_id: str,
    case: BusinessCase,
    description: str,
    note: str,
    source: dict[str, Any] | None,
    reason: str | None,
) -> StoredCase:
    """:func:`create_case` inside the caller's transaction ``s``."""
    actor.require(Permission.BUSINESS_CASE_WRITE, workspace_id)
    document = case_to_dict(case)
    require_workspace_row(s, workspace_id)
    now = utcnow()
    row = BusinessCaseRow(
        id=new_id("bc_"), workspace_id=workspace_id, name=case.name,
        description=_text(description, "description", 10_000),
        source=source or {"kind": "manual"}, created_by=actor.pseudonym,
        created_at=now, updated_at=now,
    )  # fmt: skip
    s.add(row)
    try:
        s.flush()
    except IntegrityError:
        raise _name_taken(case.name) from None
    version = BusinessCaseVersionRow(
        id=new_id("bcv_"), workspace_id=workspace_id, case_id=row.id, version=1,
        note=_text(note, "note", 2_000), document=document, result=None,
        created_by=actor.pseudonym, created_at=now,
    )  # fmt: skip
    s.add(version)
    record(
        ctx, s, actor=actor, action=f"{CASE}.create", object_type=CASE, object_id=row.id,
        workspace_id=workspace_id, after=case_state(row, [version]), reason=reason,
    )  # fmt: skip
    return _out(row, [version])


def add_version(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    case: str,
    document: BusinessCase,
    note: str = "",
    reason: str | None = None,
) -> StoredCase:
    """Store ``document`` as the case's next version; earlier versions stay as they are. A new
    name in the document renames the case. BUSINESS_CASE_WRITE; ledger ``business_case.version``."""
    actor.require(Permission.BUSINESS_CASE_WRITE, workspace_id)
    doc = case_to_dict(document)
    try:
        with ctx.session() as s:
            row = _case_row(s, workspace_id, case)
            versions = _versions(s, row.id)
            before = case_state(row, versions)
            now = utcnow()
            version = BusinessCaseVersionRow(
                id=new_id("bcv_"), workspace_id=workspace_id, case_id=row.id,
                version=versions[-1].version + 1 if versions else 1,
                note=_text(note, "note", 2_000), document=doc, result=None,
                created_by=actor.pseudonym, created_at=now,
            )  # fmt: skip
            s.add(version)
            row.name = document.name
            row.updated_at = now
            versions.append(version)
            record(
                ctx, s, actor=actor, action=f"{CASE}.version", object_type=CASE,
                object_id=row.id, workspace_id=workspace_id, before=before,
                after=case_state(row, versions), reason=reason,
            )  # fmt: skip
            return _out(row, versions)
    except IntegrityError:
        raise _name_taken(document.name) from None


def delete_case(
    ctx: AppContext, *, actor: Actor, workspace_id: str, case: str, reason: str | None = None
) -> None:
    """Remove a case and all its versions (BUSINESS_CASE_WRITE; ledger ``business_case.delete``
    with the whole case as its before-state)."""
    actor.require(Permission.BUSINESS_CASE_WRITE, workspace_id)
    with ctx.session() as s:
        row = _case_row(s, workspace_id, case)
        versions = _versions(s, row.id)
        before = case_state(row, versions)
        s.execute(delete(BusinessCaseVersionRow).where(BusinessCaseVersionRow.case_id == row.id))
        s.delete(row)
        record(
            ctx, s, actor=actor, action=f"{CASE}.delete", object_type=CASE, object_id=row.id,
            workspace_id=workspace_id, before=before, reason=reason,
        )  # fmt: skip


def evaluate_case(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    case: str,
    version: int | None = None,
    config: MonteCarloConfig | None = None,
    reason: str | None = None,
) -> StoredCase:
    """Evaluate a version (the latest by default): the base case, a Monte Carlo run and the
    tornado, stored with the version (replacing an earlier evaluation of the same version: the
    document it evaluates is unchanged). BUSINESS_CASE_WRITE; ledger ``business_case.evaluate``."""
    actor.require(Permission.BUSINESS_CASE_WRITE, workspace_id)
    cfg = config or MonteCarloConfig()
    stored = get_case(ctx, actor=actor, workspace_id=workspace_id, case=case)
    chosen = stored.version(version)
    business = chosen.case
    result = {
        "config": {
            "draws": cfg.draws,
            "seed": cfg.seed,
            "payback_within": list(cfg.payback_within),
            "discounted_payback": cfg.discounted_payback,
        },
        "base": result_to_dict(business.evaluate()),
        "monte_carlo": monte_carlo_to_dict(monte_carlo(business, cfg)),
        "tornado": tornado_to_dict(tornado(business)),
        "evaluated_at": utcnow().isoformat(),
    }
    with ctx.session() as s:
        row = _case_row(s, workspace_id, stored.id)
        versions = _versions(s, row.id)
        before = case_state(row, versions)
        target = next((v for v in versions if v.version == chosen.version), None)
        if target is None:
            raise NotFoundError(
                f"version {chosen.version} of '{row.name}' was removed meanwhile",
                where=Location(field="version"),
                found=str(chosen.version),
                fix="list the case's versions again",
            )
        target.result = result
        row.updated_at = utcnow()
        record(
            ctx, s, actor=actor, action=f"{CASE}.evaluate", object_type=CASE, object_id=row.id,
            workspace_id=workspace_id, before=before, after=case_state(row, versions),
            reason=reason,
        )  # fmt: skip
        return _out(row, versions)


# --------------------------------------------------------------------------------------------
# side by side


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    """One case version in a comparison."""

    case_id: str
    name: str
    version: int
    figures: dict[str, float | None]
    inputs: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseComparison:
    """Case versions side by side: their figures (base case, and the Monte Carlo run when
    evaluated) and every input, with the rows whose values differ."""

    columns: tuple[Column, ...]
    figures: tuple[str, ...] = field(default_factory=tuple)
    inputs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def differing_inputs(self) -> list[str]:
        return [k for k in self.inputs if len({c.inputs.get(k, "—") for c in self.columns}) > 1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [
                {"case_id": c.case_id, "name": c.name, "version": c.version,
                 "figures": c.figures, "inputs": c.inputs}
                for c in self.columns
            ],
            "figures": list(self.figures),
            "inputs": list(self.inputs),
            "differing_inputs": self.differing_inputs,
        }  # fmt: skip


FIGURES = (
    "npv", "irr", "roi", "payback_years", "discounted_payback_years", "total_costs",
    "total_benefits", "npv_p10", "npv_p50", "npv_p90", "probability_positive_npv",
)  # fmt: skip


def _show(value: Uncertain) -> str:
    if isinstance(value, Range):
        return f"{value.low:g} / {value.likely:g} / {value.high:g} ({value.shape})"
    return f"{value:g}"


def compare_cases(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    refs: Sequence[tuple[str, int | None]],
) -> CaseComparison:
    """Versions of one or more cases side by side: ``refs`` are (case id or name, version or
    None for the latest). The base case is computed for versions not yet evaluated."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    if len(refs) < 2:
        raise InputError(
            "a comparison needs two case versions or more",
            where=Location(field="refs"),
            found=str(len(refs)),
            expected="2 or more",
            fix="name two cases, or one case and two of its versions (case@1 case@2)",
        )
    columns = []
    keys: list[str] = []
    for ref, number in refs:
        stored = get_case(ctx, actor=actor, workspace_id=workspace_id, case=ref)
        v = stored.version(number)
        business = v.case
        base = result_to_dict(business.evaluate())
        figures: dict[str, float | None] = {
            k: base[k] for k in ("npv", "irr", "roi", "payback_years", "discounted_payback_years")
        }
        figures["total_costs"] = sum(y["costs"] or 0.0 for y in base["years"])
        figures["total_benefits"] = sum(y["benefits"] or 0.0 for y in base["years"])
        mc = (v.result or {}).get("monte_carlo") or {}
        for k in ("npv_p10", "npv_p50", "npv_p90", "probability_positive_npv"):
            figures[k] = mc.get(k)
        inputs = {"years": str(business.years), "start": business.start.isoformat()}
        inputs |= {i.label: _show(i.value) for i in business.inputs()}
        for key in inputs:
            if key not in keys:
                keys.append(key)
        columns.append(
            Column(case_id=stored.id, name=stored.name, version=v.version, figures=figures,
                   inputs=inputs)
        )  # fmt: skip
    return CaseComparison(columns=tuple(columns), figures=FIGURES, inputs=tuple(keys))


# --------------------------------------------------------------------------------------------
# one step from an opportunity


@dataclass(frozen=True, slots=True, kw_only=True)
class FromOpportunity:
    """What :func:`from_opportunity` made: the draft case and, with a model, the scenario."""

    case: StoredCase
    scenario: StoredScenario | None
    evidence: dict[str, Any]


def from_opportunity(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    activity: str,
    hourly_cost: Uncertain,
    share_automated: float = 0.5,
    model_id: str | None = None,
    filter: EventLogFilter | None = None,
    config: OpportunityConfig | None = None,
    name: str | None = None,
    start: date | None = None,
    years: int = 5,
    discount_rate: Uncertain = 0.04,
    reason: str | None = None,
) -> FromOpportunity:
    """Turn a ranked opportunity into a scenario and a draft business case in one step.

    The scenario (when ``model_id`` names a stored simulation model) cuts the activity's
    duration by ``share_automated`` and, when the log shows repeats of it, removes its rework.
    The draft case: costs = the programme's budget lines; benefits = the activity's handling
    hours a year (from the log, annualised over its period) × ``share_automated`` × the loaded
    ``hourly_cost`` (a range from half to the full share), and the repeats a year avoided at the
    cost of one handling. BUSINESS_CASE_WRITE (and SIMULATION_WRITE for the scenario)."""
    actor.require(Permission.BUSINESS_CASE_WRITE, workspace_id)
    if model_id is not None:
        actor.require(Permission.SIMULATION_WRITE, workspace_id)
    if not 0.0 < share_automated <= 1.0:
        raise InputError(
            "the share automated is out of range",
            where=Location(field="share_automated"),
            found=repr(share_automated),
            expected="a fraction above 0, at most 1 (0.5 for half the handling time)",
            fix="pass share_automated=0.5",
        )
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=DuckDBEngine(),
    )  # fmt: skip
    ranked = automation_opportunities(view, config)
    if activity not in ranked.ranking:
        raise NotFoundError(
            f"the dataset has no activity '{activity}'",
            where=Location(field="activity"),
            found=activity,
            expected="one of: " + ", ".join(ranked.ranking[:10]),
            fix="pick an activity from `civicflow opportunities`",
        )
    opp = ranked.get(activity)
    rank = ranked.ranking.index(activity) + 1
    events = view.events
    span = view.execute(
        events.aggregate(first=events[TIMESTAMP].min(), last=events[TIMESTAMP].max())
    )
    first, last = span["first"].iloc[0], span["last"].iloc[0]
    seconds = max((last - first).total_seconds(), 86_400.0)
    per_year = SECONDS_PER_YEAR / seconds
    handling_hours = (opp.signal("handling").value or 0.0) / 3600 * per_year
    volume = (opp.signal("volume").value or 0.0) * per_year
    rework_share = opp.signal("rework").value or 0.0
    benefits: list[Any] = []
    if handling_hours > 0:
        saved = handling_hours * share_automated
        benefits.append(
            HoursSaved(role=f"staff at {activity}",
                       hours_per_year=Range(low=saved / 2, likely=saved, high=saved),
                       hourly_cost=hourly_cost)
        )  # fmt: skip
    if rework_share > 0 and volume > 0 and handling_hours > 0:
        mean_hours = handling_hours / volume
        cost = hourly_cost.likely if isinstance(hourly_cost, Range) else float(hourly_cost)
        benefits.append(
            ReworkAvoided(activity=activity, cases_per_year=round(volume * rework_share, 1),
                          cost_per_case=round(mean_hours * cost, 2))
        )  # fmt: skip
    costs = budget_costs(ctx, actor=actor, workspace_id=workspace_id)
    day = start or (min((c.start for c in costs), default=None) or utcnow().date())
    business = BusinessCase(
        name=name or f"Automate {activity}", start=day, years=years,
        discount_rate=discount_rate, costs=costs, benefits=tuple(benefits),
    )  # fmt: skip
    evidence = {
        "dataset": dataset_name,
        "activity": activity,
        "rank": rank,
        "score": opp.score,
        "signals": {s.name: s.evidence for s in opp.signals},
        "handling_hours_per_year": round(handling_hours, 1),
        "instances_per_year": round(volume, 1),
        "rework_share": rework_share,
        "share_automated": share_automated,
        "log_years": round(seconds / SECONDS_PER_YEAR, 3),
    }
    changes: list[Any] = []
    if model_id is not None:
        changes.append(
            ActivityDuration(activity=activity, factor=1.0 - share_automated)
            if share_automated < 1
            else ActivityDuration(activity=activity, fixed_seconds=0.0, automated=True)
        )
        if rework_share > 0:
            changes.append(RemoveRework(activity=activity))
    why = reason or f"from the opportunity '{activity}'"
    # the scenario and the case in one transaction: a case name taken stores no scenario either
    with ctx.session() as s:
        scenario = None
        if model_id is not None:
            scenario = store_scenario(
                ctx, s, actor=actor, workspace_id=workspace_id, model_id=model_id,
                scenario=Scenario(
                    name=f"automate {activity}"[:200],
                    description=f"from the automation opportunity ranked {rank} "
                    f"(score {opp.score:.1f}) in {dataset_name}",
                    changes=changes,
                ),
                reason=why,
            )  # fmt: skip
            evidence["scenario_id"] = scenario.id
        stored = _insert_case(
            ctx, s, actor=actor, workspace_id=workspace_id, case=business,
            description=f"Draft from the automation opportunity '{activity}' (rank {rank}, "
            f"score {opp.score:.1f}) in dataset {dataset_name}.",
            note="draft from the opportunity", source={"kind": "opportunity"} | evidence,
            reason=why,
        )  # fmt: skip
    return FromOpportunity(case=stored, scenario=scenario, evidence=evidence)


@dataclass(frozen=True, slots=True, kw_only=True)
class FromScenario:
    """What :func:`version_from_scenario` stored: the case with its new version, the comparison
    run it read and the savings it found there (with the pools left out in ``savings.notes``)."""

    case: StoredCase
    run_id: str
    savings: SavingsFromScenario


def version_from_scenario(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    case: str,
    scenario: str,
    hourly_cost: Mapping[str, Uncertain] | Uncertain,
    run_id: str | None = None,
    cases_per_year: Uncertain | None = None,
    value_per_day: Uncertain | None = None,
    weeks_per_year: float = 52.0,
    note: str = "",
    reason: str | None = None,
) -> FromScenario:
    """The case's next version with the benefits a stored scenario comparison measured
    (``planning.benefits_from_comparison``): per resource pool the working hours a year the
    scenario frees × the loaded ``hourly_cost`` (one figure, or per pool), as a range from the
    paired 95 % interval, and — with ``value_per_day`` — faster service. They replace the latest
    version's hours saved, rework avoided and faster service (estimates the simulation measures,
    so counting both would count twice); its other benefits and every cost stay. ``run_id``
    defaults to the workspace's latest comparison run. A scenario that frees no hours is an
    :class:`InputError` naming ``scenario``; nothing is stored then. BUSINESS_CASE_WRITE; ledger
    ``business_case.version``."""
    actor.require(Permission.BUSINESS_CASE_WRITE, workspace_id)
    if run_id is None:
        runs = list_runs(ctx, actor=actor, workspace_id=workspace_id, kind="compare")
        if not runs:
            raise NotFoundError(
                "there is no scenario comparison in this workspace",
                where=Location(field="run_id"),
                found="no comparison run",
                expected="a run made by `civicflow simulate compare` (or the Simulation page)",
                fix="compare the scenario with the model as it is first",
            )
        run_id = max(runs, key=lambda r: r.created_at).id
    run = get_run(ctx, actor=actor, workspace_id=workspace_id, run_id=run_id)
    savings = benefits_from_comparison(
        run.comparison(), scenario, hourly_cost=hourly_cost, weeks_per_year=weeks_per_year,
        cases_per_year=cases_per_year, value_per_day=value_per_day,
    )  # fmt: skip
    if not savings.benefits:
        raise InputError(
            f"scenario '{scenario}' of run {run_id} saves nothing to count as a benefit",
            where=Location(field="scenario"),
            found="; ".join(savings.notes) or scenario,
            expected="a scenario whose pools' working hours fall against the model as it is",
            fix="pick another scenario or run, or give an hourly cost for the pools it frees",
        )
    stored = get_case(ctx, actor=actor, workspace_id=workspace_id, case=case)
    base = stored.latest.case
    kept = tuple(b for b in base.benefits if isinstance(b, OtherBenefit))
    document = replace(base, benefits=(*kept, *savings.benefits))
    updated = add_version(
        ctx, actor=actor, workspace_id=workspace_id, case=stored.id, document=document,
        note=note or f"benefits from scenario '{scenario}' of comparison run {run_id}",
        reason=reason,
    )  # fmt: skip
    return FromScenario(case=updated, run_id=run_id, savings=savings)


def opportunities_to_dict(ranked: Opportunities, *, top: int | None = None) -> dict[str, Any]:
    """A ranking as JSON-ready data (the command line's ``--json``, the report, the page)."""
    import dataclasses

    end = None if top is None else max(0, top)
    return {
        "weights": ranked.weights.as_dict(),
        "definitions": dict(ranked.definitions),
        "opportunities": [dataclasses.asdict(o) for o in ranked.opportunities[:end]],
        "sequences": [dataclasses.asdict(o) for o in ranked.sequences[:end]],
    }


def rank_opportunities(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    filter: EventLogFilter | None = None,
    config: OpportunityConfig | None = None,
) -> Opportunities:
    """The dataset's (filtered) activities and frequent sequences ranked as automation
    opportunities, each score with its evidence (WORKSPACE_READ; nothing is stored)."""
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=DuckDBEngine(),
    )  # fmt: skip
    return automation_opportunities(view, config)


def opportunities_report_section(ranked: Opportunities, *, top: int = 10) -> Section | None:
    """The report's "Automation opportunities" section of a ranking."""
    return opportunities_section(opportunities_to_dict(ranked), top=top)
