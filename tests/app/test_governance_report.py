"""The report's "Governance" section built from a workspace: the register, the assessments with
their levels and the obligations they bring, the controls and the readiness scorecard."""

from __future__ import annotations

import pytest

from civicflow.app import Actor, AppContext, Role, governance, workspaces
from civicflow.governance import builtin_catalogue

SYSTEM = {
    "name": "Housing benefit triage",
    "purpose": "Orders new claims by likely complexity.",
    "legal_basis": "UK GDPR Art. 6(1)(e)",
    "owner": "Benefits service",
    "senior_responsible_owner": "Director of Revenues and Benefits",
    "datasets": ["claims-2025"],
    "oversight": "on-the-loop",
}


@pytest.fixture
def ctx(sqlite_ctx: AppContext) -> AppContext:
    return sqlite_ctx


def test_the_governance_section(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member
) -> None:
    viewer = make_member(ws.id, Role.VIEWER)
    assert governance.report_section(ctx, actor=viewer, workspace_id=ws.id) is None
    entry = governance.add_system(ctx, actor=admin, workspace_id=ws.id, fields=SYSTEM)
    run = governance.start_assessment(
        ctx, actor=admin, workspace_id=ws.id, kind="eu-ai-act", system=entry.id
    )
    governance.answer_assessment(
        ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id,
        answers={"ai_system": "yes", "public_body": "yes", "annex_iii": ["5a"],
                 "profiling": "yes", "prohibited": ["none"], "transparency": ["none"]},
    )  # fmt: skip
    governance.set_control(
        ctx, actor=admin, workspace_id=ws.id, catalogue=builtin_catalogue("gdpr"),
        control="GDPR-35", owner="DPO", status="in-progress", evidence=[f"assessment:{run.id}"],
    )  # fmt: skip
    section = governance.report_section(ctx, actor=viewer, workspace_id=ws.id)
    assert section is not None and section.id == "governance"
    tables = {t.caption: t for t in section.tables}
    (register_row,) = tables["Register of automated systems"].rows
    assert register_row[:3] == ("Housing benefit triage", "proposed", "on the loop")
    (assessed,) = tables["Impact assessments"].rows
    assert assessed[1] == "Housing benefit triage" and assessed[2] == "high-risk"
    duties = tables["Requirements and obligations the assessments bring"].rows
    assert [r[2].split(" ")[1] for r in duties] == ["4", "26", "49(3)", "27", "86"]
    fria = next(r for r in duties if r[2].startswith("Art. 27"))
    assert fria[3] == "deployer" and fria[4].endswith("complaint mechanisms)")  # six elements
    (gdpr,) = tables["Compliance controls"].rows
    assert gdpr[0] == "gdpr" and gdpr[2] == "0" and gdpr[5] == "20"
    (in_progress,) = tables["Controls in progress or implemented with a gap"].rows
    assert in_progress[1].startswith("Art. 35") and in_progress[3] == "DPO"
    assert len(tables["Readiness scorecard"].rows) == 10
    assert {f.label for f in section.figures} >= {"Systems", "Readiness"}
