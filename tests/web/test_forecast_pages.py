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


def _follow_job(client: TestClient, url: str) -> str:
    import time

    for _ in range(1200):
        r = client.get(url, headers={"HX-Request": "true"}, follow_redirects=False)
        assert r.status_code == 200, r.text[:800]
        if "HX-Redirect" in r.headers:
            return r.headers["HX-Redirect"]
        assert "govuk-error-summary" not in r.text, r.text[:2000]
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def _wide_csv() -> str:
    grid = pd.date_range("2024-01-06", periods=40, freq="W-SAT")
    frame = pd.DataFrame(
        {"week": grid, "East": 30 + np.arange(40) % 4, "West": 5 + np.arange(40) % 2}
    )
    return frame.to_csv(index=False)


def test_form_errors_name_the_field(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    page = client.get(f"{ws}/forecasts")
    assert "Make a forecast" in page.text
    r = client.post(f"{ws}/forecasts", data={"csrf_token": token})  # no source
    assert r.status_code == 422 and 'href="#fc-dataset"' in r.text
    files = {"table_file": ("wide.csv", _wide_csv(), "text/csv")}
    r = client.post(f"{ws}/forecasts", data={"csrf_token": token, "horizon": "soon"}, files=files)
    assert r.status_code == 422 and 'href="#fc-horizon"' in r.text
    r = client.post(f"{ws}/forecasts", data={"csrf_token": token, "dataset": "nope"})
    assert r.status_code == 422 and "there is no dataset" in r.text
    viewer = TestClient(make_app(sqlite_world))
    vtoken = sign_in(viewer, sqlite_world.emails["viewer"])
    assert "Make a forecast" not in viewer.get(f"{ws}/forecasts").text
    r = viewer.post(f"{ws}/forecasts", data={"csrf_token": vtoken}, files=files)
    assert r.status_code == 403


def test_a_forecast_through_the_page_is_stored_and_ledgered(sqlite_world: World) -> None:
    from civicflow.app import audit

    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    r = client.post(
        f"{ws}/forecasts",
        data={"csrf_token": token, "name": "web-forecast", "period": "week", "freq": "week",
              "horizon": "3", "models": ["ets", "seasonal_naive"]},
        files={"table_file": ("wide.csv", _wide_csv(), "text/csv")},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    assert "/forecasts/jobs/job_" in r.headers["location"]
    url = _follow_job(client, r.headers["location"])
    stored = af.list_forecasts(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        name="web-forecast",
    )  # fmt: skip
    assert len(stored) == 1 and url.endswith(stored[0].id)
    assert stored[0].source == "wide.csv" and stored[0].config["forecast"]["horizon"] == 3
    assert {c["series"] for c in stored[0].result["choices"]} >= {"East", "West"}
    entries = audit.list_entries(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, limit=20
    )
    assert [e.reason for e in entries if e.object_id == stored[0].id] == [
        "run on the Forecasts page"
    ]
    assert client.get(url).status_code == 200


def test_a_dataset_forecast_by_office_through_the_page(sqlite_world: World, tmp_path: Path) -> None:
    from tests.app.test_forecasts import _log

    from civicflow.app import assessment

    assessment.ingest_dataset(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        source=_log(tmp_path / "log.csv"), name="permits-web",
    )  # fmt: skip
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    assert '<option value="permits-web"' in client.get(f"{ws}/forecasts").text
    r = client.post(
        f"{ws}/forecasts",
        data={"csrf_token": token, "dataset": "permits-web", "freq": "week",
              "by": "case:office", "horizon": "4", "models": ["ets", "seasonal_naive"]},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    url = _follow_job(client, r.headers["location"])
    stored = af.get_forecast(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        forecast_id=url.rsplit("/", 1)[-1],
    )  # fmt: skip
    assert (stored.name, stored.source_kind, stored.source) == (
        "permits-web-case_office", "dataset", "permits-web",
    )  # fmt: skip
    assert {c["series"] for c in stored.result["choices"]} == {"total", "north", "south"}
    assert stored.config["dataset"]["by"] == ["case:office"]
