"""The assessment pages' bridge to the mining package: views from query parameters, cached
analyses, Vega-Lite specs, baselines."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from civicflow import mining
from civicflow.core import InputError, Location, NotFoundError
from civicflow.eventlog import Dataset, Engine, EventStore
from civicflow.mining import EventLogFilter, LogView
from civicflow.web._analysis import AnalysisCache

ANALYSES = ("map", "variants", "bottlenecks", "rework", "sla", "breakdown")
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class BaselineSummary:
    name: str
    dataset: str
    created_at: str
    kpis: tuple[tuple[str, str], ...]


def latest_baseline(ws: Any) -> BaselineSummary | None:
    """The most recently frozen baseline of a workspace, or ``None``."""
    baselines = mining.list_baselines(ws.store())
    if not baselines:
        return None
    latest = max(baselines, key=lambda b: b.created_at)
    return BaselineSummary(
        name=latest.name,
        dataset=latest.dataset,
        created_at=latest.created_at,
        kpis=tuple((v.label, v.formatted()) for v in latest.kpis),
    )


# -- filters from the query string ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """The assessment's shared state, carried in the URL so every view and export agrees."""

    dataset: str
    filter: EventLogFilter
    params: tuple[tuple[str, str], ...]

    def qs(self, **extra: str) -> str:
        from urllib.parse import urlencode

        items = [(k, v) for k, v in self.params if k not in extra] + list(extra.items())
        return urlencode(items)


def _date(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(
            f"'{value}' is not a date",
            where=Location(field=field),
            found=value,
            expected="a date such as 2024-01-31",
            fix="pick the date with the date field",
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _days(value: str, field: str) -> float | None:
    if not value:
        return None
    try:
        days = float(value)
    except ValueError as exc:
        raise InputError(
            f"'{value}' is not a number of days",
            where=Location(field=field),
            found=value,
            expected="a number of days such as 30 or 2.5",
        ) from exc
    if not math.isfinite(days) or days < 0:
        raise InputError(
            "a number of days must be zero or more",
            where=Location(field=field),
            found=value,
            expected="a finite number >= 0",
        )
    return days * DAY


FILTER_KEYS = (
    "start",
    "end",
    "present",
    "absent",
    "attr",
    "attr_value",
    "min_days",
    "max_days",
    "variant",
)


def parse_query(params: Mapping[str, str], multi: Callable[[str], list[str]]) -> Query:
    """Read the dataset and the shared filter from query parameters."""
    dataset = (params.get("dataset") or "").strip()
    attr = (params.get("attr") or "").strip()
    attr_values = tuple(v.strip() for v in multi("attr_value") if v.strip())
    f = EventLogFilter(
        start=_date(params.get("start", ""), "start"),
        end=_date(params.get("end", ""), "end"),
        activities_present=tuple(a for a in multi("present") if a),
        activities_absent=tuple(a for a in multi("absent") if a),
        case_attributes=((attr, attr_values),) if attr and attr_values else (),
        min_throughput_seconds=_days(params.get("min_days", ""), "min_days"),
        max_throughput_seconds=_days(params.get("max_days", ""), "max_days"),
        variants=tuple(v for v in multi("variant") if v),
    )
    kept = tuple(
        (k, v)
        for k in ("dataset", *FILTER_KEYS)
        for v in (
            multi(k) if k in {"present", "absent", "attr_value", "variant"} else [params.get(k, "")]
        )
        if v
    )
    return Query(dataset=dataset, filter=f, params=kept)


# -- views and cached analyses ------------------------------------------------------------------


def open_dataset(store: EventStore, name: str) -> Dataset:
    names = store.dataset_names()
    if name not in names:
        raise NotFoundError(
            f"there is no dataset '{name}' in this workspace",
            where=Location(field="dataset"),
            found=name,
            expected="one of: " + (", ".join(names) or "(no datasets yet)"),
            fix="upload an event log on the Datasets page, or pick one from the list",
        )
    return store.dataset(name)


def make_view(engine: Engine, store: EventStore, query: Query) -> LogView:
    return LogView(engine=engine, dataset=open_dataset(store, query.dataset), filter=query.filter)


class Analyst:
    """Runs analyses on views, caching results per (dataset fingerprint, engine, filter, options)."""

    def __init__(self, engine: Engine, cache: AnalysisCache) -> None:
        self.engine = engine
        self.cache = cache

    def run(
        self, view: LogView, name: str, options: tuple[Any, ...], compute: Callable[[], Any]
    ) -> Any:
        return self.cache.get_or_compute((view.cache_key, name, options), compute)

    def process_map(self, view: LogView, *, max_activities: int | None, path_share: float) -> Any:
        config = mining.ProcessMapConfig(max_activities=max_activities, path_share=path_share)
        return self.run(
            view, "map", (max_activities, path_share), lambda: mining.process_map(view, config)
        )

    def variants(self, view: LogView, *, top: int = 20) -> Any:
        return self.run(view, "variants", (top,), lambda: mining.variants(view, top=top))

    def bottlenecks(self, view: LogView) -> Any:
        return self.run(view, "bottlenecks", (), lambda: mining.bottlenecks(view))

    def rework(self, view: LogView) -> Any:
        return self.run(view, "rework", (), lambda: mining.rework(view))

    def sla(self, view: LogView, config: mining.SlaConfig) -> Any:
        key = (config.target_seconds, config.deadline_attribute)
        return self.run(view, "sla", key, lambda: mining.sla_compliance(view, config=config))

    def breakdown(self, view: LogView, *, kpi: str, by: str) -> Any:
        return self.run(
            view, "breakdown", (kpi, by), lambda: mining.breakdown(view, kpi=kpi, by=by)
        )

    def throughput(self, view: LogView) -> Any:
        return self.run(view, "throughput", (), lambda: mining.throughput_times(view))

    def kpis(self, view: LogView) -> Any:
        return self.run(view, "kpis", (), lambda: mining.compute_kpis(view))

    def activities(self, view: LogView) -> list[str]:
        stats = self.run(
            view.with_filter(EventLogFilter()),
            "activity_names",
            (),
            lambda: mining.activity_stats(view.with_filter(EventLogFilter())),
        )
        return sorted(a.activity for a in stats.activities)


# -- presentation helpers -------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    from civicflow.mining._durations import format_duration

    return format_duration(seconds)


def variants_chart(result: Any) -> dict[str, Any]:
    """Vega-Lite bar chart of the listed variants' case counts."""
    rows = [
        {
            "variant": f"#{i + 1} ({len(v.activities)} steps)",
            "cases": v.cases,
            "share": round(100 * v.share, 1),
        }
        for i, v in enumerate(result.variants)
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Cases per variant, most frequent first",
        "data": {"values": rows},
        "mark": "bar",
        "width": "container",
        "encoding": {
            "y": {"field": "variant", "type": "nominal", "sort": None, "title": "Variant"},
            "x": {"field": "cases", "type": "quantitative", "title": "Cases"},
            "tooltip": [
                {"field": "variant"},
                {"field": "cases"},
                {"field": "share", "title": "% of cases"},
            ],
            "color": {"value": "#0b4f8a"},
        },
    }


def bars_chart(
    rows: list[dict[str, Any]], *, x: str, y: str, x_title: str, y_title: str, description: str
) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": description,
        "data": {"values": rows},
        "mark": "bar",
        "width": "container",
        "encoding": {
            "y": {"field": y, "type": "nominal", "sort": None, "title": y_title},
            "x": {"field": x, "type": "quantitative", "title": x_title},
            "tooltip": [{"field": y}, {"field": x}],
            "color": {"value": "#0b4f8a"},
        },
    }


def sla_chart(result: Any) -> dict[str, Any]:
    rows = [
        {"period": str(p.to_dict().get("period")), "share": p.to_dict().get("share")}
        for p in result.trend
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Share of cases completed on time, by the period they ended in",
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "width": "container",
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "title": "Period"},
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": "On time",
                "axis": {"format": ".0%"},
            },
            "color": {"value": "#1e6b35"},
        },
    }
