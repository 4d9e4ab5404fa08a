"""The checks the planning configs make, said once so every config refuses alike."""

from __future__ import annotations

from datetime import datetime

from civicflow.core import ConfigurationError, Location


def check_at_least(owner: str, **values: tuple[int | None, int]) -> None:
    """Refuse ``name=(value, lowest)`` when the value is set and below its lowest."""
    for name, (value, low) in values.items():
        if value is not None and value < low:
            raise ConfigurationError(
                f"{owner}.{name} is out of range",
                where=Location(field=name),
                found=str(value),
                expected=f"at least {low}",
                fix=f"pass {name}={low} or more",
            )


def check_period(start: datetime | None, end: datetime | None, *, what: str) -> None:
    """Refuse a period that ends before (or when) it starts, or a naive end point."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise ConfigurationError(
                f"the {what}'s {name} has no time zone",
                where=Location(field=name),
                found=value.isoformat(),
                expected="an aware datetime",
                fix="pass e.g. datetime(2025, 1, 6, tzinfo=UTC)",
            )
    if start is not None and end is not None and end <= start:
        raise ConfigurationError(
            f"the {what} ends before it starts",
            where=Location(field="end"),
            found=f"{start.isoformat()} .. {end.isoformat()}",
            expected="end after start",
            fix="swap or correct the dates",
        )
