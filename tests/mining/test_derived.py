"""The per-dataset derived files: every value below is worked out by hand on a three-case log."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, Dataset, DuckDBEngine, EventStore
from civicflow.mining import (
    DERIVED_FORMAT,
    VARIANT_SEPARATOR,
    EventLogFilter,
    LogView,
    _derived,
    ensure_derived,
    process_map,
    variant_id,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
H = 3600
D = 86400
# case -> [(activity, seconds after T0)], in event order
CASES: dict[str, list[tuple[str, int]]] = {
    "c1": [("a", 0), ("b", D), ("c", 3 * D)],
    "c2": [("a", 0), ("a", H), ("b", 2 * H), ("a", 3 * H), ("b", 5 * H)],
    "c3": [("b", 7 * D)],
}


def _write(ws: EventStore, name: str) -> Dataset:
    rows: dict[str, list] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    pos = 0
    # written newest case first: the store sorts, the derived files follow the stored order
    for case, events in reversed(CASES.items()):
        for act, offset in events:
            rows["case_id"].append(case)
            rows["activity"].append(act)
            rows["timestamp"].append(T0 + timedelta(seconds=offset))
            rows["position"].append(pos)
            for c in ("start_timestamp", "resource", "lifecycle", "cost"):
                rows[c].append(None)
            pos += 1
    mapping = ColumnMapping(case_id="case", activity="act", timestamp="ts")
    with ws.writer(name, source="mem", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(rows, schema=CORE_EVENT_SCHEMA))
        w.write_cases(pa.table({"case_id": list(CASES)}))
    return ws.dataset(name)


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    return _write(EventStore.create(tmp_path / "ws"), "d")


# (case, activity, next, duration seconds, is_start, first_activity, first_edge)
EXPECTED_TRANSITIONS = [
    ("c1", "a", "b", D, True, True, True),
    ("c1", "b", "c", 2 * D, False, True, True),
    ("c1", "c", None, None, False, True, True),
    ("c2", "a", "a", H, True, True, True),
    ("c2", "a", "b", H, False, False, True),
    ("c2", "b", "a", H, False, True, True),
    ("c2", "a", "b", 2 * H, False, False, False),
    ("c2", "b", None, None, False, False, True),
    ("c3", "b", None, None, True, True, True),
]


def _transitions(path: Path, labels: list[str]) -> list[tuple]:
    t = pq.read_table(path).to_pylist()
    return [
        (
            r["case_id"],
            labels[r["activity"]],
            None if r["next_activity"] is None else labels[r["next_activity"]],
            None if r["duration_us"] is None else r["duration_us"] / 1_000_000,
            r["is_start"],
            r["first_activity"],
            r["first_edge"],
        )
        for r in t
    ]


@pytest.mark.parametrize("batch_rows", [1_000_000, 2, 4])
def test_derived_files_by_hand(
    dataset: Dataset, batch_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small batches cut cases in two: the carried-over rows must give the same files
    monkeypatch.setattr(_derived, "_BATCH_ROWS", batch_rows)
    paths = ensure_derived(dataset)
    assert paths.folder == dataset.path / "derived" / f"v{DERIVED_FORMAT}"
    activities = pq.read_table(paths.activities).to_pylist()
    assert activities == [
        {"code": 0, "activity": "a"},
        {"code": 1, "activity": "b"},
        {"code": 2, "activity": "c"},
    ]
    labels = ["a", "b", "c"]
    assert _transitions(paths.transitions, labels) == EXPECTED_TRANSITIONS

    variants = {r["variant"]: r for r in pq.read_table(paths.variants).to_pylist()}
    summary = pq.read_table(paths.case_summary).to_pylist()
    assert [r["case_id"] for r in summary] == ["c1", "c2", "c3"]
    assert [r["events"] for r in summary] == [3, 5, 1]
    assert [r["throughput_us"] for r in summary] == [3 * D * 10**6, 5 * H * 10**6, 0]
    assert [r["case_start"] for r in summary] == [T0, T0, T0 + timedelta(days=7)]
    assert [r["case_end"] for r in summary] == [
        T0 + timedelta(days=3),
        T0 + timedelta(hours=5),
        T0 + timedelta(days=7),
    ]
    keys = [variants[r["variant"]]["variant_key"] for r in summary]
    assert keys == ["a\x1fb\x1fc", "a\x1fa\x1fb\x1fa\x1fb", "b"]
    assert VARIANT_SEPARATOR == "\x1f"
    assert [variants[r["variant"]]["length"] for r in summary] == [3, 5, 1]
    assert [variants[r["variant"]]["variant_id"] for r in summary] == [
        variant_id(["a", "b", "c"]),
        variant_id(["a", "a", "b", "a", "b"]),
        variant_id(["b"]),
    ]
    info = json.loads(paths.info.read_text())
    assert info["fingerprint"] == dataset.manifest.fingerprint
    assert (info["events"], info["cases"], info["variants"]) == (9, 3, 3)


def test_process_map_from_derived_files_by_hand(dataset: Dataset) -> None:
    view = LogView(engine=DuckDBEngine(), dataset=dataset)
    pm = process_map(view)
    edges = {(e.source, e.target): e for e in pm.edges}
    assert {k: (e.frequency, e.cases) for k, e in edges.items()} == {
        ("a", "b"): (3, 2),
        ("b", "c"): (1, 1),
        ("a", "a"): (1, 1),
        ("b", "a"): (1, 1),
    }
    ab = edges[("a", "b")]
    # durations D, H, 2H: sorted [3600, 7200, 86400]; p90 at rank 1.8 interpolates
    assert (ab.min_seconds, ab.median_seconds, ab.max_seconds) == (H, 2 * H, D)
    assert ab.total_seconds == D + 3 * H
    assert ab.p90_seconds == pytest.approx(2 * H + 0.8 * (D - 2 * H))
    assert {a.name: (a.frequency, a.cases) for a in pm.activities} == {
        "a": (4, 2),
        "b": (4, 3),
        "c": (1, 1),
    }
    assert pm.start_activities == {"a": 2, "b": 1}
    assert pm.end_activities == {"b": 2, "c": 1}
    assert (pm.cases, pm.events) == (3, 9)

    # a filter selects whole cases: the stored successors of c2 alone
    only_c2 = view.with_filter(EventLogFilter(variants=(variant_id(["a", "a", "b", "a", "b"]),)))
    pm2 = process_map(only_c2)
    assert {(e.source, e.target): (e.frequency, e.cases) for e in pm2.edges} == {
        ("a", "a"): (1, 1),
        ("a", "b"): (2, 1),
        ("b", "a"): (1, 1),
    }
    assert {a.name: (a.frequency, a.cases) for a in pm2.activities} == {"a": (3, 1), "b": (2, 1)}
    assert (pm2.start_activities, pm2.end_activities) == ({"a": 1}, {"b": 1})


def test_derived_once_and_again_after_a_format_change(dataset: Dataset) -> None:
    paths = ensure_derived(dataset)
    stamp = paths.transitions.stat().st_mtime_ns
    assert ensure_derived(dataset).transitions.stat().st_mtime_ns == stamp
    # files from another format version (or another dataset) are not trusted: derived anew
    info = json.loads(paths.info.read_text())
    paths.info.write_text(json.dumps({**info, "format": DERIVED_FORMAT - 1}))
    paths.transitions.write_bytes(b"broken")
    again = ensure_derived(dataset)
    assert again.folder == paths.folder
    assert _transitions(again.transitions, ["a", "b", "c"]) == EXPECTED_TRANSITIONS


def test_racing_threads_get_one_complete_copy(tmp_path: Path) -> None:
    ws = EventStore.create(tmp_path / "ws")
    datasets = [_write(ws, "d"), EventStore.open(tmp_path / "ws").dataset("d")]
    results: list[Path] = []
    errors: list[BaseException] = []

    def run(ds: Dataset) -> None:
        try:
            results.append(ensure_derived(ds).folder)
        except BaseException as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(datasets[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    leftovers = [p.name for p in results[0].parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert _transitions(results[0] / "transitions.parquet", ["a", "b", "c"]) == (
        EXPECTED_TRANSITIONS
    )


def test_losing_a_race_to_another_process_keeps_the_winners_copy(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = ensure_derived(dataset)
    stamp = winner.transitions.stat().st_mtime_ns
    # this process does not see the winner's copy until its own rename fails
    real_valid = _derived._valid
    calls = {"n": 0}

    def late_valid(folder: Path, ds: Dataset) -> bool:
        calls["n"] += 1
        return calls["n"] > 3 and real_valid(folder, ds)

    monkeypatch.setattr(_derived, "_valid", late_valid)
    assert ensure_derived(dataset).folder == winner.folder
    assert calls["n"] == 4
    assert winner.transitions.stat().st_mtime_ns == stamp
    assert [p.name for p in winner.folder.parent.iterdir()] == [winner.folder.name]


def test_unwritable_dataset_folder_derives_into_the_temporary_folder(
    dataset: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a regular file where the derived folder's parent should be: creating it fails like on
    # read-only media
    blocker = tmp_path / "read-only"
    blocker.write_text("")
    monkeypatch.setattr(_derived, "derived_folder", lambda ds: blocker / "derived" / "v1")
    monkeypatch.setattr(_derived.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    paths = ensure_derived(dataset)
    assert paths.folder == (
        tmp_path / "tmp" / "civicflow-derived" / dataset.manifest.fingerprint / f"v{DERIVED_FORMAT}"
    )
    assert _transitions(paths.transitions, ["a", "b", "c"]) == EXPECTED_TRANSITIONS
    assert ensure_derived(dataset).folder == paths.folder


def test_case_spans_and_variants_of_a_view_equal_those_from_the_events(dataset: Dataset) -> None:
    from civicflow.mining import case_spans, case_variants

    view = LogView(engine=DuckDBEngine(), dataset=dataset)
    for f in (EventLogFilter(), EventLogFilter(activities_present=("c",))):
        v = view.with_filter(f)
        from_events = v.execute(case_spans(v.events).order_by("case_id"))
        derived = v.execute(case_spans(v).order_by("case_id"))
        assert derived[list(from_events.columns)].to_dict("list") == from_events.to_dict("list")
        variants_events = v.execute(case_variants(v.events).order_by("case_id"))
        variants_derived = v.execute(case_variants(v).order_by("case_id"))
        assert variants_derived.to_dict("list") == variants_events.to_dict("list")
    one = view.with_filter(EventLogFilter(activities_present=("c",)))
    assert one.execute(case_variants(one))["variant"].tolist() == ["a\x1fb\x1fc"]
