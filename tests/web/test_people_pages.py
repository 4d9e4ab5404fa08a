"""The People and change page through HTTP: an analyst reads a dataset's hours per role and team
(table and chart, the same figures as the use case), a bad hours per FTE or an unknown dataset
comes back 422 with the field named; the skills matrix shows training needs, a service owner
writes them as training budget lines (ledgered), a viewer sees no button and is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, assessment, audit, people
from civicflow.app import programme as pg
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import Dataset, EventStore, ingest

from .conftest import World, make_app, sign_in


@pytest.fixture(scope="module")
def seeded(sqlite_world: World) -> World:
    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=300, seed=4))[1]

    assessment.store_dataset(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, name="demo",
        write=generate,
    )  # fmt: skip
    source = sqlite_world.home / "plain.csv"
    source.write_text(
        "case,activity,time,resource\nc1,a,2024-01-01T08:00:00,ann\nc1,b,2024-01-02T09:00:00,bob\n"
    )
    assessment.store_dataset(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, name="plain",
        write=lambda store: ingest(workspace=store, source=source, name="plain"),
    )  # fmt: skip
    return sqlite_world


SKILLS = {
    "s0_role": "caseworker", "s0_skill": "new system", "s0_needed": "6", "s0_available": "2",
    "s0_course": "System basics", "s0_cost": "450",
    "s1_role": "clerk", "s1_skill": "scanning", "s1_needed": "2", "s1_available": "3",
}  # fmt: skip


def test_analyst_reads_hours_and_errors_name_the_field(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["analyst"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/people?dataset=demo")
    assert page.status_code == 200, page.text[:3000]
    assert ">People and change<" in page.text  # in the navigation
    hours = people.role_hours(
        seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, dataset_name="demo"
    )
    assert hours.roles, "the demo log has resources with roles"
    top = hours.roles[0]
    assert f">{top.name}</th>" in page.text
    assert f"{top.hours_per_year:,.0f}" in page.text and f"{top.fte:.2f}" in page.text
    assert 'class="chart"' in page.text and "Handling hours a year per role" in page.text
    assert "headcount" not in page.text.replace("never a number of people", "")

    working = client.get(f"{ws}/people?dataset=demo&basis=working&hours_per_fte=1500")
    assert working.status_code == 200 and "/ 1500" in working.text

    bad = client.get(f"{ws}/people?dataset=demo&hours_per_fte=-5")
    assert bad.status_code == 422
    assert "govuk-error-summary" in bad.text and 'href="#people-fte"' in bad.text
    unknown = client.get(f"{ws}/people?dataset=nosuch")
    assert unknown.status_code == 422 and 'href="#people-dataset"' in unknown.text
    negative = client.get(f"{ws}/people", params={"dataset": "demo", **SKILLS, "s1_cost": "-3"})
    assert negative.status_code == 422 and 'href="#s1-cost"' in negative.text

    # a log without start times has no hours to show: said on the page, not an error
    plain = client.get(f"{ws}/people?dataset=plain")
    assert plain.status_code == 200 and "No hours per role for plain" in plain.text
    assert "govuk-error-summary" not in plain.text

    needs = client.get(f"{ws}/people", params={"dataset": "demo", **SKILLS})
    assert needs.status_code == 200
    assert "4 people to train, 1,800.00 in total" in needs.text
    assert "Add the training needs as budget lines" not in needs.text  # analysts may not


def test_owner_writes_training_budget_lines_viewer_cannot(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    token = sign_in(client, seeded.emails["service_owner"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/people", params={"dataset": "demo", **SKILLS})
    assert "Add the training needs as budget lines" in page.text

    bad = client.post(
        f"{ws}/people/training-budget",
        data={**SKILLS, "s0_needed": "-1", "csrf_token": token},
    )
    assert bad.status_code == 422 and 'href="#s0-needed"' in bad.text
    lines = pg.BUDGET_LINES.list(seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id)
    assert not [x for x in lines if x.category == "training"]  # nothing stored

    done = client.post(
        f"{ws}/people/training-budget",
        data={**SKILLS, "start_date": "2027-01-01", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/programme/budget")
    lines = [
        x
        for x in pg.BUDGET_LINES.list(seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id)
        if x.category == "training"
    ]
    assert len(lines) == 1 and float(lines[0].amount) == 1800.0
    assert "System basics" in lines[0].title and "caseworker" in lines[0].title
    entries = audit.list_entries(seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id)
    assert any(e.action == "budget_line.create" and e.object_id == lines[0].id for e in entries)

    viewer = TestClient(make_app(seeded))
    vtoken = sign_in(viewer, seeded.emails["viewer"])
    vpage = viewer.get(f"{ws}/people", params={"dataset": "demo", **SKILLS})
    assert vpage.status_code == 200 and "Add the training needs" not in vpage.text
    refused = viewer.post(f"{ws}/people/training-budget", data={**SKILLS, "csrf_token": vtoken})
    assert refused.status_code == 403


def test_the_report_carries_people_and_pilots(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    r = client.get(f"/w/{seeded.workspace_id}/assessment/report.html?dataset=demo")
    assert r.status_code == 200
    assert 'id="people-pilots"' in r.text and "Handling hours a year per role" in r.text


def test_the_roles_a_stored_comparison_affects_most(seeded: World) -> None:
    from civicflow.app._planning import _store_run
    from civicflow.planning import ComparisonConfig, Estimate, ScenarioComparison, ScenarioOutcome

    def outcome(name: str, assessor: list[float], clerk: list[float]) -> ScenarioOutcome:
        e = Estimate.of([1.0, 1.0])
        return ScenarioOutcome(
            name=name, cases=e, throughput_median=e, throughput_p90=e, waiting={}, backlog=e,
            utilisation={}, workload_hours_per_week={"assessor": Estimate.of(assessor),
                                                     "clerk": Estimate.of(clerk)},
            pool_sizes={"assessor": 4, "clerk": 2}, cost_per_case=e, sla_compliance=None,
        )  # fmt: skip

    cmp = ScenarioComparison(
        model_name="m", config=ComparisonConfig(),
        as_is=outcome("as-is", [100.0, 110.0, 90.0], [40.0, 40.0, 40.0]),
        scenarios=[outcome("e-intake", [70.0, 80.0, 60.0], [42.0, 41.0, 43.0])],
    )  # fmt: skip
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    before = client.get(f"/w/{seeded.workspace_id}/people?dataset=plain")
    assert "No scenario comparison yet" in before.text
    _store_run(
        seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, kind="compare",
        model_id=None, dataset="demo", config={}, result=cmp.to_dict(), seconds=0.1, reason=None,
    )  # fmt: skip
    page = client.get(f"/w/{seeded.workspace_id}/people?dataset=plain")
    assert page.status_code == 200
    assert "e-intake: in total 1,456 hours a year (0.91 FTE)" in page.text  # 30×52 − 2×52
    table = page.text.split("e-intake: in total", 1)[1].split("</table>", 1)[0]
    assert table.index(">assessor<") < table.index(">clerk<")  # most affected first
    assert ">1,560<" in table and ">-104<" in table
