"""axe-core on every page of the workbench, enumerated from the app's routes (so a page added
later is checked without anyone adding it here): each programme kind's list, form, item and
delete page, the pages of a stored dataset, business case and pilot, and — for the pages of
objects this world does not hold (a model, an audit, a forecast…) — the page a person reaches
with an unknown id. The richer states of those pages are checked in their own browser tests."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from civicflow.web._programme_forms import KINDS

from . import test_browser as _browser
from .conftest import World, make_app, page_paths
from .test_browser import Checked

browser, served = _browser.browser, _browser.served

pytestmark = pytest.mark.browser


def _objects(world: World) -> dict[str, str]:
    """A dataset, a risk, a pilot and a business case to fill the pages' ids with."""
    from civicflow.app import SYSTEM, assessment
    from civicflow.app import business_case as bc
    from civicflow.app import planning as ap
    from civicflow.app import programme as pg
    from civicflow.demo import DemoConfig, build_demo_workspace
    from civicflow.planning import (
        ActivityDuration,
        BusinessCase,
        ComparisonConfig,
        CostLine,
        DiscoveryConfig,
        HoursSaved,
        Range,
        Scenario,
    )  # fmt: skip

    ctx, ws = world.ctx, world.workspace_id
    if "demo" not in {d.name for d in assessment.list_datasets(ctx, actor=SYSTEM,
                                                                      workspace_id=ws)}:  # fmt: skip
        assessment.store_dataset(
            ctx, actor=SYSTEM, workspace_id=ws, name="demo",
            write=lambda store: build_demo_workspace(
                path=store.path, config=DemoConfig(cases=200, seed=5)
            )[1],
        )  # fmt: skip
    risk = pg.RISKS.create(
        ctx, actor=SYSTEM, workspace_id=ws,
        data=pg.parse(pg.RiskCreate, {"title": "Every-page risk", "likelihood": 2, "impact": 3,
                                        "owner": "the service owner"}),
    )  # fmt: skip
    pilot = pg.PILOTS.create(
        ctx, actor=SYSTEM, workspace_id=ws,
        data=pg.parse(pg.PilotCreate, {
            "title": "Every-page pilot", "scope": "one office", "start_date": "2027-01-01",
            "end_date": "2027-03-01", "dataset": "demo", "success_criteria": [
                {"kpi": "throughput_median_days", "target": 5, "direction": "decrease"}]}),
    )  # fmt: skip
    case = bc.create_case(
        ctx, actor=SYSTEM, workspace_id=ws,
        case=BusinessCase(
            name="Every-page case", start=date(2026, 1, 1), years=3, discount_rate=0.04,
            costs=(CostLine(title="Build", amount=Range(low=10, likely=20, high=40),
                            start=date(2026, 1, 1), category="software"),),
            benefits=(HoursSaved(role="intake", hours_per_year=100, hourly_cost=50),),
        ),
    )  # fmt: skip
    # a simulation model and a scenario comparison: their pages, and the case page's form that
    # takes a compared scenario's benefits
    model = ap.discover(ctx, actor=SYSTEM, workspace_id=ws, dataset_name="demo",
                        config=DiscoveryConfig(timezone="Europe/Amsterdam"), name="every-page")  # fmt: skip
    scenario = ap.save_scenario(
        ctx, actor=SYSTEM, workspace_id=ws, model_id=model.id,
        scenario=Scenario(name="automated check", changes=[
            ActivityDuration(activity="Check completeness", factor=0.2)]),
    )  # fmt: skip
    run = ap.compare(ctx, actor=SYSTEM, workspace_id=ws, model_id=model.id,
                     scenario_ids=[scenario.id],
                     config=ComparisonConfig(cases=100, replications=2, workers=1))  # fmt: skip
    return {
        "workspace_id": ws,
        "risk": risk.id,
        "pilot": pilot.id,
        "case": case.id,
        "model": model.id,
        "run": run.id,
    }


def _urls(path: str, ids: dict[str, str]) -> list[str]:
    """The addresses that show the page of route ``path``."""
    ws = f"/w/{ids['workspace_id']}"
    path = path.replace("{workspace_id}", ids["workspace_id"])
    if "{kind}" in path:
        if "{item_id}" in path:
            return [path.replace("{kind}", "risks").replace("{item_id}", ids["risk"])]
        return [path.replace("{kind}", kind) for kind in KINDS]
    path = path.replace("/pilots/{item_id}/", f"/pilots/{ids['pilot']}/")
    path = path.replace("/business-cases/{case_id}", f"/business-cases/{ids['case']}")
    path = path.replace("/models/{model_id}", f"/models/{ids['model']}")
    path = path.replace("/runs/{run_id}", f"/runs/{ids['run']}")
    if path in {f"{ws}/{page}" for page in ("assessment", "assessment/cases", "opportunities",
                                             "people", "compare")}:  # fmt: skip
        path += "?dataset=demo"
    return [re.sub(r"\{\w+\}", "unknown", path)]  # an object this world does not hold: a 404


def test_every_page_passes_axe(served: tuple[str, World], browser: Any) -> None:
    base, world = served
    ids = _objects(world)
    paths = page_paths(make_app(world))
    assert len(paths) >= 50, paths
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["global_admin"])
    seen: dict[str, int] = {}
    for path in paths:
        for url in _urls(path, ids):
            response = page.goto(url)
            assert response is not None, url
            seen[url] = response.status
            assert response.status < 500, f"{url}: {response.status}"
            page.wait_for_load_state("networkidle")
            c.axe()
    # the pages of the objects made here were shown, not refused or missing
    shown = {u for u, status in seen.items() if status == 200}
    for key in ("risk", "pilot", "case", "model", "run"):
        assert any(ids[key] in u for u in shown), (key, {u: s for u, s in seen.items() if s != 200})
    assert len(c.audited) >= len(paths) + len(KINDS)
    page.goto(f"/w/{ids['workspace_id']}/business-cases/{ids['case']}")
    assert (
        page.get_by_label("Scenario", exact=True).count() == 1
    )  # the form is there, and passed axe above
    # no script error and no CSP violation anywhere (the 404 and 422 pages' own loads aside)
    errors = [e for e in c.errors if not e.startswith("Failed to load resource")]
    assert not errors, errors
    c.close()
