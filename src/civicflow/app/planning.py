"""Simulation with roles and the ledger: stored simulation models and what-if scenarios per
workspace, validations on held-out data, simulation runs (the simulated log becomes a dataset) and
scenario comparisons, each stored with its result.

Read (WORKSPACE_READ): ``list_models``, ``get_model``, ``find_model`` (by id or name),
``list_scenarios``, ``get_scenario``, ``list_runs``, ``get_run``. Change (SIMULATION_WRITE, one
ledger entry each): ``discover`` and ``save_model`` (``simulation_model.create|update``),
``delete_model``, ``save_scenario``/``delete_scenario`` (``scenario.create|update|delete``),
``validate`` (``simulation.validate``), ``run_simulation`` (``dataset.ingest`` +
``simulation.run``; also DATASET_WRITE), ``compare`` (``simulation.compare``; ``StoredRun.comparison()``
is the :class:`civicflow.planning.ScenarioComparison` the business case reads).
"""

from civicflow.app._planning import (
    RunKind,
    StoredModel,
    StoredRun,
    StoredScenario,
    compare,
    delete_model,
    delete_scenario,
    discover,
    find_model,
    get_model,
    get_run,
    get_scenario,
    list_models,
    list_runs,
    list_scenarios,
    run_simulation,
    save_model,
    save_scenario,
    validate,
)

__all__ = [
    "RunKind",
    "StoredModel",
    "StoredRun",
    "StoredScenario",
    "compare",
    "delete_model",
    "delete_scenario",
    "discover",
    "find_model",
    "get_model",
    "get_run",
    "get_scenario",
    "list_models",
    "list_runs",
    "list_scenarios",
    "run_simulation",
    "save_model",
    "save_scenario",
    "validate",
]
