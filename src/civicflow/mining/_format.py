"""How numbers read, everywhere (command line, web pages, report, process-map labels): durations
in the unit a person would say, counts with separators, shares as percentages, amounts with their
currency or unit, timestamps to the minute, enum keys as words, and one mark for a value that is
missing."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

MISSING = "—"
"""What every interface shows for a value that is unknown or cannot be measured."""

_UNITS = ((86400.0, "d"), (3600.0, "h"), (60.0, "min"), (1.0, "s"))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_duration(seconds: float | None) -> str:
    """``3.2 d``, ``5.0 h``, ``12.5 min``, ``4 s``, ``120 d``; :data:`MISSING` when unknown."""
    if _missing(seconds):
        return MISSING
    value = float(seconds)  # type: ignore[arg-type]
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, unit in _UNITS:
        if value >= size:
            amount = value / size
            text = f"{amount:,.0f}" if amount >= 100 or unit == "s" else f"{amount:,.1f}"
            return f"{sign}{text} {unit}"
    return "0 s" if value == 0 else f"{sign}{value:.2f} s"


def format_number(value: Any) -> str:
    """Integers with thousands separators, floats with up to two decimals."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, Enum):
        return format_label(value)
    return str(value)


def format_share(value: float | None) -> str:
    """A fraction 0..1 as a percentage: ``42.0 %``."""
    if _missing(value):
        return MISSING
    return f"{100.0 * float(value):.1f} %"  # type: ignore[arg-type]


def format_decimal(value: float | None, *, digits: int = 2) -> str:
    """A measured value with thousands separators and ``digits`` decimals: ``1,234.57``."""
    if _missing(value):
        return MISSING
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def format_amount(value: float | None, unit: str | None = None) -> str:
    """Money or another quantity with its currency or unit: ``1,234.50 EUR``, ``309.07 cost/case``;
    never a bare number that hides what it counts."""
    if _missing(value):
        return MISSING
    text = format_decimal(value)
    return f"{text} {unit}" if unit else text


def format_timestamp(value: datetime | date | str | None) -> str:
    """A moment to the minute, in UTC when it has a zone: ``2026-12-04 22:48 UTC`` (never
    microseconds); a date as ``2026-12-04``; an ISO text is read first."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_label(value: Any) -> str:
    """An enum member or key as words: ``one_off`` -> ``one off``, ``lower_is_better`` ->
    ``lower is better``."""
    if _missing(value):
        return MISSING
    if isinstance(value, Enum):
        value = value.value
    return str(value).replace("_", " ")
