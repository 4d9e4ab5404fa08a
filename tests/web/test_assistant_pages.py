"""The citizen assistant on the web: the public chat page works as a plain form (and with HTMX),
the JSON API answers with sources, the hand-off reaches a caseworker whose reply reaches the
citizen, and the public endpoints are rate-limited per client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM
from civicflow.app import assistant as aa

from .conftest import World, csrf_of, make_app, sign_in

FAQ = Path(__file__).parents[1] / "data" / "assistant" / "town_faq.csv"


@pytest.fixture(scope="module")
def live(sqlite_world: World) -> World:
    ctx, ws = sqlite_world.ctx, sqlite_world.workspace_id
    aa.import_knowledge(ctx, actor=SYSTEM, workspace_id=ws, path=FAQ, source="office")
    aa.configure_assistant(ctx, actor=SYSTEM, workspace_id=ws, enabled=True)
    return sqlite_world


def test_the_chat_page_works_as_a_plain_form(live: World) -> None:
    client = TestClient(make_app(live))
    ws = live.workspace_id
    page = client.get(f"/ask/{ws}")
    assert page.status_code == 200
    assert (
        '<label class="govuk-label govuk-label--m" for="question">Your question</label>'
        in page.text
    )
    assert 'role="log"' in page.text
    token = csrf_of(client, f"/ask/{ws}")
    r = client.post(f"/ask/{ws}", data={"question": "How do I renew my passport?",
                                        "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith(f"/ask/{ws}#turn-")
    shown = client.get(f"/ask/{ws}").text
    assert "Book an appointment at the civic desk" in shown
    version = aa.knowledge(live.ctx, actor=SYSTEM, workspace_id=ws).chunks[0].version
    assert version[:12] in shown and "Was this answer helpful?" in shown
    # an empty question is an error on the form, linked to the field
    empty = client.post(f"/ask/{ws}", data={"question": " ", "csrf_token": token})
    assert empty.status_code == 422 and 'id="question-error"' in empty.text
    # without the session's token the form is refused
    assert client.post(f"/ask/{ws}", data={"question": "x"}).status_code == 403


def test_abstention_hand_off_and_the_caseworkers_reply(live: World) -> None:
    ws = live.workspace_id
    citizen = TestClient(make_app(live))
    token = csrf_of(citizen, f"/ask/{ws}")
    citizen.post(f"/ask/{ws}", data={"question": "Why was I refused? My email is pia@example.org",
                                     "csrf_token": token})  # fmt: skip
    page = citizen.get(f"/ask/{ws}").text
    assert "pia@example.org" not in page and "[EMAIL_ADDRESS]" in page
    assert "Pass my question to a person" in page
    r = citizen.post(f"/ask/{ws}/handoff", data={"csrf_token": token}, follow_redirects=True)
    assert "A member of our team will reply here" in r.text

    worker = TestClient(make_app(live))
    wtoken = sign_in(worker, live.emails["caseworker"])
    queue = worker.get(f"/w/{ws}/assistant/handoffs")
    assert queue.status_code == 200 and "personal case" in queue.text
    item = aa.list_handoffs(live.ctx, actor=SYSTEM, workspace_id=ws, status="open")[-1]
    detail = worker.get(f"/w/{ws}/assistant/handoffs/{item.id}").text
    assert "[EMAIL_ADDRESS]" in detail and "Reply to the citizen" in detail
    r = worker.post(f"/w/{ws}/assistant/handoffs/{item.id}",
                    data={"action": "reply", "reply": "We will call you tomorrow.",
                          "csrf_token": wtoken}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert (
        "Reply from our team:</strong> We will call you tomorrow." in citizen.get(f"/ask/{ws}").text
    )


def test_htmx_gets_the_conversation_fragment(live: World) -> None:
    client = TestClient(make_app(live))
    ws = live.workspace_id
    token = csrf_of(client, f"/ask/{ws}")
    r = client.post(f"/ask/{ws}", data={"question": "green waste bin collection"},
                    headers={"HX-Request": "true", "X-CSRF-Token": token})  # fmt: skip
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="chat">')
    assert "<html" not in r.text and "every second Tuesday" in r.text
    assert "data-focus-after-swap" in r.text and "</textarea>" in r.text
    empty = client.post(f"/ask/{ws}", data={"question": ""},
                        headers={"HX-Request": "true", "X-CSRF-Token": token})  # fmt: skip
    assert empty.status_code == 200 and 'id="question-error"' in empty.text


def test_the_json_api_answers_with_the_source_and_takes_ratings(live: World) -> None:
    client = TestClient(make_app(live))
    ws = live.workspace_id
    r = client.post(f"/api/v1/assistant/{ws}/ask", json={"question": "parking permit cost"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["answered"] and doc["source"]["id"] == "office#1" and doc["source"]["version"]
    rated = client.post(f"/api/v1/assistant/{ws}/rate", json={
        "conversation_id": doc["conversation_id"], "turn_id": doc["turn_id"],
        "rating": "helpful"})  # fmt: skip
    assert rated.status_code == 200 and rated.json()["rating"] == "helpful"
    out = client.post(f"/api/v1/assistant/{ws}/ask", json={
        "question": "Can I sue you over this?", "conversation_id": doc["conversation_id"]})  # fmt: skip
    assert out.json()["reason"] == "complaint" and out.json()["handoff_offered"]
    h = client.post(
        f"/api/v1/assistant/{ws}/handoff", json={"conversation_id": doc["conversation_id"]}
    )
    assert h.status_code == 200 and h.json()["status"] == "open"
    conv = client.get(f"/api/v1/assistant/{ws}/conversations/{doc['conversation_id']}").json()
    assert len(conv["turns"]) == 2 and conv["handoffs"][0]["reason"] == "complaint"
    bad = client.post(f"/api/v1/assistant/{ws}/rate", json={
        "conversation_id": doc["conversation_id"], "turn_id": doc["turn_id"], "rating": "meh"})  # fmt: skip
    assert bad.status_code == 422


def test_public_endpoints_are_rate_limited_per_client(live: World) -> None:
    client = TestClient(make_app(live, assistant_requests=3, assistant_window_seconds=600))
    ws = live.workspace_id
    codes = [
        client.post(f"/api/v1/assistant/{ws}/ask", json={"question": "town hall"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    r = client.post(f"/api/v1/assistant/{ws}/ask", json={"question": "town hall"})
    assert r.headers["retry-after"] == "600" and r.json()["error"] == "RateLimited"


def test_a_workspace_without_a_public_assistant_is_not_found(live: World) -> None:
    client = TestClient(make_app(live))
    assert client.get("/ask/ws_nope").status_code == 404
    assert client.post("/api/v1/assistant/ws_nope/ask", json={"question": "x"}).status_code == 404


def test_content_owner_sees_settings_and_gaps(live: World) -> None:
    client = TestClient(make_app(live))
    sign_in(client, live.emails["service_owner"])
    page = client.get(f"/w/{live.workspace_id}/assistant")
    assert page.status_code == 200
    assert "Knowledge-base gaps" in page.text and "Entries never used" in page.text
    viewer = TestClient(make_app(live))
    sign_in(viewer, live.emails["viewer"])
    seen = viewer.get(f"/w/{live.workspace_id}/assistant").text
    assert "Knowledge-base gaps" not in seen and "public" in seen
