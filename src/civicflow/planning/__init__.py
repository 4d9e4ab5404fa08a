"""Planning and simulation: a simulation model discovered from a log, a fast seeded
discrete-event engine, what-if scenarios, the Prosimos JSON + BPMN exchange form, validation on
held-out data and the comparison of scenarios over replications."""

from civicflow.planning._comparison import (
    AS_IS,
    ComparisonConfig,
    Estimate,
    ScenarioComparison,
    ScenarioOutcome,
    compare_scenarios,
    measure_outcome,
)
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
from civicflow.planning._validation import (
    Finding,
    KeyFigure,
    Measure,
    SideBySide,
    ValidationConfig,
    ValidationReport,
    validate_model,
)

__all__ = [
    "AS_IS",
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
    "ComparisonConfig",
    "ControlFlow",
    "DiscoveryConfig",
    "Distribution",
    "Estimate",
    "Finding",
    "GoodnessOfFit",
    "KeyFigure",
    "Measure",
    "Priority",
    "ProgressCallback",
    "ProsimosExport",
    "RemoveActivity",
    "RemoveRework",
    "ResourcePool",
    "Scenario",
    "ScenarioComparison",
    "ScenarioOutcome",
    "SideBySide",
    "SimulationConfig",
    "SimulationModel",
    "SimulationResult",
    "Staffing",
    "ValidationConfig",
    "ValidationReport",
    "compare_scenarios",
    "discover_model",
    "expected_arrivals",
    "fit_distribution",
    "from_prosimos",
    "measure_outcome",
    "simulate",
    "to_prosimos",
    "validate_model",
]
