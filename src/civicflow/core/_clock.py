"""One source of 'now', so tests can freeze time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from civicflow.core._errors import ConfigurationError, Location

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return _now()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); ``None`` restores the system clock."""
    global _now
    _now = now if now is not None else (lambda: datetime.now(UTC))


def check_timezone(
    name: str, *, field: str | None = None, fix: str = "pass --timezone with an IANA zone name"
) -> ZoneInfo:
    """The IANA time zone called ``name``, or a :class:`ConfigurationError` saying so."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"unknown time zone '{name}'",
            where=None if field is None else Location(field=field),
            found=name,
            expected="an IANA zone name such as 'UTC', 'Europe/Amsterdam', 'America/New_York'",
            fix=fix,
        ) from exc
