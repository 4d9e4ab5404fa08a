"""KPI definitions: named, typed measures of a process with a definition a person can recompute by
hand, computed from a :class:`LogView` so filters apply as everywhere else.

Every value carries its definition and the fingerprint of the data it was computed from (evidence
over opinion): a baseline, an objective or a report can always say what a number means and where
it came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from civicflow.core import InputError, Location, utcnow
from civicflow.eventlog import ACTIVITY, CASE_ID, COST, LIFECYCLE
from civicflow.mining._activities import (
    NON_COMPLETING_TRANSITIONS,
    WAITING_DEFINITION,
    activity_instances,
)
from civicflow.mining._format import MISSING, format_share
from civicflow.mining._record import Kpis, Record
from civicflow.mining._sla import SlaConfig, SlaResult, sla_compliance
from civicflow.mining._view import case_spans, case_variants

if TYPE_CHECKING:
    import pandas as pd

    from civicflow.mining._view import LogView

Direction = Literal["lower_is_better", "higher_is_better", "neutral"]
"""Which way a KPI should move; "neutral" for volumes (more applications is neither)."""

DAY_SECONDS = 86_400.0
WEEK_SECONDS = 7 * DAY_SECONDS


class KpiContext:
    """What a KPI is computed from: a view, an optional SLA, and per-case tables fetched once.

    The per-case tables are small (one row per case) Ibis results; summaries over them (medians,
    shares) are computed in numpy so every engine gives the same numbers.
    """

    def __init__(self, view: LogView, *, sla: SlaConfig | None = None) -> None:
        self.view = view
        self.sla = sla

    @cached_property
    def spans(self) -> pd.DataFrame:
        """case_id, case_start, case_end, throughput_seconds, events, cost — one row per case."""
        events = self.view.events
        per_case = events.group_by(CASE_ID).aggregate(
            events=events.count(), cost=events[COST].sum()
        )
        spans = case_spans(self.view)
        joined = spans.join(per_case, CASE_ID)
        return self.view.execute(joined).sort_values(CASE_ID, ignore_index=True)

    @property
    def case_count(self) -> int:
        return len(self.spans)

    @cached_property
    def variant_counts(self) -> np.ndarray:
        """Cases per variant, largest first."""
        cv = case_variants(self.view)
        counts = cv.group_by("variant").aggregate(n=cv.count())
        df = self.view.execute(counts.select("n"))
        return np.sort(df["n"].to_numpy(dtype=np.int64))[::-1]

    @cached_property
    def rework_cases(self) -> int:
        """Cases in which some activity has more than one finished instance."""
        events = self.view.events
        # a finishing event is one activity instance (as in activity_instances), so counting them
        # gives the flags of rework() without its start-matching join
        lifecycle = events[LIFECYCLE].lower().fill_null("")
        finished = events.filter(~lifecycle.isin(list(NON_COMPLETING_TRANSITIONS)))
        pairs = finished.group_by([CASE_ID, ACTIVITY]).aggregate(n=finished.count())
        repeated = pairs.filter(pairs.n > 1).select(CASE_ID).distinct()
        return int(self.view.execute(repeated.aggregate(n=repeated.count()))["n"].iloc[0])

    @cached_property
    def waiting_seconds(self) -> np.ndarray:
        """Per case: total waiting time before its activity instances (see WAITING_DEFINITION)."""
        inst = activity_instances(self.view.events)
        # whole microseconds sum exactly, so every engine gives the same total
        per_case = inst.group_by(CASE_ID).aggregate(wait_us=inst.wait_us.sum())
        df = self.view.execute(per_case)
        return df["wait_us"].fillna(0).to_numpy(dtype=np.float64) / 1_000_000

    @cached_property
    def sla_result(self) -> SlaResult | None:
        if self.sla is None:
            return None
        return sla_compliance(self.view, config=self.sla)

    @property
    def sla_share(self) -> float | None:
        return None if self.sla_result is None else self.sla_result.share


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiDefinition(Record):
    """A KPI: what it is called, its unit and direction, how to compute it by hand, and the code."""

    name: str
    label: str
    unit: str
    direction: Direction
    definition: str
    """Plain language, precise enough to recompute the value by hand from the event log."""
    compute: Callable[[KpiContext], float | None] = field(repr=False, compare=False)
    needs_sla: bool = False
    sample: Callable[[KpiContext], dict[str, Any] | None] | None = field(
        default=None, repr=False, compare=False
    )
    """What a significance test of a change needs, kept in a baseline (:data:`SAMPLE_LIMIT`):
    ``{"values": [...]}`` (per-case values; Mann-Whitney U) or ``{"successes": k, "trials": n}``
    (a rate; two-proportion z-test). None for KPIs no test applies to (counts of the whole)."""

    _skip = ("compute", "sample")


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiValue(Record):
    """One KPI's value with its definition and the data it came from."""

    name: str
    label: str
    unit: str
    direction: Direction
    definition: str
    value: float | None
    """None when the KPI cannot be computed here (see ``note``)."""
    dataset: str
    fingerprint: str
    note: str | None = None
    sample: dict[str, Any] | None = None
    """The per-case values or counts a significance test needs (a baseline keeps them when the
    view has at most :data:`SAMPLE_LIMIT` cases); None otherwise."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KpiValue:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        out = Record.to_dict(self)
        if out["sample"] is None:
            del out["sample"]  # only baselines keep samples; other snapshots stay as they were
        return out

    def formatted(self) -> str:
        return format_kpi_value(self.value, self.unit)


def kpi_unit(unit: str, currency: str | None) -> str:
    """A KPI's unit with the dataset's currency: ``cost/case`` becomes ``EUR/case`` when the
    dataset was ingested with ``--currency EUR`` (it stays ``cost/case`` without one)."""
    if currency and unit.startswith("cost/"):
        return f"{currency}/{unit.removeprefix('cost/')}"
    return unit


def format_kpi_value(value: float | None, unit: str) -> str:
    """A short human label of a KPI value: shares as percentages, counts without decimals."""
    if value is None:
        return MISSING
    if unit == "share":
        return format_share(value)
    if unit in ("cases", "variants"):
        return f"{value:,.0f}"
    return f"{value:,.2f} {unit}"


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiSnapshot(Kpis[KpiValue]):
    """KPI values of one view at one moment: what a baseline freezes and a comparison reads."""

    values: tuple[KpiValue, ...]
    dataset: str
    fingerprint: str
    engine: str
    filter: dict[str, Any]
    events: int
    cases: int
    computed_at: str
    sla: dict[str, Any] | None = None

    _rows = "values"
    _rows_key = "kpis"


# --- the computations -------------------------------------------------------------------------


def _percentile(values: np.ndarray, q: float) -> float | None:
    # linear interpolation between order statistics (numpy's default, as PM4Py and pandas do)
    return float(np.percentile(values, q * 100)) if len(values) else None


SAMPLE_LIMIT = 100_000
"""Most cases whose per-case values a baseline keeps for significance tests (a larger view's
baseline keeps none, and its changes are "not tested")."""


def _values(values: np.ndarray) -> dict[str, Any] | None:
    if len(values) > SAMPLE_LIMIT:
        return None
    # whole seconds (or the values as they are) keep the file small and the test unchanged
    return {"values": [round(float(v), 3) for v in values]}


def _proportion(successes: int, trials: int) -> dict[str, Any] | None:
    return {"successes": int(successes), "trials": int(trials)} if trials else None


def _throughput_sample(ctx: KpiContext) -> dict[str, Any] | None:
    return _values(ctx.spans["throughput_seconds"].to_numpy(dtype=np.float64))


def _waiting_sample(ctx: KpiContext) -> dict[str, Any] | None:
    return _values(ctx.waiting_seconds)


def _events_sample(ctx: KpiContext) -> dict[str, Any] | None:
    return _values(ctx.spans["events"].to_numpy(dtype=np.float64))


def _rework_sample(ctx: KpiContext) -> dict[str, Any] | None:
    return _proportion(ctx.rework_cases, ctx.case_count)


def _top10_sample(ctx: KpiContext) -> dict[str, Any] | None:
    counts = ctx.variant_counts
    return _proportion(int(counts[:10].sum()), int(counts.sum()))


def _sla_sample(ctx: KpiContext) -> dict[str, Any] | None:
    res = ctx.sla_result
    return None if res is None else _proportion(res.compliant, res.compliant + res.breached)


def _throughput_days(ctx: KpiContext) -> np.ndarray:
    return ctx.spans["throughput_seconds"].to_numpy(dtype=np.float64) / DAY_SECONDS


def _case_count(ctx: KpiContext) -> float:
    return float(ctx.case_count)


def _events_per_case(ctx: KpiContext) -> float | None:
    n = ctx.case_count
    return float(ctx.spans["events"].sum()) / n if n else None


def _throughput_median(ctx: KpiContext) -> float | None:
    return _percentile(_throughput_days(ctx), 0.5)


def _throughput_mean(ctx: KpiContext) -> float | None:
    days = _throughput_days(ctx)
    return float(days.mean()) if len(days) else None


def _throughput_p90(ctx: KpiContext) -> float | None:
    return _percentile(_throughput_days(ctx), 0.9)


def _rework_share(ctx: KpiContext) -> float | None:
    n = ctx.case_count
    return ctx.rework_cases / n if n else None


def _variant_count(ctx: KpiContext) -> float:
    return float(len(ctx.variant_counts))


def _top10_share(ctx: KpiContext) -> float | None:
    counts = ctx.variant_counts
    total = int(counts.sum())
    # ties at rank 10 do not matter: the ten largest counts sum the same whichever ones are taken
    return float(counts[:10].sum()) / total if total else None


def _median_waiting(ctx: KpiContext) -> float | None:
    return _percentile(ctx.waiting_seconds / DAY_SECONDS, 0.5)


def _sla_share(ctx: KpiContext) -> float | None:
    return ctx.sla_share


def _arrivals_per_week(ctx: KpiContext) -> float | None:
    n = ctx.case_count
    if not n:
        return None
    starts = ctx.spans["case_start"]
    span_weeks = (starts.max() - starts.min()).total_seconds() / WEEK_SECONDS
    return n / max(1.0, span_weeks)


def _cost_per_case(ctx: KpiContext) -> float | None:
    cost = ctx.spans["cost"]
    if not ctx.case_count or cost.isna().all():
        return None
    return float(cost.fillna(0.0).sum()) / ctx.case_count


KPI_DEFINITIONS: dict[str, KpiDefinition] = {
    d.name: d
    for d in (
        KpiDefinition(
            name="case_count",
            label="Cases",
            unit="cases",
            direction="neutral",
            definition="The number of distinct case ids in the (filtered) log.",
            compute=_case_count,
        ),
        KpiDefinition(
            name="events_per_case",
            label="Events per case",
            unit="events/case",
            direction="lower_is_better",
            definition="The number of events divided by the number of cases.",
            compute=_events_per_case,
            sample=_events_sample,
        ),
        KpiDefinition(
            name="throughput_median_days",
            label="Median throughput time",
            unit="days",
            direction="lower_is_better",
            definition=(
                "Per case, the time from its first to its last event (timestamps), in days of 24 h. "
                "The median over all cases; with an even number of cases, the mean of the two "
                "middle values."
            ),
            compute=_throughput_median,
            sample=_throughput_sample,
        ),
        KpiDefinition(
            name="throughput_mean_days",
            label="Mean throughput time",
            unit="days",
            direction="lower_is_better",
            definition=(
                "Per case, the time from its first to its last event, in days of 24 h; "
                "the mean over all cases."
            ),
            compute=_throughput_mean,
            sample=_throughput_sample,
        ),
        KpiDefinition(
            name="throughput_p90_days",
            label="90th percentile throughput time",
            unit="days",
            direction="lower_is_better",
            definition=(
                "Per case, the time from its first to its last event, in days of 24 h. The value "
                "below which 90 % of cases lie: sort the n values, take position 0.9 × (n − 1) "
                "(counting from 0) and interpolate linearly between the two neighbours."
            ),
            compute=_throughput_p90,
            sample=_throughput_sample,
        ),
        KpiDefinition(
            name="rework_share",
            label="Cases with rework",
            unit="share",
            direction="lower_is_better",
            definition=(
                "The share of cases in which at least one activity has more than one finished "
                "instance (a repeated check, a second assessment, ...); lifecycle 'start' events "
                "are not counted separately."
            ),
            compute=_rework_share,
            sample=_rework_sample,
        ),
        KpiDefinition(
            name="variant_count",
            label="Variants",
            unit="variants",
            direction="lower_is_better",
            definition=(
                "The number of distinct activity sequences (variants), each case's activities "
                "in the order of their timestamps (ties by position in the source)."
            ),
            compute=_variant_count,
        ),
        KpiDefinition(
            name="top10_variant_share",
            label="Cases in the 10 most common variants",
            unit="share",
            direction="higher_is_better",
            definition=(
                "Count the cases of each variant; the ten largest counts summed, divided by "
                "the number of cases."
            ),
            compute=_top10_share,
            sample=_top10_sample,
        ),
        KpiDefinition(
            name="median_waiting_days",
            label="Median waiting time per case",
            unit="days",
            direction="lower_is_better",
            definition=(
                "Per case, the sum of the waiting times before its activity instances, in days of "
                "24 h (a case with one instance waits 0); the median over all cases. "
                + WAITING_DEFINITION
            ),
            compute=_median_waiting,
            sample=_waiting_sample,
        ),
        KpiDefinition(
            name="sla_compliance_share",
            label="SLA compliance",
            unit="share",
            direction="higher_is_better",
            definition=(
                "The share of decided cases that finished on time: last event at or before the "
                "case's deadline, or duration at most the target. Cases without a deadline and "
                "open cases are left out."
            ),
            compute=_sla_share,
            needs_sla=True,
            sample=_sla_sample,
        ),
        KpiDefinition(
            name="arrivals_per_week",
            label="New cases per week",
            unit="cases/week",
            direction="neutral",
            definition=(
                "The number of cases divided by the number of weeks between the first and the "
                "last case start (first event), at least one week."
            ),
            compute=_arrivals_per_week,
        ),
        KpiDefinition(
            name="cost_per_case",
            label="Cost per case",
            unit="cost/case",
            direction="lower_is_better",
            definition=(
                "The sum of the events' cost column divided by the number of cases (events "
                "without a cost count as 0); not available when the log records no cost."
            ),
            compute=_cost_per_case,
        ),
    )
}
"""Every KPI civicflow computes, by name."""

DEFAULT_KPIS: tuple[str, ...] = tuple(KPI_DEFINITIONS)


def kpi_definition(name: str) -> KpiDefinition:
    """The definition called ``name``, or a clear error listing the known ones."""
    try:
        return KPI_DEFINITIONS[name]
    except KeyError:
        raise InputError(
            f"unknown KPI '{name}'",
            where=Location(field="kpi"),
            found=name,
            expected="one of: " + ", ".join(KPI_DEFINITIONS),
            fix="pick a KPI name from the list (see `civicflow baseline freeze --help`)",
        ) from None


def compute_kpis(
    view: LogView,
    *,
    names: Iterable[str] | None = None,
    sla: SlaConfig | None = None,
    samples: bool = False,
) -> KpiSnapshot:
    """Compute KPIs (all by default) on ``view``; SLA compliance needs ``sla``. With
    ``samples``, each value keeps what a significance test of a later change needs
    (``KpiValue.sample``; a baseline does)."""
    wanted = list(names) if names is not None else list(DEFAULT_KPIS)
    definitions = [kpi_definition(n) for n in dict.fromkeys(wanted)]
    ctx = KpiContext(view, sla=sla)
    manifest = view.dataset.manifest
    values: list[KpiValue] = []
    for d in definitions:
        note = None
        if d.needs_sla and sla is None:
            value = None
            note = "needs an SLA: a target duration or a deadline attribute"
        else:
            raw = d.compute(ctx) if ctx.case_count else None
            value = None if raw is None or math.isnan(raw) else float(raw)
            if value is None and note is None:
                note = "no cases in the view" if not ctx.case_count else "not available here"
        values.append(
            KpiValue(
                name=d.name,
                label=d.label,
                unit=kpi_unit(d.unit, manifest.options.get("currency")),
                direction=d.direction,
                definition=d.definition
                + (f" SLA: {sla.describe()}." if d.needs_sla and sla is not None else ""),
                value=value,
                dataset=manifest.name,
                fingerprint=manifest.fingerprint,
                note=note,
                sample=(
                    d.sample(ctx)
                    if samples and value is not None and d.sample is not None
                    else None
                ),
            )
        )
    return KpiSnapshot(
        values=tuple(values),
        dataset=manifest.name,
        fingerprint=manifest.fingerprint,
        engine=view.engine.name,
        filter=view.filter.to_dict(),
        events=int(ctx.spans["events"].sum()),
        cases=ctx.case_count,
        computed_at=utcnow().isoformat(),
        sla=sla.to_dict() if sla is not None else None,
    )
