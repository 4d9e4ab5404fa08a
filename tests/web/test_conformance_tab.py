"""The Conformance tab: the demo dataset checked against its discovered model (fitness shown, the
model drawn, BPMN downloadable) in Chromium with the axe check, and an uploaded BPMN file (a bad
one is a clear error box)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import World
from .test_browser import Checked, browser, served  # noqa: F401 (fixtures)

BPMN = Path(__file__).resolve().parents[1] / "data" / "bpmn"


@pytest.fixture(scope="module")
def demo(served: tuple[str, World]) -> tuple[str, World]:  # noqa: F811
    from civicflow.app import SYSTEM, assessment, workspaces
    from civicflow.demo import DemoConfig, build_demo_workspace

    base, world = served
    store = workspaces.get_workspace(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id
    ).store()
    if "cf-demo" not in store.dataset_names():
        assessment.store_dataset(
            world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="cf-demo",
            write=lambda store: build_demo_workspace(
                path=store.path, config=DemoConfig(cases=300, seed=3), dataset_name="cf-demo"
            )[1],
        )  # fmt: skip
    return base, world


@pytest.mark.browser
def test_conformance_tab_shows_fitness_for_the_demo(
    browser: Any,  # noqa: F811
    demo: tuple[str, World],
    tmp_path: Path,
) -> None:
    base, world = demo
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["analyst"])
    page.goto(f"/w/{world.workspace_id}/assessment?dataset=cf-demo&tab=conformance&noise=0")
    page.wait_for_function(
        "() => document.querySelector('#discovered-model')?.dataset.rendered === 'true'",
        timeout=60_000,
    )
    fitness = page.locator("[data-fitness]").inner_text()
    assert re.fullmatch(r"\d\.\d{3}", fitness)
    assert float(fitness) == 1.0  # IM without filtering fits every case
    assert page.locator("#discovered-model svg").count() == 1
    link = page.get_by_role("link", name=re.compile("Download BPMN"))
    with page.expect_download() as info:
        link.click()
    text = Path(info.value.path()).read_text()
    assert "<bpmndi:BPMNDiagram" in text
    c.axe()
    # an uploaded reference: the small permit model of the conformance tests
    page.set_input_files("#cf-bpmn", str(BPMN / "small.bpmn"))
    page.get_by_role("button", name="Check against this model").click()
    page.wait_for_url(re.compile(r".*model=[0-9a-f]{16}"), timeout=60_000)
    assert "the uploaded model" in page.locator("#tab-content").inner_text()
    assert re.fullmatch(r"\d\.\d{3}", page.locator("[data-fitness]").inner_text())
    # bad XML: a clear error box, nothing kept
    page.goto(f"/w/{world.workspace_id}/assessment?dataset=cf-demo&tab=conformance&noise=0.2")
    bad = tmp_path / "bad-model.bpmn"
    bad.write_text("<definitions><process>")
    page.set_input_files("#cf-bpmn", str(bad))
    page.get_by_role("button", name="Check against this model").click()
    page.wait_for_selector(".govuk-error-summary", timeout=30_000)
    assert "not well-formed XML" in page.locator(".govuk-error-summary").inner_text()
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()
