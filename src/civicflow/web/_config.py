"""Web-only settings: cookies, throttling, OpenID Connect. Application settings stay in ``core``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from civicflow.core import ConfigurationError, Location

SESSION_IDLE_SECONDS = 30 * 60


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
    # a session ends this long after sign-in, or after this long without a request
    session_max_age_seconds: int = 8 * 3600
    session_idle_seconds: int = SESSION_IDLE_SECONDS
    # login throttling per client address (the app layer throttles per account as well)
    login_attempts: int = 5
    login_window_seconds: int = 300
    # reverse proxies (addresses or networks) whose X-Forwarded-For / Forwarded headers name the
    # client; from anyone else those headers are ignored, or any client could claim any address
    trusted_proxies: tuple[str, ...] = ()
    oidc: OidcConfig | None = None
    upload_chunk_bytes: int = 1024 * 1024
    analysis_cache_entries: int = 256

    def __post_init__(self) -> None:
        from civicflow.web._security import proxy_networks

        proxy_networks(self.trusted_proxies)  # refuses a value that is no address
        for name in ("session_max_age_seconds", "session_idle_seconds"):
            if getattr(self, name) < 60:
                raise ConfigurationError(
                    f"{name} is too short",
                    where=Location(field=name),
                    found=str(getattr(self, name)),
                    expected="at least 60 seconds",
                )

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
        idle = env.get("CIVICFLOW_WEB_SESSION_IDLE_SECONDS", "").strip()
        if idle and not idle.isdigit():
            raise ConfigurationError(
                "CIVICFLOW_WEB_SESSION_IDLE_SECONDS is not a number of seconds",
                where=Location(field="CIVICFLOW_WEB_SESSION_IDLE_SECONDS"),
                found=idle,
                expected="a whole number of seconds, e.g. 1800 for half an hour",
            )
        proxies = env.get("CIVICFLOW_WEB_TRUSTED_PROXIES", "")
        return cls(
            secure_cookies=env.get("CIVICFLOW_WEB_INSECURE_COOKIES", "")
            not in {"1", "true", "yes"},
            session_idle_seconds=int(idle) if idle else SESSION_IDLE_SECONDS,
            trusted_proxies=tuple(p.strip() for p in proxies.split(",") if p.strip()),
            oidc=oidc,
        )
