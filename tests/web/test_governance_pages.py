"""The public algorithm register (no sign-in) and the workbench's register page; in Chromium with
axe-core for the public pages."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, governance

from .conftest import World, make_app, make_world, sign_in

FIELDS = {
    "name": "Housing benefit triage",
    "purpose": "Orders new housing-benefit claims by likely complexity.",
    "legal_basis": "UK GDPR Art. 6(1)(e)",
    "owner": "Benefits service",
    "senior_responsible_owner": "Director of Revenues & Benefits",
    "organisation": "Camden Council",
    "description": "A model ranks new claims; a caseworker decides every claim.",
    "oversight": "in-the-loop",
}


def _register(world: World) -> tuple[str, str]:
    admin = SYSTEM
    published = governance.add_system(
        world.ctx, actor=admin, workspace_id=world.workspace_id,
        fields=FIELDS | {"published": True},
    )  # fmt: skip
    hidden = governance.add_system(
        world.ctx, actor=admin, workspace_id=world.workspace_id,
        fields=FIELDS | {"name": "Internal pilot"},
    )  # fmt: skip
    return published.id, hidden.id


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("gov"), None)
    try:
        yield w
    finally:
        w.ctx.close()


def test_the_public_register_needs_no_sign_in(sqlite_world: World) -> None:
    published, hidden = _register(sqlite_world)
    client = TestClient(make_app(sqlite_world))
    listing = client.get("/register")
    assert listing.status_code == 200
    assert "Housing benefit triage" in listing.text and "Internal pilot" not in listing.text
    record = client.get(f"/register/{published}")
    assert record.status_code == 200
    assert "2.1.3 - Senior responsible owner" in record.text
    assert "Director of Revenues &amp; Benefits" in record.text
    assert client.get(f"/register/{hidden}").status_code == 404
    data = json.loads(client.get(f"/register/{published}/record.json").text)
    assert data["tier_1"]["name"] == "Housing benefit triage"
    rows = list(csv.DictReader(io.StringIO(client.get(f"/register/{published}/record.csv").text)))
    assert len(rows) == 50
    assert client.get(f"/register/{hidden}/record.json").status_code == 404
    # the workbench's page needs a role in the workspace
    anonymous = client.get(f"/w/{sqlite_world.workspace_id}/governance", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
    sign_in(client, sqlite_world.emails["viewer"])
    page = client.get(f"/w/{sqlite_world.workspace_id}/governance")
    assert page.status_code == 200
    assert "Internal pilot" in page.text and "proposed" in page.text


def test_an_assessment_answered_in_the_workbench(sqlite_world: World) -> None:
    from civicflow.app import audit

    client = TestClient(make_app(sqlite_world))
    csrf = sign_in(client, sqlite_world.emails["dpo"])
    ws = sqlite_world.workspace_id
    started = client.post(
        f"/w/{ws}/governance/assessments",
        data={"kind": "eu-ai-act", "system": "", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert started.status_code == 303
    url = started.headers["location"]
    form = client.get(url)
    assert form.status_code == 200 and 'name="ai_system"' in form.text
    assert 'name="annex_iii"' not in form.text  # asked once it is an AI system
    scope = client.post(
        url, data={"csrf_token": csrf, "shown": ["ai_system", "public_body"],
                   "ai_system": "yes", "public_body": "yes"},
    )  # fmt: skip
    assert 'name="annex_iii"' in scope.text and 'name="exemption"' not in scope.text
    saved = client.post(
        url,
        data={"csrf_token": csrf, "shown": ["annex_iii"], "annex_iii": ["5a"],
              "annex_iii__evidence": "eligibility for housing benefit"},
    )  # fmt: skip
    assert saved.status_code == 200
    assert "Answers saved" in saved.text and "high-risk" in saved.text
    assert 'name="exemption"' in saved.text  # asked now that an Annex III use is chosen
    bad = client.post(url, data={"csrf_token": csrf, "shown": ["role"], "role": "owner"})
    assert bad.status_code == 422 and "govuk-error-summary" in bad.text
    entries = audit.list_entries(sqlite_world.ctx, actor=SYSTEM, workspace_id=ws, limit=10)
    assert sum(e.action == "assessment.answer" for e in entries) == 3
    # the readiness page with its trend
    governance.save_readiness(sqlite_world.ctx, actor=SYSTEM, workspace_id=ws)
    readiness = client.get(f"/w/{ws}/governance/readiness")
    assert readiness.status_code == 200
    assert "Clear objectives" in readiness.text and "<polyline" in readiness.text
    # a viewer reads the result but gets no form
    viewer = TestClient(make_app(sqlite_world))
    sign_in(viewer, sqlite_world.emails["viewer"])
    read = viewer.get(url)
    assert "high-risk" in read.text and "Save answers" not in read.text


@pytest.mark.browser
def test_the_public_register_in_the_browser(tmp_path_factory: pytest.TempPathFactory) -> None:
    from .test_browser import CHROMIUM, Checked

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    import uvicorn
    from playwright.sync_api import sync_playwright

    world = make_world(tmp_path_factory.mktemp("govbrowser"), None)
    published, _ = _register(world)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(make_app(world), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser: Any = p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            c = Checked(browser, f"http://127.0.0.1:{port}")
            c.page.goto("/register")
            c.axe()
            c.page.get_by_role("link", name="Housing benefit triage").click()
            c.page.wait_for_url(re.compile(rf".*/register/{published}$"))
            assert c.page.get_by_role("heading", level=1).inner_text() == "Housing benefit triage"
            c.axe()
            c.page.get_by_role("link", name="All published records").click()
            c.page.wait_for_url(re.compile(r".*/register$"))
            c.sign_in(world.emails["viewer"])
            c.page.goto(f"/w/{world.workspace_id}/governance")
            c.page.get_by_role("heading", name="Register of automated systems").wait_for()
            c.axe()
            # a full assessment in the browser, as a data-protection officer
            c.context.clear_cookies()
            c.sign_in(world.emails["dpo"])
            c.page.goto(f"/w/{world.workspace_id}/governance")
            c.page.get_by_label("Assessment", exact=True).select_option("eu-ai-act")
            c.page.get_by_role("button", name="Start assessment").click()
            c.page.wait_for_url(re.compile(r".*/governance/assessments/asm_\w+$"))
            c.axe()
            c.page.get_by_role("group", name=re.compile("Is it an AI system")).get_by_label(
                "Yes"
            ).check()
            c.page.get_by_role("button", name="Save answers").click()
            c.page.get_by_text("Answers saved").wait_for()
            c.page.get_by_label(re.compile(r"^Annex III 5\(a\)")).check()
            c.page.get_by_role("button", name="Save answers").click()
            c.page.get_by_text("Answers saved").wait_for()
            assert "high-risk" in c.page.locator("#result").inner_text()
            c.axe()
            governance.save_readiness(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)
            c.page.goto(f"/w/{world.workspace_id}/governance/readiness")
            c.page.get_by_role("img", name=re.compile("Overall readiness")).wait_for()
            c.axe()
            assert not c.errors, c.errors
            c.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        world.ctx.close()
