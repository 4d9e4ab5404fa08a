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
    # c4 really ends with d: it does not end at a, it goes on to a hidden activity
    assert pm.end_activities == {"c": 3}
    assert pm.ends_in_hidden == {"a": 1} and pm.starts_in_hidden == {}
    assert pm.cases == 4
    dot = pm.to_dot()
    assert '"a" -> "__end__"' not in dot
    assert '"a" -> "__hidden__" [label="1", style=dotted' in dot
    assert '"__hidden__" -> "__end__" [label="1"' in dot
    assert "1 rarer activity hidden" in dot and pm.legend == "1 rarer activity hidden"


def test_path_share_keeps_the_map_connected(view: LogView) -> None:
    # 8 occurrences; a→b and b→c (2 each) cover half; d then needs its most frequent
    # incoming edge from a reachable activity (a→d) to stay reachable from a start
    for share in (0.0, 0.5):
        pm = process_map(
            view, ProcessMapConfig(path_share=share, wait_share=0.0, loop_wait_share=None)
        )
        assert {(e.source, e.target) for e in pm.edges} == {("a", "b"), ("b", "c"), ("a", "d")}
        assert pm.hidden_edges == 3
        assert pm.covered_share == pytest.approx(5 / 8)
    # 0.75 needs 6 occurrences: the four next most frequent edges are taken by name order
    pm = process_map(view, ProcessMapConfig(path_share=0.75, wait_share=0.0, loop_wait_share=None))
    assert {(e.source, e.target) for e in pm.edges} == {
        ("a", "b"),
        ("b", "c"),
        ("a", "c"),
        ("a", "d"),
    }


def test_paths_are_also_kept_by_waiting_time(view: LogView) -> None:
    # total waiting per edge: b→c 5h, a→c 4h+0.25s, a→b 3h, b→b 1h, a→d 1h, b→a 0 (14h+0.25s)
    # frequency alone (0.5 of 8 occurrences) keeps a→b, b→c and a→d (to reach d)
    by_wait = process_map(
        view, ProcessMapConfig(path_share=0.5, wait_share=0.5, loop_wait_share=None)
    )
    # half the waiting needs b→c (5h) and a→c (4h): the rare but slow path a→c is drawn
    assert {(e.source, e.target) for e in by_wait.edges} == {
        ("a", "b"),
        ("b", "c"),
        ("a", "d"),
        ("a", "c"),
    }
    assert by_wait.covered_wait_share == pytest.approx(
        (5 * H + 4 * H + 0.25 + 3 * H + H) / (14 * H + 0.25)
    )
    assert by_wait.legend == "2 rarer paths hidden (25% of transitions, 7% of waiting time)"
    # the self-loop b→b (rework) holds 1h of 14h: kept at a 5 % threshold, not at 10 %
    loops = process_map(
        view, ProcessMapConfig(path_share=0.5, wait_share=0.0, loop_wait_share=0.05)
    )
    assert ("b", "b") in {(e.source, e.target) for e in loops.edges}
    assert ("b", "a") not in {(e.source, e.target) for e in loops.edges}  # a loop, but no wait
    strict = process_map(
        view, ProcessMapConfig(path_share=0.5, wait_share=0.0, loop_wait_share=0.1)
    )
    assert ("b", "b") not in {(e.source, e.target) for e in strict.edges}
    # the default follows path_share for the waiting time too
    assert ProcessMapConfig(path_share=0.7).effective_wait_share == 0.7


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
    "kwargs",
    [
        {"max_activities": 0},
        {"path_share": 1.5},
        {"path_share": -0.1},
        {"wait_share": 2.0},
        {"loop_wait_share": -1.0},
    ],
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
