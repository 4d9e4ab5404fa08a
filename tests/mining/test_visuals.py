"""The visual analyses: dotted chart, performance spectrum, case paths for the replay and the social
network of handovers. Expected values are worked out by hand on a small log, and PM4Py is the
oracle on a real log (handover counts, performance-spectrum occurrences, events per case).

c1: a@0h (ann)  b@1h (bob)  c@3h (ann)
c2: a@24h (ann) c@28h (bob)
c3: a@48h (bob) b@50h (ann) b@51h (ann) c@54h (bob)
c4: a@168h (ann) d@169h (bob)
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from civicflow.core import ConfigurationError
from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import (
    DottedChartConfig,
    EventLogFilter,
    LogView,
    PerformanceSpectrumConfig,
    ReplayConfig,
    case_replay,
    dotted_chart,
    handover_network,
    performance_spectrum,
)
from realdata import make_dataset, pm4py_frame, real_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0
EVENTS = [
    ("c1", "a", 0, "ann"),
    ("c1", "b", 1, "bob"),
    ("c1", "c", 3, "ann"),
    ("c2", "a", 24, "ann"),
    ("c2", "c", 28, "bob"),
    ("c3", "a", 48, "bob"),
    ("c3", "b", 50, "ann"),
    ("c3", "b", 51, "ann"),
    ("c3", "c", 54, "bob"),
    ("c4", "a", 168, "ann"),
    ("c4", "d", 169, "bob"),
]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ws = EventStore.create(tmp_path_factory.mktemp("vis"))
    ds = make_dataset(ws, "small", [(c, a, T0 + timedelta(hours=h)) for c, a, h, _ in EVENTS])
    # give the stored events their resources (make_dataset writes none)
    table = pq.read_table(ds.events_path)
    resources = pa.array([r for *_, r in EVENTS], type=table.schema.field("resource").type)
    pq.write_table(
        table.set_column(table.schema.get_field_index("resource"), "resource", resources),
        ds.events_path,
    )
    return LogView(engine=DuckDBEngine(), dataset=ds)


def test_dotted_chart_every_event_by_case_start(view: LogView) -> None:
    res = dotted_chart(view)
    assert (res.total_cases, res.cases, res.events, res.sampled) == (4, 4, 11, False)
    assert [(d.row, d.case_id, d.activity) for d in res.dots[:3]] == [
        (0, "c1", "a"),
        (0, "c1", "b"),
        (0, "c1", "c"),
    ]
    assert [d.row for d in res.dots if d.case_id == "c4"] == [3, 3]
    assert res.dots[3].timestamp == "2024-01-02T00:00:00+00:00"
    assert res.activities == ("a", "b", "c", "d")  # a 4, b 3, c 3 (by name), d 1
    assert res.note == "Every case is drawn (4 cases, 11 events)."


def test_dotted_chart_samples_every_kth_case_and_says_so(view: LogView) -> None:
    res = dotted_chart(view, DottedChartConfig(max_cases=2))
    # every 2nd case by start: c1 (rank 0) and c3 (rank 2), all their events
    assert sorted({d.case_id for d in res.dots}) == ["c1", "c3"]
    assert (res.cases, res.events, res.sampled) == (2, 7, True)
    assert [d.row for d in res.dots if d.case_id == "c3"] == [1, 1, 1, 1]
    assert (
        res.note.startswith("A sample: 2 of 4 cases (every 2th by start)") or "every 2" in res.note
    )
    assert res.to_dict()["sampled"] is True


def test_dotted_chart_on_a_filtered_view(view: LogView) -> None:
    res = dotted_chart(view.with_filter(EventLogFilter(activities_present=("b",))))
    assert sorted({d.case_id for d in res.dots}) == ["c1", "c3"] and res.events == 7


def test_performance_spectrum_pairs_and_quartiles(view: LogView) -> None:
    res = performance_spectrum(view, PerformanceSpectrumConfig(activities=("a", "c")))
    # reduced to a and c: c1 a@0 c@3 (3h), c2 a@24 c@28 (4h), c3 a@48 c@54 (6h)
    assert res.occurrences == 3
    assert [(ln.case_id, ln.seconds) for ln in res.lines] == [
        ("c1", 3 * H),
        ("c2", 4 * H),
        ("c3", 6 * H),
    ]
    assert res.quartiles == (3.5 * H, 4 * H, 5 * H)
    assert [ln.quartile for ln in res.lines] == [1, 2, 4]
    assert res.lines[1].timestamps == ("2024-01-02T00:00:00+00:00", "2024-01-02T04:00:00+00:00")
    # b→b: only c3 repeats b
    loops = performance_spectrum(view, PerformanceSpectrumConfig(activities=("b", "b")))
    assert [(ln.case_id, ln.seconds) for ln in loops.lines] == [("c3", H)]
    sampled = performance_spectrum(
        view, PerformanceSpectrumConfig(activities=("a", "c"), max_lines=2)
    )
    # every 2nd occurrence by start (ceil(3 / 2)): c1 and c3
    assert sampled.occurrences == 3 and [ln.case_id for ln in sampled.lines] == ["c1", "c3"]
    assert sampled.sampled
    assert "quartiles are of every occurrence" in sampled.note
    none = performance_spectrum(view, PerformanceSpectrumConfig(activities=("d", "a")))
    assert none.occurrences == 0 and none.lines == ()


def test_performance_spectrum_needs_two_activities() -> None:
    with pytest.raises(ConfigurationError) as info:
        PerformanceSpectrumConfig(activities=("a",))
    assert info.value.fix


def test_case_replay_paths_and_offsets(view: LogView) -> None:
    res = case_replay(view)
    assert res.start == "2024-01-01T00:00:00+00:00" and res.span_seconds == 169 * H
    assert [(c.case_id, c.activities) for c in res.cases] == [
        ("c1", ("a", "b", "c")),
        ("c2", ("a", "c")),
        ("c3", ("a", "b", "b", "c")),
        ("c4", ("a", "d")),
    ]
    assert res.cases[2].offsets == (48 * H, 50 * H, 51 * H, 54 * H)
    sample = case_replay(view, ReplayConfig(max_cases=3))
    # ceil(4 / 3) = 2: every second case by start
    assert [c.case_id for c in sample.cases] == ["c1", "c3"] and sample.sampled


def test_handover_median_and_graph(view: LogView) -> None:
    res = handover_network(view)
    got = {(h.source, h.target): (h.count, h.median_seconds) for h in res.edges}
    # ann→bob: c1 a→b 1h, c2 a→c 4h, c4 a→d 1h, c3 b→c 3h: median 2h
    # bob→ann: c1 b→c 2h, c3 a→b 2h
    assert got == {("ann", "bob"): (4, 2 * H), ("bob", "ann"): (2, 2 * H)}
    dot = res.to_dot()
    assert '"ann" -> "bob" [label="4 · 2.0 h"' in dot
    assert dot.startswith("digraph handovers {") and dot.rstrip().endswith("}")
    assert "hidden" not in dot
    assert "1 rarer handover hidden" in res.to_dot(max_edges=1)


# -- PM4Py as the oracle, on a real log ------------------------------------------------------------

LOG = "Receipt_phase_environmental_permit_WABO"


@pytest.fixture(scope="module")
def real() -> tuple[LogView, Any]:
    pytest.importorskip("pm4py", reason="PM4Py (test extra) is the oracle")
    dataset = real_dataset(LOG)
    return LogView(engine=DuckDBEngine(), dataset=dataset), pm4py_frame(LOG)


@pytest.mark.filterwarnings("ignore")
def test_handover_counts_equal_pm4py(real: tuple[LogView, Any]) -> None:
    import pm4py

    view, df = real
    ours = handover_network(view, include_self=True)
    total = sum(h.count for h in ours.edges)
    assert total == len(df) - df["case:concept:name"].nunique()  # every consecutive pair
    # PM4Py's handover-of-work network (beta 0: direct handovers) divides counts by their total
    sna = pm4py.discover_handover_of_work_network(df, beta=0)
    assert {k: round(v * total) for k, v in sna.connections.items()} == {
        (h.source, h.target): h.count for h in ours.edges
    }


@pytest.mark.filterwarnings("ignore")
def test_performance_spectrum_equals_pm4py(real: tuple[LogView, Any]) -> None:
    from pm4py.algo.discovery.performance_spectrum.variants import dataframe as ps

    view, df = real
    pair = ["Confirmation of receipt", "T02 Check confirmation of receipt"]
    ours = performance_spectrum(
        view, PerformanceSpectrumConfig(activities=tuple(pair), max_lines=10**6)
    )
    # PM4Py turns times into seconds as nanoseconds / 10**9: hand it nanoseconds
    frame = df.copy()
    frame["time:timestamp"] = frame["time:timestamp"].astype("datetime64[ns, UTC]")
    theirs = ps.apply(frame, pair, sample_size=10**6)
    assert ours.occurrences == len(theirs) == len(ours.lines)

    def seconds(text: str) -> float:
        return datetime.fromisoformat(text).timestamp()

    got = sorted(tuple(round(seconds(t), 3) for t in ln.timestamps) for ln in ours.lines)
    want = sorted(tuple(round(t, 3) for t in p) for p in theirs)
    assert got == want


@pytest.mark.filterwarnings("ignore")
def test_dotted_chart_events_equal_pm4py(real: tuple[LogView, Any]) -> None:
    view, df = real
    res = dotted_chart(view, DottedChartConfig(max_cases=10**6))
    assert res.events == len(df) and res.cases == df["case:concept:name"].nunique()
    assert Counter(d.activity for d in res.dots) == Counter(df["concept:name"])
    per_case = Counter(d.case_id for d in res.dots)
    assert per_case == Counter(df["case:concept:name"])
    # rows follow the cases' first timestamps
    first = df.groupby("case:concept:name")["time:timestamp"].min()
    starts = [first[d.case_id] for d in res.dots]
    assert starts == sorted(starts)
    sampled = dotted_chart(view, DottedChartConfig(max_cases=100))
    assert sampled.sampled and sampled.cases == len({d.row for d in sampled.dots}) <= 100
    assert sampled.events == sum(per_case[c] for c in {d.case_id for d in sampled.dots})
