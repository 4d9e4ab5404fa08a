"""Every public analysis, for the engine contract (tests/contract/test_engines.py): a list of
``(name, callable(view) -> JSON-able result)``. Add one entry per public analysis.

An analysis that cannot yet run identically on Spark stays listed, with a documented ``notyet``
marker and the reason, never left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from civicflow.mining import LogView, SlaConfig, compute_kpis


def _kpis(view: LogView) -> dict[str, Any]:
    # computed_at and engine differ between runs by design; the values and their definitions must not
    snap = compute_kpis(view, sla=SlaConfig(target_seconds=30 * 86400))
    return {v.name: {"value": v.value, "definition": v.definition} for v in snap}


ANALYSES: list[tuple[str, Callable[[LogView], Any]]] = [
    ("compute_kpis", _kpis),
]
