"""The workspace dashboard: what a service owner reads in ten seconds.

Three questions, answered from stored facts only (no analysis runs when the page opens):

- **How are the KPIs moving?** Each objective's KPI from its baseline value through its
  measurements, against its target; each KPI of the frozen baselines over the baselines' dates.
- **What changed since my last visit?** The workspace's ledger entries since then (new datasets,
  baselines, programme items, every other change), read from the ledger itself.
- **What needs attention?** Objectives off track (rule in :data:`OFF_TRACK_RULE`), an SLA below its
  target, high risks still open, a ledger whose published tree head disagrees with the database.

The last visit is bookkeeping of the interface, like a session: it is stored per user and workspace
(``dashboard_visits``) and not written to the audit ledger (a visit changes no state of the agency).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import select

from civicflow import mining
from civicflow.app._context import AppContext
from civicflow.app._models import DashboardVisitRow
from civicflow.app._programme import OBJECTIVES, RISKS, list_measurements
from civicflow.app._programme_models import Direction, Objective
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import get_workspace
from civicflow.core import utcnow
from civicflow.ledger import LedgerEntry

SCHEDULE_TOLERANCE = 0.10
"""How far (share of the way from baseline to target) an objective may lag the straight line
from its baseline's date to its due date before it is off track."""
HIGH_RISK_SCORE = 15
"""A risk is high from this likelihood × impact score (of 25) on, while open or mitigating."""
SLA_KPI = "sla_compliance_share"
OFF_TRACK_RULE = (
    "An objective is off track when its due date has passed without reaching the target, when its "
    "latest measurement is worse than its baseline, or when it is more than "
    f"{SCHEDULE_TOLERANCE:.0%} of the way behind a straight line from the baseline's date to the "
    "due date."
)
MAX_CHANGES = 1000
"""Ledger entries read for "since your last visit" (the page says when there were more)."""

Status = Literal["achieved", "on_track", "off_track", "not_measured"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendPoint:
    at: str
    """ISO 8601 time of the value (a baseline's freeze, a measurement)."""
    value: float
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiTrend:
    """One KPI over time, with its objective's baseline and target when it has one."""

    kpi: str
    label: str
    unit: str
    points: tuple[TrendPoint, ...]
    objective: Objective | None = None
    status: Status | None = None
    """For an objective's trend: achieved, on track, off track or not measured yet."""
    expected_progress: float | None = None
    """Share of the way the straight line from baseline to target has reached today."""

    @property
    def latest(self) -> float | None:
        return self.points[-1].value if self.points else None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionItem:
    kind: Literal["objective", "sla", "risk", "ledger"]
    title: str
    detail: str
    href: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """The workspace's ledger entries since the last visit (``since`` None: first visit)."""

    since: datetime | None
    entries: tuple[LedgerEntry, ...] = ()
    more: bool = False
    """More entries than :data:`MAX_CHANGES` happened."""

    def count(self, object_type: str, verb: str | None = None) -> int:
        return sum(
            1
            for e in self.entries
            if e.object_type == object_type and (verb is None or e.action.endswith("." + verb))
        )

    def by_action(self) -> list[tuple[str, int]]:
        """(action, how many), most frequent first."""
        return Counter(e.action for e in self.entries).most_common()


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerStatus:
    entries: int
    """Entries of the whole ledger."""
    checkpoint_size: int | None
    checkpoint_at: str | None
    checkpoint_signed: bool
    published_size: int | None
    """Entries the tree head published outside the database covers (None: none published)."""

    @property
    def head_matches(self) -> bool | None:
        if self.published_size is None:
            return None
        return self.published_size == self.entries


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    workspace_id: str
    objectives: tuple[KpiTrend, ...]
    baselines: tuple[KpiTrend, ...]
    attention: tuple[AttentionItem, ...]
    changes: Changes
    ledger: LedgerStatus | None
    """None for an actor who may not read the ledger."""
    risks_open: int
    baseline_count: int
    rule: str = OFF_TRACK_RULE
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- last visit ---------------------------------------------------------------------------


def record_visit(ctx: AppContext, *, actor: Actor, workspace_id: str) -> datetime | None:
    """Note that ``actor`` opened the workspace's dashboard now; returns the previous visit."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    now = utcnow()
    with ctx.session() as s:
        row = s.get(DashboardVisitRow, (actor.user_id, workspace_id))
        if row is None:
            s.add(
                DashboardVisitRow(user_id=actor.user_id, workspace_id=workspace_id, visited_at=now)
            )
            return None
        previous = row.visited_at
        row.visited_at = now
        return previous


def last_visit(ctx: AppContext, *, actor: Actor, workspace_id: str) -> datetime | None:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return s.scalar(
            select(DashboardVisitRow.visited_at).where(
                DashboardVisitRow.user_id == actor.user_id,
                DashboardVisitRow.workspace_id == workspace_id,
            )
        )


# -- the overview ---------------------------------------------------------------------------


def overview(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    since: datetime | None,
    today: date | None = None,
) -> Overview:
    """Trends, changes since ``since`` and what needs attention, for one workspace."""
    ws = get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    today = today or utcnow().date()
    baselines = mining.list_baselines(ws.store())
    frozen_at = {b.name: b.created_at for b in baselines}
    # a KPI's unit as its baseline froze it: the cost KPI's carries the dataset's currency
    # (``EUR/case`` when ingested with ``--currency EUR``), the definition's says ``cost/case``
    units = {b.name: {v.name: v.unit for v in b.kpis} for b in baselines}
    attention: list[AttentionItem] = []
    base = f"/w/{workspace_id}"

    objectives: list[KpiTrend] = []
    for o in OBJECTIVES.list(ctx, actor=actor, workspace_id=workspace_id):
        start = frozen_at.get(o.baseline_name) or o.created_at.isoformat()
        points = [
            TrendPoint(at=start, value=o.baseline_value, source=f"baseline {o.baseline_name}")
        ]
        points += [
            TrendPoint(at=m.measured_at.isoformat(), value=m.value, source=m.source)
            for m in list_measurements(
                ctx, actor=actor, workspace_id=workspace_id, objective_id=o.id
            )
        ]
        expected = _expected_progress(start, o.due_date, today)
        status = objective_status(o, expected=expected, today=today)
        definition = mining.KPI_DEFINITIONS.get(o.kpi)
        trend = KpiTrend(
            kpi=o.kpi,
            label=definition.label if definition else o.kpi,
            unit=units.get(o.baseline_name, {}).get(o.kpi)
            or (definition.unit if definition else ""),
            points=tuple(points),
            objective=o,
            status=status,
            expected_progress=expected,
        )
        objectives.append(trend)
        href = f"{base}/programme/objectives/{o.id}"
        if o.kpi == SLA_KPI and _below_target(o, trend.latest):
            attention.append(
                AttentionItem(
                    kind="sla",
                    title=f"SLA compliance below target: {o.title}",
                    detail=f"{_fmt(trend.latest, trend.unit)} against a target of "
                    f"{_fmt(o.target_value, trend.unit)} by {o.due_date.isoformat()}",
                    href=href,
                )
            )
        elif status == "off_track":
            attention.append(
                AttentionItem(
                    kind="objective",
                    title=f"Objective off track: {o.title}",
                    detail=_off_track_detail(o, expected, today, trend.unit),
                    href=href,
                )
            )

    risks = [
        r
        for r in RISKS.list(ctx, actor=actor, workspace_id=workspace_id)
        if r.status.value in {"open", "mitigating"}
    ]
    for r in sorted(risks, key=lambda r: -r.score):
        if r.score >= HIGH_RISK_SCORE:
            attention.append(
                AttentionItem(
                    kind="risk",
                    title=f"High risk: {r.title}",
                    detail=f"score {r.score} of 25 (likelihood {r.likelihood} × impact "
                    f"{r.impact}), {r.status.value}, owner {r.owner}",
                    href=f"{base}/programme/risks/{r.id}",
                )
            )

    ledger = _ledger_status(ctx, actor, workspace_id)
    if ledger is not None and ledger.head_matches is False:
        attention.append(
            AttentionItem(
                kind="ledger",
                title="The ledger differs from its published tree head",
                detail=f"the database holds {ledger.entries} entries, the tree head published "
                f"outside it covers {ledger.published_size}: verify the ledger",
                href=f"{base}/ledger",
            )
        )

    return Overview(
        workspace_id=workspace_id,
        objectives=tuple(objectives),
        baselines=_baseline_trends(baselines),
        attention=tuple(attention),
        changes=_changes(ctx, workspace_id, since),
        ledger=ledger,
        risks_open=len(risks),
        baseline_count=len(baselines),
    )


def objective_status(o: Objective, *, expected: float | None, today: date) -> Status:
    """Achieved, on track, off track (see :data:`OFF_TRACK_RULE`) or not measured yet."""
    if o.progress is None:
        return "off_track" if o.due_date < today else "not_measured"
    if o.progress >= 1.0:
        return "achieved"
    if o.due_date < today or o.progress < 0:
        return "off_track"
    if expected is not None and o.progress < expected - SCHEDULE_TOLERANCE:
        return "off_track"
    return "on_track"


def _expected_progress(start: str, due: date, today: date) -> float | None:
    try:
        begun = datetime.fromisoformat(start).date()
    except ValueError:
        return None
    span = (due - begun).days
    if span <= 0:
        return None
    return min(1.0, max(0.0, (today - begun).days / span))


def _below_target(o: Objective, value: float | None) -> bool:
    if value is None:
        return False
    if o.direction == Direction.DECREASE:
        return value > o.target_value
    return value < o.target_value


def _fmt(value: float | None, unit: str) -> str:
    return mining.format_kpi_value(value, unit)


def _off_track_detail(o: Objective, expected: float | None, today: date, unit: str) -> str:
    target = f"target {_fmt(o.target_value, unit)} by {o.due_date.isoformat()}"
    if o.progress is None:
        return f"never measured, and the due date has passed ({target})"
    done = f"{o.progress:.0%} of the way from the baseline"
    if o.due_date < today:
        return f"due date passed at {done} ({target})"
    if o.progress < 0:
        return f"worse than its baseline: latest {_fmt(o.latest_value, unit)} ({target})"
    return f"{done}, where a straight line to the target would be at {expected:.0%} ({target})"


def _baseline_trends(baselines: list[mining.Baseline]) -> tuple[KpiTrend, ...]:
    series: dict[str, list[TrendPoint]] = {}
    unit: dict[str, str] = {}
    for b in baselines:
        for v in b.kpis:
            if v.value is not None:
                unit[v.name] = v.unit  # the latest baseline's (with the dataset's currency)
                series.setdefault(v.name, []).append(
                    TrendPoint(at=b.created_at, value=v.value, source=f"baseline {b.name}")
                )
    trends = []
    for name, points in series.items():
        d = mining.KPI_DEFINITIONS.get(name)
        trends.append(
            KpiTrend(
                kpi=name,
                label=d.label if d else name,
                unit=unit.get(name) or (d.unit if d else ""),
                points=tuple(points),
            )
        )
    return tuple(trends)


def _changes(ctx: AppContext, workspace_id: str, since: datetime | None) -> Changes:
    if since is None:
        return Changes(since=None)
    cutoff = since if since.tzinfo else since.replace(tzinfo=UTC)
    with ctx.engine.connect() as conn:
        recent = ctx.ledger.entries(conn, limit=MAX_CHANGES + 1, workspace_ids=[workspace_id])
    newer = [e for e in recent if _time(e) > cutoff]
    return Changes(since=cutoff, entries=tuple(newer[:MAX_CHANGES]), more=len(newer) > MAX_CHANGES)


def _time(entry: LedgerEntry) -> datetime:
    t = datetime.fromisoformat(entry.time)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _ledger_status(ctx: AppContext, actor: Actor, workspace_id: str) -> LedgerStatus | None:
    if not actor.can(Permission.LEDGER_READ, workspace_id):
        return None
    from civicflow.ledger import read_tree_head

    with ctx.engine.connect() as conn:
        size = ctx.ledger.size(conn)
        cp = ctx.ledger.latest_checkpoint(conn)
    path = ctx.ledger.tree_head_file
    head = read_tree_head(path) if path is not None else None
    return LedgerStatus(
        entries=size,
        checkpoint_size=cp.tree_size if cp is not None else None,
        checkpoint_at=cp.created_at if cp is not None else None,
        checkpoint_signed=cp is not None and cp.signed,
        published_size=head.tree_size if head is not None else None,
    )
