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


# -- sessions end on the server ----------------------------------------------------------------

COOKIE = "civicflow_session"


def _person(world: World, name: str, role: str | None = "viewer") -> str:
    """A fresh account (tests here end its sessions, erase it, change its password)."""
    import uuid

    from civicflow.app import SYSTEM, accounts

    email = f"{name}-{uuid.uuid4().hex[:8]}@example.org"
    user = accounts.create_user(
        world.ctx, actor=SYSTEM, email=email, display_name=name, password=PASSWORD
    )
    if role is not None:
        accounts.grant_role(
            world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, user_id=user.id, role=role
        )
    return email


def _replay(app, cookie: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """What a stolen copy of the cookie gets: the API's status, and the workbench page's."""
    thief = TestClient(app)
    thief.cookies.set(COOKIE, cookie)
    api = thief.get("/api/v1/me").status_code
    page = thief.get("/", follow_redirects=False)
    assert page.status_code != 303 or page.headers["location"].startswith("/login")
    return api, page.status_code


def _captured(app, world: World, email: str) -> tuple[TestClient, str, str]:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    csrf = sign_in(client, email)
    cookie = client.cookies[COOKIE]
    assert _replay(app, cookie) == (200, 200)  # the copy works while the session lasts
    return client, csrf, cookie


def _user_id(world: World, email: str) -> str:
    from civicflow.app import SYSTEM, accounts

    return next(u.id for u in accounts.list_users(world.ctx, actor=SYSTEM) if u.email == email)


def test_a_captured_cookie_is_dead_after_sign_out(sqlite_world: World) -> None:
    app = make_app(sqlite_world)
    client, csrf, cookie = _captured(app, sqlite_world, _person(sqlite_world, "leaver"))
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert _replay(app, cookie) == (401, 303)


def _password(world: World, user_id: str) -> None:
    from civicflow.app import SYSTEM, accounts

    accounts.set_password(world.ctx, actor=SYSTEM, user_id=user_id, password="a new passphrase!")


def _role(world: World, user_id: str) -> None:
    from civicflow.app import SYSTEM, accounts

    accounts.grant_role(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, user_id=user_id, role="auditor"
    )


def _erasure(world: World, user_id: str) -> None:
    from civicflow.app import SYSTEM, accounts

    accounts.erase_user(world.ctx, actor=SYSTEM, user_id=user_id)


@pytest.mark.parametrize("change", [_password, _role, _erasure], ids=lambda f: f.__name__[1:])
def test_a_captured_cookie_is_dead_after_an_account_change(sqlite_world: World, change) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_world)
    email = _person(sqlite_world, "victim")
    _client, _csrf, cookie = _captured(app, sqlite_world, email)
    change(sqlite_world, _user_id(sqlite_world, email))
    assert _replay(app, cookie) == (401, 303)


def test_an_admin_signs_someone_out_everywhere(sqlite_world: World) -> None:
    from civicflow.app import SYSTEM, audit

    app = make_app(sqlite_world)
    email = _person(sqlite_world, "lost-laptop")
    _laptop, _, laptop = _captured(app, sqlite_world, email)
    _phone, _, phone = _captured(app, sqlite_world, email)
    admin = TestClient(app)
    csrf = sign_in(admin, sqlite_world.emails["global_admin"])
    user_id = _user_id(sqlite_world, email)
    page = admin.get("/admin/users").text
    assert f'action="/admin/users/{user_id}/sign-out"' in page
    forged = admin.post(f"/admin/users/{user_id}/sign-out", follow_redirects=False)
    assert forged.status_code == 403 and _replay(app, laptop) == (200, 200)
    done = admin.post(
        f"/admin/users/{user_id}/sign-out", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/admin/users#user-{user_id}"
    assert _replay(app, laptop) == (401, 303) and _replay(app, phone) == (401, 303)
    assert admin.get("/api/v1/me").status_code == 200  # the admin's own session goes on
    entry = audit.list_entries(sqlite_world.ctx, actor=SYSTEM, limit=1)[0]
    assert entry.action == "user.sign_out_everywhere"


def test_a_session_ends_after_the_idle_timeout(sqlite_world: World) -> None:
    from civicflow.core import set_clock, utcnow

    app = make_app(sqlite_world, session_idle_seconds=600)
    client, _, cookie = _captured(app, sqlite_world, _person(sqlite_world, "idler"))
    start = utcnow()
    try:
        set_clock(lambda: start + timedelta(minutes=9))
        assert client.get("/api/v1/me").status_code == 200  # a request keeps it alive
        set_clock(lambda: start + timedelta(minutes=18))
        assert client.get("/api/v1/me").status_code == 200
        set_clock(lambda: start + timedelta(minutes=29))  # 11 minutes without a request
        assert _replay(app, cookie) == (401, 303)
        assert client.get("/api/v1/me").status_code == 401
    finally:
        set_clock(None)


def test_the_cookie_names_no_one(sqlite_world: World) -> None:
    import base64
    import json

    client = TestClient(make_app(sqlite_world))
    sign_in(client, sqlite_world.emails["viewer"])
    payload = client.cookies[COOKIE].split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"sid", "csrf"}
    assert _user_id(sqlite_world, sqlite_world.emails["viewer"]) not in json.dumps(data)


# -- throttling and the client address ---------------------------------------------------------


def _as_served(app):  # type: ignore[no-untyped-def]
    """The app behind uvicorn's proxy-header handling, configured the way `civicflow serve`
    configures it (uvicorn's own default believes X-Forwarded-For from any local process)."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from civicflow.cli._serve import proxy_options

    options = proxy_options()
    if not options["proxy_headers"]:
        return app
    return ProxyHeadersMiddleware(app, trusted_hosts=options["forwarded_allow_ips"])


def _fail(client: TestClient, token: str, email: str, forwarded: str, password: str = "wrong"):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": forwarded},
        follow_redirects=False,
    )


def test_rotating_forwarded_for_does_not_escape_the_throttle(
    sqlite_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: 20 guesses from one local client, each with another X-Forwarded-For. Both
    throttles must hold: the account's (the address limit set out of reach here) and the
    address's (each guess at another account)."""
    monkeypatch.delenv("CIVICFLOW_WEB_TRUSTED_PROXIES", raising=False)
    email = _person(sqlite_world, "target")
    app = _as_served(make_app(sqlite_world, login_attempts=1000))
    client = TestClient(app, client=("127.0.0.1", 50000))
    token = csrf_of(client)
    codes = [_fail(client, token, email, f"198.51.100.{i}").status_code for i in range(20)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes
    right = _fail(client, token, email, "198.51.100.99", password=PASSWORD)
    assert right.status_code == 429  # the account waits, whoever claims to be asking

    sprayer = TestClient(_as_served(make_app(sqlite_world)), client=("127.0.0.1", 50001))
    token = csrf_of(sprayer)
    codes = [
        _fail(sprayer, token, f"nobody{i}@example.org", f"203.0.113.{i}").status_code
        for i in range(20)
    ]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes


def _attempt_ips(world: World, email: str) -> list[str]:
    import sqlalchemy as sa

    from civicflow.app._models import LoginAttemptRow

    with world.ctx.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(LoginAttemptRow.ip)
                .where(LoginAttemptRow.email == email)
                .order_by(LoginAttemptRow.id)
            ).scalars()
        )


def test_behind_a_trusted_proxy_the_forwarded_address_counts(sqlite_world: World) -> None:
    app = make_app(sqlite_world, login_attempts=3, trusted_proxies=("10.0.0.0/8",))
    proxy = TestClient(app, client=("10.1.2.3", 443))
    token = csrf_of(proxy)
    for i in range(3):
        assert _fail(proxy, token, f"p{i}@example.org", "203.0.113.5").status_code == 401
    assert _fail(proxy, token, "p3@example.org", "203.0.113.5").status_code == 429
    # another client behind the same proxy is not the one who failed
    assert _fail(proxy, token, "p4@example.org", "203.0.113.6, 10.9.9.9").status_code == 401
    assert _attempt_ips(sqlite_world, "p0@example.org") == ["203.0.113.5"]
    assert _attempt_ips(sqlite_world, "p4@example.org") == ["203.0.113.6"]
    # from anyone but the proxy the header is a claim, not a fact
    direct = TestClient(app, client=("192.0.2.50", 1234))
    token = csrf_of(direct)
    assert _fail(direct, token, "p5@example.org", "203.0.113.7").status_code == 401
    assert _attempt_ips(sqlite_world, "p5@example.org") == ["192.0.2.50"]


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("10.0.0.1", [(b"x-forwarded-for", b"203.0.113.9")], "203.0.113.9"),
        ("10.0.0.1", [(b"x-forwarded-for", b"1.1.1.1, 203.0.113.9, 10.0.0.2")], "203.0.113.9"),
        ("10.0.0.1", [(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"2.2.2.2")], "2.2.2.2"),
        ("10.0.0.1", [(b"forwarded", b'for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"')], "2001:db8::17"),
        ("10.0.0.1", [(b"x-forwarded-for", b"192.0.2.1:5555")], "192.0.2.1"),
        ("10.0.0.1", [], "10.0.0.1"),
        ("192.0.2.99", [(b"x-forwarded-for", b"203.0.113.9")], "192.0.2.99"),
        (None, [(b"x-forwarded-for", b"203.0.113.9")], "unknown"),
    ],
)  # fmt: skip
def test_client_address(peer: str | None, headers: list, expected: str) -> None:  # type: ignore[type-arg]
    from civicflow.web._security import client_address, proxy_networks

    assert client_address(peer, headers, proxy_networks(("10.0.0.0/8",))) == expected
    assert client_address(peer, headers, ()) == (peer or "unknown")


def test_trusted_proxies_must_be_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    from civicflow.cli._serve import proxy_options
    from civicflow.core import ConfigurationError
    from civicflow.web import WebConfig

    with pytest.raises(ConfigurationError, match="not an IP address"):
        WebConfig(trusted_proxies=("proxy.example",))
    monkeypatch.setenv("CIVICFLOW_WEB_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
    assert WebConfig.from_env().trusted_proxies == ("10.0.0.5", "10.1.0.0/16")
    assert proxy_options() == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5,10.1.0.0/16"}
    monkeypatch.setenv("CIVICFLOW_WEB_TRUSTED_PROXIES", "*")
    with pytest.raises(ConfigurationError):
        proxy_options()
    monkeypatch.delenv("CIVICFLOW_WEB_TRUSTED_PROXIES")
    assert proxy_options() == {"proxy_headers": False, "forwarded_allow_ips": None}
