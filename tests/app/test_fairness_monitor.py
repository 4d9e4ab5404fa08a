"""Fairness monitoring on COMPAS: a stream re-audited from a file that changes between runs.
The second half of a shuffled COMPAS raises no alert against the first; a planted shift (half of
the women who were not flagged now flagged) makes the women's FPR ratio leave the band and
raises an alert, with significant drift of their accuracy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from civicflow.app import AppContext, Role, accounts, workspaces
from civicflow.app import fairness as af
from civicflow.core import ConflictError, InputError, PermissionDeniedError
from civicflow.fairness import AuditConfig, read_decisions
from conftest import shared_file

CONFIG = AuditConfig(
    outcome="score", label="label_value", groups=("race", "sex"), positive_is_favourable=False,
    bootstrap=200,
)  # fmt: skip


@pytest.fixture(scope="module")
def halves() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frame = read_decisions(shared_file("fairness", "compas_for_aequitas.csv"))
    frame = frame.sample(frac=1, random_state=0).reset_index(drop=True)
    first, second = frame.iloc[: len(frame) // 2], frame.iloc[len(frame) // 2 :].copy()
    shifted = second.copy()
    women = shifted[(shifted.sex == "Female") & (shifted.score == 0)]
    shifted.loc[women.sample(frac=0.5, random_state=1).index, "score"] = 1
    return first, second, shifted


def test_a_stream_alerts_only_when_a_disparity_leaves_the_band(  # type: ignore[no-untyped-def]
    sqlite_ctx: AppContext, tmp_path: Path, halves
) -> None:
    ctx = sqlite_ctx
    first, second, shifted = halves
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="permits", path=tmp_path / "ws")
    u = accounts.create_user(
        ctx, actor=admin, email="v@agency.example", display_name="V", password=None
    )
    accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=Role.VIEWER)
    viewer = accounts.get_actor(ctx, u.id)
    path = tmp_path / "decisions.csv"
    first.to_csv(path, index=False)

    with pytest.raises(PermissionDeniedError):
        af.add_stream(
            ctx, actor=viewer, workspace_id=ws.id, name="compas", path=path, config=CONFIG
        )
    bad = AuditConfig(outcome="nope", groups=("race",))
    with pytest.raises(InputError):
        af.add_stream(ctx, actor=admin, workspace_id=ws.id, name="compas", path=path, config=bad)
    assert af.list_streams(ctx, actor=viewer, workspace_id=ws.id) == []
    stream = af.add_stream(
        ctx, actor=admin, workspace_id=ws.id, name="compas", path=path, config=CONFIG
    )
    with pytest.raises(ConflictError):
        af.add_stream(ctx, actor=admin, workspace_id=ws.id, name="compas", path=path, config=CONFIG)
    assert stream.config.band == (0.8, 1.25) and stream.last_check is None

    one = af.run_stream(ctx, actor=admin, workspace_id=ws.id, name="compas")
    assert (one.audit.version, one.previous_version, one.check.alerts) == (1, None, ())
    second.to_csv(path, index=False)
    two = af.run_stream(ctx, actor=admin, workspace_id=ws.id, name="compas")
    assert two.previous_version == 1 and two.check.alerts == ()
    assert two.check.out_of_band > 0  # COMPAS's race disparities stay out of the band: no alert
    assert any(d.kind == "metric" and d.metric == "accuracy" for d in two.check.drift)

    shifted.to_csv(path, index=False)
    (three,) = af.run_all(ctx, actor=admin, workspace_id=ws.id)
    alerts = {(a.attribute, a.group, a.metric): a for a in three.check.alerts}
    fpr = alerts[("sex", "Female", "fpr")]
    assert fpr.previous_ratio is not None and 0.8 <= fpr.previous_ratio <= 1.25
    assert fpr.ratio > 1.25 and fpr.ratio_low is not None and fpr.ratio_low > 1.25
    drift = {(d.kind, d.attribute, d.group, d.metric): d for d in three.check.drift}
    acc = drift[("metric", "sex", "Female", "accuracy")]
    assert acc.significant and acc.change is not None and acc.change < 0

    stored = af.get_stream(ctx, actor=viewer, workspace_id=ws.id, name="compas")
    assert stored.last_check is not None and stored.last_check["version"] == 3
    assert {a["metric"] for a in stored.alerts} >= {"fpr"}
    history = af.stream_history(
        ctx, actor=viewer, workspace_id=ws.id, name="compas", attribute="sex", metric="fpr"
    )
    assert history["versions"] == [1, 2, 3]
    women = history["groups"]["Female"]
    assert women[2] > women[1] and abs(women[1] - women[0]) < 0.1

    section = af.report_section(ctx, actor=viewer, workspace_id=ws.id)
    assert section is not None and section.findings[0].startswith("Alert, stream compas")
    assert section.tables[1].rows[0][-1] == str(len(three.check.alerts))

    # a stricter band set per stream: a narrower band than the default is kept and used
    narrow = AuditConfig.from_dict({**CONFIG.to_dict(), "band": [0.9, 1.1]})
    other = af.add_stream(
        ctx, actor=admin, workspace_id=ws.id, name="narrow", path=path, config=narrow
    )
    assert other.config.band == (0.9, 1.1)


def test_the_report_section_lists_latest_audits_findings_and_alerts() -> None:
    from civicflow.report import Section, fairness_history_chart, fairness_section

    assert fairness_section([], []) is None
    audit = {
        "name": "compas", "version": 2, "kind": "decisions", "source": "compas.csv",
        "created_at": "2026-12-05T05:00:00",
        "result": {"findings": [
            {"severity": "high", "text": "Black defendants are flagged twice as often."},
            {"severity": "low", "text": "a second finding"},
            {"severity": "medium", "text": "a third"},
            {"severity": "low", "text": "a fourth, beyond the top three"},
        ]},
    }  # fmt: skip
    stream = {
        "name": "compas", "band": [0.8, 1.25], "last_run_at": "2026-12-05T05:00:00",
        "last_check": {"version": 2, "alerts": [{"text": "sex = Female: the fpr ratio left"}]},
    }  # fmt: skip
    section = fairness_section([audit], [stream])
    assert isinstance(section, Section) and section.id == "fairness"
    assert section.findings[0].startswith("Alert, stream compas (audit version 2)")
    assert len(section.findings) == 4 and "beyond the top three" not in " ".join(section.findings)
    assert section.tables[0].rows[0][-1] == "2"  # high and medium findings
    assert {f.label: f.value for f in section.figures}["Alerts"] == "1"
    chart = fairness_history_chart(
        {"stream": "compas", "attribute": "sex", "metric": "fpr", "versions": [1, 2],
         "groups": {"Female": [0.2, 0.4], "Male": [0.3, None]}}
    )  # fmt: skip
    assert chart.table is not None and chart.table.rows[1] == ("v2", "40.0 %", "—")
    assert len(chart.spec["data"]["values"]) == 3
