"""Allocation scenarios with roles and the ledger: staff hours (or inspectors, slots) allocated
to areas and periods from forecast demand, the efficient plan beside the fair one.

Read (WORKSPACE_READ): ``list_allocations``, ``get_allocation``. Run (FORECAST_WRITE, ledger
``allocation.run``): ``run_allocation`` (a demand table), ``allocate_file`` (a CSV/Parquet
forecast table); ``forecast_demand`` reads a stored forecast's area series as the demand
(WORKSPACE_READ). Service times from a dataset's handling times per area (WORKSPACE_READ):
``service_times_from_dataset``. The report's "Allocation" section: ``report_section``,
``local_report_section``. The first run of a scenario registers it in the governance register
(``governance_system.create``). Checked in a simulation model of the process (SIMULATION_WRITE,
ledger ``simulation.compare``): ``simulation_check`` with a ``SimulationCheckConfig``; its
results per area: ``simulation_checks``.
"""

from civicflow.app._allocation import (
    MeasuredServiceTimes,
    SimulationCheckConfig,
    StoredAllocation,
    allocate_file,
    default_name,
    forecast_demand,
    get_allocation,
    list_allocations,
    local_report_section,
    report_section,
    run_allocation,
    service_times_from_dataset,
    simulation_check,
    simulation_checks,
)

__all__ = [
    "MeasuredServiceTimes",
    "SimulationCheckConfig",
    "StoredAllocation",
    "allocate_file",
    "default_name",
    "forecast_demand",
    "get_allocation",
    "list_allocations",
    "local_report_section",
    "report_section",
    "run_allocation",
    "service_times_from_dataset",
    "simulation_check",
    "simulation_checks",
]
