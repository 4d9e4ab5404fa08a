"""The audits of one automated system over time: an audit names a governance register entry and
the model version it audited (by default the register's); the system's audits — under any audit
name, from a file or a stream — are listed oldest first, each compared with the previous one, and
a new model version whose disparity leaves the band raises an alert. The system is part of the
ledgered state."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from civicflow.app import SYSTEM, Actor, AppContext, Role, accounts, audit, governance, workspaces
from civicflow.app import fairness as af
from civicflow.core import NotFoundError
from civicflow.fairness import AuditConfig

TRIAGE = {
    "name": "Housing benefit triage",
    "purpose": "Orders new claims by likely complexity.",
    "legal_basis": "UK GDPR Art. 6(1)(e)",
    "owner": "Benefits service",
    "senior_responsible_owner": "Director of Revenues and Benefits",
    "model_version": "1.0",
}
CONFIG = AuditConfig(outcome="granted", label="eligible", groups=("district",), bootstrap=200)


def _decisions(path: Path, south_granted: int) -> Path:
    """400 decisions per district; the North is granted 300 times, the South ``south_granted``."""
    pd.DataFrame(
        {
            "district": ["North"] * 400 + ["South"] * 400,
            "granted": [1] * 300 + [0] * 100 + [1] * south_granted + [0] * (400 - south_granted),
            "eligible": [1, 0] * 400,
        }
    ).to_csv(path, index=False)
    return path


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path) -> tuple[AppContext, str, Actor, Actor]:
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="p", path=tmp_path / "ws")
    u = accounts.create_user(
        ctx, actor=admin, email="a@agency.example", display_name="A", password=None
    )
    accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=Role.AUDITOR)
    governance.add_system(ctx, actor=admin, workspace_id=ws.id, fields=TRIAGE)
    return ctx, ws.id, admin, accounts.get_actor(ctx, u.id)


def test_a_systems_audits_are_listed_and_compared_over_time(
    setup: tuple[AppContext, str, Actor, Actor], tmp_path: Path
) -> None:
    ctx, ws, admin, auditor = setup
    fair = _decisions(tmp_path / "march.csv", 290)
    first, _ = af.audit_file(
        ctx, actor=auditor, workspace_id=ws, path=fair, config=CONFIG,
        system="Housing benefit triage",
    )  # fmt: skip
    assert first.system == {"id": first.system_id, "name": TRIAGE["name"], "version": "1.0"}
    af.audit_file(ctx, actor=auditor, workspace_id=ws, path=fair, config=CONFIG, name="other")
    governance.update_system(
        ctx, actor=admin, workspace_id=ws, ref=TRIAGE["name"], fields={"model_version": "2.0"}
    )
    stream = af.add_stream(
        ctx, actor=auditor, workspace_id=ws, name="weekly", config=CONFIG,
        path=_decisions(tmp_path / "april.csv", 150), system=first.system_id,
    )  # fmt: skip
    assert stream.system_id == first.system_id
    run = af.run_stream(ctx, actor=auditor, workspace_id=ws, name="weekly")
    assert run.audit.system_version == "2.0"  # the register's version when the stream ran
    pinned, _ = af.audit_file(
        ctx, actor=auditor, workspace_id=ws, path=fair, config=CONFIG, system=first.system_id,
        system_version="2.0-hotfix",
    )  # fmt: skip
    assert pinned.system_version == "2.0-hotfix"

    history = af.system_history(ctx, actor=auditor, workspace_id=ws, system=TRIAGE["name"])
    assert (history.name, history.model_version) == (TRIAGE["name"], "2.0")
    assert [a.audit.id for a in history.audits] == [first.id, run.audit.id, pinned.id]
    assert history.versions == ["1.0", "2.0", "2.0-hotfix"]
    one, two, three = history.audits
    assert one.previous is None and one.check.alerts == ()
    assert two.previous is not None and two.previous.id == first.id and two.version_changed
    # the South's selection rate fell from 290/400 to 150/400: 0.5 of the North's, out of band
    assert [(a.group, a.metric) for a in two.check.alerts if a.metric == "selection_rate"] == [
        ("South", "selection_rate")
    ]
    assert three.check.alerts == ()  # back inside the band: no new alert
    doc = history.to_dict()
    assert doc["audits"][1]["alerts"] and doc["audits"][1]["previous_system_version"] == "1.0"

    with pytest.raises(NotFoundError) as unknown:
        af.audit_file(
            ctx, actor=auditor, workspace_id=ws, path=fair, config=CONFIG, system="Parking"
        )
    assert TRIAGE["name"] in str(unknown.value.expected)
    assert len(af.list_audits(ctx, actor=auditor, workspace_id=ws)) == 4  # nothing stored


def test_the_audited_system_is_part_of_the_ledgered_state(
    setup: tuple[AppContext, str, Actor, Actor], tmp_path: Path
) -> None:
    ctx, ws, _, auditor = setup
    stored, _ = af.audit_file(
        ctx, actor=auditor, workspace_id=ws, path=_decisions(tmp_path / "d.csv", 290),
        config=CONFIG, system=TRIAGE["name"],
    )  # fmt: skip
    assert audit.verify(ctx, actor=SYSTEM).problems == []
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE fairness_audits SET system_version = '0.9' WHERE id = :i"),
            {"i": stored.id},
        )
    messages = [p.message for p in audit.verify(ctx, actor=SYSTEM).problems]
    assert any(stored.id in m and "changed outside civicflow" in m for m in messages), messages


def test_the_report_names_the_system_audited(
    setup: tuple[AppContext, str, Actor, Actor], tmp_path: Path
) -> None:
    ctx, ws, _, auditor = setup
    af.audit_file(
        ctx, actor=auditor, workspace_id=ws, path=_decisions(tmp_path / "d.csv", 290),
        config=CONFIG, system=TRIAGE["name"],
    )  # fmt: skip
    section = af.report_section(ctx, actor=auditor, workspace_id=ws)
    assert section is not None
    table = section.tables[0]
    assert table.columns[3] == "System audited"
    assert table.rows[0][3] == "Housing benefit triage 1.0"
