"""A view's events written out (CSV, Parquet, XES): the filtered log, ready for another tool or
for civicflow's own importers (see :func:`civicflow.eventlog.export_events`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from civicflow.eventlog import EVENT_ORDER, LogFormat, export_events

if TYPE_CHECKING:
    from civicflow.mining._view import LogView


def export_log(view: LogView, *, out: Path, fmt: LogFormat) -> Path:
    """Write the view's events (its cases, whole) with their case attributes to ``out``."""
    events = view.execute_arrow(view.events.order_by(list(EVENT_ORDER)))
    cases = view.execute_arrow(view.cases)
    return export_events(events, cases=cases, out=out, fmt=fmt)
