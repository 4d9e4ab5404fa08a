"""The Simulation pages through HTTP: an analyst discovers a model, uploads an edited document
(a bad one comes back with the field named in the error summary), defines a scenario, compares
(the page polls the job) and validates; a viewer reads but cannot change."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, assessment
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import Dataset, EventStore

from .conftest import World, make_app, sign_in


@pytest.fixture(scope="module")
def seeded(sqlite_world: World) -> World:
    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=500, seed=2))[1]

    assessment.store_dataset(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, name="demo",
        write=generate,
    )  # fmt: skip
    return sqlite_world


def _follow_job(client: TestClient, url: str) -> str:
    """Poll the job the way the page does (HTMX) until it redirects to its run."""
    for _ in range(600):
        r = client.get(url, headers={"HX-Request": "true"}, follow_redirects=False)
        assert r.status_code == 200, r.text[:800]
        if "HX-Redirect" in r.headers:
            return r.headers["HX-Redirect"]
        assert "govuk-error-summary" not in r.text, r.text[:2000]
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_analyst_discovers_edits_and_compares(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    token = sign_in(client, seeded.emails["analyst"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/simulation")
    assert page.status_code == 200 and "Discover a model" in page.text
    assert 'href="/w/' in page.text and ">Simulation<" in page.text

    r = client.post(
        f"{ws}/simulation/models",
        data={"dataset": "demo", "name": "permits", "timezone": "Europe/Amsterdam",
              "country": "NL", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:1000]
    model_url = _follow_job(client, r.headers["location"])
    assert re.search(r"/simulation/models/sim_[0-9a-f]+$", model_url)
    model_page = client.get(model_url)
    assert "Resource pools" in model_page.text and "assessor" in model_page.text
    document = client.get(f"{model_url}/model.json")
    assert document.headers["content-disposition"].startswith("attachment")
    doc = document.json()

    # a bad edit: probabilities that do not add up; the error summary names the field
    bad = json.loads(json.dumps(doc))
    first = bad["control_flow"]["transitions"][0]["to"]
    first[next(iter(first))] = 5.0
    r = client.post(model_url, data={"document": json.dumps(bad), "csrf_token": token})
    assert r.status_code == 422
    assert "govuk-error-summary" in r.text
    assert "control_flow.transitions[0].to" in r.text
    assert 'href="#sim-document"' in r.text
    # a good edit, uploaded as a file
    doc["pools"]["assessor"]["size"] = 6
    r = client.post(
        model_url,
        data={"csrf_token": token},
        files={"file": ("edited.json", json.dumps(doc).encode(), "application/json")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:1000]
    assert client.get(f"{model_url}/model.json").json()["pools"]["assessor"]["size"] == 6

    # a scenario naming a pool that does not exist is refused with the field
    r = client.post(
        f"{model_url}/scenarios",
        data={"name": "more", "kind": "staffing", "size": "abc", "pool": "assessor",
              "csrf_token": token},
    )  # fmt: skip
    assert r.status_code == 422 and 'href="#sim-size"' in r.text
    r = client.post(
        f"{model_url}/scenarios",
        data={"name": "four assessors", "kind": "staffing", "pool": "assessor", "size": "4",
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    scenario_id = re.search(r'name="scenario" type="checkbox" value="(scn_[^"]+)"', client.get(model_url).text)  # fmt: skip
    assert scenario_id is not None

    r = client.post(
        f"{model_url}/runs",
        data={"action": "compare", "scenario": scenario_id.group(1), "cases": "300",
              "replications": "2", "sla_days": "30", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:1000]
    job_page = client.get(r.headers["location"])
    assert 'hx-trigger="load delay:1s"' in job_page.text or "Done" in job_page.text
    run_url = _follow_job(client, r.headers["location"])
    run = client.get(run_url)
    assert run.status_code == 200
    assert "Scenario comparison" in run.text and "four assessors" in run.text
    assert run.text.count('class="chart"') == 3
    assert "Throughput time, median" in run.text

    r = client.post(
        f"{ws}/simulation/validate",
        data={"dataset": "demo", "holdout": "0.25", "replications": "1",
              "timezone": "Europe/Amsterdam", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    run = client.get(_follow_job(client, r.headers["location"]))
    assert "Verdict." in run.text and "Control-flow log distance" in run.text
    assert run.text.count('class="chart"') == 5
    spec = re.search(r'data-vega-spec="([^"]+)"', run.text)
    assert spec is not None and "Past replayed" in spec.group(1)

    report = client.get(f"{run_url}/report.html")
    assert report.status_code == 200
    assert report.headers["content-disposition"].startswith("attachment")
    assert "civicflow simulation report" in report.text and "Outcomes per scenario" in report.text
    assert "four assessors" in report.text and 'id="sim-utilisation"' in report.text

    overview = client.get(f"{ws}/simulation").text
    assert "Scenario comparison" in overview and "Validation" in overview


def test_viewer_reads_but_cannot_change(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    token = sign_in(client, seeded.emails["viewer"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/simulation")
    assert page.status_code == 200 and "Discover a model" not in page.text
    r = client.post(
        f"{ws}/simulation/models",
        data={"dataset": "demo", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 403
