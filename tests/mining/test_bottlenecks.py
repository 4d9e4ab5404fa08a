"""Bottlenecks on a hand-written log: ranking by total waiting time, the share as defined (of all
waiting time: never above 100 %), the materiality threshold, transitions, and the finding's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicflow.core import ConfigurationError
from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import BottleneckConfig, LogView, bottlenecks
from realdata import make_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0


def at(h: float) -> datetime:
    return T0 + timedelta(hours=h)


# hours of each event; throughputs: c1 9 h, c2 4 h, c3 16 h -> median 9 h
EVENTS = [
    ("c1", "a", at(0)),
    ("c1", "b", at(1)),
    ("c1", "b", at(4)),
    ("c1", "c", at(9)),
    ("c2", "a", at(0)),
    ("c2", "b", at(1)),
    ("c2", "c", at(4)),
    ("c3", "a", at(0)),
    ("c3", "b", at(1)),
    ("c3", "c", at(4)),
    ("c3", "a", at(9)),
    ("c3", "b", at(16)),
]
# waits before b: c1 1, 3; c2 1; c3 1, 7 -> total 13 h, median 1 h, 3 cases
# waits before c: c1 5; c2 3; c3 3 -> total 11 h, median 3 h
# waits before a: c3 5 -> total 5 h
# transitions: a->b 1,1,1,7 (10 h); b->b 3; b->c 5,3,3 (11 h); c->a 5


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("bn"))
    return LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "bn", EVENTS))


def test_activities_ranked_by_total_wait(view: LogView) -> None:
    result = bottlenecks(view)
    assert [(b.target, b.total_wait_seconds / H) for b in result.activities] == [
        ("b", 13.0),
        ("c", 11.0),
        ("a", 5.0),
    ]
    b = result.activities[0]
    assert b.source is None
    assert (b.occurrences, b.cases) == (5, 3)
    assert b.median_wait_seconds == pytest.approx(1 * H)
    assert b.mean_wait_seconds == pytest.approx(13 / 5 * H)
    assert result.median_throughput_seconds == pytest.approx(9 * H)
    assert result.total_wait_seconds == pytest.approx(29 * H)
    assert b.share_of_waiting == pytest.approx(13 / 29)
    assert result.activities[1].share_of_waiting == pytest.approx(11 / 29)
    assert sum(a.share_of_waiting for a in result.activities) == pytest.approx(1.0)


def test_transitions_ranked_by_total_wait(view: LogView) -> None:
    result = bottlenecks(view, top=3)
    got = [(t.source, t.target, t.total_wait_seconds / H) for t in result.transitions]
    assert got == [("b", "c", 11.0), ("a", "b", 10.0), ("c", "a", 5.0)]
    assert len(result.activities) == 3


def test_findings_are_plain_language_and_recomputable(view: LogView) -> None:
    result = bottlenecks(view)
    assert result.activities[1].finding == (
        "Waiting before 'c' is 38 % of all waiting time "
        "(11.0 h in total across 3 cases; median wait 3.0 h)"
    )
    assert result.transitions[0].finding.startswith("Waiting between 'b' and 'c' is 38 %")
    assert "of all activity instances" in result.definition and "5 %" in result.definition
    assert result.findings[0].startswith("Waiting before 'b' is 45 %")


def test_a_finding_needs_a_material_share(view: LogView) -> None:
    # a: 5 of 29 h = 17 %; with a 20 % threshold only b (45 %) and c (38 %) are findings
    result = bottlenecks(view, config=BottleneckConfig(min_share=0.2))
    assert [b.target for b in result.activities if b.material] == ["b", "c"]
    assert len(result.findings) == 2 and len(result.activities) == 3
    assert result.to_dict()["config"] == {"top": 10, "min_share": 0.2}
    with pytest.raises(ConfigurationError, match="min_share"):
        BottleneckConfig(min_share=1.5)


def test_top_limits_and_validates(view: LogView) -> None:
    assert [b.target for b in bottlenecks(view, top=1).activities] == ["b"]
    with pytest.raises(ConfigurationError, match="top must be at least 1"):
        bottlenecks(view, top=0)


def test_to_dict_and_frame(view: LogView) -> None:
    result = bottlenecks(view)
    d = result.to_dict()
    assert d["activities"][0]["target"] == "b"
    assert d["transitions"][0]["source"] == "b"
    assert len(result.frame) == len(result.activities) + len(result.transitions)


@pytest.mark.parametrize(
    ("wait_hours", "text", "material"),
    [(0.0, None, False), (0.009, "0.1 %", False), (8.9, "99 %", True)],
)
def test_a_tiny_wait_is_no_finding(tmp_path, wait_hours: float, text: str | None,
                                   material: bool) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    # one case a -> b -> c over 9 h: b waits `wait_hours`, c the rest
    ws = EventStore.create(tmp_path / "ws")
    events = [("x", "a", at(0)), ("x", "b", at(wait_hours)), ("x", "c", at(9))]
    v = LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "s", events))
    result = bottlenecks(v)
    b = next(x for x in result.activities if x.target == "b")
    assert b.material is material
    assert (b.finding in result.findings) is material
    if text is not None:
        assert b.finding.startswith(f"Waiting before 'b' is {text} of all waiting time")


def test_a_wait_longer_than_the_median_case_is_still_at_most_the_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # throughputs 20 h, 1 h, 1 h -> median 1 h; the wait before b (20 h) used to be "2000 %" of
    # the median throughput; of all waiting time (20 + 1 + 1 h) it is 91 %
    ws = EventStore.create(tmp_path / "ws")
    events = [
        ("x", "a", at(0)),
        ("x", "b", at(20)),
        ("y", "a", at(0)),
        ("y", "c", at(1)),
        ("z", "a", at(0)),
        ("z", "c", at(1)),
    ]
    v = LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "s", events))
    result = bottlenecks(v)
    b = next(x for x in result.activities if x.target == "b")
    assert b.share_of_waiting == pytest.approx(20 / 22)
    assert "is 91 % of all waiting time" in b.finding
    assert all(0 <= x.share_of_waiting <= 1 for x in (*result.activities, *result.transitions))
