"""`ledger verify` covers fairness: a stored audit or stream equals the state its latest ledger
entry recorded; a result, configuration or source digest altered in the database, an audit
inserted or deleted with SQL, and a stream's check rewritten are each named (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from civicflow.app import SYSTEM, Actor, AppContext, audit, workspaces
from civicflow.app import fairness as af
from civicflow.fairness import AuditConfig

CONFIG = AuditConfig(outcome="granted", label="eligible", groups=("district",), bootstrap=20)


def _problems(ctx: AppContext) -> list[str]:
    return [p.message for p in audit.verify(ctx, actor=SYSTEM).problems]


@pytest.fixture
def stored(ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path) -> dict:
    path = tmp_path / "grants.csv"
    pd.DataFrame(
        {
            "district": ["North"] * 40 + ["South"] * 40,
            "granted": [1] * 30 + [0] * 10 + [1] * 15 + [0] * 25,
            "eligible": [1, 0] * 40,
        }
    ).to_csv(path, index=False)
    first, _ = af.audit_file(ctx, actor=admin, workspace_id=ws.id, path=path, config=CONFIG)
    second, _ = af.audit_file(ctx, actor=admin, workspace_id=ws.id, path=path, config=CONFIG)
    af.add_stream(ctx, actor=admin, workspace_id=ws.id, name="weekly", path=path, config=CONFIG)
    run = af.run_stream(ctx, actor=admin, workspace_id=ws.id, name="weekly")
    return {"first": first.id, "second": second.id, "stream": run.stream.id, "run": run.audit.id}


def test_audits_and_streams_as_stored_verify_clean(ctx: AppContext, stored: dict) -> None:
    assert _problems(ctx) == []


def _result_with_a_better_rate(conn: sa.Connection, audit_id: str) -> str:
    raw = conn.execute(
        sa.text("SELECT result FROM fairness_audits WHERE id = :i"), {"i": audit_id}
    ).scalar_one()
    result = json.loads(raw) if isinstance(raw, str) else raw
    for m in result["metrics"]:
        if m["metric"] == "selection_rate" and m["group"] == "South":
            m["value"] = 0.75  # hide the disparity
    return json.dumps(result)


def test_an_altered_result_is_named(ctx: AppContext, stored: dict) -> None:
    with ctx.engine.begin() as conn:
        forged = _result_with_a_better_rate(conn, stored["first"])
        conn.execute(
            sa.text("UPDATE fairness_audits SET result = :r WHERE id = :i"),
            {"r": forged, "i": stored["first"]},
        )
    messages = _problems(ctx)
    assert len(messages) == 1, messages
    assert f"fairness audit {stored['first']}" in messages[0]
    assert "table fairness_audits" in messages[0] and "changed outside civicflow" in messages[0]


@pytest.mark.parametrize(
    ("sql", "which", "says"),
    [
        ("UPDATE fairness_audits SET source_sha256 = 'x' WHERE id = :i", "second", "changed"),
        ("UPDATE fairness_audits SET source = 'other.csv' WHERE id = :i", "second", "changed"),
        ("UPDATE fairness_audits SET version = 9 WHERE id = :i", "second", "changed"),
        ("DELETE FROM fairness_audits WHERE id = :i", "first", "removed outside civicflow"),
        ("UPDATE fairness_streams SET last_check = NULL WHERE id = :i", "stream", "changed"),
        ("UPDATE fairness_streams SET source = '/tmp/x.csv' WHERE id = :i", "stream", "changed"),
    ],
)
def test_sql_changes_to_fairness_rows_are_named(
    ctx: AppContext, stored: dict, sql: str, which: str, says: str
) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(sa.text(sql), {"i": stored[which]})
    messages = _problems(ctx)
    assert any(stored[which] in m and says in m for m in messages), messages


def test_an_audit_inserted_with_sql_is_named(ctx: AppContext, stored: dict) -> None:
    from civicflow.app._models import Base

    t = Base.metadata.tables["fairness_audits"]
    with ctx.engine.begin() as conn:
        row = dict(conn.execute(sa.select(t).where(t.c.id == stored["second"])).one()._mapping)
        conn.execute(t.insert().values(**(row | {"id": "fair_forged", "version": 7})))
    messages = _problems(ctx)
    assert any("fair_forged" in m and "has no ledger entry" in m for m in messages), messages


def test_a_stored_explanation_altered_is_named(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from civicflow.fairness import ExplainConfig

    rng = np.random.default_rng(1)
    people = pd.DataFrame({"income": rng.uniform(500, 4000, 200), "age": rng.integers(18, 80, 200)})
    model = LogisticRegression(max_iter=1000).fit(people, people.income > 2000)
    joblib.dump(model, tmp_path / "m.joblib")
    people.to_csv(tmp_path / "people.csv", index=False)
    stored, _ = af.explain_file(
        ctx, actor=admin, workspace_id=ws.id, model_path=tmp_path / "m.joblib",
        data_path=tmp_path / "people.csv", rows=[3],
        config=ExplainConfig(changeable=("income",), positive_class=True),
    )  # fmt: skip
    assert [e.id for e in af.list_explanations(ctx, actor=admin, workspace_id=ws.id)] == [stored.id]
    assert _problems(ctx) == []
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE fairness_explanations SET rows = '[4]' WHERE id = :i"), {"i": stored.id}
        )
    messages = _problems(ctx)
    assert any(f"fairness explanation {stored.id}" in m for m in messages), messages
