"""Process map on a hand-written log; every expected number is worked out by hand below.

c1: a@0h  b@1h  c@3h            edges a→b 1h, b→c 2h
c2: a@0h  c@4h+0.25s            a→c 4h+0.25s
c3: a@10h b@12h b@13h c@16h     a→b 2h, b→b 1h, b→c 3h
c4: b@20h a@20h d@21h           (b written first: equal timestamps keep file order) b→a 0, a→d 1h
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from civicflow.core import ConfigurationError
from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import EventLogFilter, LogView, ProcessMapConfig, process_map
from realdata import make_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0


def at(hours: float, seconds: float = 0.0) -> datetime:
    return T0 + timedelta(hours=hours, seconds=seconds)


EVENTS = [
    ("c1", "a", at(0)),
    ("c1", "b", at(1)),
    ("c1", "c", at(3)),
    ("c2", "a", at(0)),
    ("c2", "c", at(4, 0.25)),
    ("c3", "a", at(10)),
    ("c3", "b", at(12)),
    ("c3", "b", at(13)),
    ("c3", "c", at(16)),
    ("c4", "b", at(20)),
    ("c4", "a", at(20)),
    ("c4", "d", at(21)),
]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("pm"))
    return LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "small", EVENTS))


def test_edges_frequency_and_performance(view: LogView) -> None:
    pm = process_map(view)
    got = {(e.source, e.target): e for e in pm.edges}
    assert set(got) == {("a", "b"), ("b", "c"), ("a", "c"), ("b", "b"), ("b", "a"), ("a", "d")}
    ab = got["a", "b"]
    assert (ab.frequency, ab.cases) == (2, 2)
    assert ab.mean_seconds == pytest.approx(1.5 * H)
    assert ab.median_seconds == pytest.approx(1.5 * H)
    assert ab.p90_seconds == pytest.approx(1.9 * H)  # 1h + 0.9 * (2h - 1h)
    assert (ab.total_seconds, ab.min_seconds, ab.max_seconds) == (3 * H, 1 * H, 2 * H)
    bc = got["b", "c"]
    assert (bc.frequency, bc.cases, bc.median_seconds) == (2, 2, 2.5 * H)
    assert got["a", "c"].median_seconds == pytest.approx(4 * H + 0.25, abs=1e-9)
    assert got["b", "a"].max_seconds == 0.0
    assert got["a", "d"].mean_seconds == H
    # b→b happens once, in one case
    assert (got["b", "b"].frequency, got["b", "b"].cases) == (1, 1)


def test_activities_start_end(view: LogView) -> None:
    pm = process_map(view)
    acts = {a.name: (a.frequency, a.cases) for a in pm.activities}
    assert acts == {"a": (4, 4), "b": (4, 3), "c": (3, 3), "d": (1, 1)}
    assert pm.start_activities == {"a": 3, "b": 1}
    assert pm.end_activities == {"c": 3, "d": 1}
    assert (pm.cases, pm.events) == (4, 12)
    assert pm.hidden_activities == () and pm.hidden_edges == 0 and pm.covered_share == 1.0


def test_max_activities_projects_the_log(view: LogView) -> None:
    # a and b tie at 4 events (kept by name), c has 3, d (1 event) is hidden; c4 becomes b, a
    pm = process_map(view, ProcessMapConfig(max_activities=3))
    assert pm.hidden_activities == ("d",)
    assert pm.total_activities == 4
    assert {a.name for a in pm.activities} == {"a", "b", "c"}
    assert {(e.source, e.target) for e in pm.edges} == {
        ("a", "b"),
        ("b", "c"),
        ("a", "c"),
        ("b", "b"),
        ("b", "a"),
    }
    assert pm.end_activities == {"c": 3, "a": 1}


def test_path_share_keeps_the_map_connected(view: LogView) -> None:
    # 8 occurrences; a→b and b→c (2 each) cover half; d then needs its most frequent
    # incoming edge from a reachable activity (a→d) to stay reachable from a start
    for share in (0.0, 0.5):
        pm = process_map(view, ProcessMapConfig(path_share=share))
        assert {(e.source, e.target) for e in pm.edges} == {("a", "b"), ("b", "c"), ("a", "d")}
        assert pm.hidden_edges == 3
        assert pm.covered_share == pytest.approx(5 / 8)
    # 0.75 needs 6 occurrences: the four next most frequent edges are taken by name order
    pm = process_map(view, ProcessMapConfig(path_share=0.75))
    assert {(e.source, e.target) for e in pm.edges} == {
        ("a", "b"),
        ("b", "c"),
        ("a", "c"),
        ("a", "d"),
    }


def test_filter_applies(view: LogView) -> None:
    pm = process_map(view.with_filter(EventLogFilter(activities_absent=("d",))))
    assert {(e.source, e.target) for e in pm.edges} == {
        ("a", "b"),
        ("b", "c"),
        ("a", "c"),
        ("b", "b"),
    }
    assert pm.start_activities == {"a": 3}


def test_to_dict_and_dot(view: LogView) -> None:
    pm = process_map(view)
    d = pm.to_dict()
    assert len(d["edges"]) == 6 and d["start_activities"] == {"a": 3, "b": 1}
    assert list(pm.edges_frame.columns)[:4] == ["source", "target", "frequency", "cases"]
    dot = pm.to_dot()
    assert dot.startswith("digraph process_map {") and dot.rstrip().endswith("}")
    edge_lines = [ln for ln in dot.splitlines() if re.match(r'\s*"[abcd]" -> "[abcd]"', ln)]
    assert len(edge_lines) == 6
    assert any('"a" -> "b" [label="2"' in ln for ln in edge_lines)
    perf = pm.to_dot(metric="performance")
    assert '"a" -> "c" [label="4.0 h"' in perf
    assert '"__start__" -> "a" [label="3"' in perf
    with pytest.raises(ConfigurationError):
        pm.to_dot(metric="colour")  # type: ignore[arg-type]


def test_dot_escapes_quotes(tmp_path) -> None:
    ws = EventStore.create(tmp_path / "ws")
    ds = make_dataset(ws, "q", [("x", 'say "hi"', at(0)), ("x", "back\\slash", at(1))])
    dot = process_map(LogView(engine=DuckDBEngine(), dataset=ds)).to_dot()
    assert '"say \\"hi\\"" -> "back\\\\slash"' in dot


@pytest.mark.parametrize(
    "kwargs", [{"max_activities": 0}, {"path_share": 1.5}, {"path_share": -0.1}]
)
def test_config_is_checked(kwargs: dict) -> None:
    with pytest.raises(ConfigurationError) as info:
        ProcessMapConfig(**kwargs)
    assert info.value.fix


def test_path_slider_connects_both_ways() -> None:
    from civicflow.mining._process_map import Edge, _keep_paths

    def edge(s: str, t: str, n: int) -> Edge:
        return Edge(
            source=s,
            target=t,
            frequency=n,
            cases=n,
            mean_seconds=0.0,
            median_seconds=0.0,
            p90_seconds=0.0,
            total_seconds=0.0,
            min_seconds=0.0,
            max_seconds=0.0,
        )

    edges = [edge("a", "b", 10), edge("b", "c", 10), edge("a", "x", 1), edge("x", "c", 1)]
    # 90 % of 22 needs a→b and b→c; x then needs a way in (a→x) and a way out to the end (x→c)
    kept = _keep_paths(edges, {"a": 11}, {"c": 11}, 0.9)
    assert {(e.source, e.target) for e in kept} == {("a", "b"), ("b", "c"), ("a", "x"), ("x", "c")}
    # with a second way out of x, the more frequent one is chosen
    edges.append(edge("x", "b", 3))
    kept = _keep_paths(edges, {"a": 14}, {"c": 14}, 0.8)
    assert {(e.source, e.target) for e in kept} == {("a", "b"), ("b", "c"), ("a", "x"), ("x", "b")}
