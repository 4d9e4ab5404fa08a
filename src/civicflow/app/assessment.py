"""Assessment with roles and the ledger: ingest and delete datasets, open views, freeze baselines.

``ingest_dataset`` (DATASET_WRITE; ledger ``dataset.ingest``, after-digest = the dataset's
fingerprint), ``store_dataset`` (the same for a dataset a generator or simulation writes), ``delete_dataset`` (DATASET_DELETE), ``freeze_baseline`` (BASELINE_WRITE; ledger
``baseline.freeze``; also measures the workspace's objectives on the KPIs it holds),
``open_view`` (WORKSPACE_READ: the LogView every ``civicflow.mining`` analysis takes; ``read_view``
the same on a folder the command line reads, without a role),
``compare`` (WORKSPACE_READ: two filters on one dataset side by side), ``export_event_log``
(WORKSPACE_READ; ledger ``dataset.export``: the filtered log as CSV, Parquet or XES),
``save_filter_set``/``delete_filter_set`` (BASELINE_WRITE; ledger ``filter_set.save``/``.delete``),
``workspace_filter_sets``/``get_filter_set``, the case explorer's ``list_cases``/``show_case`` and
the filter ``funnel`` (WORKSPACE_READ),
``recover_workspace``/``recover_workspaces`` (at start: interrupted changes completed or rolled
back against the ledger, abandoned temporary files removed; a ``RecoveryReport`` says what).
"""

from civicflow.app._assessment import (
    analytics_engine,
    delete_baseline,
    delete_dataset,
    engine_lock,
    freeze_baseline,
    get_baseline,
    ingest_dataset,
    list_datasets,
    list_workspace_baselines,
    open_view,
    read_view,
    recover_workspace,
    recover_workspaces,
    store_dataset,
)
from civicflow.app._explore import (
    FILTER_SET,
    delete_filter_set,
    funnel,
    get_filter_set,
    list_cases,
    save_filter_set,
    show_case,
    workspace_filter_sets,
)
from civicflow.app._exports import compare, export_event_log
from civicflow.app._journal import RecoveryReport

__all__ = [
    "FILTER_SET",
    "RecoveryReport",
    "analytics_engine",
    "compare",
    "delete_baseline",
    "delete_dataset",
    "delete_filter_set",
    "engine_lock",
    "export_event_log",
    "freeze_baseline",
    "funnel",
    "get_baseline",
    "get_filter_set",
    "ingest_dataset",
    "list_cases",
    "list_datasets",
    "list_workspace_baselines",
    "open_view",
    "read_view",
    "recover_workspace",
    "recover_workspaces",
    "save_filter_set",
    "show_case",
    "store_dataset",
    "workspace_filter_sets",
]
