"""The pilot page: its design, the cases it needs, "Evaluate" for analysts, and the verdict with
its caveats; a pilot period without cases comes back as an error naming the field."""

from __future__ import annotations

import json
import re
from datetime import date

from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, workspaces
from civicflow.app import programme as pg
from civicflow.demo import DemoConfig, build_demo_workspace

from .conftest import World, make_app, sign_in

PILOT = ["Centre", "North", "East"]


def _pilot(world: World, **extra: str) -> pg.Pilot:
    scope = {"steps": [{"kind": "attribute", "attribute": "district", "values": PILOT}]}
    control = {"steps": [{"kind": "attribute", "attribute": "district", "values": PILOT,
                          "exclude": True}]}  # fmt: skip
    values = {
        "title": "Online intake", "scope": "three districts", "dataset": "demo",
        "success_criteria": [{"kpi": "throughput_median_days", "target": 3,
                              "direction": "decrease"}],
        "start_date": "2024-05-01", "end_date": "2024-07-31",
        "scope_filter": json.dumps(scope), "control_filter": json.dumps(control),
    } | extra  # fmt: skip
    return pg.PILOTS.create(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id,
        data=pg.parse(pg.PilotCreate, values),
    )  # fmt: skip


def test_pilot_page_designs_evaluates_and_explains(sqlite_world: World) -> None:
    world = sqlite_world
    ws = workspaces.get_workspace(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)
    config = DemoConfig(
        cases=1500, seed=2, period_days=240, assessor_utilisation=0.6, effect=0.6,
        effect_start=date(2024, 5, 1), effect_districts=tuple(PILOT),
    )  # fmt: skip
    build_demo_workspace(path=ws.path, config=config)
    pilot = _pilot(world)
    base = f"/w/{world.workspace_id}/programme/pilots"
    page_url = f"{base}/{pilot.id}/evaluation"

    viewer = TestClient(make_app(world))
    v_token = sign_in(viewer, world.emails["viewer"])
    assert f'href="{page_url}"' in viewer.get(base).text  # linked from the pilots list
    page = viewer.get(page_url)
    assert page.status_code == 200
    assert "you need about" in page.text and "Not evaluated yet." in page.text
    own = re.search(r"you need about ([\d,]+) cases", page.text)
    assert own is not None
    wider = viewer.get(page_url, params={"drop": "40", "power": "90"})
    assert wider.status_code == 200 and "to detect a 40.0 % drop" in wider.text
    assert "power 90.0 %" in wider.text and 'value="40"' in wider.text
    asked = re.search(r"you need about ([\d,]+) cases", wider.text)
    assert asked is not None  # a larger drop needs fewer cases, even at a higher power
    assert int(asked.group(1).replace(",", "")) < int(own.group(1).replace(",", ""))
    bad = viewer.get(page_url, params={"drop": "150"})
    assert bad.status_code == 400 and 'href="#f-drop"' in bad.text and "150" in bad.text
    assert ">Evaluate</button>" not in page.text  # a viewer may not evaluate
    assert viewer.post(page_url, data={"csrf_token": v_token}).status_code == 403

    analyst = TestClient(make_app(world))
    token = sign_in(analyst, world.emails["analyst"])
    assert ">Evaluate</button>" in analyst.get(page_url).text
    r = analyst.post(page_url, data={"csrf_token": token})
    assert r.status_code == 200 and r.url.path == page_url
    assert "Pilot evaluated." in r.text
    assert "Verdict:" in r.text and "beyond the control group" in r.text
    assert "parallel trends" in r.text and "Seasonality:" in r.text

    later = _pilot(world, title="Later", start_date="2031-01-01", end_date="2031-02-01")
    r = analyst.post(f"{base}/{later.id}/evaluation", data={"csrf_token": token})
    assert r.status_code == 400 and "the pilot period has no cases" in r.text
    assert "start_date" in r.text
    got = pg.PILOTS.get(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, item_id=later.id)
    assert got.evaluation is None
