"""Breakdown: one case-level KPI per value of a case attribute (district, case type, channel),
next to its overall value, so differences between groups are visible at a glance.

KPI names, units and definitions are those of the KPI registry (``KPI_DEFINITIONS``), so a
breakdown's overall value is the value ``compute_kpis`` gives on the same view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.eventlog import ACTIVITY, CASE_ID
from civicflow.mining._activities import count_value, micros_between, seconds_value
from civicflow.mining._kpis import DAY_SECONDS, compute_kpis, kpi_definition
from civicflow.mining._record import Record, Rows
from civicflow.mining._sla import SlaConfig, case_outcomes
from civicflow.mining._view import EventLogFilter, case_spans

if TYPE_CHECKING:
    import pandas as pd
    from ibis.expr.types import Table

    from civicflow.mining._view import LogView

MISSING_GROUP = "(missing)"
"""The group of cases without a value for the attribute."""

GROUPED_KPIS: tuple[str, ...] = (
    "case_count",
    "events_per_case",
    "throughput_median_days",
    "throughput_mean_days",
    "throughput_p90_days",
    "rework_share",
    "sla_compliance_share",
)
"""KPIs computed for all groups in one grouped query. Any other KPI of the registry is computed
per group on a filtered view (and then has no value for the group of missing values)."""


BREAKDOWN_MAX_GROUPS = 25
"""Most groups an attribute may have to be offered for a breakdown (a chart of more is noise)."""
BREAKDOWN_MAX_GROUP_RATIO = 0.75
"""Most groups per case an attribute may have: above it (an applicant id, one case per group)
a breakdown only restates the cases."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakdownAttribute(Record):
    """A case attribute and whether a breakdown by it says something: 2 to
    :data:`BREAKDOWN_MAX_GROUPS` groups, and at most :data:`BREAKDOWN_MAX_GROUP_RATIO` groups per
    case (near-unique attributes such as ids are left out)."""

    name: str
    groups: int
    """Distinct values (missing values not counted)."""
    cases: int
    suitable: bool
    reason: str
    """Why it is offered or not, in words."""


def breakdown_attributes(view: LogView) -> tuple[BreakdownAttribute, ...]:
    """Every case attribute of the view with its number of groups and whether a breakdown by it
    is offered (see :class:`BreakdownAttribute`); the workbench's default is the first offered,
    the report's are the first three."""
    cases = view.cases
    names = [
        c for c in view.dataset.manifest.case_attributes if c in cases.columns and c != CASE_ID
    ]
    if not names:
        return ()
    counts = view.execute(
        cases.aggregate(
            _cases=cases.count(), **{f"_n{i}": cases[n].nunique() for i, n in enumerate(names)}
        )
    ).iloc[0]
    total = count_value(counts["_cases"])
    out = []
    for i, name in enumerate(names):
        n = count_value(counts[f"_n{i}"])
        if n < 2:
            ok, why = False, "a single value: no groups to compare"
        elif n > BREAKDOWN_MAX_GROUP_RATIO * total:
            ok, why = False, f"{n:,} groups for {total:,} cases: nearly one case per group"
        elif n > BREAKDOWN_MAX_GROUPS:
            ok, why = False, f"{n:,} groups, more than {BREAKDOWN_MAX_GROUPS}"
        else:
            ok, why = True, f"{n:,} groups"
        out.append(BreakdownAttribute(name=name, groups=n, cases=total, suitable=ok, reason=why))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakdownGroup(Record):
    value: str
    cases: int
    kpi_value: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Breakdown(Rows[BreakdownGroup]):
    """A KPI per group of a case attribute, largest group first, and overall."""

    kpi: str
    by: str
    unit: str
    definition: str
    overall: float | None
    cases: int
    groups: tuple[BreakdownGroup, ...]
    note: str | None = None

    _rows = "groups"
    _row_key = "value"

    def group(self, value: str) -> BreakdownGroup:
        return self._row(value)


def breakdown(view: LogView, *, kpi: str, by: str, sla: SlaConfig | None = None) -> Breakdown:
    """The KPI ``kpi`` (a name in ``KPI_DEFINITIONS``) per value of the case attribute ``by``.

    ``sla_compliance_share`` needs ``sla``. Cases without a value form the group ``(missing)``.
    """
    definition = kpi_definition(kpi)
    if definition.needs_sla and sla is None:
        raise ConfigurationError(
            f"the KPI '{kpi}' needs an SLA definition",
            where=Location(field="sla"),
            expected="sla=SlaConfig(target_seconds=...) or SlaConfig(deadline_attribute=...)",
            fix="pass the SLA to break down",
        )
    cases = view.cases
    if by == CASE_ID or by not in cases.columns:
        raise InputError(
            f"cannot break down by '{by}': the dataset has no such case attribute",
            where=Location(file=view.dataset.name, field=by),
            found=by,
            expected="one of: " + (", ".join(c for c in cases.columns if c != CASE_ID) or "(none)"),
            fix="pick a case attribute, or map the column as a case attribute at ingest",
        )
    groups = cases.select(CASE_ID, _group=cases[by].cast("string").fill_null(MISSING_GROUP))
    text = definition.definition + (
        f" SLA: {sla.describe()}." if sla and definition.needs_sla else ""
    )
    common = {"kpi": kpi, "by": by, "unit": definition.unit, "definition": text}
    if kpi == "sla_compliance_share":
        assert sla is not None
        return _sla_breakdown(view, groups=groups, sla=sla, common=common)
    if kpi not in GROUPED_KPIS:
        return _filtered_breakdown(view, groups=groups, sla=sla, common=common)

    events = view.events
    per_case = case_spans(view).join(
        events.group_by(CASE_ID).aggregate(n_events=events.count()), CASE_ID
    )
    if kpi == "rework_share":
        # the registry's definition: some activity label occurs more than once in the case
        pairs = events.group_by([CASE_ID, ACTIVITY]).aggregate(n=events.count())
        flags = pairs.group_by(CASE_ID).aggregate(has_rework=(pairs.n > 1).any())
        per_case = per_case.join(flags, CASE_ID)
    per_case = per_case.join(groups, CASE_ID)

    def metrics(t: Table) -> dict[str, Any]:
        # sums of integers (microseconds, counts) are exact on every engine; ratios are taken in
        # Python so both engines give the same digits
        out: dict[str, Any] = {"cases": t.count()}
        if kpi == "throughput_median_days":
            out["value"] = t.throughput_seconds.quantile(0.5)
        elif kpi == "throughput_p90_days":
            out["value"] = t.throughput_seconds.quantile(0.9)
        elif kpi == "throughput_mean_days":
            out["total"] = micros_between(t.case_start, t.case_end).sum()
        elif kpi == "events_per_case":
            out["total"] = t.n_events.sum()
        elif kpi == "rework_share":
            out["total"] = t.has_rework.cast("int64").sum()
        return out

    def value(r: dict[Any, Any]) -> float | None:
        n = count_value(r["cases"])
        if not n:
            return None
        if kpi == "case_count":
            return float(n)
        if kpi in ("throughput_median_days", "throughput_p90_days"):
            seconds = seconds_value(r["value"])
            return None if seconds is None else seconds / DAY_SECONDS
        total = float(r["total"])
        if kpi == "throughput_mean_days":
            return total / n / 1_000_000 / DAY_SECONDS
        return total / n

    per_group = view.execute(per_case.group_by("_group").aggregate(**metrics(per_case)))
    overall = view.execute(per_case.aggregate(**metrics(per_case)))
    return _result(
        **common,
        overall=value(overall.to_dict("records")[0]),
        cases=count_value(overall["cases"].iloc[0]),
        rows=[(str(r["_group"]), int(r["cases"]), value(r)) for r in per_group.to_dict("records")],
    )


def _sla_breakdown(
    view: LogView, *, groups: Table, sla: SlaConfig, common: dict[str, str]
) -> Breakdown:
    outcomes = case_outcomes(view, config=sla)
    labels = view.execute(groups)
    merged = outcomes.merge(labels, on=CASE_ID, how="left")
    merged["_group"] = merged["_group"].fillna(MISSING_GROUP)

    def share(status: pd.Series) -> float | None:
        decided = status.isin(["compliant", "breached"])
        return float((status == "compliant").sum() / decided.sum()) if decided.any() else None

    rows = [
        (str(value), len(part), share(part["status"]))
        for value, part in merged.groupby("_group", sort=False)
    ]
    return _result(**common, overall=share(merged["status"]), cases=len(merged), rows=rows)


def _filtered_breakdown(
    view: LogView, *, groups: Table, sla: SlaConfig | None, common: dict[str, str]
) -> Breakdown:
    counts = view.execute(groups.group_by("_group").aggregate(cases=groups.count()))
    kpi, by = common["kpi"], common["by"]
    overall = compute_kpis(view, names=[kpi], sla=sla)
    rows: list[tuple[str, int, float | None]] = []
    missing = False
    for r in counts.to_dict("records"):
        label, n = str(r["_group"]), int(r["cases"])
        if label == MISSING_GROUP:
            missing = True
            rows.append((label, n, None))
            continue
        f = view.filter
        narrowed = EventLogFilter.from_dict(
            {**f.to_dict(), "case_attributes": {**dict(f.case_attributes), by: [label]}}
        )
        rows.append(
            (label, n, compute_kpis(view.with_filter(narrowed), names=[kpi], sla=sla).value(kpi))
        )
    return _result(
        **common,
        overall=overall.value(kpi),
        cases=overall.cases,
        rows=rows,
        note="computed per group on a filtered view; the group of missing values has no value"
        if missing
        else None,
    )


def _result(
    *,
    kpi: str,
    by: str,
    unit: str,
    definition: str,
    overall: float | None,
    cases: int,
    rows: list[tuple[str, int, float | None]],
    note: str | None = None,
) -> Breakdown:
    groups = sorted(
        (BreakdownGroup(value=v, cases=n, kpi_value=x) for v, n, x in rows),
        key=lambda g: (-g.cases, g.value),
    )
    return Breakdown(
        kpi=kpi,
        by=by,
        unit=unit,
        definition=definition,
        overall=overall,
        cases=cases,
        groups=tuple(groups),
        note=note,
    )
