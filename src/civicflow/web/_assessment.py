"""The assessment pages' bridge to the mining package: views from query parameters, cached
analyses, Vega-Lite specs, baselines."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from civicflow import mining
from civicflow.app import Actor, AppContext, assessment
from civicflow.mining import EventLogFilter, LogView
from civicflow.report import ReportConfig, build_section
from civicflow.web._analysis import AnalysisCache

ANALYSES = mining.WEB_TABS
"""The assessment tabs, from the registry of analyses."""
TAB_TITLES = {
    "map": "Process map",
    "variants": "Variants",
    "throughput": "Throughput",
    "arrivals": "Arrivals and work in progress",
    "activities": "Activities",
    "bottlenecks": "Bottlenecks",
    "rework": "Rework",
    "resources": "Resources and handovers",
    "dotted": "Dotted chart",
    "spectrum": "Performance spectrum",
    "replay": "Replay",
    "sla": "SLA",
    "breakdown": "Breakdown",
    "conformance": "Conformance",
}
"""The link text of each tab."""
SECTION_TABS = {
    "throughput": "throughput",
    "arrivals": "arrivals",
    "activities": "activities",
    "resources": "resources",
    "dotted": "dotted-chart",
    "spectrum": "performance-spectrum",
}
"""Tabs that show the report's section of the same analysis (one builder, two doors)."""
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class BaselineSummary:
    name: str
    dataset: str
    created_at: str
    kpis: tuple[tuple[str, str], ...]
    sla: str | None = None
    """The SLA definition in words (``SlaConfig.basis``), None when the baseline has none."""


def latest_baseline(ws: Any) -> BaselineSummary | None:
    """The most recently frozen baseline of a workspace, or ``None``."""
    baselines = mining.list_baselines(ws.store())
    if not baselines:
        return None
    latest = max(baselines, key=lambda b: b.created_at)
    return BaselineSummary(
        name=latest.name,
        dataset=latest.dataset,
        created_at=mining.format_timestamp(latest.created_at),
        kpis=tuple((v.label, v.formatted()) for v in latest.kpis),
        sla=sla.basis if (sla := latest.sla_config()) is not None else None,
    )


def baseline_scope(baseline: mining.Baseline) -> str:
    """What a baseline measured, in words: dataset, cases, filter and SLA definition."""
    from civicflow.report import describe_filter

    conditions = describe_filter(baseline.filter.to_dict())
    sla = baseline.sla_config()
    return (
        f"dataset {baseline.dataset}, {mining.format_number(baseline.cases)} cases"
        + (f" ({'; '.join(conditions)})" if conditions else " (all cases, no filter)")
        + f"; SLA: {sla.basis if sla is not None else 'none'}"
    )


@dataclass(frozen=True, slots=True)
class ProgressBasis:
    """How an objective's progress is measured: its reference baseline and scope, and the
    latest measurement (a later baseline of the same scope)."""

    reference: str
    scope: str
    latest: str


def progress_bases(
    ctx: AppContext, actor: Actor, workspace_id: str, objectives: list[Any]
) -> dict[str, ProgressBasis]:
    """Per objective id, how its progress is measured (for the objectives page)."""
    baselines = {
        b.name: b
        for b in assessment.list_workspace_baselines(ctx, actor=actor, workspace_id=workspace_id)
    }
    out: dict[str, ProgressBasis] = {}
    for o in objectives:
        ref = baselines.get(o.baseline_name)
        if ref is None:
            reference = f"{o.baseline_name} (not in this workspace: nothing can measure it)"
            scope = "unknown"
        else:
            reference = (
                f"{ref.name}, frozen {mining.format_timestamp(ref.created_at)}: "
                f"{mining.format_kpi_value(o.baseline_value, _unit(o.kpi))}"
            )
            scope = baseline_scope(ref)
        if o.latest_value is None:
            latest = (
                "not measured yet: a later baseline of the same dataset, filter and SLA "
                "measures it when it is frozen"
            )
        else:
            source = str(o.latest_source or "").removeprefix("baseline:")
            latest = (
                f"{source}, {mining.format_timestamp(o.latest_measured_at)}: "
                f"{mining.format_kpi_value(o.latest_value, _unit(o.kpi))}"
            )
            if o.latest_change is not None:
                latest += f" — change from the reference: {o.latest_change.words}"
        out[o.id] = ProgressBasis(reference=reference, scope=scope, latest=latest)
    return out


def _unit(kpi: str) -> str:
    definition = mining.KPI_DEFINITIONS.get(kpi)
    return definition.unit if definition is not None else ""


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


FILTER_KEYS = tuple(
    dict.fromkeys(
        key
        for spec in mining.FILTER_OPTIONS
        for key in (
            spec.name,
            *spec.query_aliases,
            *(("attr", "attr_value") if spec.name == "where" else ()),
        )
    )
)
"""The query parameters that carry the filter (the options' names and the forms' older names)."""
SLA_KEYS = tuple(spec.name for spec in mining.SLA_OPTIONS)
"""The query parameters of the SLA tab: the same options as every other door."""


def parse_query(params: Mapping[str, str], multi: Callable[[str], list[str]]) -> Query:
    """Read the dataset and the shared filter from query parameters."""
    dataset = (params.get("dataset") or "").strip()
    f = mining.filter_options(mining.query_values(multi)).to_filter(door="query")
    kept = tuple((k, v) for k in ("dataset", *FILTER_KEYS) for v in multi(k) if v)
    return Query(dataset=dataset, filter=f, params=kept)


class SlaChoice(NamedTuple):
    """The SLA a form or query string asks for: the options shown, the typed SLA (None when
    there is none) and whether it is the dataset's default (no SLA option was given)."""

    options: mining.SlaOptions
    config: mining.SlaConfig | None
    default: bool


def sla_config(multi: Callable[[str], list[str]], *, attributes: Sequence[str] = ()) -> SlaChoice:
    """The SLA options and config of a query string or form: the options given, else the default
    SLA of a dataset with these case ``attributes`` (``SlaOptions.or_default``: each case's
    deadline attribute), as on every other door; None when there is neither. The form's
    deadline attribute replaces its number of days (the form always sends both)."""
    sla = mining.sla_options(mining.query_values(multi), door="query")
    if sla.deadline_attribute is not None and sla.target is None:
        sla = replace(sla, sla_days=None)
    resolved = sla.or_default(attributes)
    return SlaChoice(resolved, resolved.to_config(door="query"), not sla.given)


# -- views and cached analyses ------------------------------------------------------------------


class Analyst:
    """Runs analyses on views, caching results per (dataset fingerprint, engine, filter, options)."""

    def __init__(self, ctx: AppContext, cache: AnalysisCache) -> None:
        self.ctx = ctx
        self.cache = cache

    def view(self, actor: Actor, workspace_id: str, query: Query) -> LogView:
        """The query's view through the application layer (role checked), on its one engine."""
        return assessment.open_view(
            self.ctx,
            actor=actor,
            workspace_id=workspace_id,
            dataset_name=query.dataset,
            filter=query.filter,
        )

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
        key = (json.dumps(config.to_dict(), sort_keys=True),)
        return self.run(view, "sla", key, lambda: mining.sla_compliance(view, config=config))

    def breakdown(self, view: LogView, *, kpi: str, by: str) -> Any:
        return self.run(
            view, "breakdown", (kpi, by), lambda: mining.breakdown(view, kpi=kpi, by=by)
        )

    def section(self, view: LogView, section_id: str, config: ReportConfig) -> Any:
        """The report's section ``section_id`` on the view (None when it has nothing to say)."""
        key = (section_id, repr(config))
        return self.run(view, "section", key, lambda: build_section(view, section_id, config))

    def replay(self, view: LogView, *, max_cases: int) -> Any:
        config = mining.ReplayConfig(max_cases=max_cases)
        return self.run(view, "replay", (max_cases,), lambda: mining.case_replay(view, config))

    def breakdown_attributes(self, view: LogView) -> tuple[mining.BreakdownAttribute, ...]:
        return self.run(view, "breakdown_attributes", (), lambda: mining.breakdown_attributes(view))

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


duration = mining.format_duration


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


def kpi_title(definition: mining.KpiDefinition) -> str:
    """A chart axis title for a KPI: its label and unit (``Median throughput time (days)``)."""
    unit = "%" if definition.unit == "share" else definition.unit
    return f"{definition.label} ({unit})"


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
