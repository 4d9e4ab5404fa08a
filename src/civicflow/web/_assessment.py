"""The assessment pages' bridge to the mining package: views, cached analyses, baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class BaselineSummary:
    name: str
    dataset: str
    created_at: str
    kpis: tuple[tuple[str, str], ...]


def latest_baseline(ws: Any) -> BaselineSummary | None:
    """The most recently frozen baseline of a workspace, or ``None``."""
    from civicflow import mining

    lister = getattr(mining, "list_baselines", None)
    if lister is None:
        return None
    store = ws.store()
    baselines = list(lister(store))
    if not baselines:
        return None
    latest = max(baselines, key=lambda b: str(getattr(b, "created_at", "")))
    kpis = getattr(latest, "kpis", {}) or {}
    items = kpis.items() if isinstance(kpis, dict) else [(k.name, k.value) for k in kpis]
    return BaselineSummary(
        name=str(latest.name),
        dataset=str(getattr(latest, "dataset", "")),
        created_at=str(getattr(latest, "created_at", "")),
        kpis=tuple((str(k), str(v)) for k, v in items),
    )
