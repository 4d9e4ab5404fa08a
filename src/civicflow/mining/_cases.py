"""The case explorer: the cases behind a number, and one case's timeline; the filter funnel.

:func:`case_list` lists the cases of a view behind a map edge (cases that go A -> B directly), a
variant, a bottleneck (cases that wait before an activity or on a transition) or a KPI (cases
breaching an SLA): sorted, one page at a time. :func:`case_timeline` gives one case's events in
order with the waits between them and its case attributes. :func:`filter_funnel` counts the cases
and events left after each step of the view's filter stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import ibis
import pandas as pd

from civicflow.core import InputError, Location, NotFoundError
from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, RESOURCE, TIMESTAMP
from civicflow.mining._checks import check_limit
from civicflow.mining._filters import FilterFunnel, FilterStep, FollowsStep, FunnelStep, VariantStep
from civicflow.mining._record import Record, Rows
from civicflow.mining._sla import SlaConfig, case_outcomes
from civicflow.mining._view import LogView

if TYPE_CHECKING:
    from ibis.expr.types import Table

CaseSort = Literal["case_id", "start", "end", "duration", "events", "wait"]
CASE_SORTS: tuple[str, ...] = ("case_id", "start", "end", "duration", "events", "wait")
_SORT_COLUMNS = {
    "case_id": "case_no",
    "start": "case_start",
    "end": "case_end",
    "duration": "throughput_us",
    "events": "events",
    "wait": "wait_us",
}
SLA_STATUSES: tuple[str, ...] = ("breached", "compliant", "open", "no_deadline")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseQuery(Record):
    """Which cases behind which number, in which order, which page.

    ``edge``: cases where ``edge[0]`` is directly followed by ``edge[1]`` (their wait is the time
    on that transition, summed over its occurrences). ``variant``: a variant id, or ``#n`` for the
    n-th most frequent. ``activity``: cases that reach it (their wait is the waiting time before
    it, summed). ``sla`` with ``sla_status``: cases whose SLA outcome is that status.
    """

    edge: tuple[str, str] | None = None
    variant: str | None = None
    activity: str | None = None
    sla: SlaConfig | None = None
    sla_status: str = "breached"
    sort: CaseSort = "case_id"
    descending: bool = False
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        if self.sort not in CASE_SORTS:
            raise InputError(
                f"cannot sort cases by '{self.sort}'",
                where=Location(field="sort"),
                found=str(self.sort),
                expected=", ".join(CASE_SORTS),
            )
        if self.sla_status not in SLA_STATUSES:
            raise InputError(
                f"unknown SLA status '{self.sla_status}'",
                where=Location(field="sla_status"),
                found=self.sla_status,
                expected=", ".join(SLA_STATUSES),
            )
        if self.page < 1:
            raise InputError(
                "pages are numbered from 1",
                where=Location(field="page"),
                found=str(self.page),
                expected="a page number of 1 or more",
            )
        check_limit("page_size", self.page_size, of="cases", fix="pass page_size=50")

    @property
    def steps(self) -> tuple[FilterStep, ...]:
        """The selection as filter steps (added after the view's own)."""
        out: list[FilterStep] = []
        if self.edge is not None:
            out.append(FollowsStep(source=self.edge[0], target=self.edge[1], directly=True))
        if self.variant is not None:
            text = self.variant.strip()
            if text.startswith("#"):
                out.append(VariantStep(ranks=(_rank(text),)))
            else:
                out.append(VariantStep(ids=(text,)))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "edge": list(self.edge) if self.edge else None,
            "variant": self.variant,
            "activity": self.activity,
            "sla": self.sla.to_dict() if self.sla is not None else None,
            "sla_status": self.sla_status if self.sla is not None else None,
            "sort": self.sort,
            "descending": self.descending,
            "page": self.page,
            "page_size": self.page_size,
        }

    def describe(self) -> str:
        """What the list shows, in words."""
        parts = []
        if self.edge is not None:
            parts.append(f"{self.edge[0]} → {self.edge[1]}")
        if self.variant is not None:
            parts.append(f"variant {self.variant}")
        if self.activity is not None:
            parts.append(f"waiting before {self.activity}")
        if self.sla is not None:
            parts.append(f"SLA {self.sla_status.replace('_', ' ')}")
        return "; ".join(parts) or "all cases"


def _rank(text: str) -> int:
    try:
        rank = int(text[1:])
    except ValueError:
        rank = 0
    if rank < 1:
        raise InputError(
            f"cannot read the variant rank '{text}'",
            where=Location(field="variant"),
            found=text,
            expected="#1 for the most frequent variant, #2 for the next, …, or a variant id",
        )
    return rank


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRow(Record):
    case_id: str
    case_start: datetime
    case_end: datetime
    throughput_seconds: float
    events: int
    variant_id: str
    wait_seconds: float | None = None
    """The wait the list is about (edge or activity), when it is about one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseList(Rows[CaseRow]):
    """One page of the cases behind a number; ``total`` counts them all."""

    _rows = "rows"
    _row_key = "case_id"
    _keys = ("total", "pages", "description")
    rows: tuple[CaseRow, ...]
    total: int
    query: CaseQuery = field(default_factory=CaseQuery)
    description: str = "all cases"

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.page_size))

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query.to_dict(), **Rows.to_dict(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEvent(Record):
    activity: str
    timestamp: datetime
    resource: str | None
    wait_seconds: float | None
    """Time since the case's previous event (None on its first)."""
    attributes: dict[str, Any] = field(default_factory=dict)
    """The event's other stored attributes (empty ones left out)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseTimeline(Rows[TimelineEvent]):
    """One case: its events in order (timestamp, then position in the source) and attributes."""

    _rows = "events"
    _row_key = "activity"
    case_id: str
    attributes: dict[str, Any]
    events: tuple[TimelineEvent, ...]
    throughput_seconds: float
    variant_id: str


def _selection(view: LogView, query: CaseQuery) -> Table:
    """One row per listed case: the summary's columns, variant_id and wait_us."""
    narrowed = view.with_filter(view.filter.then(*query.steps)) if query.steps else view
    summary = narrowed.case_summary
    table = view.variant_table
    rows = summary.join(table.select("variant", "variant_id"), "variant")
    wait: Table | None = None
    t, codes = narrowed.transitions, view.activity_table
    if query.edge is not None:
        a = codes.filter(codes[ACTIVITY] == query.edge[0]).select(a_code=codes.code)
        b = codes.filter(codes[ACTIVITY] == query.edge[1]).select(b_code=codes.code)
        from_a = t.join(a, t[ACTIVITY] == a.a_code)
        on_edge = from_a.join(b, from_a.next_activity == b.b_code)
        wait = on_edge.group_by(CASE_ID).aggregate(wait_us=on_edge.duration_us.sum())
    elif query.activity is not None:
        x = codes.filter(codes[ACTIVITY] == query.activity).select(x_code=codes.code)
        before = t.join(x, t.next_activity == x.x_code)
        wait = before.group_by(CASE_ID).aggregate(wait_us=before.duration_us.sum())
    if query.activity is not None and query.edge is None and wait is not None:
        rows = rows.join(wait, CASE_ID)  # only the cases that reach the activity after a wait
    elif wait is not None:
        rows = rows.left_join(wait, CASE_ID).drop(f"{CASE_ID}_right")
    else:
        rows = rows.mutate(wait_us=ibis.null("int64"))
    if query.sla is not None:
        outcomes = case_outcomes(narrowed, config=query.sla)
        ids = outcomes.loc[outcomes["status"] == query.sla_status, ["case_id"]]
        chosen = ibis.memtable(ids.reset_index(drop=True))
        rows = rows.semi_join(chosen, CASE_ID)
    return rows


def case_list(view: LogView, *, query: CaseQuery | None = None) -> CaseList:
    """The cases of ``view`` behind the number ``query`` names: one sorted page and the total."""
    query = query or CaseQuery()
    rows = _selection(view, query)
    total = int(view.execute(rows.count().as_table()).iat[0, 0])  # type: ignore[arg-type]
    key = rows[_SORT_COLUMNS[query.sort]]
    order = [key.desc() if query.descending else key.asc()]
    if query.sort != "case_id":
        order.append(rows.case_no.asc())
    page = rows.order_by(order).limit(query.page_size, offset=(query.page - 1) * query.page_size)
    df = view.execute(
        page.select(
            CASE_ID, "case_start", "case_end", "throughput_us", "events", "variant_id", "wait_us"
        )
    )
    out = tuple(
        CaseRow(
            case_id=str(r[CASE_ID]),
            case_start=_utc(r["case_start"]).to_pydatetime(),
            case_end=_utc(r["case_end"]).to_pydatetime(),
            throughput_seconds=int(r["throughput_us"]) / 1_000_000,
            events=int(r["events"]),
            variant_id=str(r["variant_id"]),
            wait_seconds=None if pd.isna(r["wait_us"]) else int(r["wait_us"]) / 1_000_000,
        )
        for r in df.to_dict("records")
    )
    return CaseList(rows=out, total=total, query=query, description=query.describe())


def case_timeline(view: LogView, case_id: str) -> CaseTimeline:
    """One case of ``view``: its events in order with the waits between them, its attributes."""
    summary = view.case_summary
    found = view.execute(
        summary.filter(summary[CASE_ID] == case_id)
        .join(view.variant_table.select("variant", "variant_id"), "variant")
        .select("throughput_us", "variant_id")
    )
    if found.empty:
        raise NotFoundError(
            f"there is no case '{case_id}' in this view",
            where=Location(file=view.dataset.name, field="case_id"),
            found=case_id,
            expected="a case id of the dataset that passes the view's filter",
            fix="pick a case from the case list (or clear the filter)",
        )
    events = view.all_events
    df = view.execute(
        events.filter(events[CASE_ID] == case_id).order_by([events[TIMESTAMP], events[POSITION]])
    )
    cases = view.all_cases
    attrs_df = view.execute(cases.filter(cases[CASE_ID] == case_id))
    attributes = (
        {str(k): _plain(v) for k, v in attrs_df.iloc[0].items() if k != CASE_ID and not _empty(v)}
        if not attrs_df.empty
        else {}
    )
    skip = {CASE_ID, ACTIVITY, TIMESTAMP, RESOURCE, POSITION}
    out: list[TimelineEvent] = []
    previous: pd.Timestamp | None = None
    for r in df.to_dict("records"):
        ts = _utc(r[TIMESTAMP])
        out.append(
            TimelineEvent(
                activity=str(r[ACTIVITY]),
                timestamp=ts.to_pydatetime(),
                resource=None if _empty(r.get(RESOURCE)) else str(r[RESOURCE]),
                wait_seconds=None if previous is None else (ts - previous).total_seconds(),
                attributes={
                    str(k): _plain(v) for k, v in r.items() if k not in skip and not _empty(v)
                },
            )
        )
        previous = ts
    return CaseTimeline(
        case_id=case_id,
        attributes=attributes,
        events=tuple(out),
        throughput_seconds=int(found.iloc[0]["throughput_us"]) / 1_000_000,
        variant_id=str(found.iloc[0]["variant_id"]),
    )


def _utc(value: Any) -> pd.Timestamp:
    """A timestamp in UTC (Spark hands back naive UTC times, DuckDB aware ones)."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _empty(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return _utc(value).to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def filter_funnel(view: LogView) -> FilterFunnel:
    """The cases and events left after each step of the view's filter stack, starting with the
    whole dataset."""
    steps = view.filter.stack.steps
    summary = view.all_case_summary
    rows = []
    for n in range(len(steps) + 1):
        ids = view.case_ids_after(n)
        kept = summary if ids is None else summary.semi_join(ids, CASE_ID)
        df = view.execute(kept.aggregate(cases=kept.count(), events=kept.events.sum()))
        cases = int(df.iloc[0]["cases"])
        events = 0 if pd.isna(df.iloc[0]["events"]) else int(df.iloc[0]["events"])
        step = steps[n - 1] if n else None
        rows.append(
            FunnelStep(
                label=step.label() if step else "all cases", cases=cases, events=events, step=step
            )
        )
    return FilterFunnel(tuple(rows))
