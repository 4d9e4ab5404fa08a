"""How numbers read in the report: durations in the unit a person would say, counts with separators."""

from __future__ import annotations

from civicflow.mining import LogView, filter_funnel


def describe_filter(view: LogView) -> list[str]:
    """The view's filter stack in plain words, one line per step with the cases and events it
    leaves, then the stack as JSON (what ``--filters`` reads); empty when there is no filter."""
    if view.filter.is_empty:
        return []
    rows = filter_funnel(view).rows
    lines = [f"{r.label}: {r.cases:,} cases, {r.events:,} events left" for r in rows[1:]]
    return [*lines, "as JSON (civicflow … --filters FILE): " + view.filter.stack.to_json()]
