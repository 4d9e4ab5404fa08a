"""Workload and handovers on a hand-written log; workload on a real log against pandas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, DuckDBEngine, EventStore
from civicflow.mining import LogView, handover_network, resource_workload
from realdata import make_dataset, pm4py_frame, real_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0


def at(h: float) -> datetime:
    return T0 + timedelta(hours=h)


# (case, activity, hour, resource)
EVENTS = [
    ("c1", "a", 0, "ann"),
    ("c1", "b", 2, "bob"),
    ("c1", "c", 30, "bob"),  # next day (UTC)
    ("c1", "d", 31, "ann"),
    ("c2", "a", 1, "ann"),
    ("c2", "b", 5, "bob"),
    ("c2", "c", 6, None),  # breaks the chain: no bob -> ann bridge over it
    ("c2", "d", 7, "ann"),
    ("c3", "a", 3, "cat"),
]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("res"))
    cols: dict[str, list] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    for pos, (case, act, h, res) in enumerate(EVENTS):
        for c in CORE_EVENT_SCHEMA.names:
            cols[c].append(None)
        cols["case_id"][-1], cols["activity"][-1], cols["timestamp"][-1] = case, act, at(h)
        cols["resource"][-1], cols["position"][-1] = res, pos
    mapping = ColumnMapping(case_id="c", activity="a", timestamp="t", resource="r")
    with ws.writer("res", source="hand-written", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(cols, schema=CORE_EVENT_SCHEMA))
    return LogView(engine=DuckDBEngine(), dataset=ws.dataset("res"))


def test_workload_per_resource(view: LogView) -> None:
    w = resource_workload(view)
    got = {r.resource: (r.events, r.cases, r.activities, r.active_days) for r in w.resources}
    assert got == {"ann": (4, 2, 2, 2), "bob": (3, 2, 2, 2), "cat": (1, 1, 1, 1)}
    assert [r.resource for r in w.resources] == ["ann", "bob", "cat"]
    assert w.resources[0].events_per_active_day == pytest.approx(2.0)
    assert (w.events_without_resource, w.reason) == (1, None)


def test_handovers_between_consecutive_events(view: LogView) -> None:
    net = handover_network(view)
    got = {(e.source, e.target): (e.count, e.cases, e.mean_seconds) for e in net.edges}
    # c1: ann->bob (2 h), bob->bob (self), bob->ann (1 h); c2: ann->bob (4 h), bob->None, None->ann
    assert got == {("ann", "bob"): (2, 2, 3 * H), ("bob", "ann"): (1, 1, 1 * H)}
    with_self = {
        (e.source, e.target): e.count for e in handover_network(view, include_self=True).edges
    }
    assert with_self[("bob", "bob")] == 1
    assert net.frame["count"].tolist() == [2, 1]


def test_missing_resource_gives_empty_results_with_a_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ws = EventStore.create(tmp_path / "ws")
    ds = make_dataset(ws, "nores", [("x", "a", at(0)), ("x", "b", at(1))])
    v = LogView(engine=DuckDBEngine(), dataset=ds)
    w = resource_workload(v)
    assert w.resources == () and w.events_without_resource == 2
    assert "map a resource column" in (w.reason or "")
    net = handover_network(v)
    assert net.edges == () and "map a resource column" in (net.reason or "")
    assert net.to_dict()["reason"] == net.reason


def test_real_log_workload_matches_pandas() -> None:
    name = "Receipt_phase_environmental_permit_WABO"
    w = resource_workload(LogView(engine=DuckDBEngine(), dataset=real_dataset(name)))
    df = pm4py_frame(name)
    df = df[df["org:resource"].notna()]
    ts = pd.to_datetime(df["time:timestamp"], utc=True)
    expected = (
        df.assign(day=ts.dt.date)
        .groupby("org:resource")
        .agg(
            events=("concept:name", "size"),
            cases=("case:concept:name", "nunique"),
            activities=("concept:name", "nunique"),
            days=("day", "nunique"),
        )
    )
    got = {r.resource: (r.events, r.cases, r.activities, r.active_days) for r in w.resources}
    assert got == {
        str(k): (int(v["events"]), int(v["cases"]), int(v["activities"]), int(v["days"]))
        for k, v in expected.iterrows()
    }
