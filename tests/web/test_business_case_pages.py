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
