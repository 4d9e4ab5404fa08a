"""Forecast use cases: a forecast of a dataset's arrivals (by a case attribute, reconciled) and of
a table, stored as versions of a named forecast, role-checked and ledgered; bad input stores
nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, Role, accounts, assessment, workspaces
from civicflow.app import forecasts as af
from civicflow.core import ConfigurationError, InputError, PermissionDeniedError
from civicflow.forecasting import DatasetSeriesConfig, ForecastConfig, TableSeriesConfig
from civicflow.ledger import tables

WEEKS = 40


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="permits", path=tmp_path / "ws")

    def member(role: Role) -> Actor:
        u = accounts.create_user(
            ctx, actor=admin, email=f"{role.value}@agency.example", display_name=role.label,
            password=None,
        )  # fmt: skip
        accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=role)
        return accounts.get_actor(ctx, u.id)

    return ctx, ws, member, admin


def _log(path: Path) -> Path:
    """Cases arriving every week in two offices, each with a receive and a decide event."""
    rng = np.random.default_rng(5)
    rows = []
    start = datetime(2024, 1, 1, 9)
    n = 0
    for w in range(WEEKS):
        for office, level in (("north", 6), ("south", 3)):
            for _ in range(int(rng.poisson(level)) + 1):
                day = start + timedelta(weeks=w, days=int(rng.integers(0, 5)))
                rows.append((f"c{n}", "Receive", day.isoformat(), office))
                rows.append((f"c{n}", "Decide", (day + timedelta(days=2)).isoformat(), office))
                n += 1
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp", "case:office"])
    frame.to_csv(path, index=False)
    return path


def _entries(ctx: AppContext) -> list[tuple[str, str, str]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                tables.entries.c.action, tables.entries.c.object_type, tables.entries.c.object_id
            ).order_by(tables.entries.c.idx)
        )
        return [(r[0], r[1], r[2]) for r in rows]


CONFIG = ForecastConfig(horizon=4, models=("ets", "seasonal_naive"), reconcile="ols")


def test_a_dataset_forecast_is_versioned_and_ledgered(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, admin = setup
    analyst, viewer = member(Role.ANALYST), member(Role.VIEWER)
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=_log(tmp_path / "log.csv"), name="permits"
    )
    by_office = DatasetSeriesConfig(freq="week", by=("case:office",))
    with pytest.raises(PermissionDeniedError):
        af.run_forecast(
            ctx, actor=viewer, workspace_id=ws.id, config=CONFIG, dataset_name="permits",
            series_config=by_office,
        )  # fmt: skip
    first, result = af.run_forecast(
        ctx, actor=analyst, workspace_id=ws.id, config=CONFIG, dataset_name="permits",
        series_config=by_office,
    )  # fmt: skip
    assert (first.name, first.version, first.source_kind) == ("permits-case_office", 1, "dataset")
    assert set(result.table()["series"]) == {"total", "north", "south"}
    wide = result.table().pivot(index="series", columns="period", values="mean")
    np.testing.assert_allclose(wide.loc["total"], wide.loc["north"] + wide.loc["south"])
    second, _ = af.run_forecast(
        ctx, actor=analyst, workspace_id=ws.id, config=CONFIG, dataset_name="permits",
        series_config=by_office,
    )  # fmt: skip
    assert second.version == 2
    listed = af.list_forecasts(ctx, actor=viewer, workspace_id=ws.id)
    assert [f.version for f in listed] == [2, 1]
    stored = af.get_forecast(ctx, actor=viewer, workspace_id=ws.id, forecast_id=first.id)
    assert len(stored.result["forecasts"]) == 3 * 4
    # the last week (cases to Friday) is partial and left out
    assert len(stored.result["history"]["north"]["values"]) == WEEKS - 1
    assert stored.config["dataset"]["by"] == ["case:office"]
    assert stored.summary()["accuracy"]["series"] == 3
    entries = [e for e in _entries(ctx) if e[0].startswith("forecast.")]
    assert entries == [
        ("forecast.run", "forecast", first.id),
        ("forecast.run", "forecast", second.id),
    ]
    # the report's section: one row per named forecast, its latest version, beside naive
    section = af.report_section(ctx, actor=viewer, workspace_id=ws.id)
    assert section is not None and section.id == "forecasts"
    (row,) = section.tables[0].rows
    assert row[:5] == ("permits-case_office", "2", "permits", "3", "4")
    summary = stored.summary()["accuracy"]
    assert row[6] == f"{summary['mase']:,.2f}" and row[7] == f"{summary['naive_mase']:,.2f}"
    worse = summary["mase"] >= summary["naive_mase"]
    assert bool(section.findings) == worse


def test_a_table_forecast_and_bad_input_storing_nothing(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, ws, member, _ = setup
    owner = member(Role.SERVICE_OWNER)
    grid = pd.date_range("2024-01-06", periods=30, freq="W-SAT")
    path = tmp_path / "rates.csv"
    pd.DataFrame({"week": grid, "A": np.arange(30.0) + 10, "B": np.arange(30.0) * 2}).to_csv(
        path, index=False
    )
    stored, result = af.run_forecast(
        ctx, actor=owner, workspace_id=ws.id, config=CONFIG, table=path,
        table_config=TableSeriesConfig(period="week"),
    )  # fmt: skip
    assert stored.name == "rates" and stored.source_kind == "table"
    # a constant series has no MASE: stored as null (JSON and the ledger's digest have no NaN)
    flat = tmp_path / "flat.csv"
    pd.DataFrame({"week": grid, "C": 7.0}).to_csv(flat, index=False)
    constant, _ = af.run_forecast(
        ctx, actor=owner, workspace_id=ws.id, config=CONFIG, table=flat,
        table_config=TableSeriesConfig(period="week"),
    )  # fmt: skip
    assert constant.result["accuracy"]["series"][0]["mase"] is None
    assert len(stored.source_sha256 or "") == 64
    assert result.table()["period"].min() == grid[-1] + pd.Timedelta(weeks=1)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"week": grid[:5], "A": [1, 2, -1, 3, 4]}).to_csv(bad, index=False)
    with pytest.raises(InputError):
        af.run_forecast(
            ctx, actor=owner, workspace_id=ws.id, config=CONFIG, table=bad,
            table_config=TableSeriesConfig(period="week"),
        )  # fmt: skip
    with pytest.raises(ConfigurationError):
        af.run_forecast(ctx, actor=owner, workspace_id=ws.id, config=CONFIG)
    names = [f.name for f in af.list_forecasts(ctx, actor=owner, workspace_id=ws.id)]
    assert sorted(names) == ["flat", "rates"]
