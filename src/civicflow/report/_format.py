"""How a filter reads in the report and the workbench: its steps in plain words."""

from __future__ import annotations

from typing import Any

from civicflow.mining import EventLogFilter, LogView, filter_funnel


def describe_filter(subject: LogView | dict[str, Any]) -> list[str]:
    """A filter stack in plain words, one line per step; empty when there is no filter.

    Given a view, each line also says how many cases and events the step leaves and a last line
    gives the stack as JSON (what ``--filters`` reads); given a stored ``EventLogFilter.to_dict()``
    (a baseline's, a comparison side's), the steps alone.
    """
    if isinstance(subject, dict):
        stack = EventLogFilter.from_dict(subject).stack
        return [step.label() for step in stack.steps]
    if subject.filter.is_empty:
        return []
    rows = filter_funnel(subject).rows
    lines = [f"{r.label}: {r.cases:,} cases, {r.events:,} events left" for r in rows[1:]]
    return [*lines, "as JSON (civicflow … --filters FILE): " + subject.filter.stack.to_json()]
