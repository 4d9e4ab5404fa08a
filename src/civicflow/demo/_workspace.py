"""Write a generated demo log into a workspace as an ordinary dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from civicflow.demo._generator import DemoConfig, simulate_demo
from civicflow.eventlog import ColumnMapping, Dataset, EventStore

DEMO_DATASET = "demo"
DEMO_MAPPING = ColumnMapping(
    case_id="case_id",
    activity="activity",
    timestamp="timestamp",
    start_timestamp="start_timestamp",
    resource="resource",
    lifecycle="lifecycle",
    cost="cost",
)
_BATCH = 500_000


def build_demo_workspace(
    *,
    path: Path | str,
    config: DemoConfig | None = None,
    dataset_name: str = DEMO_DATASET,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[EventStore, Dataset]:
    """Create (or open) the workspace at ``path`` and store a generated log as ``dataset_name``.

    The dataset is written atomically like any ingest; ``replace`` overwrites an existing one.
    ``progress(done_cases, total_cases)`` reports the simulation's progress.
    """
    cfg = config or DemoConfig()
    workspace = EventStore.create(path)
    log = simulate_demo(config=cfg, progress=progress)
    # the generator's cost rates are euros per hour (see _generator.HOURLY_RATE)
    options = {
        "generator": "civicflow.demo",
        **cfg.to_dict(),
        "staff": log.staff,
        "currency": "EUR",
    }
    with workspace.writer(
        dataset_name,
        source=f"civicflow demo generator (seed {cfg.seed}, {cfg.cases} cases)",
        format="demo",
        mapping=DEMO_MAPPING,
        options=options,
        replace=replace,
    ) as writer:
        for batch in log.events.to_batches(max_chunksize=_BATCH):
            writer.write_events(batch)
        writer.write_cases(log.cases)
    return workspace, workspace.dataset(dataset_name)
