"""Shared pieces of the performance analyses: exact durations, ordered windows, exact percentiles,
and duration formatting for labels."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt

from civicflow.eventlog import CASE_ID, POSITION, TIMESTAMP

if TYPE_CHECKING:
    from ibis.expr.types import Table

PERCENTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""The percentiles every duration summary reports (linear interpolation, like numpy's default)."""


def seconds_between(start: Any, end: Any) -> Any:
    """``end - start`` in seconds as float64, exact to the microsecond on every engine."""
    return (epoch_micros(end) - epoch_micros(start)).cast("float64") / 1_000_000


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[empty-body,valid-type]
    ...


@ibis.udf.scalar.builtin(name="unix_micros")
def _spark_unix_micros(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[empty-body,valid-type]
    ...


def epoch_micros(ts: Any) -> Any:
    """Microseconds since 1970 as int64.

    Ibis has no portable operation for this: DuckDB's ``epoch`` is a lossy double, Spark's
    ``unix_timestamp`` drops the fraction and Ibis cannot extract microseconds on Spark. Each engine's
    exact integer function is used instead (this is the one engine switch in the analyses).
    """
    backend = _backend_name(ts)
    if backend == "duckdb":
        return _duckdb_epoch_us(ts)
    if backend == "pyspark":
        return _spark_unix_micros(ts)
    # other SQL engines: whole seconds plus the sub-second part
    whole = ts.epoch_seconds().floor().cast("int64")
    return whole * 1_000_000 + ts.microsecond().cast("int64") % 1_000_000


def ordered_concat(table: Table, column: str, *, sep: str, order_by: list[str]) -> Any:
    """``column`` of each group joined by ``sep`` in ``order_by`` order (an aggregate)."""
    if _backend_name(table) == "pyspark":
        # Spark cannot order inside group_concat; sorting collected structs is equivalent because
        # the sort keys come first in each struct (position makes them unique within a case)
        packed = ibis.struct({**{k: table[k] for k in order_by}, "__value": table[column]})
        return packed.collect().sort().map(lambda s: s["__value"]).join(sep)
    return table[column].group_concat(sep=sep, order_by=[table[k] for k in order_by])


def _backend_name(expr: Any) -> str:
    try:
        return str(expr._find_backend().name)
    except Exception:  # an unbound expression: compile for the generic SQL path
        return ""


def case_window(events: Table) -> Any:
    """Events of one case in their stable order (timestamp, then position in the source)."""
    return ibis.window(group_by=events[CASE_ID], order_by=[events[TIMESTAMP], events[POSITION]])


def exact_quantiles(table: Table, column: str, by: list[str], qs: tuple[float, ...]) -> Table:
    """Exact, linearly interpolated quantiles of ``column`` per group.

    Ibis compiles ``quantile`` to DuckDB's ``quantile_cont`` and Spark's exact ``percentile``; both
    interpolate linearly between order statistics, so the engines agree (approximate percentiles
    would not).
    """
    metrics = {f"q{_qname(q)}": table[column].quantile(q) for q in qs}
    if by:
        return table.group_by(by).aggregate(**metrics)
    return table.aggregate(**metrics)


def _qname(q: float) -> str:
    return f"{round(q * 100):02d}"


def quantile_key(q: float) -> str:
    """The column name :func:`exact_quantiles` gives quantile ``q`` (``q50`` for the median)."""
    return f"q{_qname(q)}"


def clean_float(value: Any) -> float | None:
    """A JSON-safe float: None for missing/NaN values."""
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else f


def utc_iso(value: Any) -> str:
    """ISO 8601 text of an engine's timestamp, always with its UTC offset: DuckDB returns aware
    times in UTC, Spark naive ones that are UTC (the store's times are all UTC)."""
    import pandas as pd

    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.isoformat()
