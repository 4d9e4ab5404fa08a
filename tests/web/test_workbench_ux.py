"""What the workbench tells the analyst, checked in the HTML it serves: errors name only the
places that exist, every save is confirmed once, nothing is deleted in one click, every page
keeps the workspace's navigation, the ledger offers only proofs that exist and can be
checkpointed from the page, and an upload in local office time lands on the right instants."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from civicflow.web._programme_forms import KINDS

from .conftest import PASSWORD, World, csrf_of, make_app, page_paths, sign_in

FLASH = re.compile(r'<div class="flash"[^>]*>(.*?)</div>', re.S)


def _flashes(page: str) -> list[str]:
    found = FLASH.search(page)
    if found is None:
        return []
    return [html.unescape(m) for m in re.findall(r"<p[^>]*>(.*?)</p>", found.group(1), re.S)]


def _client(world: World, role: str) -> tuple[TestClient, str]:
    client = TestClient(make_app(world))
    return client, sign_in(client, world.emails[role])


def _actor(world: World, role: str) -> Any:
    from civicflow.app import accounts

    user = accounts.authenticate(world.ctx, email=world.emails[role], password=PASSWORD)
    return user


def _admin(world: World) -> Any:
    from civicflow.app import SYSTEM

    return SYSTEM


# -- errors ------------------------------------------------------------------------------------


def test_a_wrong_password_shows_no_empty_where_line(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"email": sqlite_world.emails["viewer"], "password": "wrong" * 4, "csrf_token": token},
    )
    assert r.status_code == 401
    box = r.text[r.text.index('class="govuk-error-summary"') :]
    box = box[: box.index("</dl>")]
    assert ">Where</dt>" not in box
    assert "row ," not in box and "line " not in box
    assert ">Fix</dt>" in box


def test_an_error_with_a_field_names_only_the_field(sqlite_world: World) -> None:
    client, token = _client(sqlite_world, "global_admin")
    r = client.post(
        "/account/tokens",
        data={"name": "t", "scope": ["workspace:read"], "expires_days": "8", "csrf_token": token},
    )
    assert r.status_code == 422
    assert re.search(r">Where</dt><dd[^>]*>field &#39;expires_days&#39;</dd>", r.text)


# -- confirmations of saves --------------------------------------------------------------------


def test_saving_a_programme_item_is_confirmed_once(sqlite_world: World) -> None:
    client, token = _client(sqlite_world, "service_owner")
    base = f"/w/{sqlite_world.workspace_id}/programme/risks"
    data = {
        "title": "Backlog grows",
        "likelihood": "3",
        "impact": "4",
        "owner": "Ops",
        "csrf_token": token,
    }
    form = client.get(f"{base}/new").text
    for select in re.findall(
        r'<select[^>]*id="f-(\w+)" name="\1"[^>]*>\s*<option value="(\w+)"', form
    ):
        data.setdefault(select[0], select[1])
    r = client.post(base, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[-1500:]
    listed = client.get(base).text
    assert _flashes(listed) == ["Risk 'Backlog grows' created."]
    assert _flashes(client.get(base).text) == []  # shown once


def test_people_and_tokens_confirm_their_changes(sqlite_world: World) -> None:
    client, token = _client(sqlite_world, "global_admin")
    r = client.post(
        "/admin/users",
        data={"email": "newcomer@example.org", "display_name": "New Comer", "csrf_token": token},
    )
    assert r.status_code == 200 and r.url.path == "/admin/users"
    assert _flashes(r.text) == ["Account for New Comer (newcomer@example.org) created."]
    user_id = re.search(r'id="user-(usr_\w+)">\s*<th scope="row"[^>]*>New Comer', r.text)
    assert user_id is not None
    r = client.post(
        f"/admin/users/{user_id.group(1)}/roles",
        data={"workspace_id": sqlite_world.workspace_id, "role": "viewer", "csrf_token": token},
    )
    assert _flashes(r.text) == ["New Comer is now Viewer in 'permits'."]

    r = client.post(
        "/account/tokens",
        data={"name": "nightly", "scope": ["workspace:read"], "expires_days": "30",
              "csrf_token": token},
    )  # fmt: skip
    assert r.status_code == 201
    assert _flashes(r.text) == ["API token 'nightly' created: copy it now, it is shown only once."]
    token_id = re.search(r"/account/tokens/([\w-]+)/revoke", r.text)
    assert token_id is not None
    r = client.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf_token": token})
    assert _flashes(r.text) == ["API token 'nightly' revoked."]


# -- datasets: upload with a time zone, confirmations, deletion -----------------------------

# An export in local office time (Amsterdam): winter (UTC+1) and summer (UTC+2) dates, in a
# day-first format that detection would not choose on its own.
LOCAL_CSV = (
    "case;activity;time\n"
    "c1;Submit;01-03-2024 09:00\n"
    "c1;Decide;01-07-2024 09:30\n"
    "c2;Submit;31-10-2024 23:15\n"
)
EXPECTED_UTC = [
    datetime(2024, 3, 1, 8, 0, tzinfo=UTC),
    datetime(2024, 7, 1, 7, 30, tzinfo=UTC),
    datetime(2024, 10, 31, 22, 15, tzinfo=UTC),
]


def _upload(client: TestClient, world: World, token: str, body: str, filename: str) -> str:
    r = client.post(
        f"/w/{world.workspace_id}/datasets/upload?filename={filename}",
        content=body.encode(),
        headers={"X-CSRF-Token": token, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text[-1500:]
    assert 'id="m-timezone"' in r.text and 'id="m-timestamp_format"' in r.text
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text)
    assert upload_id is not None
    return upload_id.group(1)


def _ingest(client: TestClient, world: World, token: str, name: str, **extra: str) -> Any:
    upload_id = _upload(client, world, token, LOCAL_CSV, f"{name}.csv")
    return client.post(
        f"/w/{world.workspace_id}/datasets",
        data={"upload_id": upload_id, "name": name, "case_id": "case", "activity": "activity",
              "timestamp": "time", "csrf_token": token, **extra},
    )  # fmt: skip


def _timestamps(world: World, name: str) -> list[datetime]:
    from civicflow.app import workspaces

    ws = workspaces.get_workspace(world.ctx, actor=_admin(world), workspace_id=world.workspace_id)
    table = pq.read_table(Path(ws.path) / "datasets" / name / "events.parquet")
    return sorted(table.column("timestamp").to_pylist())


def test_an_upload_in_local_office_time_lands_on_the_right_instants(sqlite_world: World) -> None:
    client, token = _client(sqlite_world, "analyst")
    r = _ingest(
        client, sqlite_world, token, "amsterdam",
        timezone="Europe/Amsterdam", timestamp_format="%d-%m-%Y %H:%M",
    )  # fmt: skip
    assert r.status_code == 200 and r.url.path.endswith("/assessment"), r.text[-1500:]
    assert _flashes(r.text) == [
        "Dataset 'amsterdam' imported: 3 events of 2 cases (times read in Europe/Amsterdam)."
    ]
    assert _timestamps(sqlite_world, "amsterdam") == EXPECTED_UTC


def test_an_unknown_time_zone_comes_back_on_the_form(sqlite_world: World) -> None:
    client, token = _client(sqlite_world, "analyst")
    r = _ingest(client, sqlite_world, token, "nowhere", timezone="Europe/Atlantis",
                timestamp_format="%d-%m-%Y %H:%M")  # fmt: skip
    assert r.status_code == 422
    assert "unknown time zone &#39;Europe/Atlantis&#39;" in r.text
    assert 'value="Europe/Atlantis"' in r.text  # kept for correction


def test_a_dataset_is_deleted_only_after_typing_its_name(sqlite_world: World) -> None:
    analyst, a_token = _client(sqlite_world, "analyst")
    assert _ingest(analyst, sqlite_world, a_token, "doomed", timezone="UTC",
                   timestamp_format="%d-%m-%Y %H:%M").status_code == 200  # fmt: skip
    client, token = _client(sqlite_world, "dpo")
    ws = f"/w/{sqlite_world.workspace_id}"
    listed = client.get(f"{ws}/datasets").text
    # the list offers a link to the question, not a form that deletes
    assert f'href="{ws}/datasets/doomed/delete"' in listed
    assert f'action="{ws}/datasets/doomed/delete"' not in listed

    question = client.get(f"{ws}/datasets/doomed/delete")
    assert question.status_code == 200 and "Delete dataset &#39;doomed&#39;?" in question.text
    assert 'name="confirm_name"' in question.text

    # one click (the old form: only the CSRF token) does not delete
    r = client.post(f"{ws}/datasets/doomed/delete", data={"csrf_token": token})
    assert r.status_code == 200 and 'name="confirm_name"' in r.text
    assert "doomed" in client.get(f"{ws}/datasets").text
    r = client.post(
        f"{ws}/datasets/doomed/delete", data={"csrf_token": token, "confirm_name": "doome"}
    )
    assert r.status_code == 422 and "does not match" in r.text
    assert _timestamps(sqlite_world, "doomed")  # still there

    r = client.post(
        f"{ws}/datasets/doomed/delete",
        data={"csrf_token": token, "confirm_name": "doomed", "reason": "test data"},
    )
    assert r.status_code == 200 and r.url.path == f"{ws}/datasets"
    assert _flashes(r.text) == ["Dataset 'doomed' deleted."]
    assert 'href="/w/' + sqlite_world.workspace_id + '/assessment?dataset=doomed"' not in r.text
    assert client.get(f"{ws}/datasets/doomed/delete").status_code == 404


def test_a_baseline_frozen_without_javascript_is_confirmed(sqlite_world: World) -> None:
    client, token = _client(sqlite_world, "analyst")
    assert _ingest(client, sqlite_world, token, "frozen-src", timezone="UTC",
                   timestamp_format="%d-%m-%Y %H:%M").status_code == 200  # fmt: skip
    r = client.post(
        f"/w/{sqlite_world.workspace_id}/baselines?dataset=frozen-src",
        data={"baseline_name": "before-ux", "csrf_token": token},
    )
    assert r.status_code == 200 and r.url.path.endswith("/assessment")
    assert _flashes(r.text) == ["Baseline 'before-ux' frozen on 2 cases."]


# -- programme items: delete with confirmation, for every kind ------------------------------


def _create(world: World, slug: str) -> Any:
    from civicflow.app import SYSTEM, programme

    # consultations have no page of their own (a stakeholder's): made through the app only
    kind = programme.CONSULTATIONS if slug == "consultations" else KINDS[slug].app
    values: dict[str, Any] = {
        "objectives": {"title": "Halve it", "kpi": "throughput_median_days",
                       "baseline_name": "b", "baseline_value": 10, "target_value": 5,
                       "direction": "decrease", "due_date": "2027-12-31"},
        "stakeholders": {"name": "Residents", "kind": "citizen", "interest": 3, "influence": 2},
        "communications": {"title": "Letter", "audience": "applicants", "channel": "letter",
                           "planned_date": "2027-01-01", "message": "We change."},
        "budget": {"title": "Licences", "category": "software", "amount": 100,
                   "currency": "EUR", "recurrence": "one_off", "start_date": "2027-01-01"},
        "risks": {"title": "Delay", "likelihood": 2, "impact": 3, "owner": "Ops"},
        "pilots": {"title": "Small pilot", "scope": "one office", "start_date": "2027-01-01",
                   "end_date": "2027-03-01", "success_criteria": [
                       {"kpi": "throughput_median_days", "target": 5, "direction": "decrease"}]},
        "decisions": {"title": "Go", "decision": "we go", "decided_on": "2027-01-01",
                      "decided_by": "board"},
        "training": {"role": "assessor", "course": "E-forms", "start_date": "2027-01-04",
                     "end_date": "2027-01-08", "cost": 900, "currency": "EUR"},
    }.get(slug, {})  # fmt: skip
    if slug == "consultations":
        parent = _create(world, "stakeholders")
        values = {"stakeholder_id": parent.id, "held_on": "2027-01-01", "summary": "They said."}
    data = programme.parse(kind.create_model, values, label=kind.label)
    return kind.create(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, data=data)


@pytest.mark.parametrize("slug", sorted(KINDS))
def test_every_programme_kind_is_deleted_after_a_confirmation(
    sqlite_world: World, slug: str
) -> None:
    from civicflow.app import SYSTEM, audit

    item = _create(sqlite_world, slug)
    kind = KINDS[slug]
    base = f"/w/{sqlite_world.workspace_id}/programme/{slug}"
    viewer, v_token = _client(sqlite_world, "viewer")
    assert viewer.get(f"{base}/{item.id}/delete").status_code == 403
    assert viewer.post(f"{base}/{item.id}/delete",
                       data={"csrf_token": v_token, "confirm": "yes"}).status_code == 403  # fmt: skip

    client, token = _client(sqlite_world, "service_owner")
    assert f'href="{base}/{item.id}/delete"' in client.get(base).text
    question = client.get(f"{base}/{item.id}/delete")
    assert question.status_code == 200 and f"Delete {kind.singular}" in question.text
    # a POST without the confirmation's answer is the question again; nothing is deleted
    r = client.post(f"{base}/{item.id}/delete", data={"csrf_token": token})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text
    assert kind.app.get(sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
                        item_id=item.id).id == item.id  # fmt: skip

    r = client.post(
        f"{base}/{item.id}/delete",
        data={"csrf_token": token, "confirm": "yes", "reason": "entered twice"},
    )
    assert r.status_code == 200 and r.url.path == base
    assert len(_flashes(r.text)) == 1 and _flashes(r.text)[0].endswith("deleted.")
    assert client.get(f"{base}/{item.id}/delete").status_code == 404
    [entry] = audit.history(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
        object_type=kind.app.name, object_id=item.id,
    )[-1:]  # fmt: skip
    assert (entry.action, entry.reason, entry.after_digest) == (
        f"{kind.app.name}.delete",
        "entered twice",
        None,
    )


def test_a_stakeholder_with_consultations_is_not_deleted(sqlite_world: World) -> None:
    from civicflow.app import SYSTEM, audit

    consultation = _create(sqlite_world, "consultations")
    client, token = _client(sqlite_world, "service_owner")
    url = (
        f"/w/{sqlite_world.workspace_id}/programme/stakeholders/"
        f"{consultation.stakeholder_id}/delete"
    )
    r = client.post(url, data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 409 and "still has 1 consultation(s)" in r.text
    assert audit.verify(sqlite_world.ctx, actor=SYSTEM).ok


# -- navigation on every page -----------------------------------------------------------------


def test_every_page_keeps_the_workspace_navigation(sqlite_world: World) -> None:
    from civicflow.web import PUBLIC, iter_routes

    client, _token = _client(sqlite_world, "global_admin")
    ws = f"/w/{sqlite_world.workspace_id}"
    nav = f'href="{ws}/datasets"'
    assert nav not in client.get("/admin/users").text  # no workspace seen yet: none to keep
    assert nav in client.get(ws).text
    item = _create(sqlite_world, "risks")
    values = {"workspace_id": sqlite_world.workspace_id, "kind": "risks", "item_id": item.id,
              "entry_index": "0", "tab": "map"}  # fmt: skip
    app = client.app
    # the citizen's pages (the algorithm register, the eligibility check, the assistant) are the
    # same for everyone: no workspace navigation
    public = {
        info.path
        for info in iter_routes(app.routes)  # type: ignore[attr-defined]
        if info.path.startswith(("/register", "/eligibility", "/ask"))
        and info.declaration.permission == PUBLIC
    }
    pages = [path for path in page_paths(app) if path not in public]
    assert {"/admin/users", "/account/tokens", "/"} <= set(pages)
    checked = []
    for path in [*pages, f"{ws}/programme/no-such-kind", "/w/ws_missing"]:
        # a parameter of a page added later (a case, a model): an unknown one, a 404 page
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "unknown"), path)
        r = client.get(url)
        assert "text/html" in r.headers["content-type"], url
        assert nav in r.text, f"{url} ({r.status_code}) lost the workspace navigation"
        checked.append(url)
    assert len(checked) >= 12


def test_the_navigation_forgets_a_workspace_the_person_lost(sqlite_world: World) -> None:
    from civicflow.app import SYSTEM, accounts, workspaces

    user = accounts.create_user(
        sqlite_world.ctx, actor=SYSTEM, email="leaver@example.org", display_name="Leaver",
        password=PASSWORD,
    )  # fmt: skip
    other = workspaces.create_workspace(
        sqlite_world.ctx, actor=SYSTEM, name="leaving",
        path=sqlite_world.settings.home / "leaving",
    )  # fmt: skip
    accounts.grant_role(sqlite_world.ctx, actor=SYSTEM, workspace_id=other.id, user_id=user.id,
                        role="viewer")  # fmt: skip
    client = TestClient(make_app(sqlite_world))
    sign_in(client, "leaver@example.org")
    assert f'href="/w/{other.id}/datasets"' in client.get(f"/w/{other.id}").text
    assert f'href="/w/{other.id}/datasets"' in client.get("/account/tokens").text
    accounts.revoke_role(sqlite_world.ctx, actor=SYSTEM, workspace_id=other.id, user_id=user.id)
    sign_in(client, "leaver@example.org")  # a role change ends the session
    assert f'href="/w/{other.id}/datasets"' not in client.get("/account/tokens").text


# -- the ledger page ---------------------------------------------------------------------------


def test_the_ledger_offers_only_proofs_that_exist_and_can_checkpoint(
    sqlite_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicflow.app import SYSTEM, audit

    ws = f"/w/{sqlite_world.workspace_id}"
    monkeypatch.setattr(sqlite_world.ctx.ledger, "checkpoint_every", 10**6)
    item = _create(sqlite_world, "risks")  # an entry no checkpoint covers yet
    [entry] = audit.history(sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id,
                            object_type="risk", object_id=item.id)  # fmt: skip
    client, token = _client(sqlite_world, "auditor")
    page = client.get(f"{ws}/ledger").text
    proof = f'href="{ws}/ledger/{entry.index}/proof"'
    assert proof not in page and "not yet checkpointed" in page
    assert client.get(f"{ws}/ledger/{entry.index}/proof").status_code == 404
    # every link the page offers works
    for link in re.findall(rf'href="({ws}/ledger/\d+/proof)"', page):
        assert client.get(link).status_code == 200, link

    viewer, v_token = _client(sqlite_world, "analyst")
    denied = viewer.post(f"{ws}/ledger/checkpoint", data={"csrf_token": v_token})
    assert denied.status_code == 403
    r = client.post(f"{ws}/ledger/checkpoint", data={"csrf_token": token})
    assert r.status_code == 200 and r.url.path == f"{ws}/ledger"
    [notice] = _flashes(r.text)
    assert notice.startswith("Checkpoint ") and "(unsigned)" in notice
    assert proof in r.text and "ledger.checkpoint" in r.text
    shown = client.get(f"{ws}/ledger/{entry.index}/proof")
    assert shown.status_code == 200 and "The proof checks out" in shown.text
    [recorded] = audit.list_entries(sqlite_world.ctx, actor=SYSTEM,
                                    workspace_id=sqlite_world.workspace_id, limit=1)  # fmt: skip
    assert (recorded.action, recorded.role) == ("ledger.checkpoint", "auditor")
    latest = audit.latest_checkpoint(sqlite_world.ctx, actor=SYSTEM)
    assert latest is not None and latest.tree_size == recorded.index + 1
    assert audit.verify(sqlite_world.ctx, actor=SYSTEM).ok


def test_verification_shows_each_note_once(sqlite_world: World) -> None:
    from civicflow.app import SYSTEM, audit

    report = audit.verify(sqlite_world.ctx, actor=SYSTEM)
    assert report.notes
    client, _ = _client(sqlite_world, "auditor")
    page = html.unescape(client.get(f"/w/{sqlite_world.workspace_id}/ledger/verify").text)
    for note in report.notes:
        assert page.count(note) == 1, note
