"""Demand forecasts with roles and the ledger: from a dataset's arrivals or a table, each stored
as the next version of a named forecast.

Read (WORKSPACE_READ): ``list_forecasts``, ``get_forecast``. Run (FORECAST_WRITE, one ledger
entry ``forecast.run``): ``run_forecast``. The report's "Demand forecasts" section:
``report_section``, ``local_report_section``.
"""

from civicflow.app._forecasts import (
    SourceKind,
    StoredForecast,
    get_forecast,
    list_forecasts,
    local_report_section,
    report_section,
    run_forecast,
)

__all__ = [
    "SourceKind",
    "StoredForecast",
    "get_forecast",
    "list_forecasts",
    "local_report_section",
    "report_section",
    "run_forecast",
]
