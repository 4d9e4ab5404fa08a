"""Demand series from a dataset (new cases per period, by case attributes, as a hierarchy) and
from tables (long and wide), with the errors a user meets: gaps, negative counts, bad dates."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from tests.conftest import shared_file

from civicflow.core import ConfigurationError, InputError
from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, DuckDBEngine, EventStore
from civicflow.forecasting import (
    TOTAL,
    DatasetSeriesConfig,
    TableSeriesConfig,
    series_from_table,
    series_from_view,
)
from civicflow.mining import LogView

# cases arriving on known days: week w (Monday 2024-01-01 + w weeks) gets 2 + w % 3 cases in
# office "a" of region "N" and 1 in office "b" of region "S"; the log starts on a Wednesday and
# ends on a Tuesday, so its first and last weeks are partial
START = datetime(2024, 1, 1)
WEEKS = 10


def _events() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, cases = [], []
    n = 0
    for w in range(WEEKS):
        for office, region, count in (("a", "N", 2 + w % 3), ("b", "S", 1)):
            for i in range(count):
                case = f"c{n}"
                n += 1
                day = START + timedelta(weeks=w, days=2 + i % 3, hours=9)
                rows.append((case, "Receive", day))
                rows.append((case, "Decide", day + timedelta(days=1)))
                cases.append((case, region, office))
    events = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"])
    events["timestamp"] = pd.to_datetime(events["timestamp"]).dt.tz_localize("UTC")
    return events, pd.DataFrame(cases, columns=["case_id", "region", "office"])


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    events, cases = _events()
    table = pa.Table.from_pandas(events, preserve_index=False)
    full = {name: table.column(name) if name in table.column_names else pa.nulls(len(events), type=f.type)
            for name, f in zip(CORE_EVENT_SCHEMA.names, CORE_EVENT_SCHEMA, strict=True)}  # fmt: skip
    full["position"] = pa.array(range(len(events)), type=CORE_EVENT_SCHEMA.field("position").type)
    ws = EventStore.create(tmp_path_factory.mktemp("fs") / "ws")
    mapping = ColumnMapping(case_id="case_id", activity="activity", timestamp="timestamp")
    with ws.writer("arrivals", source="test", format="test", mapping=mapping) as w:
        w.write_events(pa.table(full, schema=CORE_EVENT_SCHEMA))
        w.write_cases(pa.Table.from_pandas(cases, preserve_index=False))
    return LogView(engine=DuckDBEngine(), dataset=ws.dataset("arrivals"))


def test_dataset_series_count_new_cases_per_week_as_a_hierarchy(view: LogView) -> None:
    series = series_from_view(
        view, DatasetSeriesConfig(freq="week", by=("region", "office"), drop_partial=False)
    )
    assert series.keys == (TOTAL, "N", "S", "N / a", "S / b")
    assert series.parents["N / a"] == "N" and series.parents["N"] == TOTAL
    assert series.bottom == ("N / a", "S / b")
    expected_a = [2 + w % 3 for w in range(WEEKS)]
    assert series.values("N / a").tolist() == expected_a
    assert series.values("S / b").tolist() == [1] * WEEKS
    assert series.values(TOTAL).tolist() == [a + 1 for a in expected_a]
    assert series.periods(TOTAL)[0] == pd.Timestamp("2024-01-01")
    assert series.offset == "W-MON"


def test_partial_first_and_last_periods_are_dropped(view: LogView) -> None:
    series = series_from_view(view, DatasetSeriesConfig(freq="week"))
    # the log starts on a Wednesday and its last case arrives on a Friday: both weeks partial
    assert len(series.values(TOTAL)) == WEEKS - 2
    assert series.periods(TOTAL)[0] == pd.Timestamp("2024-01-08")


def test_an_unknown_attribute_names_the_ones_there_are(view: LogView) -> None:
    with pytest.raises(ConfigurationError) as err:
        series_from_view(view, DatasetSeriesConfig(by=("district",)))
    assert err.value.found == "district"
    assert "region" in (err.value.expected or "")


def _long(values: list[float], periods: int = 6) -> pd.DataFrame:
    grid = pd.date_range("2024-01-01", periods=periods, freq="W-MON")
    return pd.DataFrame({"series": "x", "period": grid[: len(values)], "value": values})


def test_long_table_with_a_hierarchy_sums_up() -> None:
    grid = pd.date_range("2024-01-01", periods=4, freq="MS")
    df = pd.concat(
        [pd.DataFrame({"region": r, "office": o, "period": grid, "value": v})
         for r, o, v in (("N", "a", 1.0), ("N", "b", 2.0), ("S", "c", 4.0))],
    )  # fmt: skip
    series = series_from_table(df, TableSeriesConfig(by=("region", "office")))
    assert series.freq == "month" and series.offset == "MS"
    assert series.values(TOTAL).tolist() == [7.0] * 4
    assert series.values("N").tolist() == [3.0] * 4


def test_gaps_are_an_error_naming_the_series_and_period_or_filled_as_asked() -> None:
    df = _long([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).drop(index=[2, 3])
    with pytest.raises(InputError) as err:
        series_from_table(df)
    assert "series 'x'" in err.value.what
    assert "2024-01-15" in (err.value.found or "") and "2 missing" in (err.value.found or "")
    assert "gaps" in (err.value.fix or "")
    zero = series_from_table(df, TableSeriesConfig(gaps="zero"))
    assert zero.values("x").tolist() == [1.0, 2.0, 0.0, 0.0, 5.0, 6.0]
    inter = series_from_table(df, TableSeriesConfig(gaps="interpolate"))
    assert inter.values("x").tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_negative_counts_and_bad_dates_name_the_row() -> None:
    with pytest.raises(InputError) as err:
        series_from_table(_long([1.0, 2.0, -3.0, 4.0]))
    assert err.value.where is not None and err.value.where.row == 4
    assert "-3" in (err.value.found or "") and "2024-01-15" in (err.value.found or "")
    df = _long([1.0, 2.0, 3.0]).astype({"period": str})
    df.loc[1, "period"] = "not a date"
    with pytest.raises(InputError) as err:
        series_from_table(df)
    assert err.value.where is not None and err.value.where.row == 3
    assert err.value.found == "not a date"


def test_a_series_twice_in_a_period_is_an_error() -> None:
    df = pd.concat([_long([1.0, 2.0]), _long([5.0])])
    with pytest.raises(InputError, match="two rows for one period"):
        series_from_table(df)


def test_wide_table_reads_one_series_per_column(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    pd.DataFrame(
        {
            "week": ["01/06/2024", "01/13/2024", "01/20/2024"],
            "RATE_A": [1, 2, 3],
            "RATE_B": ["", 5, 6],
        }
    ).to_csv(path, index=False)
    series = series_from_table(path, TableSeriesConfig(period="week", prefix="RATE_"))
    assert series.keys == ("A", "B") and not series.hierarchical
    assert series.offset == "W-SAT"
    assert series.values("B").tolist() == [
        5.0,
        6.0,
    ]  # empty cells before the first value: its start


def test_the_nyc_case_rates_read_as_177_areas_and_the_city() -> None:
    path = shared_file("forecasting", "nyc_caserate_by_modzcta_weekly.csv")
    series = series_from_table(
        path, TableSeriesConfig(period="week_ending", prefix="CASERATE_", gaps="interpolate")
    )
    keys = series.keys
    assert "CITY" in keys and "10001" in keys
    assert len([k for k in keys if k.isdigit()]) == 177
    assert series.freq == "week" and series.offset == "W-SAT"
    assert len(series.values("CITY")) > 280
    assert np.all(series.frame["value"] >= 0)
