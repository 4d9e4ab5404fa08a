"""A filtered view of a dataset: the one input of every analysis, so filters apply the same way
everywhere (process map, variants, KPIs, baselines, reports, the web)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, TIMESTAMP, Dataset, Engine
from civicflow.mining._derived import VARIANT_SEPARATOR, DerivedPaths, ensure_derived
from civicflow.mining._durations import ordered_concat, seconds_between
from civicflow.mining._filters import (
    AttributeStep,
    DurationStep,
    FilterStack,
    FilterStep,
    TimeFrameStep,
    TimeWindowMode,
    VariantStep,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from ibis.expr.types import Table


@dataclass(frozen=True, slots=True, kw_only=True)
class EventLogFilter:
    """Which cases an analysis looks at: the named conditions (all must hold), then ``steps`` in
    order. :attr:`stack` is the whole filter as one :class:`FilterStack`; empty means all cases.

    Filters select whole cases, never single events, so every case in a view stays complete.
    """

    start: datetime | None = None
    end: datetime | None = None
    time_mode: TimeWindowMode = "intersecting"
    """contained: case starts and ends in [start, end); intersecting: it overlaps the window;
    started: it starts in the window; completed: it ends in the window."""
    case_attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(attribute, allowed values) pairs; a case passes if its value is one of the allowed ones."""
    variants: tuple[str, ...] = ()
    """variant ids (see :func:`variant_id`) to keep."""
    activities_present: tuple[str, ...] = ()
    activities_absent: tuple[str, ...] = ()
    min_throughput_seconds: float | None = None
    max_throughput_seconds: float | None = None
    steps: tuple[FilterStep, ...] = ()
    """Further steps, applied in order after the named conditions (see :class:`FilterStack`)."""

    @property
    def is_empty(self) -> bool:
        return self == EventLogFilter()

    @property
    def stack(self) -> FilterStack:
        """The filter as ordered steps: the named conditions first (time frame, case attributes,
        variants, activities, throughput time), then :attr:`steps`."""
        named: list[FilterStep] = []
        if self.start is not None or self.end is not None:
            named.append(TimeFrameStep(start=self.start, end=self.end, mode=self.time_mode))
        named.extend(
            AttributeStep(attribute=k, values=v, level="case") for k, v in self.case_attributes
        )
        if self.variants:
            named.append(VariantStep(ids=self.variants))
        named.extend(
            AttributeStep(attribute=ACTIVITY, values=(a,), level="event")
            for a in self.activities_present
        )
        if self.activities_absent:
            named.append(
                AttributeStep(
                    attribute=ACTIVITY, values=self.activities_absent, level="event", exclude=True
                )
            )
        if self.min_throughput_seconds is not None or self.max_throughput_seconds is not None:
            named.append(
                DurationStep(
                    min_seconds=self.min_throughput_seconds,
                    max_seconds=self.max_throughput_seconds,
                )
            )
        return FilterStack((*named, *self.steps))

    def then(self, *steps: FilterStep) -> EventLogFilter:
        """This filter with ``steps`` added at the end."""
        return replace(self, steps=(*self.steps, *steps))

    @classmethod
    def from_stack(cls, stack: FilterStack) -> EventLogFilter:
        return cls(steps=stack.steps)

    def key(self) -> str:
        """A stable text key (for caches and baselines)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "time_mode": self.time_mode,
            "case_attributes": {k: list(v) for k, v in self.case_attributes},
            "variants": list(self.variants),
            "activities_present": list(self.activities_present),
            "activities_absent": list(self.activities_absent),
            "min_throughput_seconds": self.min_throughput_seconds,
            "max_throughput_seconds": self.max_throughput_seconds,
        }
        if self.steps:  # absent when empty: the keys of filters stored before steps stay equal
            out["steps"] = [s.to_dict() for s in self.steps]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventLogFilter:
        def dt(v: Any) -> datetime | None:
            return datetime.fromisoformat(v) if v else None

        return cls(
            start=dt(data.get("start")),
            end=dt(data.get("end")),
            time_mode=data.get("time_mode", "intersecting"),
            case_attributes=tuple(
                (str(k), tuple(str(x) for x in v))
                for k, v in (data.get("case_attributes") or {}).items()
            ),
            variants=tuple(data.get("variants") or ()),
            activities_present=tuple(data.get("activities_present") or ()),
            activities_absent=tuple(data.get("activities_absent") or ()),
            min_throughput_seconds=data.get("min_throughput_seconds"),
            max_throughput_seconds=data.get("max_throughput_seconds"),
            steps=FilterStack.from_dict({"steps": data.get("steps") or []}).steps,
        )


def case_spans(events: Table | LogView) -> Table:
    """One row per case: first and last timestamp and throughput time in seconds.

    Given a :class:`LogView`, read from its case summary (derived once per dataset, no pass over
    the events); given an events table, computed from it.
    """
    if isinstance(events, LogView):
        return events.spans
    spans = events.group_by(CASE_ID).aggregate(
        case_start=events[TIMESTAMP].min(), case_end=events[TIMESTAMP].max()
    )
    return spans.mutate(throughput_seconds=seconds_between(spans.case_start, spans.case_end))


def case_variants(events: Table | LogView) -> Table:
    """One row per case: its variant key (activities in event order joined by VARIANT_SEPARATOR).

    Given a :class:`LogView`, read from its case summary and the dataset's variant table; given an
    events table, computed from it.
    """
    if isinstance(events, LogView):
        summary, table = events.case_summary, events.variant_table
        return summary.join(table, summary.variant == table.variant).select(
            CASE_ID, variant=table.variant_key
        )
    ordered = events.select(CASE_ID, ACTIVITY, TIMESTAMP, POSITION)
    return ordered.group_by(CASE_ID).aggregate(
        variant=ordered_concat(
            ordered, ACTIVITY, sep=VARIANT_SEPARATOR, order_by=[TIMESTAMP, POSITION]
        )
    )


@dataclass(frozen=True)
class LogView:
    """A dataset seen through a filter, on an engine. Every analysis takes one."""

    engine: Engine
    dataset: Dataset
    filter: EventLogFilter = field(default_factory=EventLogFilter)

    def with_filter(self, new_filter: EventLogFilter) -> LogView:
        return replace(self, filter=new_filter)

    @property
    def cache_key(self) -> str:
        """Equal keys mean equal results: the data's fingerprint, the filter and the engine."""
        return f"{self.dataset.manifest.fingerprint}:{self.engine.name}:{self.filter.key()}"

    @cached_property
    def all_events(self) -> Table:
        return self.engine.events(self.dataset)

    @cached_property
    def all_cases(self) -> Table:
        return self.engine.cases(self.dataset)

    @cached_property
    def selected_case_ids(self) -> Table | None:
        """The case ids that pass the filter, or None when the filter keeps every case."""
        return self.case_ids_after(len(self.filter.stack.steps))

    def case_ids_after(self, n: int) -> Table | None:
        """The case ids left after the first ``n`` steps of the filter's stack (None: all)."""
        steps = self.filter.stack.steps[:n]
        if not steps:
            return None
        # the case summary holds each case once, so no DISTINCT is needed on it
        base: Table = self._all_case_summary.select(CASE_ID)
        for step in steps:
            base = step.apply(self, base)
        return base

    @property
    def dataset_name(self) -> str:
        return self.dataset.name

    @property
    def all_case_summary(self) -> Table:
        """The case summary of every case of the dataset (the steps read it)."""
        return self._all_case_summary

    @cached_property
    def all_transitions(self) -> Table:
        """The transitions of every case of the dataset (the steps read them)."""
        return self.engine.table(self.dataset, self.derived.transitions)

    @cached_property
    def derived(self) -> DerivedPaths:
        """The dataset's derived files (computed on first use if ingest did not)."""
        return ensure_derived(self.dataset)

    @cached_property
    def _all_case_summary(self) -> Table:
        return self.engine.table(self.dataset, self.derived.case_summary)

    @cached_property
    def transitions(self) -> Table:
        """One row per event of the selected cases, with its successor in the case: case_id,
        activity and next_activity (activity codes, see :attr:`activity_table`; next_activity is
        null on a case's last event), duration_us (exact microseconds to the next event),
        is_start, first_activity / first_edge (the first time the activity / the pair occurs in
        its case: their sums count cases)."""
        return self._selected(self.all_transitions)

    @cached_property
    def case_summary(self) -> Table:
        """One row per selected case: case_id, case_start, case_end, throughput_us, events,
        variant (a code, see :attr:`variant_table`)."""
        return self._selected(self._all_case_summary)

    @cached_property
    def spans(self) -> Table:
        """One row per selected case: case_id, case_start, case_end, throughput_seconds (as
        :func:`case_spans` gives them, read from the case summary instead of the events)."""
        return _spans(self.case_summary)

    @property
    def spans_in_case_order(self) -> Table:
        """:attr:`spans` ordered by case id (by the summary's rank, cheaper than the ids)."""
        return _spans(self.case_summary.order_by("case_no"))

    @cached_property
    def activity_table(self) -> Table:
        """Every activity of the dataset with its code: code, activity."""
        return self.engine.table(self.dataset, self.derived.activities)

    @cached_property
    def variant_table(self) -> Table:
        """Every variant of the dataset: variant (code), variant_key (activities joined by
        VARIANT_SEPARATOR), variant_id, length."""
        return self.engine.table(self.dataset, self.derived.variants)

    def _selected(self, table: Table) -> Table:
        ids = self.selected_case_ids
        return table if ids is None else table.semi_join(ids, CASE_ID)

    @cached_property
    def events(self) -> Table:
        """The events of the selected cases (canonical columns and attributes)."""
        return self._selected(self.all_events)

    @cached_property
    def cases(self) -> Table:
        """One row per selected case with its attributes."""
        return self._selected(self.all_cases)

    def execute(self, expr: Any) -> pd.DataFrame:
        return self.engine.execute(expr)

    def execute_arrow(self, expr: Any) -> pa.Table:
        return self.engine.execute_arrow(expr)


def _spans(summary: Table) -> Table:
    return summary.select(
        CASE_ID,
        "case_start",
        "case_end",
        throughput_seconds=summary.throughput_us.cast("float64") / 1_000_000,
    )
