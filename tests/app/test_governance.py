"""Governance use cases: the register, lifecycle moves, assessments with every answer audited,
and the public records (SQLite; the role matrix is in test_permissions.py)."""

from __future__ import annotations

import pytest

from civicflow.app import Actor, AppContext, audit, governance, workspaces
from civicflow.core import ConflictError, InputError, NotFoundError
from conftest import shared_file

SYSTEM = {
    "name": "Housing benefit triage",
    "purpose": "Orders new claims by likely complexity.",
    "legal_basis": "UK GDPR Art. 6(1)(e); Social Security Administration Act 1992",
    "owner": "Benefits service",
    "senior_responsible_owner": "Director of Revenues and Benefits",
    "datasets": ["claims-2025"],
    "oversight": "in-the-loop",
    "organisation": "Camden Council",
}


@pytest.fixture
def ctx(sqlite_ctx: AppContext) -> AppContext:
    return sqlite_ctx


def test_register_move_and_publish(ctx: AppContext, admin: Actor, ws: workspaces.Workspace) -> None:
    entry = governance.add_system(ctx, actor=admin, workspace_id=ws.id, fields=SYSTEM)
    with pytest.raises(ConflictError):
        governance.add_system(ctx, actor=admin, workspace_id=ws.id, fields=SYSTEM)
    with pytest.raises(InputError) as info:
        governance.add_system(
            ctx, actor=admin, workspace_id=ws.id, fields=SYSTEM | {"name": "x", "oversight": "?"}
        )
    assert info.value.where is not None and info.value.where.field == "oversight"
    assert [e.name for e in governance.list_systems(ctx, actor=admin, workspace_id=ws.id)] == [
        "Housing benefit triage"
    ]
    with pytest.raises(InputError, match="no linked assessment"):
        governance.move_system(
            ctx, actor=admin, workspace_id=ws.id, ref=entry.id, to="assessed", reason="done"
        )
    run = governance.start_assessment(
        ctx, actor=admin, workspace_id=ws.id, kind="eu-ai-act", system=entry.name
    )
    governance.answer_assessment(
        ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id,
        answers={"ai_system": "yes", "public_body": "yes", "annex_iii": ["5a"],
                 "profiling": "yes", "prohibited": ["none"], "transparency": ["none"]},
    )  # fmt: skip
    moved = governance.move_system(
        ctx, actor=admin, workspace_id=ws.id, ref=entry.name, to="assessed", reason="AI Act done"
    )
    assert [m.to_status.value for m in moved.history] == ["proposed", "assessed"]
    assert moved.assessments[0].summary == "high-risk (Annex III 5a)"
    entries = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=20)
    move = next(e for e in entries if e.action == "governance_system.move")
    assert move.reason == "AI Act done" and move.object_id == entry.id
    assert governance.published_records(ctx) == []
    governance.update_system(
        ctx, actor=admin, workspace_id=ws.id, ref=entry.id, fields={"published": True}
    )
    [(workspace, record)] = governance.published_records(ctx)
    assert workspace == ws.name and record.tier_1["name"] == "Housing benefit triage"
    assert "EU AI Act classification: high-risk" in record.tier_2["impact_assessment"]
    assert governance.published_record(ctx, entry.id).entry_id == entry.id
    with pytest.raises(NotFoundError):
        governance.published_record(ctx, "sys_unknown")


def test_every_aia_answer_is_audited(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    path = shared_file("impact-assessment", "canada_aia_survey_enfr.json")
    run = governance.start_assessment(
        ctx, actor=admin, workspace_id=ws.id, kind="canada-aia", questionnaire=path
    )
    assert run.result["max_raw_impact"] == 167
    before = len(audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=500))
    after = governance.answer_assessment(
        ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id,
        answers={"projectDetailsPhase": "item1", "impact30": "item1-4", "impact3": "item1-4"},
    )  # fmt: skip
    assert after.result["raw_impact"] == 8 and after.result["level"] == 1
    entries = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=500)
    new = entries[: len(entries) - before]
    answers = sorted(e.object_id for e in new if e.action == "assessment.answer")
    assert answers == [f"{run.id}:{q}" for q in ("impact3", "impact30", "projectDetailsPhase")]
    assert sum(e.action == "assessment.score" for e in new) == 1
    # changing one answer and withdrawing another: two entries
    governance.answer_assessment(
        ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id,
        answers={"impact30": "item2-2", "impact3": None},
    )  # fmt: skip
    latest = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=3)
    assert [e.action for e in latest] == [
        "assessment.score",
        "assessment.answer",
        "assessment.answer",
    ]
    assert latest[2].after_digest is None or latest[1].after_digest is None  # the withdrawal
    # a bad answer stores nothing
    with pytest.raises(InputError):
        governance.answer_assessment(
            ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id,
            answers={"impact30": "item9-9"},
        )  # fmt: skip
    stored = governance.get_assessment(ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id)
    assert stored.answers == {"projectDetailsPhase": "item1", "impact30": "item2-2"}
    assert stored.result["raw_impact"] == 2
    assert (
        len(audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=500)) == len(entries) + 3
    )
    # the questionnaire is stored once per version
    again = governance.start_assessment(
        ctx, actor=admin, workspace_id=ws.id, kind="canada-aia", questionnaire=path
    )
    assert again.version == run.version


def test_controls_gaps_and_processing_record(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    from datetime import date

    from civicflow.governance import builtin_catalogue

    gdpr = builtin_catalogue("gdpr")
    run = governance.start_assessment(ctx, actor=admin, workspace_id=ws.id, kind="gdpr-dpia")
    with pytest.raises(NotFoundError):
        governance.set_control(
            ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-35",
            evidence=["assessment:asm_missing"],
        )  # fmt: skip
    with pytest.raises(InputError):
        governance.set_control(
            ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-99"
        )
    state = governance.set_control(
        ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-35", owner="DPO",
        status="implemented", due=date(2030, 1, 1), evidence=[f"assessment:{run.id}"],
    )  # fmt: skip
    assert state.evidence[0].ref == run.id
    again = governance.set_control(
        ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-35",
        evidence=[f"assessment:{run.id}", "document:https://intranet/dpia.pdf"],
    )  # fmt: skip
    assert [e.kind for e in again.evidence] == ["assessment", "document"]
    assert again.owner == "DPO" and again.status.value == "implemented"
    report = governance.gaps(ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr)
    assert report.implemented == 1 and len(report.gaps) == 19
    entry = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=1)[0]
    assert (entry.action, entry.object_id) == ("control.update", "gdpr:GDPR-35")
    governance.add_system(
        ctx, actor=admin, workspace_id=ws.id, fields=SYSTEM | {"affected_people": "Claimants"}
    )
    [row] = governance.processing_record(
        ctx, actor=admin, workspace_id=ws.id, controller="Camden Council"
    )
    assert row.values["data_subjects"] == "Claimants" and "retention" in row.missing


def test_readiness_from_the_programme(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    from civicflow.app import programme as pg
    from civicflow.governance import Declared

    from .samples import CREATE, consultation_for

    empty = governance.readiness(ctx, actor=admin, workspace_id=ws.id)
    assert empty.overall == 0
    for kind in ("objective", "budget_line", "pilot", "communication"):
        pg.KINDS[kind].create(ctx, actor=admin, workspace_id=ws.id, data=CREATE[kind])
    holder = pg.STAKEHOLDERS.create(
        ctx, actor=admin, workspace_id=ws.id, data=CREATE["stakeholder"]
    )
    pg.CONSULTATIONS.create(ctx, actor=admin, workspace_id=ws.id, data=consultation_for(holder.id))
    card = governance.readiness(
        ctx, actor=admin, workspace_id=ws.id,
        declared={"infrastructure": Declared(0.25, "IT inventory outside civicflow")},
    )  # fmt: skip
    by = {a.area: a for a in card.areas}
    assert by["objectives"].score == 0  # its baseline 'permits-2025' is not frozen here
    assert by["stakeholders"].score == 0.25  # employees consulted
    assert by["budget"].score == 0.25  # software only
    assert by["pilots"].score == 1
    assert by["change"].score == 0.5  # a communication, no training budget
    assert (by["infrastructure"].score, by["infrastructure"].basis) == (0.25, "declared")
    assert card.roadmap and card.roadmap[0].startswith("Clear objectives")


def test_the_infrastructure_inventory_feeds_readiness(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    item = governance.save_inventory_item(
        ctx, actor=admin, workspace_id=ws.id,
        fields={"name": "Case system", "type": "case management", "hosting": "on premises",
                "support": "supported", "compatibility": "unknown"},
    )  # fmt: skip
    card = governance.readiness(ctx, actor=admin, workspace_id=ws.id)
    infra = next(a for a in card.areas if a.area == "infrastructure")
    assert infra.score == 0 and infra.gaps[0].startswith("no assessed inventory")
    changed = governance.save_inventory_item(
        ctx, actor=admin, workspace_id=ws.id,
        fields={"name": "Case system", "compatibility": "compatible"},
    )  # fmt: skip
    assert changed.id == item.id and changed.hosting == "on premises"
    governance.save_inventory_item(
        ctx, actor=admin, workspace_id=ws.id,
        fields={"name": "Mainframe", "type": "benefits ledger", "support": "end-of-life",
                "compatibility": "needs-work"},
    )  # fmt: skip
    infra = next(
        a
        for a in governance.readiness(ctx, actor=admin, workspace_id=ws.id).areas
        if a.area == "infrastructure"
    )
    assert infra.score == 0.5  # both assessed, a blocker halves it
    assert infra.gaps == ("blockers in the inventory: Mainframe (end-of-life)",)
    with pytest.raises(InputError) as info:
        governance.save_inventory_item(
            ctx, actor=admin, workspace_id=ws.id,
            fields={"name": "X", "type": "y", "compatibility": "maybe"},
        )  # fmt: skip
    assert info.value.where is not None and info.value.where.field == "compatibility"
    entries = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=5)
    assert [e.action for e in entries[:2]] == ["infrastructure.create", "infrastructure.update"]


def test_changes_made_outside_civicflow_are_named(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    import sqlalchemy as sa

    from civicflow.governance import builtin_catalogue

    entry = governance.add_system(ctx, actor=admin, workspace_id=ws.id, fields=SYSTEM)
    governance.set_control(
        ctx, actor=admin, workspace_id=ws.id, catalogue=builtin_catalogue("gdpr"),
        control="GDPR-35", owner="DPO",
    )  # fmt: skip
    governance.save_inventory_item(
        ctx, actor=admin, workspace_id=ws.id, fields={"name": "CMS", "type": "case management"}
    )
    assert audit.verify(ctx, actor=admin).ok
    with ctx.engine.begin() as conn:
        conn.execute(sa.text("UPDATE governance_systems SET document = '{}' WHERE id = :id"),
                     {"id": entry.id})  # fmt: skip
        conn.execute(sa.text("UPDATE governance_controls SET owner = 'someone else'"))
    report = audit.verify(ctx, actor=admin)
    assert not report.ok
    text = " ".join(p.message for p in report.problems)
    assert f"governance system {entry.id}" in text and "control gdpr:GDPR-35" in text
    assert "infrastructure" not in text


def test_the_readiness_trend(ctx: AppContext, admin: Actor, ws: workspaces.Workspace) -> None:
    from civicflow.governance import Declared

    assert governance.readiness_trend(ctx, actor=admin, workspace_id=ws.id) == []
    governance.save_readiness(ctx, actor=admin, workspace_id=ws.id)
    governance.save_inventory_item(
        ctx, actor=admin, workspace_id=ws.id,
        fields={"name": "CMS", "type": "case management", "compatibility": "compatible"},
    )  # fmt: skip
    governance.save_readiness(
        ctx, actor=admin, workspace_id=ws.id, declared={"budget": Declared(0.5, "in the plan")}
    )
    first, second = governance.readiness_trend(ctx, actor=admin, workspace_id=ws.id)
    assert first.overall == 0 and second.overall == pytest.approx(0.15)
    assert second.areas["infrastructure"] == 1 and second.areas["budget"] == 0.5
    entry = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=1)[0]
    assert (entry.action, entry.object_id) == ("readiness.save", second.id)
