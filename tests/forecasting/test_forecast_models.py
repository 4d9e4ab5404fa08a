"""Forecasts: the model chosen by cross-validation, intervals, accuracy against seasonal naive,
known events as regressors, reconciliation, and the errors for series too short to forecast.

statsforecast compiles its models on first use (numba), so the series here are few and short."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.forecasting import (
    TOTAL,
    ForecastConfig,
    ForecastResult,
    KnownEvent,
    TableSeriesConfig,
    coverage,
    forecast,
    mase,
    mase_scale,
    reconcile,
    series_from_table,
    smape,
    summing_matrix,
)

HORIZON = 4


def _weekly(values: dict[str, np.ndarray], start: str = "2021-01-04") -> pd.DataFrame:
    parts = []
    for key, y in values.items():
        grid = pd.date_range(start, periods=len(y), freq="W-MON")
        parts.append(pd.DataFrame({"series": key, "period": grid, "value": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def hierarchy() -> ForecastResult:
    rng = np.random.default_rng(4)
    t = np.arange(70)
    rows = []
    for region, office, level in (("N", "a", 30), ("N", "b", 12), ("S", "c", 20)):
        y = rng.poisson(level + 0.2 * t)
        grid = pd.date_range("2022-01-03", periods=len(t), freq="W-MON")
        rows.append(pd.DataFrame({"region": region, "office": office, "period": grid, "value": y}))
    series = series_from_table(pd.concat(rows), TableSeriesConfig(by=("region", "office")))
    return forecast(series, ForecastConfig(horizon=HORIZON, reconcile="mint_shrink"))


def test_the_table_has_the_columns_an_allocation_reads(hierarchy: ForecastResult) -> None:
    table = hierarchy.table()
    assert list(table.columns) == [
        "series", "period", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model",
    ]  # fmt: skip
    assert len(table) == 6 * HORIZON  # total, N, S and three offices
    assert (table["lo_95"] <= table["lo_80"]).all() and (table["lo_80"] <= table["mean"]).all()
    assert (table["mean"] <= table["hi_80"]).all() and (table["hi_80"] <= table["hi_95"]).all()
    assert table["period"].min() == pd.Timestamp("2022-01-03") + pd.Timedelta(weeks=70)


def test_reconciled_forecasts_add_up(hierarchy: ForecastResult) -> None:
    wide = hierarchy.table().pivot(index="series", columns="period", values="mean")
    np.testing.assert_allclose(wide.loc[TOTAL], wide.loc["N"] + wide.loc["S"], rtol=1e-9)
    np.testing.assert_allclose(wide.loc["N"], wide.loc["N / a"] + wide.loc["N / b"], rtol=1e-9)
    assert hierarchy.reconciled == "mint_shrink"


def test_accuracy_is_reported_against_seasonal_naive(hierarchy: ForecastResult) -> None:
    acc = hierarchy.accuracy
    assert acc is not None and acc.holdout == HORIZON and len(acc.series) == 6
    summary = acc.summary
    assert summary["series"] == 6 and 0 <= summary["beats_naive_share"] <= 1
    assert set(summary["coverage"]) == {"80", "95"}
    for s in acc.series:
        assert s.periods == HORIZON and np.isfinite(s.mase) and np.isfinite(s.naive_mase)
    doc = hierarchy.to_dict()
    assert doc["accuracy"]["summary"]["series"] == 6 and len(doc["forecasts"]) == 6 * HORIZON


def test_a_purely_seasonal_series_gets_seasonal_naive_with_no_error() -> None:
    pattern = np.random.default_rng(1).integers(5, 50, size=52).astype(float)
    series = series_from_table(_weekly({"x": np.tile(pattern, 3)}))
    result = forecast(series, ForecastConfig(horizon=HORIZON, models=("ets", "seasonal_naive")))
    (choice,) = result.choices
    assert choice.model == "seasonal_naive" and choice.season == 52
    assert choice.scores["seasonal_naive"] == 0.0 < choice.scores["ets"]
    np.testing.assert_allclose(result.table()["mean"], pattern[:HORIZON])
    assert result.accuracy is not None
    held_out = result.accuracy.series[0]
    assert held_out.smape == 0.0 and held_out.coverage["80"] == 1.0
    assert np.isnan(held_out.mase)  # the in-sample seasonal naive error is zero: no scale


def test_intermittent_series_get_the_croston_family() -> None:
    rng = np.random.default_rng(2)
    y = np.where(rng.random(60) < 0.25, rng.integers(1, 4, 60), 0).astype(float)
    series = series_from_table(_weekly({"rare": y}))
    result = forecast(series, ForecastConfig(horizon=HORIZON))
    (choice,) = result.choices
    assert choice.intermittent and choice.season == 1
    assert set(choice.scores) == {"croston", "adida", "imapa", "seasonal_naive"}
    assert (result.table()["lo_80"] >= 0).all()


def test_a_known_event_is_a_regressor_that_moves_the_forecast() -> None:
    rng = np.random.default_rng(3)
    grid = pd.date_range("2023-01-02", periods=48, freq="W-MON")
    event_weeks = [*range(3, 48, 5), 50]  # week 50 lies in the horizon
    future = pd.date_range(grid[-1], periods=5, freq="W-MON")[1:]
    dates = [
        (grid[i] if i < len(grid) else future[i - len(grid)]).date() + pd.Timedelta(days=2)
        for i in event_weeks
    ]
    y = 20 + rng.normal(0, 1, len(grid))
    y[[i for i in event_weeks if i < len(grid)]] += 40
    series = series_from_table(_weekly({"x": np.round(y, 1)}, start="2023-01-02"))
    event = KnownEvent(name="deadline", dates=tuple(dates))
    result = forecast(series, ForecastConfig(horizon=HORIZON, events=(event,)))
    (choice,) = result.choices
    assert choice.model == "arima" and "arima" in choice.scores
    means = result.table()["mean"].to_numpy()
    spike = 50 - len(grid)
    assert means[spike] > 45 and means[spike] - np.delete(means, spike).max() > 25


def test_a_short_series_is_an_error_or_left_out() -> None:
    series = series_from_table(_weekly({"long": np.arange(40.0) + 5, "short": np.arange(12.0) + 5}))
    with pytest.raises(InputError) as err:
        forecast(series, ForecastConfig(horizon=HORIZON))
    assert "series 'short'" in err.value.what and "--horizon" in (err.value.fix or "")
    result = forecast(series, ForecastConfig(horizon=HORIZON, short="skip"))
    assert result.skipped == ("short",) and set(result.table()["series"]) == {"long"}


def test_config_errors_name_the_field() -> None:
    with pytest.raises(ConfigurationError) as err:
        ForecastConfig(horizon=0)
    assert err.value.where is not None and err.value.where.field == "horizon"
    with pytest.raises(ConfigurationError):
        ForecastConfig(models=("prophet",))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        ForecastConfig(levels=(80, 100))


def test_reconciliation_methods_make_any_base_forecast_coherent() -> None:
    keys = (TOTAL, "A", "B", "A / x", "A / y", "B / z")
    parents = {TOTAL: None, "A": TOTAL, "B": TOTAL, "A / x": "A", "A / y": "A", "B / z": "B"}
    s, bottom = summing_matrix(keys, parents)
    assert bottom == ("A / x", "A / y", "B / z")
    rows = [keys.index(k) for k in bottom]
    base = np.array([[100.0], [55.0], [40.0], [30.0], [20.0], [42.0]])
    rng = np.random.default_rng(0)
    residuals = rng.normal(0, 1, (30, 6))
    for method in ("bottom_up", "ols", "mint_shrink"):
        out = reconcile(base, s, method=method, bottom_rows=rows, residuals=residuals)  # type: ignore[arg-type]
        assert out[0, 0] == pytest.approx(out[1, 0] + out[2, 0])
        assert out[1, 0] == pytest.approx(out[3, 0] + out[4, 0])
        assert out[2, 0] == pytest.approx(out[5, 0])
    bu = reconcile(base, s, method="bottom_up", bottom_rows=rows)
    assert bu[:, 0].tolist() == [92.0, 50.0, 42.0, 30.0, 20.0, 42.0]
    coherent = s @ np.array([[3.0], [4.0], [5.0]])
    np.testing.assert_allclose(reconcile(coherent, s, method="ols", bottom_rows=rows), coherent)
    with pytest.raises(ConfigurationError):
        reconcile(base, s, method="mint_shrink", bottom_rows=rows, residuals=None)


def test_accuracy_measures_on_known_values() -> None:
    actual = np.array([10.0, 12.0, 0.0])
    predicted = np.array([8.0, 12.0, 0.0])
    assert smape(actual, predicted) == pytest.approx(100 * (2 * 2 / 18) / 3)
    history = np.array([1.0, 3.0, 1.0, 3.0, 1.0])
    assert mase_scale(history, season=1) == 2.0
    assert mase(actual, predicted, 2.0) == pytest.approx((2 / 3) / 2)
    assert np.isnan(mase_scale(np.ones(10), season=1))
    assert coverage(actual, actual - 1, actual + 1) == 1.0
    assert coverage(actual, actual + 1, actual + 2) == 0.0


def test_clipped_forecasts_of_a_hierarchy_still_add_up() -> None:
    # one office's demand falls towards zero: its forecast would go negative and is clipped, and
    # the region and total are summed up again from the clipped offices
    grid = pd.date_range("2023-01-02", periods=40, freq="W-MON")
    falling = np.maximum(0, 30 - 1.0 * np.arange(40))
    frame = pd.concat(
        [pd.DataFrame({"region": "N", "office": "a", "period": grid, "value": falling}),
         pd.DataFrame({"region": "N", "office": "b", "period": grid, "value": 10.0 + np.arange(40) % 2})],
    )  # fmt: skip
    series = series_from_table(frame, TableSeriesConfig(by=("region", "office")))
    result = forecast(
        series, ForecastConfig(horizon=6, models=("ets",), reconcile="ols", evaluate=False)
    )
    table = result.table()
    assert (table[["mean", "lo_80", "lo_95"]] >= 0).all().all()
    assert (table["lo_80"] <= table["mean"]).all() and (table["mean"] <= table["hi_80"]).all()
    wide = table.pivot(index="series", columns="period", values="mean")
    np.testing.assert_allclose(wide.loc["N"], wide.loc["N / a"] + wide.loc["N / b"])
    np.testing.assert_allclose(wide.loc[TOTAL], wide.loc["N"])
    assert result.accuracy is None
