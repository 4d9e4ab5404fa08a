"""Sign-in with OpenID Connect against a small provider living in the test process.

The provider serves discovery, JWKS and the token endpoint through an httpx transport (no
network); it signs id_tokens with RS256 and remembers the nonce the workbench sent, so the
workbench's Authlib client does the real validation: signature, issuer, audience, nonce.
"""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from civicflow.web import OidcConfig

from .conftest import World, make_app

ISSUER = "https://idp.agency.test"
CLIENT_ID = "civicflow"
CLIENT_SECRET = "s3cret"


class Provider:
    """Discovery, JWKS and token endpoints of an identity provider, as an httpx handler."""

    def __init__(self, *, audience: str = CLIENT_ID, issuer: str = ISSUER) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.audience = audience
        self.issuer = issuer
        self.codes: dict[str, dict[str, str]] = {}
        self.claims = {
            "sub": "emp-4711",
            "email": "maria@agency.test",
            "name": "Maria Keller",
            "email_verified": True,
        }

    def authorize(self, url: str) -> str:
        """What the browser would do at the provider: sign in, get redirected back with a code."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params["client_id"] == CLIENT_ID and params["response_type"] == "code"
        code = secrets.token_urlsafe(12)
        self.codes[code] = params
        return f"{params['redirect_uri']}?code={code}&state={params['state']}"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})
        if path == "/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            granted = self.codes.pop(form.get("code", ""), None)
            if granted is None:
                return httpx.Response(400, json={"error": "invalid_grant"})
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "aud": self.audience,
                "iat": now,
                "exp": now + 300,
                "nonce": granted.get("nonce"),
                **self.claims,
            }
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return httpx.Response(
                200,
                json={
                    "access_token": "at",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                },
            )
        return httpx.Response(404, text=json.dumps({"error": "not found"}))


def _app(world: World, provider: Provider):
    oidc = OidcConfig(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        name="Agency SSO",
        transport=httpx.MockTransport(provider),
    )
    return make_app(world, oidc=oidc)


def _sign_in_via_provider(client: TestClient, provider: Provider) -> httpx.Response:
    start = client.get("/login/oidc?next=/", follow_redirects=False)
    assert start.status_code in (302, 303, 307)
    back = provider.authorize(start.headers["location"])
    return client.get(back.replace("http://testserver", ""), follow_redirects=False)


def test_oidc_sign_in_creates_the_account_and_a_session(sqlite_world: World) -> None:
    provider = Provider()
    client = TestClient(_app(sqlite_world, provider))
    assert "Sign in with Agency SSO" in client.get("/login").text
    r = _sign_in_via_provider(client, provider)
    assert r.status_code == 303 and r.headers["location"] == "/"
    me = client.get("/api/v1/me").json()
    assert me["display_name"] == "Maria Keller"
    # people appear by pseudonym only (the ledger never names them)
    assert "maria" not in me["pseudonym"].lower()

    # the second sign-in finds the same account
    client2 = TestClient(_app(sqlite_world, provider))
    _sign_in_via_provider(client2, provider)
    assert client2.get("/api/v1/me").json()["user_id"] == me["user_id"]


@pytest.mark.parametrize("tamper", ["audience", "issuer"])
def test_oidc_rejects_tokens_meant_for_someone_else(sqlite_world: World, tamper: str) -> None:
    provider = Provider(**{tamper: "https://other.test" if tamper == "issuer" else "someone-else"})
    client = TestClient(_app(sqlite_world, provider), raise_server_exceptions=False)
    r = _sign_in_via_provider(client, provider)
    assert r.status_code == 401
    assert "Single sign-on did not complete" in r.text
    assert client.get("/api/v1/me").status_code == 401


def test_oidc_callback_without_the_sessions_state_is_refused(sqlite_world: World) -> None:
    provider = Provider()
    app = _app(sqlite_world, provider)
    victim = TestClient(app)
    attacker = TestClient(app)
    start = attacker.get("/login/oidc", follow_redirects=False)
    back = provider.authorize(start.headers["location"])
    # login CSRF: the attacker's callback URL replayed in the victim's browser
    r = victim.get(back.replace("http://testserver", ""), follow_redirects=False)
    assert r.status_code == 401
    assert victim.get("/api/v1/me").status_code == 401
