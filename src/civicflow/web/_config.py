"""Web-only settings: cookies, throttling, OpenID Connect. Application settings stay in ``core``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """An OpenID Connect identity provider (the agency's single sign-on)."""

    issuer: str
    client_id: str
    client_secret: str
    # a label for the sign-in button: "Sign in with <name>"
    name: str = "your organisation"
    scope: str = "openid email profile"
    # tests (and air-gapped set-ups) hand in an httpx transport instead of the network
    transport: Any = None


@dataclass(frozen=True, slots=True)
class WebConfig:
    """How the workbench behaves on the web.

    ``secure_cookies`` must stay on in production; turn it off only for plain-http local use and tests.
    """

    secure_cookies: bool = True
    session_max_age_seconds: int = 8 * 3600
    # login throttling per client address (the app layer throttles per account as well)
    login_attempts: int = 5
    login_window_seconds: int = 300
    oidc: OidcConfig | None = None
    upload_chunk_bytes: int = 1024 * 1024
    analysis_cache_entries: int = 256

    @classmethod
    def from_env(cls) -> WebConfig:
        """Read ``CIVICFLOW_WEB_*`` and ``CIVICFLOW_OIDC_*`` from the environment."""
        env = os.environ
        oidc = None
        if env.get("CIVICFLOW_OIDC_ISSUER"):
            oidc = OidcConfig(
                issuer=env["CIVICFLOW_OIDC_ISSUER"],
                client_id=env.get("CIVICFLOW_OIDC_CLIENT_ID", ""),
                client_secret=env.get("CIVICFLOW_OIDC_CLIENT_SECRET", ""),
                name=env.get("CIVICFLOW_OIDC_NAME", "your organisation"),
            )
        return cls(
            secure_cookies=env.get("CIVICFLOW_WEB_INSECURE_COOKIES", "")
            not in {"1", "true", "yes"},
            oidc=oidc,
        )
