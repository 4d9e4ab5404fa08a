"""Forecasting: demand series from a dataset's arrivals or a table, forecasts with a model per
series chosen by cross-validation, prediction intervals, accuracy against seasonal naive, and
hierarchical reconciliation so offices add up to regions and the total.

A domain package: no web or database framework, no other domain; the ``app`` layer stores and
ledgers its results.
"""

from civicflow.forecasting._accuracy import (
    AccuracyReport,
    SeriesAccuracy,
    coverage,
    mase,
    mase_scale,
    smape,
)
from civicflow.forecasting._forecast import (
    DEFAULT_MODELS,
    INTERMITTENT_MODELS,
    MODELS,
    ForecastConfig,
    ForecastResult,
    KnownEvent,
    ModelChoice,
    ModelName,
    event_regressors,
    forecast,
)
from civicflow.forecasting._reconcile import (
    RECONCILIATIONS,
    Reconciliation,
    reconcile,
    shrunk_covariance,
    summing_matrix,
)
from civicflow.forecasting._series import (
    FREQS,
    SEASON,
    SEPARATOR,
    TOTAL,
    DatasetSeriesConfig,
    Freq,
    SeriesInfo,
    SeriesSet,
    TableSeriesConfig,
    read_table,
    series_from_table,
    series_from_view,
)

__all__ = [
    "DEFAULT_MODELS",
    "FREQS",
    "INTERMITTENT_MODELS",
    "MODELS",
    "RECONCILIATIONS",
    "SEASON",
    "SEPARATOR",
    "TOTAL",
    "AccuracyReport",
    "DatasetSeriesConfig",
    "ForecastConfig",
    "ForecastResult",
    "Freq",
    "KnownEvent",
    "ModelChoice",
    "ModelName",
    "Reconciliation",
    "SeriesAccuracy",
    "SeriesInfo",
    "SeriesSet",
    "TableSeriesConfig",
    "coverage",
    "event_regressors",
    "forecast",
    "mase",
    "mase_scale",
    "read_table",
    "reconcile",
    "series_from_table",
    "series_from_view",
    "shrunk_covariance",
    "smape",
    "summing_matrix",
]
