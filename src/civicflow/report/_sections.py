"""The report's sections, one builder each: ``builder(view, config) -> Section | None``.

A builder returns None when its analysis has nothing to say on this view (no case attributes for a
breakdown, no resources for a workload), so the report never shows an empty placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from civicflow.eventlog import ACTIVITY, CASE_ID, TIMESTAMP
from civicflow.mining import LogView
from civicflow.report._format import human_number
from civicflow.report._model import Figure, Section

if TYPE_CHECKING:
    from civicflow.report._report import ReportConfig

SectionBuilder = Callable[[LogView, "ReportConfig"], Section | None]


def evidence(view: LogView, config: ReportConfig) -> Section:
    """The header's evidence: what data every number below was computed from."""
    e = view.events
    row = view.execute(
        e.aggregate(
            events=e.count(),
            cases=e[CASE_ID].nunique(),
            activities=e[ACTIVITY].nunique(),
            first=e[TIMESTAMP].min(),
            last=e[TIMESTAMP].max(),
        )
    ).iloc[0]
    m = view.dataset.manifest
    filtered = not view.filter.is_empty
    scope = "in the filtered view" if filtered else "in the dataset"
    figures = (
        Figure(
            label="Cases",
            value=human_number(int(row["cases"])),
            definition=f"Distinct case ids {scope}"
            + (f" (of {m.cases:,} in the dataset)" if filtered else ""),
        ),
        Figure(
            label="Events",
            value=human_number(int(row["events"])),
            definition=f"Recorded events {scope}"
            + (f" (of {m.events:,} in the dataset)" if filtered else ""),
        ),
        Figure(
            label="Activities",
            value=human_number(int(row["activities"])),
            definition=f"Distinct activity labels {scope}",
        ),
        Figure(
            label="Period",
            value=f"{_day(row['first'])} – {_day(row['last'])}",
            definition="Timestamp of the first and of the last event " + scope,
        ),
    )
    return Section(id="evidence", title="Data", figures=figures)


def _day(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


SECTION_BUILDERS: list[tuple[str, SectionBuilder]] = []
"""(step name, builder) in the order the sections appear."""
