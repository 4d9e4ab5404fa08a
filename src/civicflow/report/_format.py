"""How numbers read in the report: durations in the unit a person would say, counts with separators."""

from __future__ import annotations

from typing import Any

from civicflow.mining import format_duration


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
        out.append(f"throughput time at least {format_duration(lo)}")
    if hi is not None:
        out.append(f"throughput time at most {format_duration(hi)}")
    return out
