"""Filters select whole cases; expected case sets are worked out by hand on a small log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, DuckDBEngine, EventStore
from civicflow.mining import EventLogFilter, LogView, variant_id

T0 = datetime(2024, 1, 1, tzinfo=UTC)
# case: (activities, start offset in days, step in days, district)
CASES = {
    "c1": (["a", "b", "c"], 0, 1, "north"),
    "c2": (["a", "c"], 5, 2, "south"),
    "c3": (["a", "b", "b", "c"], 10, 1, "north"),
    "c4": (["a", "c"], 20, 10, "east"),
}


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("ws"))
    rows: dict[str, list] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    pos = 0
    for case, (acts, start, step, _district) in CASES.items():
        for i, act in enumerate(acts):
            rows["case_id"].append(case)
            rows["activity"].append(act)
            rows["timestamp"].append(T0 + timedelta(days=start + i * step))
            rows["position"].append(pos)
            for c in ("start_timestamp", "resource", "lifecycle", "cost"):
                rows[c].append(None)
            pos += 1
    mapping = ColumnMapping(case_id="case", activity="act", timestamp="ts")
    with ws.writer("d", source="mem", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(rows, schema=CORE_EVENT_SCHEMA))
        w.write_cases(
            pa.table({"case_id": list(CASES), "district": [v[3] for v in CASES.values()]})
        )
    return LogView(engine=DuckDBEngine(), dataset=ws.dataset("d"))


def _cases(view: LogView, f: EventLogFilter) -> set[str]:
    v = view.with_filter(f)
    return set(v.execute(v.events.select("case_id").distinct())["case_id"])


def test_empty_filter_keeps_all(view: LogView) -> None:
    assert _cases(view, EventLogFilter()) == {"c1", "c2", "c3", "c4"}


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (EventLogFilter(case_attributes=(("district", ("north",)),)), {"c1", "c3"}),
        (EventLogFilter(activities_present=("b",)), {"c1", "c3"}),
        (EventLogFilter(activities_absent=("b",)), {"c2", "c4"}),
        # throughput: c1 2d, c2 2d, c3 3d, c4 10d
        (EventLogFilter(min_throughput_seconds=3 * 86400), {"c3", "c4"}),
        (EventLogFilter(max_throughput_seconds=2 * 86400), {"c1", "c2"}),
        (EventLogFilter(variants=(variant_id(["a", "c"]),)), {"c2", "c4"}),
        # c1 spans days 0-2, c2 5-7, c3 10-13, c4 20-30
        (EventLogFilter(start=T0 + timedelta(days=6), end=T0 + timedelta(days=11)), {"c2", "c3"}),
        (
            EventLogFilter(
                start=T0 + timedelta(days=4), end=T0 + timedelta(days=14), time_mode="contained"
            ),
            {"c2", "c3"},
        ),
        (
            EventLogFilter(
                start=T0 + timedelta(days=1), end=T0 + timedelta(days=11), time_mode="started"
            ),
            {"c2", "c3"},
        ),
        (
            EventLogFilter(
                activities_present=("b",), case_attributes=(("district", ("north", "east")),)
            ),
            {"c1", "c3"},
        ),
    ],
)
def test_filters_select_whole_cases(view: LogView, f: EventLogFilter, expected: set[str]) -> None:
    assert _cases(view, f) == expected


def test_filter_roundtrips_through_dict() -> None:
    f = EventLogFilter(start=T0, case_attributes=(("district", ("a", "b")),), variants=("x",))
    assert EventLogFilter.from_dict(f.to_dict()) == f


def test_unknown_case_attribute_is_a_clear_error(view: LogView) -> None:
    from civicflow.core import InputError

    with pytest.raises(InputError, match="no such attribute") as err:
        _cases(view, EventLogFilter(case_attributes=(("distrct", ("north",)),)))
    assert "district" in (err.value.expected or "")
