"""Demand series: counts (or rates) per period for one or more series, from a dataset's arrivals
or from a table, checked before any model sees them.

A :class:`SeriesSet` holds every series in long form (``series``, ``period``, ``value``) on one
regular calendar (days, weeks or months). Series made from case attributes (``by``) form a
hierarchy — the total, then each value of the first attribute, then each pair, and so on — whose
parts add up to their parent; :func:`civicflow.forecasting.forecast` reconciles its forecasts so
they still do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from civicflow.core import ConfigurationError, InputError, Location, Record, check_choice
from civicflow.eventlog import CASE_ID

if TYPE_CHECKING:
    import pandas as pd

    from civicflow.mining import LogView

Freq = Literal["day", "week", "month"]
FREQS: tuple[Freq, ...] = ("day", "week", "month")
SEASON: dict[str, int] = {"day": 7, "week": 52, "month": 12}
"""The seasonal period of each frequency (a week of days, a year of weeks or months)."""
TOTAL = "total"
"""The key of the top of a hierarchy: every case."""
SEPARATOR = " / "
"""Joins the attribute values of a series key in a hierarchy (``North / Office 3``)."""
MISSING_VALUE = "(missing)"
"""The group of cases without a value for a ``by`` attribute."""
GapPolicy = Literal["error", "zero", "interpolate"]
GAP_POLICIES: tuple[GapPolicy, ...] = ("error", "zero", "interpolate")

_TRUNCATE = {"day": "D", "week": "W", "month": "M"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesInfo(Record):
    """One series of a set: its key, its parent in the hierarchy (None at the top or in a flat
    set), its level (0 = total) and its extent."""

    _json = True
    key: str
    parent: str | None
    level: int
    first: str
    last: str
    length: int
    zeros: float
    """Share of periods with a value of zero (intermittent series have many)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesSet:
    """Series on one calendar. ``frame`` has the columns ``series`` (str), ``period`` (a naive
    timestamp: the period's start, or the date the table gives) and ``value`` (float), sorted by
    series and period, one row per series and period with no gaps. ``levels`` names the ``by``
    attributes of a hierarchy (empty for a flat set); ``parents`` maps every key to its parent."""

    freq: Freq
    offset: str
    """The pandas offset of the calendar (``W-MON``, ``W-SAT``, ``D``, ``MS``)."""
    frame: pd.DataFrame
    levels: tuple[str, ...] = ()
    parents: dict[str, str | None] = field(default_factory=dict)
    source: str = ""
    unit: str = "cases"

    @property
    def hierarchical(self) -> bool:
        return bool(self.levels)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.frame["series"].tolist()))

    @property
    def bottom(self) -> tuple[str, ...]:
        """The keys with no children (every key in a flat set)."""
        parents = {p for p in self.parents.values() if p is not None}
        return tuple(k for k in self.keys if k not in parents)

    def values(self, key: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        rows = self.frame[self.frame["series"] == key]
        return rows["value"].to_numpy(dtype=np.float64)

    def periods(self, key: str) -> list[pd.Timestamp]:
        rows = self.frame[self.frame["series"] == key]
        return list(rows["period"])

    def info(self) -> tuple[SeriesInfo, ...]:
        out = []
        for key, rows in self.frame.groupby("series", sort=False):
            values = rows["value"].to_numpy(dtype=np.float64)
            out.append(
                SeriesInfo(
                    key=str(key),
                    parent=self.parents.get(str(key)),
                    level=_level(str(key), self.levels),
                    first=rows["period"].iloc[0].date().isoformat(),
                    last=rows["period"].iloc[-1].date().isoformat(),
                    length=len(values),
                    zeros=float(np.mean(values == 0)) if len(values) else 0.0,
                )
            )
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "offset": self.offset,
            "source": self.source,
            "unit": self.unit,
            "levels": list(self.levels),
            "series": [i.to_dict() for i in self.info()],
        }


def _level(key: str, levels: tuple[str, ...]) -> int:
    if not levels:
        return 0
    return 0 if key == TOTAL else key.count(SEPARATOR) + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetSeriesConfig(Record):
    """New cases per period from a dataset: a case arrives in the period holding its first
    event. ``by``: case attributes making a hierarchy (``("region", "office")``: total → region →
    office). ``drop_partial``: leave out a first or last period the log covers only in part (a
    week cut off by the extract would look like a fall in demand)."""

    _json = True
    freq: Freq = "week"
    by: tuple[str, ...] = ()
    drop_partial: bool = True

    def __post_init__(self) -> None:
        check_choice(self.freq, FREQS, what="period", field="freq", fix="use day, week or month")
        if len(set(self.by)) != len(self.by):
            raise ConfigurationError(
                "an attribute is named twice in 'by'",
                where=Location(field="by"),
                found=", ".join(self.by),
                fix="name each case attribute once, from the broadest to the finest",
            )


def series_from_view(view: LogView, config: DatasetSeriesConfig | None = None) -> SeriesSet:
    """New cases per period of a dataset (seen through its filter), for the total and, with
    ``config.by``, for every value of the attributes down the hierarchy. Periods with no new
    case count zero."""
    import pandas as pd

    cfg = config or DatasetSeriesConfig()
    cases = view.cases
    missing = [a for a in cfg.by if a not in cases.columns or a == CASE_ID]
    if missing:
        offered = [c for c in view.dataset.manifest.case_attributes if c != CASE_ID]
        raise ConfigurationError(
            f"the dataset has no case attribute '{missing[0]}'",
            where=Location(field="by"),
            found=missing[0],
            expected="one of: " + (", ".join(offered) or "(the dataset has no case attributes)"),
            fix="pick case attributes the dataset has (`civicflow datasets show NAME`)",
        )
    spans = view.spans
    table = spans.mutate(period=spans.case_start.truncate(_TRUNCATE[cfg.freq]))
    if cfg.by:
        attrs = cases.select(CASE_ID, *[cases[a].cast("string").name(a) for a in cfg.by])
        table = table.join(attrs, CASE_ID)
    keys = ["period", *cfg.by]
    df = view.execute(table.group_by(keys).aggregate(value=table.count()))
    bounds = view.execute(
        spans.aggregate(first=spans.case_start.min(), last=spans.case_start.max())
    )
    if df.empty:
        raise InputError(
            "the dataset (through its filter) has no cases to count",
            where=Location(field="dataset"),
            expected="cases with timestamps",
            fix="widen the filter or pick another dataset",
        )
    df["period"] = pd.to_datetime(df["period"], utc=True).dt.tz_localize(None)
    for a in cfg.by:
        df[a] = df[a].fillna(MISSING_VALUE).astype(str)
    offset = {"day": "D", "week": "W-MON", "month": "MS"}[cfg.freq]
    grid = pd.date_range(df["period"].min(), df["period"].max(), freq=offset)
    if cfg.drop_partial and len(grid) > 2:
        first = pd.Timestamp(bounds["first"].iloc[0]).tz_convert(None)
        last = pd.Timestamp(bounds["last"].iloc[0]).tz_convert(None)
        step = pd.tseries.frequencies.to_offset(offset)
        if first.normalize() > grid[0]:
            grid = grid[1:]
        if last.normalize() < (grid[-1] + step - pd.Timedelta(days=1)).normalize():
            grid = grid[:-1]
    frame, parents = _hierarchy(df, cfg.by, grid)
    return SeriesSet(
        freq=cfg.freq,
        offset=offset,
        frame=frame,
        levels=cfg.by,
        parents=parents,
        source=view.dataset_name,
        unit="cases",
    )


def _hierarchy(
    df: pd.DataFrame, by: Sequence[str], grid: pd.DatetimeIndex
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """Every level of the hierarchy as a series on ``grid`` (zero where nothing arrived)."""
    import pandas as pd

    parts: list[pd.DataFrame] = []
    parents: dict[str, str | None] = {}
    for depth in range(len(by) + 1):
        cols = list(by[:depth])
        if cols:
            grouped = df.groupby([*cols, "period"], sort=True)["value"].sum().reset_index()
            grouped["series"] = grouped[cols].astype(str).agg(SEPARATOR.join, axis=1)
            for combo in grouped[cols].drop_duplicates().itertuples(index=False):
                key = SEPARATOR.join(str(v) for v in combo)
                parents[key] = SEPARATOR.join(str(v) for v in combo[:-1]) if depth > 1 else TOTAL
        else:
            grouped = df.groupby("period", sort=True)["value"].sum().reset_index()
            grouped["series"] = TOTAL
            parents[TOTAL] = None
        wide = grouped.pivot_table(index="period", columns="series", values="value", aggfunc="sum")
        wide = wide.reindex(grid, fill_value=0).fillna(0)
        wide.index.name = "period"
        long = wide.reset_index().melt(id_vars="period", var_name="series", value_name="value")
        parts.append(long)
    frame = pd.concat(parts, ignore_index=True)
    frame["value"] = frame["value"].astype(np.float64)
    frame["series"] = frame["series"].astype(str)
    order = {k: i for i, k in enumerate(parents)}
    frame = frame[frame["series"].isin(order)]
    frame = frame.sort_values(
        ["series", "period"], key=lambda s: s.map(order) if s.name == "series" else s
    ).reset_index(drop=True)
    return frame[["series", "period", "value"]], parents


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSeriesConfig(Record):
    """How to read a table of series.

    Long form: a row per series and period with the columns ``period`` and ``value``, and either
    ``series`` (flat: one series per value) or the ``by`` columns (a hierarchy, summed up to the
    total like a dataset's). Wide form (no ``value`` column): the ``period`` column, then one
    numeric column per series (the NYC case-rate file: ``week_ending``, ``CASERATE_10001``, …);
    ``prefix`` is stripped from the column names. ``freq`` is inferred from the periods when not
    given. ``gaps``: a missing period (or empty cell) inside a series is an error, or counts zero,
    or is interpolated; empty cells before a series' first value are its start, not a gap.
    ``columns``: keep only these series (wide form; after the prefix is stripped)."""

    _json = True
    period: str = "period"
    value: str = "value"
    series: str = "series"
    by: tuple[str, ...] = ()
    freq: Freq | None = None
    gaps: GapPolicy = "error"
    prefix: str = ""
    columns: tuple[str, ...] = ()
    unit: str = "cases"

    def __post_init__(self) -> None:
        if self.freq is not None:
            check_choice(self.freq, FREQS, what="period", field="freq", fix="day, week or month")
        check_choice(
            self.gaps, GAP_POLICIES, what="gap policy", field="gaps",
            fix="error (default), zero or interpolate",
        )  # fmt: skip


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a frame (an error naming the file if it cannot be read)."""
    import pandas as pd

    if not path.is_file():
        raise InputError(
            "the series table does not exist",
            where=Location(file=str(path)),
            expected="a CSV or Parquet file",
            fix="check the path",
        )
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(
            "the series table cannot be read",
            where=Location(file=str(path)),
            found=f"{type(exc).__name__}: {exc}"[:300],
            expected="a CSV (comma-separated, UTF-8) or Parquet file",
            fix="export the table again as CSV or Parquet",
        ) from exc


def series_from_table(
    table: pd.DataFrame | Path, config: TableSeriesConfig | None = None
) -> SeriesSet:
    """Series from a table in long or wide form (see :class:`TableSeriesConfig`), checked:
    unreadable periods, negative or non-numeric values, a series named twice for a period and
    gaps are errors naming the row, series and period."""
    import pandas as pd

    cfg = config or TableSeriesConfig()
    source = str(table) if isinstance(table, Path) else ""
    df = read_table(table) if isinstance(table, Path) else table.copy()
    if cfg.period not in df.columns:
        raise InputError(
            f"the table has no period column '{cfg.period}'",
            where=Location(file=source or None, field=cfg.period),
            found=", ".join(map(str, df.columns[:12])),
            expected="a column of dates naming each row's period",
            fix="name the period column (`--period COLUMN`)",
        )
    periods = pd.to_datetime(df[cfg.period], errors="coerce", format="mixed")
    bad = periods.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "a period cannot be read as a date",
            where=Location(file=source or None, row=row + 2, field=cfg.period),
            found=str(df[cfg.period].iloc[row]),
            expected="a date such as 2024-03-04 or 03/04/2024",
            fix="correct the date, or drop the row",
        )
    if getattr(periods.dt, "tz", None) is not None:
        periods = periods.dt.tz_convert(None)
    df[cfg.period] = periods.dt.normalize()
    long_form = cfg.value in df.columns
    long = _long_table(df, cfg, source) if long_form else _wide_table(df, cfg, source)
    freq, offset = _infer_freq(long, cfg, source)
    frame_parts = []
    for key, rows in long.groupby("series", sort=False):
        frame_parts.append(_regular(rows, str(key), offset, cfg, source))
    flat = pd.concat(frame_parts, ignore_index=True)
    if cfg.by:
        grid = pd.date_range(flat["period"].min(), flat["period"].max(), freq=offset)
        bottom = flat.copy()
        parts = bottom["series"].str.split(SEPARATOR, regex=False, expand=True)
        for i, a in enumerate(cfg.by):
            bottom[a] = parts[i]
        frame, parents = _hierarchy(bottom, cfg.by, grid)
    else:
        frame = flat
        parents = {k: None for k in dict.fromkeys(flat["series"])}
    return SeriesSet(
        freq=freq,
        offset=offset,
        frame=frame.reset_index(drop=True),
        levels=cfg.by,
        parents=parents,
        source=source,
        unit=cfg.unit,
    )


def _long_table(df: pd.DataFrame, cfg: TableSeriesConfig, source: str) -> pd.DataFrame:
    import pandas as pd

    keys = list(cfg.by) or [cfg.series]
    for column in keys:
        if column not in df.columns:
            raise InputError(
                f"the table has no column '{column}'",
                where=Location(file=source or None, field=column),
                found=", ".join(map(str, df.columns[:12])),
                expected="the series column (long form) or the `by` columns of a hierarchy",
                fix="name the series column (`--series COLUMN`) or the hierarchy (`--by A,B`)",
            )
    values = pd.to_numeric(df[cfg.value], errors="coerce")
    _check_values(values, df[keys].astype(str).agg(SEPARATOR.join, axis=1), df, cfg, source)
    out = pd.DataFrame(
        {
            "series": df[keys].fillna(MISSING_VALUE).astype(str).agg(SEPARATOR.join, axis=1),
            "period": df[cfg.period],
            "value": values.astype(np.float64),
        }
    )
    dup = out.duplicated(["series", "period"], keep="first")
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            "a series has two rows for one period",
            where=Location(file=source or None, row=row + 2, field=cfg.period),
            found=f"series '{out['series'].iloc[row]}', period {out['period'].iloc[row].date()}",
            expected="one row per series and period",
            fix="sum or remove the duplicate rows",
        )
    return out.sort_values(["series", "period"], kind="stable")


def _wide_table(df: pd.DataFrame, cfg: TableSeriesConfig, source: str) -> pd.DataFrame:
    import pandas as pd

    value_columns = [c for c in df.columns if c != cfg.period]
    if cfg.prefix:
        value_columns = [c for c in value_columns if str(c).startswith(cfg.prefix)]
    names = {c: str(c)[len(cfg.prefix) :] for c in value_columns}
    if cfg.columns:
        unknown = [c for c in cfg.columns if c not in names.values()]
        if unknown:
            raise InputError(
                f"the table has no series '{unknown[0]}'",
                where=Location(file=source or None, field=unknown[0]),
                found=", ".join(list(names.values())[:12]),
                expected="series columns of the table (after the prefix)",
                fix="pick columns the table has",
            )
        value_columns = [c for c in value_columns if names[c] in cfg.columns]
    if not value_columns:
        raise InputError(
            f"the table has no '{cfg.value}' column and no series columns",
            where=Location(file=source or None),
            found=", ".join(map(str, df.columns[:12])),
            expected="long form (period, series, value) or wide form (period, one column per "
            "series)",
            fix="name the value column (`--value COLUMN`) or add series columns",
        )
    parts = []
    for column in value_columns:
        values = pd.to_numeric(df[column], errors="coerce")
        keys = pd.Series([names[column]] * len(df), index=df.index)
        _check_values(values, keys, df, cfg, source, field=str(column))
        parts.append(
            pd.DataFrame(
                {"series": names[column], "period": df[cfg.period], "value": values.astype(float)}
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["series", "period"], kind="stable")


def _check_values(
    values: pd.Series,
    keys: pd.Series,
    df: pd.DataFrame,
    cfg: TableSeriesConfig,
    source: str,
    *,
    field: str | None = None,
) -> None:
    column = field or cfg.value
    raw = df[column]
    text = raw.notna() & values.isna()
    if text.any():
        row = int(np.flatnonzero(text.to_numpy())[0])
        raise InputError(
            "a value is not a number",
            where=Location(file=source or None, row=row + 2, field=column),
            found=str(raw.iloc[row]),
            expected="a number of cases (or a rate)",
            fix="correct the cell, or leave it empty for a period with no value",
        )
    negative = values < 0
    if negative.any():
        row = int(np.flatnonzero(negative.to_numpy())[0])
        raise InputError(
            "a value is negative",
            where=Location(file=source or None, row=row + 2, field=column),
            found=f"{values.iloc[row]} for series '{keys.iloc[row]}', period "
            f"{df[cfg.period].iloc[row].date()}",
            expected="counts or rates of zero or more",
            fix="correct the row (a correction of an earlier count belongs in that period), "
            "or drop it",
        )


def _infer_freq(long: pd.DataFrame, cfg: TableSeriesConfig, source: str) -> tuple[Freq, str]:
    import pandas as pd

    days = long.dropna(subset=["value"]).groupby("series")["period"].diff().dropna().dt.days
    if days.empty:
        raise InputError(
            "every series has a single period",
            where=Location(file=source or None, field=cfg.period),
            expected="series with many periods",
            fix="pass a table with a row per period",
        )
    step = float(days.median())
    freq: Freq
    if cfg.freq is not None:
        freq = cfg.freq
    elif step <= 1:
        freq = "day"
    elif 6 <= step <= 8:
        freq = "week"
    elif 27 <= step <= 32:
        freq = "month"
    else:
        raise InputError(
            "the periods are not days, weeks or months apart",
            where=Location(file=source or None, field=cfg.period),
            found=f"a typical step of {step:g} days",
            expected="periods 1, 7 or about 30 days apart",
            fix="aggregate the table to days, weeks or months first, or pass `freq`",
        )
    first = pd.Timestamp(long["period"].min())
    if freq == "week":
        offset = "W-" + first.day_name()[:3].upper()
    elif freq == "month":
        offset = "MS" if first.day == 1 else "ME" if first.is_month_end else "MS"
    else:
        offset = "D"
    return freq, offset


def _regular(
    rows: pd.DataFrame, key: str, offset: str, cfg: TableSeriesConfig, source: str
) -> pd.DataFrame:
    """One series on the regular calendar from its first to its last value, with gaps handled
    by ``cfg.gaps``."""
    import pandas as pd

    present = rows.dropna(subset=["value"])
    if present.empty:
        raise InputError(
            f"series '{key}' has no values",
            where=Location(file=source or None, field=key),
            expected="at least one number",
            fix="drop the series or fill its values",
        )
    periods = present["period"]
    if offset in ("MS", "ME"):
        periods = periods.dt.to_period("M").dt.to_timestamp(
            how="end" if offset == "ME" else "start"
        )
        periods = periods.dt.normalize()
    grid = pd.date_range(periods.min(), periods.max(), freq=offset)
    series = pd.Series(present["value"].to_numpy(), index=pd.DatetimeIndex(periods))
    off_grid = ~series.index.isin(grid)
    if off_grid.any():
        raise InputError(
            f"series '{key}' has a period off its calendar",
            where=Location(file=source or None, field=cfg.period),
            found=str(series.index[off_grid][0].date()),
            expected=f"periods on the {offset} calendar of its first period",
            fix="align every period to the same weekday (or the first of the month)",
        )
    full = series.reindex(grid)
    gaps = full.isna()
    if gaps.any():
        where = grid[np.flatnonzero(gaps.to_numpy())[0]]
        if cfg.gaps == "error":
            raise InputError(
                f"series '{key}' has a gap",
                where=Location(file=source or None, field=key),
                found=f"no value for the period {where.date()} ({int(gaps.sum())} missing)",
                expected="a value for every period between its first and last",
                fix="fill the gap in the table, or pass gaps='zero' (`--gaps zero`) when a "
                "missing period means no cases, or gaps='interpolate'",
            )
        full = full.fillna(0.0) if cfg.gaps == "zero" else full.interpolate(limit_area="inside")
    return pd.DataFrame({"series": key, "period": grid, "value": full.to_numpy(dtype=float)})
