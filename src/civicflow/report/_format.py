"""How numbers read in the report: durations in the unit a person would say, counts with separators."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

_UNITS = ((86400.0, "d"), (3600.0, "h"), (60.0, "min"), (1.0, "s"))


def human_duration(seconds: float | None) -> str:
    """``3.2 d``, ``5.0 h``, ``12 min``, ``4 s``; an em dash when unknown."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    value = float(seconds)
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, unit in _UNITS:
        if value >= size:
            amount = value / size
            text = f"{amount:.0f}" if amount >= 100 or unit in ("s",) else f"{amount:.1f}"
            return f"{sign}{text} {unit}"
    return "0 s" if value == 0 else f"{sign}{value:.2f} s"


def human_number(value: Any) -> str:
    """Integers with thousands separators, floats with up to two decimals."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def share(value: float | None) -> str:
    """A fraction 0..1 as a percentage."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100.0 * float(value):.1f} %"


def describe_filter(data: dict[str, Any]) -> list[str]:
    """The conditions of an ``EventLogFilter.to_dict()`` in plain words; empty when none."""
    out: list[str] = []
    start, end = data.get("start"), data.get("end")
    if start or end:
        mode = data.get("time_mode", "intersecting")
        out.append(f"cases {mode} the window {start or '…'} to {end or '…'}")
    for attribute, values in (data.get("case_attributes") or {}).items():
        out.append(f"{attribute} is one of: {', '.join(values)}")
    if data.get("variants"):
        out.append("variant is one of: " + ", ".join(data["variants"]))
    if data.get("activities_present"):
        out.append("cases with: " + ", ".join(data["activities_present"]))
    if data.get("activities_absent"):
        out.append("cases without: " + ", ".join(data["activities_absent"]))
    lo, hi = data.get("min_throughput_seconds"), data.get("max_throughput_seconds")
    if lo is not None:
        out.append(f"throughput time at least {human_duration(lo)}")
    if hi is not None:
        out.append(f"throughput time at most {human_duration(hi)}")
    return out
