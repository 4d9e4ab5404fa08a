"""A view's events written out (CSV, Parquet, XES): the filtered log, ready for another tool or
for civicflow's own importers (see :func:`civicflow.eventlog.export_events`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from civicflow.core import write_csv
from civicflow.eventlog import EVENT_ORDER, LogFormat, export_events

if TYPE_CHECKING:
    import pandas as pd

    from civicflow.mining._view import LogView


def export_log(view: LogView, *, out: Path, fmt: LogFormat) -> Path:
    """Write the view's events (its cases, whole) with their case attributes to ``out``."""
    events = view.execute_arrow(view.events.order_by(list(EVENT_ORDER)))
    cases = view.execute_arrow(view.cases)
    return export_events(events, cases=cases, out=out, fmt=fmt)


def result_frame(result: Any) -> pd.DataFrame | None:
    """The table an analysis result shows (a process map's edges, a result's rows, an SLA's case
    outcomes), or None when it has none: what a table's CSV download holds."""
    from civicflow.mining._process_map import ProcessMap

    if isinstance(result, ProcessMap):
        return result.edges_frame
    frame = getattr(result, "frame", None)
    if frame is None:
        frame = getattr(result, "case_outcomes", None)
    return frame


def write_frame_csv(frame: pd.DataFrame, fh: TextIO) -> None:
    """``frame`` as formula-safe CSV (:func:`civicflow.core.write_csv`); missing values empty."""
    cells = frame.astype(object).where(frame.notna(), None)
    write_csv(
        fh, header=[str(c) for c in frame.columns], rows=cells.itertuples(index=False, name=None)
    )
