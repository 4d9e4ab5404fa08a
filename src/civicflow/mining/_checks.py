"""The checks an analysis config makes of its limits, said once so every config refuses alike."""

from __future__ import annotations

from civicflow.core import ConfigurationError


def check_limit(name: str, value: int | None, *, of: str, fix: str) -> None:
    """Refuse a limit on how many ``of`` to keep below 1 (None keeps all)."""
    if value is not None and value < 1:
        raise ConfigurationError(
            f"{name} must be at least 1",
            found=str(value),
            expected=f"a positive number of {of}, or None for all",
            fix=fix,
        )


def check_share(name: str, value: float, *, zero: bool, note: str = "", fix: str) -> None:
    """Refuse a share outside [0, 1] (outside (0, 1] when ``zero`` is not allowed)."""
    if (0.0 <= value <= 1.0) if zero else (0.0 < value <= 1.0):
        return
    raise ConfigurationError(
        f"{name} must be a share " + ("between 0 and 1" if zero else "above 0 and at most 1"),
        found=str(value),
        expected=f"{'0 <=' if zero else '0 <'} {name} <= 1{note}",
        fix=fix,
    )
