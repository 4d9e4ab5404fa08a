"""Security headers, CSRF tokens, login throttling and the client address behind trusted proxies."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from civicflow.core import ip_networks

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# No inline script anywhere: all JavaScript is in static files, so 'self' is enough. Vega renders
# with its own expression interpreter (no eval), and styles come from our static CSS; the only
# inline styles are the ones the process-map SVG and Vega set on elements they create.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (pure ASGI: streaming stays streaming)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's synchroniser token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def csrf_matches(session: MutableMapping[str, Any], presented: str | None) -> bool:
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


class LoginThrottle:
    """Sliding-window limit on failed sign-ins per client address.

    The app layer throttles per account; this one stops a single address from spraying many accounts.
    """

    def __init__(self, *, attempts: int, window_seconds: int) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def is_blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.attempts

    def record_failure(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class RateLimit(LoginThrottle):
    """Requests per client on the public endpoints (the citizen assistant): the sign-in throttle's
    sliding window, counting every request rather than failures. Clients idle for a whole window
    are forgotten once many are tracked, so a flood of addresses cannot grow it without bound."""

    MAX_CLIENTS = 10_000

    def allow(self, key: str) -> bool:
        """Count a request from ``key``; ``False`` (and not counted) once it is over the limit."""
        with self._lock:
            now = time.monotonic()
            times = self._recent(key, now)
            if len(times) >= self.attempts:
                return False
            times.append(now)
            if len(self._failures) > self.MAX_CLIENTS:
                for k in [
                    k for k, t in self._failures.items() if not t or now - t[-1] > self.window
                ]:
                    del self._failures[k]
            return True


def proxy_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The trusted proxies as networks (a bare address is a network of one)."""
    return ip_networks(proxies, field="trusted_proxies")


def _host(value: str) -> str:
    """The address in one X-Forwarded-For or Forwarded ``for=`` item, without its port."""
    value = value.strip().strip('"')
    if value.startswith("["):  # [2001:db8::1]:4711
        return value[1:].partition("]")[0]
    if value.count(":") == 1:  # 192.0.2.1:4711
        return value.partition(":")[0]
    return value


def _forwarded_chain(headers: list[tuple[bytes, bytes]]) -> list[str]:
    """The client addresses proxies wrote, first hop first: X-Forwarded-For when present, else the
    ``for=`` of RFC 7239 Forwarded."""
    xff = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
    if xff:
        return [_host(item) for item in ",".join(xff).split(",") if item.strip()]
    chain = []
    for k, v in headers:
        if k != b"forwarded":
            continue
        for element in v.decode("latin-1").split(","):
            for pair in element.split(";"):
                name, _, value = pair.partition("=")
                if name.strip().lower() == "for" and value.strip():
                    chain.append(_host(value))
    return chain


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(
    peer: str | None, headers: list[tuple[bytes, bytes]], trusted: tuple[Network, ...]
) -> str:
    """The client's address for throttling and the sign-in record.

    The peer of the connection, unless it is a trusted proxy: then the forwarded chain is read
    from its end (the hop nearest to us) and the first address that is not itself a trusted proxy
    is the client. From an untrusted peer the headers are ignored: anyone can write them.
    """
    address = peer or "unknown"
    if not trusted or not _trusted(address, trusted):
        return address
    for hop in reversed(_forwarded_chain(headers)):
        address = hop
        if not _trusted(hop, trusted):
            break
    return address[:64]
