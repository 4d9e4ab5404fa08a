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


def _follow_job(client: TestClient, url: str) -> str:
    """Poll the job the way the page does (HTMX) until it redirects to its result."""
    import time

    for _ in range(600):
        r = client.get(url, headers={"HX-Request": "true"}, follow_redirects=False)
        assert r.status_code == 200, r.text[:800]
        if "HX-Redirect" in r.headers:
            return r.headers["HX-Redirect"]
        assert "govuk-error-summary" not in r.text, r.text[:2000]
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


DEMAND_CSV = "series,period,mean,hi_80\n" + "".join(
    f"{area},2027-0{t + 1}-01,{size},{size * 1.2}\n"
    for area, size in (("CASES_10001", 20.0), ("CASES_10002", 40.0), ("CASES_10003", 10.0))
    for t in range(3)
)
PLACES_CSV = (
    "zone,residents,y,x\n10001,27000,40.75,-73.99\n10002,75000,40.71,-73.98\n"
    "10003,54000,40.73,-73.98\n99999,100,,\n"
)


def _form(token: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": token, "name": "web-run", "unit": "inspectors", "hours_per_unit": "10",
        "units_per_period": "4", "hours_per_case": "1", "equity": "min_level",
        "min_service_level": "40", "population_area": "zone", "population_column": "residents",
        "lat_column": "y", "lon_column": "x", **extra,
    }  # fmt: skip


def test_form_errors_name_the_field(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    files = {"demand_file": ("demand.csv", DEMAND_CSV, "text/csv")}

    r = client.post(f"{ws}/allocation", data=_form(token, name=""), files=files)
    assert r.status_code == 422 and 'href="#al-name"' in r.text
    r = client.post(f"{ws}/allocation", data=_form(token))  # neither forecast nor table
    assert r.status_code == 422 and 'href="#al-forecast"' in r.text
    r = client.post(f"{ws}/allocation", data=_form(token, min_service_level="140"), files=files)
    assert r.status_code == 422 and 'href="#al-min-level"' in r.text
    r = client.post(f"{ws}/allocation", data=_form(token, units_per_period="four"), files=files)
    assert r.status_code == 422 and 'href="#al-units-per-period"' in r.text
    r = client.post(
        f"{ws}/allocation", data=_form(token, population_column="POP"),
        files={**files, "population_file": ("places.csv", PLACES_CSV, "text/csv")},
    )  # fmt: skip
    assert r.status_code == 422 and 'href="#al-population-column"' in r.text
    assert "places.csv" in r.text  # the file by the name it was uploaded with
    r = client.post(
        f"{ws}/allocation", data=_form(token, lat_column="lat"),
        files={**files, "population_file": ("places.csv", PLACES_CSV, "text/csv")},
    )  # fmt: skip
    assert r.status_code == 422 and 'href="#al-lat"' in r.text
    r = client.post(
        f"{ws}/allocation", data=_form(token),
        files={**files, "population_file": ("places.csv", b"\xff\xfe\x00garbage\x00", "text/csv")},
    )  # fmt: skip
    assert r.status_code == 422 and 'href="#al-population-file"' in r.text
    assert (
        al.list_allocations(
            sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, name="web-run"
        )
        == []
    )
    # a viewer may read the page but not run
    viewer = TestClient(make_app(sqlite_world))
    vtoken = sign_in(viewer, sqlite_world.emails["viewer"])
    page = viewer.get(f"{ws}/allocation")
    assert page.status_code == 200 and "Run the allocation" not in page.text
    r = viewer.post(f"{ws}/allocation", data=_form(vtoken), files=files)
    assert r.status_code == 403


def test_a_run_through_the_page_is_stored_ledgered_and_mapped(sqlite_world: World) -> None:
    from civicflow.app import audit

    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    page = client.get(f"{ws}/allocation")
    assert "Run the allocation" in page.text and 'enctype="multipart/form-data"' in page.text
    r = client.post(
        f"{ws}/allocation", data=_form(token),
        files={"demand_file": ("demand.csv", DEMAND_CSV, "text/csv"),
               "population_file": ("places.csv", PLACES_CSV, "text/csv")},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    assert "/allocation/jobs/job_" in r.headers["location"]
    url = _follow_job(client, r.headers["location"])
    stored = al.list_allocations(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, name="web-run"
    )
    assert [s.name for s in stored] == ["web-run"] and url.endswith(stored[0].id)
    assert stored[0].source == "demand.csv"
    assert set(stored[0].result["coordinates"]) == {"CASES_10001", "CASES_10002", "CASES_10003"}
    assert stored[0].result["fair"] is not None
    entries = audit.list_entries(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, limit=20
    )
    runs = [e for e in entries if e.action == "allocation.run" and e.object_id == stored[0].id]
    assert len(runs) == 1
    assert runs[0].reason == "run on the Allocation page"

    scenario = client.get(url)
    assert scenario.status_code == 200
    assert scenario.text.count('class="cf-symbol-map"') == 3  # demand, units, change
    assert scenario.text.count('class="cf-map-symbol"') == 9  # three areas on each
    assert "as a table" in scenario.text

    # a second version, then the two side by side
    r = client.post(
        f"{ws}/allocation", data=_form(token, equity="max_min"),
        files={"demand_file": ("demand.csv", DEMAND_CSV, "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    second = _follow_job(client, r.headers["location"])
    listing = client.get(f"{ws}/allocation")
    assert "Compare two scenarios" in listing.text
    a, b = url.rsplit("/", 1)[-1], second.rsplit("/", 1)[-1]
    cmp = client.get(f"{ws}/allocation/compare", params={"a": a, "b": b})
    assert cmp.status_code == 200 and "Two scenarios side by side" in cmp.text
    assert "web-run v1" in cmp.text and "web-run v2" in cmp.text
    assert cmp.text.count('<th scope="row" class="govuk-table__header">CASES_1000') == 3


def test_a_scenario_checked_by_simulation_from_its_page(sqlite_world: World) -> None:
    from tests.app.test_allocation import _queue_model

    from civicflow.app import planning as ap

    rows = [
        {"series": area, "period": f"2027-0{t + 1}", "mean": size, "hi_80": size * 1.2}
        for area, size in (("north", 20.0), ("south", 40.0)) for t in range(3)
    ]  # fmt: skip
    stored, _ = al.run_allocation(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        demand=pd.DataFrame(rows), name="to-check", source="forecast.csv",
        config=AllocationConfig(limits=Limits(unit="staff", hours_per_unit=37.5,
                                              units_per_period=3),
                                service_times=ServiceTimes(hours_per_case=1.0)),
    )  # fmt: skip
    model = ap.save_model(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        model=_queue_model(), name="queue-for-check",
    )  # fmt: skip
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    url = f"/w/{sqlite_world.workspace_id}/allocation/{stored.id}"
    page = client.get(url)
    assert "Not checked yet." in page.text and "Check by simulation" in page.text
    form = {"csrf_token": token, "model_id": model.id, "pool": "clerks", "areas": "2",
            "cases": "40"}  # fmt: skip
    r = client.post(f"{url}/simulate", data=form)
    assert r.status_code == 422 and 'href="#al-check-pool"' in r.text
    r = client.post(f"{url}/simulate", data={**form, "pool": "servers"}, follow_redirects=False)
    assert r.status_code == 303 and "/allocation/jobs/" in r.headers["location"]
    done = _follow_job(client, r.headers["location"])
    assert done == f"{url}#simulation-check"
    page = client.get(url)
    assert "Not checked yet." not in page.text and "/simulation/runs/run_" in page.text
    assert "Mean wait per case" in page.text and "in the pool)" in page.text
