"""A small permit log whose numbers are worked out by hand in the tests that use it (also used by
tests/cli/test_analyze_cli.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, EventStore

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
# case -> (activities with (day offset, resource), district)
SMALL_LOG: dict[str, tuple[list[tuple[str, float, str]], str]] = {
    "p1": ([("Receive", 0, "ann"), ("Check", 1, "bob"), ("Decide", 3, "cat")], "north"),
    "p2": ([("Receive", 2, "ann"), ("Check", 4, "bob"), ("Decide", 5, "cat")], "south"),
    "p3": (
        [("Receive", 7, "ann"), ("Check", 8, "bob"), ("Check", 10, "bob"), ("Decide", 11, "cat")],
        "north",
    ),
    "p4": ([("Receive", 9, "ann"), ("Decide", 19, "cat")], "east"),
    "p5": ([("Receive", 14, "ann"), ("Check", 15.5, "dan"), ("Decide", 16, "cat")], "south"),
}


def write_small_log(ws: EventStore, name: str = "permits") -> None:
    rows: dict[str, list] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    pos = 0
    for case, (events, _district) in SMALL_LOG.items():
        for activity, day, resource in events:
            rows["case_id"].append(case)
            rows["activity"].append(activity)
            rows["timestamp"].append(T0 + timedelta(days=day))
            rows["start_timestamp"].append(None)
            rows["resource"].append(resource)
            rows["lifecycle"].append("complete")
            rows["cost"].append(None)
            rows["position"].append(pos)
            pos += 1
    mapping = ColumnMapping(case_id="case", activity="activity", timestamp="time", resource="who")
    with ws.writer(name, source="small-permits.csv", format="csv", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(rows, schema=CORE_EVENT_SCHEMA))
        w.write_cases(
            pa.table({"case_id": list(SMALL_LOG), "district": [v[1] for v in SMALL_LOG.values()]})
        )
