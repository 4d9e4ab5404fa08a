"""Forecasting and allocation: demand series from a dataset's arrivals or a table, forecasts with
a model per series chosen by cross-validation, prediction intervals, accuracy against seasonal
naive, hierarchical reconciliation so offices add up to regions and the total; and allocating
staff hours (or inspectors, vehicles, slots) to areas and periods fairly, with the price of that
fairness shown.

A domain package: no web or database framework, no other domain; the ``app`` layer stores and
ledgers its results and wires it to the fairness audit and the governance register.
"""

from civicflow.forecasting._accuracy import (
    AccuracyReport,
    SeriesAccuracy,
    coverage,
    mase,
    mase_scale,
    smape,
)
from civicflow.forecasting._allocate import (
    OBJECTIVES,
    AllocationConfig,
    AllocationInfeasibleError,
    AllocationResult,
    AreaOutcome,
    Diagnosis,
    Equity,
    Limits,
    Plan,
    PriceOfFairness,
    ServiceTimes,
    allocate,
)
from civicflow.forecasting._allocation_demand import (
    DEMAND_COLUMNS,
    DemandGrid,
    demand_grid,
    population_key,
    rates_to_cases,
    read_demand,
    read_population,
)
from civicflow.forecasting._equity import EquityMeasures, impact_ratios, service_equity
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
    "DEMAND_COLUMNS",
    "FREQS",
    "INTERMITTENT_MODELS",
    "MODELS",
    "OBJECTIVES",
    "RECONCILIATIONS",
    "SEASON",
    "SEPARATOR",
    "TOTAL",
    "AccuracyReport",
    "AllocationConfig",
    "AllocationInfeasibleError",
    "AllocationResult",
    "AreaOutcome",
    "DatasetSeriesConfig",
    "DemandGrid",
    "Diagnosis",
    "Equity",
    "EquityMeasures",
    "ForecastConfig",
    "ForecastResult",
    "Freq",
    "KnownEvent",
    "Limits",
    "ModelChoice",
    "ModelName",
    "Plan",
    "PriceOfFairness",
    "Reconciliation",
    "SeriesAccuracy",
    "SeriesInfo",
    "SeriesSet",
    "ServiceTimes",
    "TableSeriesConfig",
    "allocate",
    "coverage",
    "demand_grid",
    "event_regressors",
    "forecast",
    "impact_ratios",
    "mase",
    "mase_scale",
    "population_key",
    "rates_to_cases",
    "read_demand",
    "read_population",
    "read_table",
    "reconcile",
    "series_from_table",
    "series_from_view",
    "service_equity",
    "shrunk_covariance",
    "smape",
    "summing_matrix",
]
