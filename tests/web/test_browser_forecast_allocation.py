"""The Forecasts and Allocation forms in a real browser (Debian's Chromium through Playwright),
axe-core on each page: a forecast made from an uploaded table (progress page, then the
forecast), an allocation run with a bad percentage named in the error summary, then from the
stored forecast with a population table with coordinates: the job page, the scenario with its
three maps, its check in a simulation model, and two scenarios side by side."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from . import test_browser as _browser
from .conftest import World
from .test_browser import Checked

browser, served = _browser.browser, _browser.served

pytestmark = pytest.mark.browser


def test_forecast_and_allocation_forms(
    served: tuple[str, World], browser: Any, tmp_path: Path
) -> None:
    base, world = served
    ws = f"/w/{world.workspace_id}"
    grid = pd.date_range("2024-01-06", periods=40, freq="W-SAT")
    table = tmp_path / "offices.csv"
    pd.DataFrame(
        {"week": grid, "10001": 30 + np.arange(40) % 4, "10002": 12 + np.arange(40) % 3,
         "10003": 5 + np.arange(40) % 2}
    ).to_csv(table, index=False)  # fmt: skip
    places = tmp_path / "places.csv"
    places.write_text(
        "zone,residents,lat,lon\n10001,27000,40.75,-73.99\n10002,75000,40.71,-73.98\n"
        "10003,54000,40.73,-73.98\n",
        encoding="utf-8",
    )
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["analyst"])

    page.goto(f"{ws}/forecasts")
    c.axe()
    page.locator("#fc-name").fill("offices")
    page.locator("#fc-table-file").set_input_files(str(table))
    page.locator("#fc-period").fill("week")
    page.locator("#fc-horizon").fill("4")
    page.locator("#fc-models-ets").check()
    page.locator("#fc-models-seasonal_naive").check()
    page.get_by_role("button", name="Make the forecast").click()
    page.wait_for_url(re.compile(r".*/forecasts/fc_[0-9a-f]+$"), timeout=120_000)
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    c.axe()

    page.goto(f"{ws}/allocation")
    c.axe()
    page.locator("#al-name").fill("browser-run")
    page.locator("#al-forecast").select_option("offices")
    page.locator("#al-units-per-period").fill("1")
    page.locator("#al-hours-per-case").fill("1")
    page.locator("#al-equity-2").check()
    page.locator("#al-min-level").fill("140")
    page.get_by_role("button", name="Run the allocation").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert summary.locator("a").first.get_attribute("href") == "#al-min-level"
    c.axe()

    page.locator("#al-name").fill("browser-run")
    page.locator("#al-forecast").select_option("offices")
    page.locator("#al-min-level").fill("30")
    page.locator("#al-population-file").set_input_files(str(places))
    page.locator("#al-population-area").fill("zone")
    page.locator("#al-population-column").fill("residents")
    page.get_by_role("button", name="Run the allocation").click()
    page.wait_for_url(re.compile(r".*/allocation/alloc_[0-9a-f]+$"), timeout=120_000)
    assert page.locator("svg.cf-symbol-map").count() == 3
    assert page.locator("svg.cf-symbol-map circle.cf-map-symbol").count() == 9
    c.axe()
    c.shot("allocation-maps")

    # the plan checked in a simulation model of the process
    from tests.app.test_allocation import _queue_model

    from civicflow.app import SYSTEM
    from civicflow.app import planning as ap

    ap.save_model(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, model=_queue_model(),
        name="queue-browser",
    )  # fmt: skip
    page.reload()
    page.locator("#al-check-model").select_option(label="queue-browser")
    page.locator("#al-check-pool").fill("servers")
    page.locator("#al-check-cases").fill("40")
    page.get_by_role("button", name="Check by simulation").click()
    page.wait_for_url(
        re.compile(r".*/allocation/alloc_[0-9a-f]+#simulation-check$"), timeout=120_000
    )
    assert page.get_by_text("Mean wait per case").count() >= 1
    c.axe()

    page.goto(f"{ws}/allocation")
    page.locator("#al-name").fill("browser-run")
    page.locator("#al-forecast").select_option("offices")
    page.locator("#al-units-per-period").fill("1")
    page.locator("#al-hours-per-case").fill("1")
    page.locator("#al-equity-4").check()
    page.get_by_role("button", name="Run the allocation").click()
    page.wait_for_url(re.compile(r".*/allocation/alloc_[0-9a-f]+$"), timeout=120_000)
    page.goto(f"{ws}/allocation")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r".*/allocation/compare\?.*"))
    assert "Two scenarios side by side" in page.content()
    c.axe()
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()
