"""Planning and simulation: a simulation model discovered from a log, a fast seeded
discrete-event engine, what-if scenarios, and the Prosimos JSON + BPMN exchange form."""

from civicflow.planning._discover import DiscoveryConfig, discover_model
from civicflow.planning._distributions import Distribution, GoodnessOfFit, fit_distribution
from civicflow.planning._engine import (
    ProgressCallback,
    SimulationConfig,
    SimulationResult,
    expected_arrivals,
    simulate,
)
from civicflow.planning._model import (
    END,
    SCHEMA_VERSION,
    ActivityModel,
    ArrivalModel,
    Branching,
    CaseAttribute,
    ControlFlow,
    Priority,
    ResourcePool,
    SimulationModel,
)
from civicflow.planning._prosimos import ProsimosExport, from_prosimos, to_prosimos
from civicflow.planning._scenario import (
    ActivityDuration,
    ArrivalVolume,
    BranchProbability,
    Change,
    RemoveActivity,
    RemoveRework,
    Scenario,
    Staffing,
)

__all__ = [
    "END",
    "SCHEMA_VERSION",
    "ActivityDuration",
    "ActivityModel",
    "ArrivalModel",
    "ArrivalVolume",
    "BranchProbability",
    "Branching",
    "CaseAttribute",
    "Change",
    "ControlFlow",
    "DiscoveryConfig",
    "Distribution",
    "GoodnessOfFit",
    "Priority",
    "ProgressCallback",
    "ProsimosExport",
    "RemoveActivity",
    "RemoveRework",
    "ResourcePool",
    "Scenario",
    "SimulationConfig",
    "SimulationModel",
    "SimulationResult",
    "Staffing",
    "discover_model",
    "expected_arrivals",
    "fit_distribution",
    "from_prosimos",
    "simulate",
    "to_prosimos",
]
