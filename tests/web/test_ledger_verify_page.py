"""Issue 7: the workbench's ledger verification names tampering — never a 500."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM
from civicflow.app import programme as pg

from .conftest import World, make_app, sign_in


def test_sql_changes_and_text_entry_bytes_are_findings_on_the_page(sqlite_world: World) -> None:
    world = sqlite_world
    ws = f"/w/{world.workspace_id}"
    objective = pg.OBJECTIVES.create(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id,
        data=pg.ObjectiveCreate(
            title="Faster permits", kpi="throughput_median_days", baseline_name="b0",
            baseline_value=40.0, target_value=20.0, direction=pg.Direction.DECREASE,
            due_date="2027-12-31",
        ),
    )  # fmt: skip
    client = TestClient(make_app(world), raise_server_exceptions=False)
    sign_in(client, world.emails["auditor"])
    page = client.get(f"{ws}/ledger/verify")
    assert page.status_code == 200 and "The ledger is intact." in page.text
    assert "checked against the tree head published outside the database" in page.text

    with world.ctx.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE objectives SET target_value = 1 WHERE id = :id"), {"id": objective.id}
        )
    page = client.get(f"{ws}/ledger/verify")
    assert page.status_code == 200 and "has been tampered with" in page.text
    assert f"objective {objective.id}" in page.text and "changed outside civicflow" in page.text

    with world.ctx.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE ledger_entries SET entry_bytes = replace(entry_bytes, 'Faster', 'Slower')"
                " WHERE idx = 0"
            )
        )
    page = client.get(f"{ws}/ledger/verify")
    assert page.status_code == 200, page.text[:500]
    assert "entry 0&#39;s bytes are stored as str" in page.text or "entry 0's bytes" in page.text
