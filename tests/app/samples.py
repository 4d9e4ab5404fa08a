"""Valid inputs for every programme kind, used by the permission matrix and the CRUD tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from civicflow.app import programme as pg

CREATE: dict[str, Any] = {
    "objective": pg.ObjectiveCreate(
        title="Halve permit throughput",
        kpi="throughput_median_days",
        baseline_name="permits-2025",
        baseline_value=42.0,
        target_value=21.0,
        direction=pg.Direction.DECREASE,
        due_date=date(2027, 12, 31),
    ),
    "stakeholder": pg.StakeholderCreate(
        name="Permit desk staff", kind=pg.StakeholderKind.EMPLOYEE, interest=5, influence=3
    ),
    "communication": pg.CommunicationCreate(
        title="Online permit applications",
        channel=pg.Channel.WEBSITE,
        audience="applicants",
        planned_date=date(2026, 3, 1),
        message="From March you can apply online.",
    ),
    "budget_line": pg.BudgetLineCreate(
        title="Case-management licence",
        category=pg.BudgetCategory.SOFTWARE,
        recurrence=pg.Recurrence.RECURRING,
        period=pg.Period.YEAR,
        amount=Decimal("12000.00"),
        currency="EUR",
        start_date=date(2026, 1, 1),
        end_date=date(2028, 12, 31),
    ),
    "risk": pg.RiskCreate(title="Staff resistance", likelihood=3, impact=4, owner="HR lead"),
    "pilot": pg.PilotCreate(
        title="Online intake in district North",
        scope="district North, new applications",
        success_criteria=[
            pg.SuccessCriterion(kpi="throughput_median_days", target=30, direction="decrease")
        ],
        start_date=date(2026, 4, 1),
        end_date=date(2026, 9, 30),
    ),
    "training_plan": pg.TrainingPlanCreate(
        role="assessor",
        course="Digital intake for assessors",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 20),
        people=4,
        cost=Decimal("1800.00"),
        currency="EUR",
    ),
    "decision": pg.ProgrammeDecisionCreate(
        title="Go for online intake",
        decision="Pilot online intake in one district",
        decided_on=date(2026, 2, 1),
        decided_by="Programme board",
    ),
}

UPDATE: dict[str, Any] = {
    "objective": pg.ObjectiveUpdate(target_value=28.0),
    "stakeholder": pg.StakeholderUpdate(influence=4),
    "consultation": pg.ConsultationUpdate(outcome="Agreed to a trial"),
    "communication": pg.CommunicationUpdate(status=pg.CommunicationStatus.SENT),
    "budget_line": pg.BudgetLineUpdate(amount=Decimal("13500.00")),
    "risk": pg.RiskUpdate(status=pg.RiskStatus.MITIGATING),
    "pilot": pg.PilotUpdate(status=pg.PilotStatus.RUNNING),
    "decision": pg.ProgrammeDecisionUpdate(rationale="Evidence from the baseline"),
    "training_plan": pg.TrainingPlanUpdate(status=pg.TrainingStatus.BOOKED),
}

KINDS = [
    "objective",
    "stakeholder",
    "consultation",
    "communication",
    "budget_line",
    "risk",
    "pilot",
    "decision",
    "training_plan",
]
PLURAL = {k: f"{k}s" for k in KINDS}


def consultation_for(stakeholder_id: str) -> pg.ConsultationCreate:
    return pg.ConsultationCreate(
        stakeholder_id=stakeholder_id,
        held_on=date(2026, 1, 20),
        summary="Workshop on the new intake process",
    )


def create(ctx: Any, actor: Any, workspace_id: str, kind: str) -> Any:
    """Create one item of ``kind`` (a consultation gets its own stakeholder first)."""
    if kind == "consultation":
        holder = pg.STAKEHOLDERS.create(
            ctx, actor=actor, workspace_id=workspace_id, data=CREATE["stakeholder"]
        )
        data = consultation_for(holder.id)
    else:
        data = CREATE[kind]
    return pg.KINDS[kind].create(ctx, actor=actor, workspace_id=workspace_id, data=data)
