"""The demand an allocation reads: a forecast table (one row per series and period with the mean
and the 80 % and 95 % prediction intervals), checked and turned into an area × period grid; the
population of each area, and case rates turned into cases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from civicflow.core import InputError, Location

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

DEMAND_COLUMNS = ("series", "period", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model")
"""The columns of a forecast table (what ``civicflow forecast`` writes); an allocation reads
``series`` (the area), ``period``, ``mean`` (the demand it plans for) and ``hi_80`` (the upper
bound of the 80 % interval: the P90 demand the robustness check uses)."""


@dataclass(frozen=True, slots=True)
class DemandGrid:
    """Demand in cases per area (rows) and period (columns), as the programme reads it."""

    areas: tuple[str, ...]
    periods: tuple[str, ...]
    mean: NDArray[np.float64]
    p90: NDArray[np.float64]
    clipped: int
    """Cells whose forecast (mean or P90) was negative and was read as zero."""


def read_demand(path: Path) -> pd.DataFrame:
    """A forecast table from a CSV or Parquet file (checked by :func:`demand_grid`)."""
    import pandas as pd

    if not path.is_file():
        raise InputError(
            "the demand file does not exist",
            where=Location(file=str(path)),
            expected="a CSV or Parquet forecast table",
            fix="check the path, or write one with `civicflow forecast … --output FILE`",
        )
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={"series": str, "model": str})
    except (ValueError, OSError, pd.errors.ParserError) as exc:  # EmptyDataError is a ValueError
        raise InputError(
            "the demand file cannot be read as a table",
            where=Location(file=str(path)),
            found=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            expected="a CSV or Parquet forecast table",
            fix="check the file is the forecast table (CSV with a header row, or Parquet)",
        ) from exc


def _period_labels(values: pd.Series) -> list[str]:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        return [v.date().isoformat() if v == v.normalize() else v.isoformat() for v in values]
    return [str(v) for v in values]


def demand_grid(frame: pd.DataFrame, *, source: str | None = None) -> DemandGrid:
    """Check a forecast table and lay it out as areas × periods.

    Every series must have a row for every period (a missing cell is an error naming the series
    and the period: the programme would otherwise plan for zero demand there). Periods are sorted
    by their values; negative forecasts (possible with additive models) are read as zero and
    counted in ``clipped``."""
    import pandas as pd

    missing = [c for c in ("series", "period", "mean", "hi_80") if c not in frame.columns]
    if missing:
        raise InputError(
            "the demand table lacks columns an allocation needs",
            where=Location(file=source, field=missing[0]),
            found=", ".join(map(str, frame.columns)) or "(no columns)",
            expected="a forecast table with the columns " + ", ".join(DEMAND_COLUMNS),
            fix="pass the table `civicflow forecast` writes, or add the missing columns",
        )
    if frame.empty:
        raise InputError(
            "the demand table has no rows",
            where=Location(file=source),
            expected="one row per series and period",
            fix="forecast at least one series over at least one period",
        )
    for column in ("mean", "hi_80"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"the demand table's '{column}' is not a finite number",
                where=Location(file=source, row=row + 1, field=column),
                found=repr(frame[column].iloc[row]),
                expected="a number of cases",
                fix="fill or drop the row",
            )
    data = pd.DataFrame(
        {
            "series": frame["series"].astype(str),
            "period": frame["period"],
            "mean": pd.to_numeric(frame["mean"]).astype(float),
            "hi_80": pd.to_numeric(frame["hi_80"]).astype(float),
        }
    )
    dup = data.duplicated(["series", "period"])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            "the demand table has two rows for one series and period",
            where=Location(file=source, row=row + 1, field="period"),
            found=f"{data['series'].iloc[row]} / {data['period'].iloc[row]}",
            expected="one row per series and period",
            fix="keep one forecast per series and period (reconcile or filter first)",
        )
    periods_sorted = pd.Series(data["period"].drop_duplicates()).sort_values(kind="stable")
    areas = sorted(data["series"].unique())
    wide = data.pivot(index="series", columns="period", values="mean").reindex(
        index=areas, columns=periods_sorted.to_numpy()
    )
    gaps = np.argwhere(wide.isna().to_numpy())
    if len(gaps):
        i, t = gaps[0]
        raise InputError(
            f"the demand table has no forecast for {len(gaps)} area-period cell(s)",
            where=Location(file=source, field="period"),
            found=f"series {areas[i]} has no row for period {periods_sorted.iloc[t]}",
            expected="every series forecast over the same periods",
            fix="forecast every series over the same horizon, or drop the series",
        )
    p90 = data.pivot(index="series", columns="period", values="hi_80").reindex(
        index=areas, columns=periods_sorted.to_numpy()
    )
    mean = wide.to_numpy(dtype=float)
    upper = np.maximum(p90.to_numpy(dtype=float), mean)
    clipped = int((mean < 0).sum() + (upper < 0).sum())
    return DemandGrid(
        areas=tuple(areas),
        periods=tuple(_period_labels(periods_sorted.reset_index(drop=True))),
        mean=np.clip(mean, 0, None),
        p90=np.clip(upper, 0, None),
        clipped=clipped,
    )


def read_population(
    path: Path,
    *,
    area_column: str = "MODIFIED_ZCTA",
    population_column: str = "POP_DENOMINATOR",
) -> dict[str, float]:
    """Residents per area from a CSV (default: the columns of NYC's
    ``nyc_modzcta_population.csv``, modified ZIP code tabulation area and its population)."""
    import pandas as pd

    if not path.is_file():
        raise InputError(
            "the population file does not exist",
            where=Location(file=str(path)),
            expected="a CSV with an area column and a population column",
            fix="check the path",
        )
    frame = pd.read_csv(path, dtype={area_column: str})
    for column in (area_column, population_column):
        if column not in frame.columns:
            raise InputError(
                f"the population file has no column '{column}'",
                where=Location(file=str(path), field=column),
                found=", ".join(map(str, frame.columns)),
                expected="the area and population columns named by the options",
                fix="pass --population-area and --population-column",
            )
    values = pd.to_numeric(frame[population_column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            "a population is not a non-negative number",
            where=Location(file=str(path), row=row + 2, field=population_column),
            found=repr(frame[population_column].iloc[row]),
            expected="residents, a number ≥ 0",
            fix="correct or drop the row",
        )
    return dict(zip(frame[area_column].astype(str).str.strip(), values.tolist(), strict=True))


def read_coordinates(
    path: Path,
    *,
    area_column: str = "MODIFIED_ZCTA",
    lat_column: str = "lat",
    lon_column: str = "lon",
) -> dict[str, tuple[float, float]]:
    """Each area's point (latitude, longitude in degrees) from a CSV (default: the columns of
    NYC's ``nyc_modzcta_population.csv``). Rows without both numbers are left out (an area
    without a point is not drawn, it stays in the tables); a number outside the globe is an error
    naming its row."""
    import pandas as pd

    if not path.is_file():
        raise InputError(
            "the coordinates file does not exist",
            where=Location(file=str(path)),
            expected="a CSV with an area column and latitude and longitude columns",
            fix="check the path",
        )
    frame = pd.read_csv(path, dtype={area_column: str})
    for column in (area_column, lat_column, lon_column):
        if column not in frame.columns:
            raise InputError(
                f"the file has no column '{column}'",
                where=Location(file=str(path), field=column),
                found=", ".join(map(str, frame.columns)),
                expected="the area, latitude and longitude columns you named",
                fix="name the file's own columns (e.g. lat, lon)",
            )
    lat = pd.to_numeric(frame[lat_column], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame[lon_column], errors="coerce").to_numpy(dtype=float)
    outside = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise InputError(
            "a coordinate is outside the globe",
            where=Location(file=str(path), row=row + 2, field=lat_column),
            found=f"{lat[row]}, {lon[row]}",
            expected="latitude in [-90, 90] and longitude in [-180, 180] (degrees)",
            fix="check that latitude and longitude are not swapped or projected",
        )
    keep = np.isfinite(lat) & np.isfinite(lon)
    areas = frame[area_column].astype(str).str.strip().to_numpy()
    return {
        str(a): (float(y), float(x))
        for a, y, x in zip(areas[keep], lat[keep], lon[keep], strict=True)
    }


def population_key(series: str, population: Mapping[str, object]) -> str | None:
    """The population entry of a series: the series name itself, or its last ``_`` part (the NYC
    series ``CASERATE_10001`` is the area ``10001``)."""
    if series in population:
        return series
    tail = series.rsplit("_", 1)[-1]
    return tail if tail in population else None


def rates_to_cases(
    frame: pd.DataFrame, population: Mapping[str, float], *, per: float = 100_000.0
) -> pd.DataFrame:
    """A forecast of rates (cases per ``per`` residents, like NYC's weekly case rates) as cases:
    every number column times the area's population / ``per``. A series without a population is
    an error naming it."""
    out = frame.copy()
    keys = [population_key(str(s), population) for s in out["series"]]
    unknown = sorted({str(s) for s, k in zip(out["series"], keys, strict=True) if k is None})
    if unknown:
        raise InputError(
            f"{len(unknown)} series have no population",
            where=Location(field="series"),
            found=", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else ""),
            expected="series named like the population file's areas (or ending in _<area>)",
            fix="drop those series or add their areas to the population file",
        )
    factor = np.array([population[k] / per for k in keys if k is not None])
    for column in ("mean", "lo_80", "hi_80", "lo_95", "hi_95"):
        if column in out.columns:
            out[column] = out[column].astype(float) * factor
    return out
