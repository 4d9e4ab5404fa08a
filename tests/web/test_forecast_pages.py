"""The Forecasts pages through HTTP: a stored forecast is listed with its accuracy, and its page
draws a series' history, forecast and interval, with the forecast table and the accuracy table;
picking another series shows that one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM
from civicflow.app import forecasts as af
from civicflow.forecasting import ForecastConfig, TableSeriesConfig

from .conftest import World, make_app, sign_in


@pytest.fixture(scope="module")
def stored(sqlite_world: World, tmp_path_factory: pytest.TempPathFactory) -> str:
    grid = pd.date_range("2024-01-06", periods=36, freq="W-SAT")
    path = Path(tmp_path_factory.mktemp("fc")) / "demand.csv"
    pd.DataFrame(
        {"week": grid, "North": 20 + np.arange(36) % 5, "South": 8 + np.arange(36) % 3}
    ).to_csv(path, index=False)
    forecast, _ = af.run_forecast(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        config=ForecastConfig(horizon=4, models=("ets", "seasonal_naive")), table=path,
        table_config=TableSeriesConfig(period="week"),
    )  # fmt: skip
    return forecast.id


def test_viewer_reads_the_forecasts_and_one_forecast(sqlite_world: World, stored: str) -> None:
    client = TestClient(make_app(sqlite_world))
    sign_in(client, sqlite_world.emails["viewer"])
    ws = f"/w/{sqlite_world.workspace_id}"
    listing = client.get(f"{ws}/forecasts")
    assert listing.status_code == 200 and ">Forecasts<" in listing.text
    assert f"/forecasts/{stored}" in listing.text and "demand" in listing.text
    page = client.get(f"{ws}/forecasts/{stored}")
    assert page.status_code == 200
    assert "Accuracy on the held-out periods" in page.text and "seasonal naive" in page.text
    spec = json.loads(
        re.search(r'data-vega-spec="([^"]*)"', page.text).group(1).replace("&#34;", '"')  # type: ignore[union-attr]
    )
    history, band, mean = spec["layer"][1], spec["layer"][0], spec["layer"][2]
    assert len(history["data"]["values"]) == 36 and len(mean["data"]["values"]) == 4
    assert all(v["lo"] <= v["value"] <= v["hi"] for v in band["data"]["values"])
    assert spec["title"].startswith("North:")
    south = client.get(f"{ws}/forecasts/{stored}?series=South")
    assert "South: history and forecast" in south.text
    missing = client.get(f"{ws}/forecasts/fc_missing")
    assert missing.status_code == 404
