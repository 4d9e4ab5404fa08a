"""The people page (global admins) and one's own API tokens: each form's effect is checked through
the application layer (sign-in, roles, token authentication) and the ledger; CSRF, session-only
token management and the one-time display of a token's plaintext are checked too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from . import test_browser
from .conftest import PASSWORD, World, make_app, sign_in
from .test_browser import Checked

# the browser test's server and Chromium fixtures, shared rather than copied
served = test_browser.served
browser = test_browser.browser

TOKEN = re.compile(r'value="(cf_[A-Za-z0-9_\-]+)"')


@pytest.fixture(scope="module")
def app(sqlite_world: World) -> Any:
    return make_app(sqlite_world)


def _client(app: Any, world: World, who: str) -> tuple[TestClient, str]:
    client = TestClient(app, raise_server_exceptions=True)
    return client, sign_in(client, world.emails[who])


def _user(world: World, email: str) -> Any:
    from civicflow.app import SYSTEM, accounts

    return next((u for u in accounts.list_users(world.ctx, actor=SYSTEM) if u.email == email), None)


def _entries(world: World) -> list[Any]:
    from civicflow.app import SYSTEM, audit

    return audit.list_entries(world.ctx, actor=SYSTEM, limit=500)


def test_admin_creates_a_user_who_can_sign_in(app: Any, sqlite_world: World) -> None:
    from civicflow.app import accounts

    client, csrf = _client(app, sqlite_world, "global_admin")
    listing = client.get("/admin/users")
    assert listing.status_code == 200
    for email in ("viewer@example.org", "analyst@example.org"):
        assert email in listing.text
    assert (
        'aria-current="page"><strong class="govuk-service-navigation__active-fallback">People</strong></a>'
        in listing.text
    )

    form = {"email": "New.Person@example.org", "display_name": "New Person", "password": PASSWORD}
    refused = client.post("/admin/users", data=form, follow_redirects=False)
    assert refused.status_code == 403 and _user(sqlite_world, "new.person@example.org") is None

    made = client.post("/admin/users", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/admin/users"
    user = _user(sqlite_world, "new.person@example.org")
    assert user is not None and user.display_name == "New Person" and not user.is_admin
    actor = accounts.authenticate(
        sqlite_world.ctx, email="new.person@example.org", password=PASSWORD
    )
    assert actor is not None and actor.user_id == user.id
    root = _user(sqlite_world, "root@example.org")
    created = [
        e
        for e in _entries(sqlite_world)
        if e.action == "user.create" and e.object_id == user.pseudonym
    ]
    assert [(e.actor, e.role) for e in created] == [(root.pseudonym, "global_admin")]

    # single sign-on only: no password
    sso = client.post(
        "/admin/users",
        data={
            "email": "sso@example.org",
            "display_name": "SSO",
            "password": "",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert sso.status_code == 303
    assert accounts.authenticate(sqlite_world.ctx, email="sso@example.org", password="") is None

    short = client.post(
        "/admin/users",
        data={"email": "short@example.org", "display_name": "Short", "password": "abc",
              "csrf_token": csrf},
    )  # fmt: skip
    assert short.status_code == 422
    assert "the password is too short" in short.text and 'value="short@example.org"' in short.text
    assert _user(sqlite_world, "short@example.org") is None


def test_admin_grants_and_revokes_a_role(app: Any, sqlite_world: World) -> None:
    from civicflow.app import SYSTEM, Role, accounts

    client, csrf = _client(app, sqlite_world, "global_admin")
    user = accounts.create_user(
        sqlite_world.ctx, actor=SYSTEM, email="grantee@example.org", display_name="Grantee",
        password=PASSWORD,
    )  # fmt: skip
    ws = sqlite_world.workspace_id
    granted = client.post(
        f"/admin/users/{user.id}/roles",
        data={"workspace_id": ws, "role": "auditor", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert granted.status_code == 303
    assert accounts.get_user(sqlite_world.ctx, actor=SYSTEM, user_id=user.id).roles == {
        ws: Role.AUDITOR
    }
    page = client.get("/admin/users").text
    assert "Auditor in permits" in page

    bad = client.post(
        f"/admin/users/{user.id}/roles",
        data={"workspace_id": ws, "role": "overlord", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "is not a role" in bad.text

    revoked = client.post(
        f"/admin/users/{user.id}/roles/revoke",
        data={"workspace_id": ws, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert accounts.get_user(sqlite_world.ctx, actor=SYSTEM, user_id=user.id).roles == {}
    again = client.post(
        f"/admin/users/{user.id}/roles/revoke", data={"workspace_id": ws, "csrf_token": csrf}
    )
    assert again.status_code == 404 and "has no role" in again.text
    actions = [e.action for e in _entries(sqlite_world) if e.object_id == user.pseudonym]
    assert actions.count("role.grant") == 1 and actions.count("role.revoke") == 1


def test_a_workspace_admin_is_not_a_people_admin(app: Any, sqlite_world: World) -> None:
    client, csrf = _client(app, sqlite_world, "admin")
    assert client.get("/admin/users", follow_redirects=False).status_code == 403
    assert "/admin/users" not in client.get("/").text  # no link to a page they cannot open
    made = client.post(
        "/admin/users",
        data={"email": "sneak@example.org", "display_name": "S", "password": PASSWORD,
              "csrf_token": csrf},
    )  # fmt: skip
    assert made.status_code == 403 and _user(sqlite_world, "sneak@example.org") is None


def test_own_api_token_is_shown_once_works_and_revokes(app: Any, sqlite_world: World) -> None:
    from civicflow.app import Permission, accounts

    client, csrf = _client(app, sqlite_world, "analyst")
    empty = client.get("/account/tokens")
    assert empty.status_code == 200 and empty.headers["cache-control"] == "no-store"

    none = client.post(
        "/account/tokens", data={"name": "x", "expires_days": "30", "csrf_token": csrf}
    )
    assert none.status_code == 422 and "at least one scope" in none.text
    forever = client.post(
        "/account/tokens",
        data={"name": "x", "scope": "workspace:read", "expires_days": "99999", "csrf_token": csrf},
    )
    assert forever.status_code == 422 and "choose how long the token lasts" in forever.text

    made = client.post(
        "/account/tokens",
        data={"name": "reporting", "scope": ["workspace:read", "ledger:read"],
              "expires_days": "30", "csrf_token": csrf},
    )  # fmt: skip
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    match = TOKEN.search(made.text)
    assert match, made.text[:2000]
    plaintext = match.group(1)

    actor = accounts.authenticate_token(sqlite_world.ctx, plaintext)
    analyst = _user(sqlite_world, "analyst@example.org")
    assert actor is not None and actor.user_id == analyst.id
    assert actor.scopes == frozenset({Permission.WORKSPACE_READ, Permission.LEDGER_READ})

    listing = client.get("/account/tokens").text
    assert "reporting" in listing and plaintext not in listing  # shown once only

    bearer = TestClient(app)
    me = bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.status_code == 200 and me.json()["user_id"] == analyst.id
    # a token cannot manage tokens: it could mint one with scopes it does not have
    minted = bearer.post(
        "/account/tokens",
        headers={"Authorization": f"Bearer {plaintext}"},
        data={"name": "more", "scope": "dataset:write", "expires_days": "30"},
    )
    assert minted.status_code == 403
    assert [t.name for t in accounts.list_api_tokens(sqlite_world.ctx, actor=actor)] == [
        "reporting"
    ]

    token_id = accounts.list_api_tokens(sqlite_world.ctx, actor=actor)[0].id
    other, other_csrf = _client(app, sqlite_world, "viewer")
    stolen = other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": other_csrf})
    assert stolen.status_code == 403
    assert accounts.authenticate_token(sqlite_world.ctx, plaintext) is not None

    revoked = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert accounts.authenticate_token(sqlite_world.ctx, plaintext) is None
    after = bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert after.status_code == 401
    entries = [e for e in _entries(sqlite_world) if e.object_id == token_id]
    assert sorted(e.action for e in entries) == ["token.create", "token.revoke"]
    assert {e.actor for e in entries} == {analyst.pseudonym}


@pytest.mark.browser
def test_people_and_token_pages_in_the_browser(served: tuple[str, World], browser: Any) -> None:
    """Both pages in Chromium with axe-core (no serious or critical WCAG 2.1 AA violation), driven
    by their labels the way a screen-reader user would."""
    base, world = served
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["global_admin"])
    page.get_by_role("link", name="People", exact=True).click()
    page.wait_for_url(re.compile(r".*/admin/users$"))
    c.axe()
    page.get_by_label("E-mail").fill("clerk@example.org")
    page.get_by_label("Display name").fill("Clerk Kent")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    page.wait_for_selector("text=Clerk Kent")
    row = page.locator("tr", has_text="clerk@example.org")
    row.get_by_label("Role for Clerk Kent").select_option("caseworker")
    row.get_by_role("button", name="Grant a role to Clerk Kent").click()
    page.wait_for_selector("tr:has-text('clerk@example.org') >> text=Caseworker in permits")
    c.axe()

    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url(re.compile(r".*/account/tokens$"))
    c.axe()
    page.get_by_label("Name").fill("weekly figures")
    page.get_by_label("workspace:read").check()
    page.get_by_label("Expires after").select_option("30")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_selector("#new-token")
    assert page.get_by_label("API token").input_value().startswith("cf_")
    c.axe()
    page.get_by_role("button", name="Revoke token weekly figures").click()
    page.wait_for_selector("td:text-is('revoked')")
    assert not c.errors, c.errors
    c.close()
