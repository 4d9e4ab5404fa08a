"""How numbers read, everywhere (command line, web pages, report, process-map labels): durations
in the unit a person would say, counts with separators, shares as percentages, and one mark for a
value that is missing."""

from __future__ import annotations

import math
from datetime import datetime
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
            text = f"{amount:.0f}" if amount >= 100 or unit == "s" else f"{amount:.1f}"
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
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def format_share(value: float | None) -> str:
    """A fraction 0..1 as a percentage: ``42.0 %``."""
    if _missing(value):
        return MISSING
    return f"{100.0 * float(value):.1f} %"  # type: ignore[arg-type]
