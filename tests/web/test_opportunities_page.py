"""The Opportunities page through HTTP: an analyst ranks a dataset's activities with the default
or their own weights (a bad weight comes back with the field named), reads each score's evidence;
a service owner drafts a business case from an opportunity in one step (ledgered); a viewer
reads but cannot draft; the assessment report carries the ranking."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, assessment, audit
from civicflow.app import business_case as bc
from civicflow.app import planning as ap
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import Dataset, EventStore
from civicflow.planning import DiscoveryConfig

from .conftest import World, make_app, sign_in


@pytest.fixture(scope="module")
def seeded(sqlite_world: World) -> World:
    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=300, seed=4))[1]

    assessment.store_dataset(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, name="demo",
        write=generate,
    )  # fmt: skip
    return sqlite_world


def _ranked_activities(html: str) -> list[str]:
    table = html.split('id="ranking-heading"', 1)[1].split("</table>", 1)[0]
    return re.findall(
        r'<td class="govuk-table__cell govuk-table__cell--numeric">\d+</td>'
        r'<td class="govuk-table__cell">([^<]+)</td>',
        table,
    )


def test_analyst_ranks_with_default_and_own_weights(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["analyst"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/opportunities?dataset=demo")
    assert page.status_code == 200, page.text[:2000]
    assert ">Opportunities<" in page.text  # in the navigation
    ranked = bc.rank_opportunities(
        seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, dataset_name="demo"
    )
    assert _ranked_activities(page.text) == ranked.ranking[:15]
    assert 'class="chart"' in page.text and "The evidence behind each score" in page.text
    assert ranked.opportunities[0].signal("volume").evidence in page.text.replace("&#39;", "'")

    # volume alone: the most frequent activity comes first, whatever the default ranking says
    weights = "&".join(f"w_{n}=0" for n in ("handling", "waiting", "rework", "consistency",
                                              "people", "rule"))  # fmt: skip
    page = client.get(f"{ws}/opportunities?dataset=demo&w_volume=1&{weights}")
    assert page.status_code == 200
    busiest = max(ranked.opportunities, key=lambda o: o.signal("volume").value or 0).activity
    assert _ranked_activities(page.text)[0] == busiest
    assert 'value="0"' in page.text  # the weights given are shown back

    bad = client.get(f"{ws}/opportunities?dataset=demo&w_rule=lots")
    assert bad.status_code == 422
    assert "govuk-error-summary" in bad.text and 'href="#w-rule"' in bad.text


def test_owner_drafts_a_business_case_and_viewer_cannot(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    token = sign_in(client, seeded.emails["service_owner"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/opportunities?dataset=demo")
    assert "Draft a business case" in page.text
    assert "Also store a what-if scenario of" not in page.text  # may not write simulations
    top = _ranked_activities(page.text)[0]

    bad = client.post(
        f"{ws}/opportunities/business-case",
        data={"dataset": "demo", "activity": top, "hourly_cost": "cheap",
              "share_automated": "0.5", "csrf_token": token},
    )  # fmt: skip
    assert bad.status_code == 422 and "govuk-error-summary" in bad.text
    assert 'href="#opp-hourly-cost-1"' in bad.text  # the summary links to the field itself
    assert 'id="opp-hourly-cost-1"' in bad.text
    assert bc.list_cases(seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id) == []

    r = client.post(
        f"{ws}/opportunities/business-case",
        data={"dataset": "demo", "activity": top, "hourly_cost": "55",
              "share_automated": "0.4", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    assert "/business-cases/" in r.headers["location"]
    (case,) = bc.list_cases(seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id)
    assert case.name == f"Automate {top}"
    newest = audit.list_entries(
        seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, limit=1
    )[0]
    assert newest.action == "business_case.create" and "drafted on the Opportunities" in str(
        newest.reason
    )

    viewer = TestClient(make_app(seeded))
    vtoken = sign_in(viewer, seeded.emails["viewer"])
    page = viewer.get(f"{ws}/opportunities?dataset=demo")
    assert page.status_code == 200 and "Draft a business case" not in page.text
    denied = viewer.post(
        f"{ws}/opportunities/business-case",
        data={"dataset": "demo", "activity": top, "hourly_cost": "55", "csrf_token": vtoken},
    )
    assert denied.status_code == 403


def test_analyst_drafts_a_scenario_and_a_business_case_in_one_step(seeded: World) -> None:
    ctx, ws_id = seeded.ctx, seeded.workspace_id
    model = ap.discover(
        ctx, actor=SYSTEM, workspace_id=ws_id, dataset_name="demo",
        config=DiscoveryConfig(timezone="Europe/Amsterdam"), name="permits-opp",
    )  # fmt: skip
    client = TestClient(make_app(seeded))
    token = sign_in(client, seeded.emails["analyst"])
    ws = f"/w/{ws_id}"
    page = client.get(f"{ws}/opportunities?dataset=demo")
    assert "Also store a what-if scenario of" in page.text
    assert f'<option value="{model.id}">permits-opp</option>' in page.text
    second = _ranked_activities(page.text)[1]
    r = client.post(
        f"{ws}/opportunities/business-case",
        data={"dataset": "demo", "activity": second, "hourly_cost": "55",
              "share_automated": "0.5", "model_id": model.id, "csrf_token": token},
    )  # fmt: skip
    assert r.status_code == 200 and "/business-cases/" in str(r.url), r.text[:2000]
    assert f"the scenario &#39;automate {second}&#39;" in r.text
    [scenario] = ap.list_scenarios(ctx, actor=SYSTEM, workspace_id=ws_id, model_id=model.id)
    case = bc.get_case(ctx, actor=SYSTEM, workspace_id=ws_id, case=f"Automate {second}")
    assert scenario.name == f"automate {second}"
    assert case.source["scenario_id"] == scenario.id
    first, then = audit.list_entries(ctx, actor=SYSTEM, workspace_id=ws_id, limit=2)[::-1]
    assert (first.action, then.action) == ("scenario.create", "business_case.create")
    bc.delete_case(ctx, actor=SYSTEM, workspace_id=ws_id, case=case.id)  # leave one case for others
    ap.delete_scenario(ctx, actor=SYSTEM, workspace_id=ws_id, scenario_id=scenario.id)


def test_the_report_carries_the_ranking(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    r = client.get(f"/w/{seeded.workspace_id}/assessment/report.html?dataset=demo")
    assert r.status_code == 200
    assert "Automation opportunities" in r.text
    assert "Activities ranked as automation opportunities" in r.text
