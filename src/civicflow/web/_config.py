"""Web-only settings: cookies, throttling, OpenID Connect. Application settings stay in ``core``.

Read from the environment by pydantic-settings like :class:`civicflow.core.Settings`:
``CIVICFLOW_WEB_<FIELD>`` for :class:`WebConfig`, ``CIVICFLOW_OIDC_<FIELD>`` for
:class:`OidcConfig`. Keyword arguments win over the environment:
``WebConfig(secure_cookies=False)`` is what ``civicflow serve --insecure-cookies`` builds.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from civicflow.core import ConfigurationError, ip_networks

OIDC_PREFIX = "CIVICFLOW_OIDC_"


class OidcConfig(BaseSettings):
    """An OpenID Connect identity provider (the agency's single sign-on)."""

    model_config = SettingsConfigDict(env_prefix=OIDC_PREFIX, extra="ignore", frozen=True)

    issuer: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    # a label for the sign-in button: "Sign in with <name>"
    name: str = "your organisation"
    scope: str = "openid email profile"
    # tests (and air-gapped set-ups) hand in an httpx transport instead of the network
    transport: Any = None

    @field_validator("transport")
    @classmethod
    def _set_in_python(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("a transport is an httpx transport set in Python, not a text")
        return value


def _oidc_from_env() -> OidcConfig | None:
    """The provider of ``CIVICFLOW_OIDC_*``, or ``None`` when no issuer is set."""
    if not os.environ.get(f"{OIDC_PREFIX}ISSUER"):
        return None
    try:
        return OidcConfig()  # type: ignore[call-arg]  # the fields come from the environment
    except ValidationError as exc:
        fields = sorted({f"{OIDC_PREFIX}{e['loc'][0]}".upper() for e in exc.errors() if e["loc"]})
        raise ConfigurationError(
            "single sign-on is configured only in part",
            found=f"{OIDC_PREFIX}ISSUER set, " + ", ".join(fields) + " missing or empty",
            expected="the issuer, client id and client secret of the identity provider",
            fix="set " + " and ".join(fields) + ", or unset " + f"{OIDC_PREFIX}ISSUER",
        ) from None


class WebConfig(BaseSettings):
    """How the workbench behaves on the web.

    ``secure_cookies`` must stay on in production; turn it off only for plain-http local use and tests.
    """

    model_config = SettingsConfigDict(env_prefix="CIVICFLOW_WEB_", extra="ignore", frozen=True)

    secure_cookies: bool = True
    # a session ends this long after sign-in, or after this long without a request
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    # login throttling per client address (the app layer throttles per account as well)
    login_attempts: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    # requests per client address to the public assistant (chat page and JSON API) per window
    assistant_requests: int = Field(default=30, ge=1)
    assistant_window_seconds: int = Field(default=60, ge=1)
    # reverse proxies (addresses or networks) whose X-Forwarded-For / Forwarded headers name the
    # client; from anyone else those headers are ignored, or any client could claim any address
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    oidc: OidcConfig | None = Field(default_factory=_oidc_from_env)
    upload_chunk_bytes: int = Field(default=1024 * 1024, ge=1)
    analysis_cache_entries: int = Field(default=256, ge=0)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):  # CIVICFLOW_WEB_TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @model_validator(mode="after")
    def _proxies_are_addresses(self) -> WebConfig:
        ip_networks(self.trusted_proxies, field="trusted_proxies")  # refuses a host name
        return self

    @classmethod
    def from_env(cls) -> WebConfig:
        """The same as ``WebConfig()``: every field from ``CIVICFLOW_WEB_*`` / ``CIVICFLOW_OIDC_*``."""
        return cls()
