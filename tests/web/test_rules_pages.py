"""The Rules pages through HTTP: a caseworker decides a case from the form and reviews it
(override needs a reason), appeals it; a policy officer runs a what-if; the public eligibility page
answers without signing in and stores nothing; the JSON API decides and reads a decision."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, accounts
from civicflow.app import decisions as rd
from civicflow.decisions import EXAMPLES

from .conftest import World, make_app, sign_in


@pytest.fixture(scope="module")
def published(sqlite_world: World) -> World:
    ctx, ws = sqlite_world.ctx, sqlite_world.workspace_id
    text = (EXAMPLES / "social_support.yaml").read_text()
    tests = (EXAMPLES / "social_support.tests.yaml").read_text()
    root = accounts.get_actor(
        ctx, accounts.find_user(ctx, actor=SYSTEM, email=sqlite_world.emails["global_admin"]).id
    )
    v = rd.draft_ruleset(
        ctx, actor=SYSTEM, workspace_id=ws, text=text, tests_text=tests, automation="recommend"
    )
    rd.submit_ruleset(ctx, actor=SYSTEM, workspace_id=ws, version_id=v.id)
    rd.approve_ruleset(ctx, actor=root, workspace_id=ws, version_id=v.id)
    rd.publish_ruleset(ctx, actor=root, workspace_id=ws, version_id=v.id)
    return sqlite_world


COUPLE = {
    "social_support.resident": "yes", "social_support.age": "41",
    "social_support.household_size": "2", "social_support.household_income": "2310",
}  # fmt: skip


def test_caseworker_decides_reviews_and_appeals(published: World) -> None:
    client = TestClient(make_app(published))
    token = sign_in(client, published.emails["caseworker"])
    ws = f"/w/{published.workspace_id}"
    page = client.get(f"{ws}/rules")
    assert page.status_code == 200 and "Decide a case: Social support benefit" in page.text
    assert "8 of 8 pass" in page.text and ">Rules<" in page.text
    bad = client.post(
        f"{ws}/rules/decide",
        data={**COUPLE, "social_support.age": "old", "ruleset": "social_support", "date": "2026-03-01", "csrf_token": token},
    )  # fmt: skip
    assert bad.status_code == 422 and "govuk-error-summary" in bad.text and "age" in bad.text
    r = client.post(
        f"{ws}/rules/decide",
        data={**COUPLE, "ruleset": "social_support", "date": "2026-03-01", "case_ref": "A-1", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    decision_url = r.headers["location"]
    shown = client.get(decision_url)
    assert shown.status_code == 200
    assert (
        "exceeds the limit of 2,150 that applies to a household of 2 since 1 January 2026"
        in shown.text
    )
    assert "Social Support Act art. 12" in shown.text and "Record the review" in shown.text
    assert "A-1" in client.get(f"{ws}/rules").text  # in the review queue
    no_reason = client.post(
        f"{decision_url}/review", data={"action": "override", "reason": "", "csrf_token": token}
    )
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.text
    done = client.post(
        f"{decision_url}/review",
        data={"action": "override", "rule": "income_within_limit", "reason": "disability costs", "csrf_token": token},
    )  # fmt: skip
    assert done.status_code == 200 and "overridden by" in done.text
    assert "income_within_limit: 1 override" in client.get(f"{ws}/rules").text
    appealed = client.post(
        f"{decision_url}/appeal",
        data={"grounds": "income was lower", "reason": "payslips", "input.household_income": "2000", "csrf_token": token},
    )  # fmt: skip
    # the override already made it positive: the appeal, eligible on the corrected income, upholds it
    assert appealed.status_code == 200 and "upheld: eligible" in appealed.text


def test_policy_officer_what_if_and_viewer_cannot_decide(published: World) -> None:
    officer = TestClient(make_app(published))
    token = sign_in(officer, published.emails["service_owner"])
    ws = f"/w/{published.workspace_id}"
    page = officer.get(f"{ws}/rules")
    assert "What if a parameter changed?" in page.text and "Decide a case" not in page.text
    r = officer.post(
        f"{ws}/rules/what-if",
        data={"ruleset": "social_support", "parameter": "income_limit", "value": "1:1580, 2:2400, 3:2520", "csrf_token": token},
    )  # fmt: skip
    assert r.status_code == 200 and "would gain" in r.text
    bad = officer.post(
        f"{ws}/rules/what-if",
        data={"ruleset": "social_support", "parameter": "income_limit", "value": "lots", "csrf_token": token},
    )  # fmt: skip
    assert bad.status_code == 422 and "not a number" in bad.text
    viewer = TestClient(make_app(published))
    sign_in(viewer, published.emails["viewer"])
    text = viewer.get(f"{ws}/rules").text
    assert "Decide a case" not in text and "What if" not in text


def test_public_eligibility_page_stores_nothing(published: World) -> None:
    client = TestClient(make_app(published))
    before = len(
        rd.list_decisions(published.ctx, actor=SYSTEM, workspace_id=published.workspace_id)
    )
    empty = client.get(f"/eligibility/{published.workspace_id}")
    assert empty.status_code == 200 and "How many people live in your household" in empty.text
    answered = client.get(
        f"/eligibility/{published.workspace_id}",
        params={"resident": "yes", "age": "41", "household_size": "2", "household_income": "1500"},
    )
    assert answered.status_code == 200 and "you may be eligible" in answered.text
    assert "is within the limit of 2,150" in answered.text
    after = len(rd.list_decisions(published.ctx, actor=SYSTEM, workspace_id=published.workspace_id))
    assert after == before


def test_json_api_decides_and_reads(published: World) -> None:
    client = TestClient(make_app(published))
    token = sign_in(client, published.emails["caseworker"])
    base = f"/api/v1/workspaces/{published.workspace_id}/rules"
    r = client.post(
        f"{base}/social_support/decide",
        json={"inputs": {"resident": True, "age": 30, "household_size": 1, "household_income": 900}, "date": "2026-03-01"},
        headers={"x-csrf-token": token},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["positive"] is True and made["status"] == "recommended"
    got = client.get(f"{base}/decisions/{made['id']}").json()
    assert got["explanation"] == made["explanation"] and got["reviews"] == []
    versions = client.get(base).json()
    assert versions[0]["status"] == "published"
    refused = client.post(
        f"{base}/nothing/decide", json={"inputs": {}}, headers={"x-csrf-token": token}
    )
    assert refused.status_code == 404


def test_json_api_decides_a_stored_batch(published: World) -> None:
    client = TestClient(make_app(published))
    token = sign_in(client, published.emails["caseworker"])
    base = f"/api/v1/workspaces/{published.workspace_id}/rules"
    cases = [
        {"case_ref": "J-1", "resident": True, "age": 30, "household_size": 1, "household_income": 900},
        {"case_ref": "J-2", "resident": True, "age": 41, "household_size": 2, "household_income": 2310},
    ]  # fmt: skip
    r = client.post(
        f"{base}/social_support/batches",
        json={"cases": cases, "date": "2026-03-01", "source": "api test"},
        headers={"x-csrf-token": token},
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["cases"], made["positive"], made["statuses"]) == (2, 1, {"recommended": 2})
    got = client.get(f"{base}/batches/{made['id']}").json()
    assert got["verified"] is True
    assert sorted((d["case_ref"], d["positive"]) for d in got["decisions"]) == [
        ("J-1", True), ("J-2", False),
    ]  # fmt: skip
    bad = client.post(
        f"{base}/social_support/batches",
        json={"cases": [{"age": "old"}], "date": "2026-03-01"},
        headers={"x-csrf-token": token},
    )
    assert bad.status_code == 422 and "row 1: the input 'resident' is missing" in bad.json()["what"]
    assert bad.json()["row"] == 1
