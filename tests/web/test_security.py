"""Security properties a reviewer would check by hand: headers, cookies, CSRF, throttling,
redirects, escaping, uploads, API tokens."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicflow.web._upload import sniff

from .conftest import PASSWORD, World, csrf_of, make_app, sign_in


def test_security_headers_on_pages_errors_and_static(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    for path in ("/login", "/no-such-page", "/static/civicflow.js", "/api/v1/me"):
        r = client.get(path)
        csp = r.headers.get("content-security-policy", "")
        assert (
            "script-src 'self'" in csp
            and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        ), path
        assert "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/boom", "/api/v1/boom"])
def test_server_errors_carry_the_security_headers(sqlite_world: World, path: str) -> None:
    """A crash renders the 500 page (HTML or JSON) inside the security middleware."""
    from civicflow.web import public

    app = make_app(sqlite_world)

    @app.get(path, dependencies=[public()])
    def boom() -> None:
        raise RuntimeError("a bug")

    r = TestClient(app, raise_server_exceptions=False).get(path)
    assert r.status_code == 500
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")
    assert r.headers.get("x-frame-options") == "DENY"
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert "a bug" not in r.text
    if path.startswith("/api/"):
        assert r.json() == {"error": "Something went wrong on our side"}
    else:
        assert "Something went wrong on our side" in r.text


def test_pages_have_no_inline_script(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    sign_in(client, sqlite_world.emails["admin"])
    ws = f"/w/{sqlite_world.workspace_id}"
    for path in (
        "/",
        ws,
        f"{ws}/datasets",
        f"{ws}/assessment",
        f"{ws}/programme/risks/new",
        f"{ws}/ledger",
    ):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert " src=" in tag, f"inline script on {path}: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"event-handler attribute on {path}"


def test_session_cookie_flags(sqlite_world: World) -> None:
    from civicflow.web import WebConfig, create_app

    secure = create_app(
        settings=sqlite_world.settings, app_context=sqlite_world.ctx, web=WebConfig()
    )
    client = TestClient(secure, base_url="https://testserver")
    r = client.get("/login")
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    assert cookies, "the sign-in page starts a session (it holds the CSRF token)"
    flags = cookies[0].lower()
    assert "httponly" in flags and "secure" in flags and "samesite=lax" in flags


def test_state_change_without_csrf_token_is_refused(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    sign_in(client, sqlite_world.emails["service_owner"])
    ws = f"/w/{sqlite_world.workspace_id}"
    data = {
        "title": "CSRF probe",
        "likelihood": "2",
        "impact": "2",
        "owner": "x",
        "status": "open",
    }
    r = client.post(f"{ws}/programme/risks", data=data, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(
        f"{ws}/programme/risks", data={**data, "csrf_token": "forged"}, follow_redirects=False
    )
    assert r.status_code == 403
    assert "CSRF probe" not in client.get(f"{ws}/programme/risks").text
    token = csrf_of(client, "/")
    r = client.post(
        f"{ws}/programme/risks", data={**data, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "CSRF probe" in client.get(f"{ws}/programme/risks").text


def test_login_throttled_after_repeated_failures(tmp_path: Path) -> None:
    from .conftest import make_world

    world = make_world(tmp_path, None)
    try:
        client = TestClient(make_app(world, login_attempts=3))
        token = csrf_of(client)
        for _ in range(3):
            r = client.post(
                "/login",
                data={"email": world.emails["viewer"], "password": "wrong", "csrf_token": token},
            )
            assert r.status_code == 401
        # now even the right password is refused until the window passes
        r = client.post(
            "/login",
            data={"email": world.emails["viewer"], "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 429
        assert "Too many failed sign-in attempts" in r.text
    finally:
        world.ctx.close()


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(sqlite_world: World, target: str) -> None:
    client = TestClient(make_app(sqlite_world))
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={
            "email": sqlite_world.emails["viewer"],
            "password": PASSWORD,
            "csrf_token": token,
            "next": target,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_user_text_is_escaped(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["service_owner"])
    ws = f"/w/{sqlite_world.workspace_id}"
    evil = '<script>alert("x")</script>'
    client.post(
        f"{ws}/programme/stakeholders",
        data={
            "csrf_token": token,
            "name": evil,
            "kind": "citizen",
            "interest": "3",
            "influence": "2",
        },
    )
    page = client.get(f"{ws}/programme/stakeholders").text
    assert evil not in page and "&lt;script&gt;" in page


def test_upload_over_the_limit_is_stopped_and_leaves_nothing(sqlite_world: World) -> None:
    from civicflow.core import Settings

    settings = Settings(**{**sqlite_world.settings.model_dump(), "max_upload_bytes": 1000})
    from civicflow.web import WebConfig, create_app

    app = create_app(
        settings=settings, app_context=sqlite_world.ctx, web=WebConfig(secure_cookies=False)
    )
    client = TestClient(app)
    token = sign_in(client, sqlite_world.emails["analyst"])
    sent = []

    def body():
        for _ in range(100):
            sent.append(1)
            yield b"case,activity,time\n" * 10

    r = client.post(
        f"/w/{sqlite_world.workspace_id}/datasets/upload?filename=big.csv",
        content=body(),
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 422
    assert "larger than this server accepts" in r.text and "1,000 bytes" in r.text
    uploads = Path(settings.home) / "uploads" / sqlite_world.workspace_id
    assert not uploads.exists() or not any(uploads.iterdir())


def test_upload_of_a_non_log_is_refused(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    r = client.post(
        f"/w/{sqlite_world.workspace_id}/datasets/upload?filename=log.csv",
        content=png,
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 422
    assert "not an event log civicflow can read" in r.text


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PAR1\x15\x04", "parquet"),
        (b"SQLite format 3\x00rest", "ocel.sqlite"),
        (b'\xef\xbb\xbf<?xml version="1.0"?><log>', "xes"),
        (b'{"objectTypes": [], "events": []}', "ocel.json"),
        (b"case;activity;time\n1;a;2024-01-01\n", "csv"),
        (gzip.compress(b"<?xml version='1.0'?><log xes.version='1.0'></log>", mtime=0), "xes.gz"),
        (gzip.compress(b"case,activity\n1,a\n", mtime=0), "csv.gz"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None),
        (b"\x00\x01\x02\x03binary", None),
    ],
)
def test_sniffing_by_content(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_api_tokens_scope_and_revocation(sqlite_world: World) -> None:
    from civicflow.app import SYSTEM, accounts

    client = TestClient(make_app(sqlite_world))
    ws = sqlite_world.workspace_id
    body = {
        "title": "From the API",
        "kpi": "throughput_median_days",
        "baseline_name": "b0",
        "baseline_value": 40,
        "target_value": 20,
        "direction": "decrease",
        "due_date": "2027-06-30",
    }
    read_only, read_id = _token(sqlite_world, "service_owner", ["workspace:read"])
    writer, _ = _token(sqlite_world, "service_owner", ["workspace:read", "programme:write"])

    assert client.get(f"/api/v1/workspaces/{ws}/objectives").status_code == 401
    auth = {"Authorization": f"Bearer {read_only}"}
    assert client.get(f"/api/v1/workspaces/{ws}/objectives", headers=auth).status_code == 200
    # the owner may write programme items, but this token's scope does not include it
    assert (
        client.post(f"/api/v1/workspaces/{ws}/objectives", json=body, headers=auth).status_code
        == 403
    )
    r = client.post(
        f"/api/v1/workspaces/{ws}/objectives",
        json=body,
        headers={"Authorization": f"Bearer {writer}"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "From the API"
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer cf_nonsense"}).status_code == 401
    )

    owner = next(
        u
        for u in accounts.list_users(sqlite_world.ctx, actor=SYSTEM)
        if u.email == sqlite_world.emails["service_owner"]
    )
    accounts.revoke_api_token(
        sqlite_world.ctx, actor=accounts.get_actor(sqlite_world.ctx, owner.id), token_id=read_id
    )
    assert client.get(f"/api/v1/workspaces/{ws}/objectives", headers=auth).status_code == 401


def _token(world: World, role: str, scopes: list[str]) -> tuple[str, str]:
    from civicflow.app import SYSTEM, accounts
    from civicflow.core import utcnow

    user = next(
        u for u in accounts.list_users(world.ctx, actor=SYSTEM) if u.email == world.emails[role]
    )
    actor = accounts.get_actor(world.ctx, user.id)
    plaintext, token = accounts.create_api_token(
        world.ctx, actor=actor, name="test", scopes=scopes, expires_at=utcnow() + timedelta(days=1)
    )
    return plaintext, token.id


def test_abandoned_uploads_are_removed_after_a_day(sqlite_world: World) -> None:
    import os
    import time

    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    url = f"/w/{sqlite_world.workspace_id}/datasets/upload?filename=a.csv"
    body = b"case,activity,time\n1,a,2024-01-01T00:00:00\n"
    first = re.search(
        r'name="upload_id" value="([^"]+)"',
        client.post(url, content=body, headers={"X-CSRF-Token": token}).text,
    ).group(1)
    folder = Path(sqlite_world.settings.home) / "uploads" / sqlite_world.workspace_id / first
    assert folder.is_dir()
    two_days_ago = time.time() - 2 * 86400
    os.utime(folder, (two_days_ago, two_days_ago))
    client.post(url, content=body, headers={"X-CSRF-Token": token})
    assert not folder.exists()
