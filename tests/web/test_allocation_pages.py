"""The Allocation pages through HTTP: the scenarios listed, one scenario with the efficient and
fair plans side by side, the price of fairness and per-area bars; a missing one is a 404."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM
from civicflow.app import allocation as al
from civicflow.forecasting import AllocationConfig, Equity, Limits, ServiceTimes

from .conftest import World, make_app, sign_in


def test_scenario_side_by_side(sqlite_world: World) -> None:
    rows = [
        {"series": area, "period": f"2027-0{t + 1}", "mean": size, "hi_80": size * 1.2}
        for area, size in (("north", 20.0), ("south", 40.0), ("east", 10.0))
        for t in range(3)
    ]
    config = AllocationConfig(
        limits=Limits(unit="inspectors", hours_per_unit=10, units_per_period=4),
        service_times=ServiceTimes(hours_per_case=1.0, by_area={"east": 2.0}),
        equity=Equity(max_min=True),
    )
    stored, result = al.run_allocation(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        demand=pd.DataFrame(rows), config=config, name="spring", source="forecast.csv",
    )  # fmt: skip
    client = TestClient(make_app(sqlite_world))
    sign_in(client, sqlite_world.emails["viewer"])
    ws = f"/w/{sqlite_world.workspace_id}"
    listing = client.get(f"{ws}/allocation")
    assert listing.status_code == 200 and ">Allocation<" in listing.text
    assert f"{ws}/allocation/{stored.id}" in listing.text and "spring" in listing.text
    page = client.get(f"{ws}/allocation/{stored.id}")
    assert page.status_code == 200
    assert "The price of fairness." in page.text
    assert result.price is not None and result.price.text.split(" (")[0] in page.text
    assert page.text.count("cf-fair-bar__fill") == 6  # three areas × two plans
    assert "east · fair" in page.text and "Inspectors used" in page.text
    assert stored.system_id is not None and stored.system_id in page.text
    assert client.get(f"{ws}/allocation/alloc_nope").status_code == 404
