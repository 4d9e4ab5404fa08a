"""The Business case pages through HTTP: a service owner creates a case with the form (a bad
range comes back with the field named), evaluates it, edits it as a new version, compares the two
side by side and deletes it (asked first); a viewer reads but cannot change."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, audit
from civicflow.app import business_case as bc

from .conftest import World, make_app, sign_in

FORM = {
    "name": "e-intake", "start": "2026-01-01", "years": "5", "discount_rate": "0.04",
    "cost_title": "Build", "cost_low": "40000", "cost_likely": "50000", "cost_high": "80000",
    "cost_category": "software", "recurring_title": "Licence", "recurring_amount": "10000",
    "role": "intake", "hours_low": "600", "hours_likely": "900", "hours_high": "1100",
    "hourly_cost": "60", "cases_per_year": "3000", "days_saved": "2", "value_per_day": "1.5",
}  # fmt: skip


def test_owner_creates_evaluates_versions_compares_and_deletes(sqlite_world: World) -> None:
    world = sqlite_world
    client = TestClient(make_app(world))
    token = sign_in(client, world.emails["service_owner"])
    ws = f"/w/{world.workspace_id}"
    page = client.get(f"{ws}/business-cases")
    assert page.status_code == 200 and "Create a business case" in page.text
    assert ">Business case<" in page.text  # in the navigation

    bad = FORM | {"cost_low": "90000", "csrf_token": token}
    r = client.post(f"{ws}/business-cases", data=bad)
    assert r.status_code == 422
    assert "govuk-error-summary" in r.text and 'href="#bc-cost-low"' in r.text
    assert "low=90000" in r.text
    assert bc.list_cases(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id) == []

    r = client.post(
        f"{ws}/business-cases", data=FORM | {"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:2000]
    case_url = r.headers["location"]
    page = client.get(case_url)
    assert page.status_code == 200 and "Cash flow per year" in page.text
    assert "Not evaluated yet" in page.text and "data-vega-spec" in page.text

    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version and version.group(1) == "1"
    r = client.post(f"{case_url}/evaluate", data={"version": "1", "draws": "2000", "csrf_token": token},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "What matters most" in page.text and "Chance of payback" in page.text
    assert page.text.count('class="chart"') == 4  # cash flow, NPV, payback, tornado

    stored = bc.get_case(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, case="e-intake")
    doc = stored.latest.document
    doc["costs"][0]["amount"]["likely"] = 45000
    r = client.post(f"{case_url}/versions",
                    data={"document": "{not json", "note": "x", "csrf_token": token})  # fmt: skip
    assert r.status_code == 422 and "not JSON" in r.text
    r = client.post(f"{case_url}/versions",
                    data={"document": json.dumps(doc), "note": "cheaper build", "csrf_token": token},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = client.get(case_url)
    assert "version 2 of 2" in page.text and "cheaper build" in page.text

    cmp = client.get(f"{ws}/business-cases/compare",
                     params=[("ref", f"{stored.id}@1"), ("ref", f"{stored.id}@2")])  # fmt: skip
    assert cmp.status_code == 200
    assert "differs" in cmp.text and "40000 / 45000 / 80000" in cmp.text

    confirm = client.get(f"{case_url}/delete")
    assert confirm.status_code == 200 and "Delete business case" in confirm.text
    r = client.post(f"{case_url}/delete", data={"confirm": "yes", "csrf_token": token},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert bc.list_cases(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id) == []
    assert audit.verify(world.ctx, actor=SYSTEM).ok


def test_viewer_reads_but_cannot_change(sqlite_world: World) -> None:
    world = sqlite_world
    client = TestClient(make_app(world))
    token = sign_in(client, world.emails["viewer"])
    ws = f"/w/{world.workspace_id}"
    page = client.get(f"{ws}/business-cases")
    assert page.status_code == 200 and "Create a business case" not in page.text
    r = client.post(
        f"{ws}/business-cases", data=FORM | {"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 403


def test_the_benefits_of_a_compared_scenario_become_the_next_version(sqlite_world: World) -> None:
    from datetime import date

    from civicflow.app import assessment
    from civicflow.app import planning as ap
    from civicflow.demo import DemoConfig, build_demo_workspace
    from civicflow.planning import (
        ActivityDuration,
        BusinessCase,
        ComparisonConfig,
        CostLine,
        DiscoveryConfig,
        HoursSaved,
        Scenario,
    )  # fmt: skip

    world = sqlite_world
    ctx, ws_id = world.ctx, world.workspace_id
    stored = bc.create_case(
        ctx, actor=SYSTEM, workspace_id=ws_id,
        case=BusinessCase(name="scn-case", start=date(2026, 1, 1), years=3, discount_rate=0.04,
                          costs=(CostLine(title="Build", amount=20_000, start=date(2026, 1, 1)),),
                          benefits=(HoursSaved(role="intake", hours_per_year=900,
                                               hourly_cost=60),)),
    )  # fmt: skip
    client = TestClient(make_app(world))
    token = sign_in(client, world.emails["analyst"])
    url = f"/w/{ws_id}/business-cases/{stored.id}"
    assert "No scenario has been compared" in client.get(url).text

    assessment.store_dataset(
        ctx, actor=SYSTEM, workspace_id=ws_id, name="demo",
        write=lambda store: build_demo_workspace(path=store.path,
                                                 config=DemoConfig(cases=300, seed=4))[1],
    )  # fmt: skip
    model = ap.discover(ctx, actor=SYSTEM, workspace_id=ws_id, dataset_name="demo",
                        config=DiscoveryConfig(timezone="Europe/Amsterdam"), name="bc-page")  # fmt: skip
    scenario = ap.save_scenario(
        ctx, actor=SYSTEM, workspace_id=ws_id, model_id=model.id,
        scenario=Scenario(name="automated check", changes=[
            ActivityDuration(activity="Check completeness", factor=0.2)]),
    )  # fmt: skip
    run = ap.compare(ctx, actor=SYSTEM, workspace_id=ws_id, model_id=model.id,
                     scenario_ids=[scenario.id],
                     config=ComparisonConfig(cases=150, replications=2, workers=1))  # fmt: skip
    page = client.get(url).text
    choice = f"{run.id}|automated check"
    assert f'<option value="{choice}">automated check (model bc-page' in page

    bad = client.post(f"{url}/from-scenario", data={"scenario": choice, "hourly_cost": "cheap",
                                                    "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422 and 'href="#bc-scn-hourly-cost"' in bad.text
    assert 'value="cheap"' in bad.text  # the form keeps what was typed
    assert bc.get_case(ctx, actor=SYSTEM, workspace_id=ws_id, case=stored.id).latest.version == 1

    r = client.post(f"{url}/from-scenario", data={"scenario": choice, "hourly_cost": "55",
                                                  "csrf_token": token})  # fmt: skip
    assert r.status_code == 200 and str(r.url).endswith(url), r.text[-2000:]
    assert "Version 2 stored with the benefits of" in r.text
    latest = bc.get_case(ctx, actor=SYSTEM, workspace_id=ws_id, case=stored.id).latest
    assert latest.version == 2 and "automated check" in latest.note
    hours = [b for b in latest.case.benefits if isinstance(b, HoursSaved)]
    assert hours and all(h.hourly_cost == 55 for h in hours)
    newest = audit.list_entries(ctx, actor=SYSTEM, workspace_id=ws_id, limit=1)[0]
    assert newest.action == "business_case.version"
    viewer = TestClient(make_app(world))
    vtoken = sign_in(viewer, world.emails["viewer"])
    assert "Benefits from a simulated scenario" not in viewer.get(url).text
    denied = viewer.post(f"{url}/from-scenario", data={"scenario": choice, "hourly_cost": "55",
                                                       "csrf_token": vtoken})  # fmt: skip
    assert denied.status_code == 403
    bc.delete_case(ctx, actor=SYSTEM, workspace_id=ws_id, case=stored.id)
