"""Forecasting and allocation: demand forecasts, and allocating staff hours (or inspectors,
vehicles, slots) to areas and periods fairly, with the price of that fairness shown.

A domain package: no web or database framework, no other domain; the ``app`` layer stores and
ledgers its results and wires it to the fairness audit and the governance register.
"""

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

__all__ = [
    "DEMAND_COLUMNS",
    "OBJECTIVES",
    "AllocationConfig",
    "AllocationInfeasibleError",
    "AllocationResult",
    "AreaOutcome",
    "DemandGrid",
    "Diagnosis",
    "Equity",
    "EquityMeasures",
    "Limits",
    "Plan",
    "PriceOfFairness",
    "ServiceTimes",
    "allocate",
    "demand_grid",
    "impact_ratios",
    "population_key",
    "rates_to_cases",
    "read_demand",
    "read_population",
    "service_equity",
]
