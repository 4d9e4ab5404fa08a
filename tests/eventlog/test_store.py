"""The event store writes datasets atomically and in the stable event order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicflow.core import ConflictError, InputError
from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, EventStore

MAPPING = ColumnMapping(case_id="case", activity="act", timestamp="ts")


def _events(rows: list[tuple[str, str, datetime, int]]) -> pa.Table:
    n = len(rows)
    return pa.Table.from_pydict(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [r[2] for r in rows],
            "start_timestamp": [None] * n,
            "resource": [None] * n,
            "lifecycle": [None] * n,
            "cost": [None] * n,
            "position": [r[3] for r in rows],
        },
        schema=CORE_EVENT_SCHEMA,
    )


def test_events_are_sorted_by_case_timestamp_then_position(workspace: EventStore) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)
    with workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w:
        w.write_events(
            _events(
                [
                    ("b", "x", t, 0),
                    ("a", "late", later, 1),
                    ("a", "tie2", t, 3),
                    ("a", "tie1", t, 2),
                ]
            )
        )
    ds = workspace.dataset("d")
    got = pq.read_table(ds.events_path).to_pydict()
    assert got["activity"] == ["tie1", "tie2", "late", "x"]
    assert ds.manifest.events == 4 and ds.manifest.cases == 2 and ds.manifest.activities == 4
    assert len(ds.manifest.fingerprint) == 64


def test_failed_ingest_leaves_nothing_behind(workspace: EventStore) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    with (
        pytest.raises(RuntimeError),
        workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w,
    ):
        w.write_events(_events([("a", "x", t, 0)]))
        raise RuntimeError("importer failed half-way")
    assert workspace.dataset_names() == []
    assert list(workspace.datasets_dir.iterdir()) == []


def test_empty_log_is_an_error_and_leaves_nothing(workspace: EventStore) -> None:
    with (
        pytest.raises(InputError, match="no events"),
        workspace.writer("d", source="empty.csv", format="csv", mapping=MAPPING),
    ):
        pass
    assert list(workspace.datasets_dir.iterdir()) == []


def test_existing_dataset_is_not_overwritten_without_replace(workspace: EventStore) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    with workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w:
        w.write_events(_events([("a", "x", t, 0)]))
    with (
        pytest.raises(ConflictError),
        workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w,
    ):
        pass
    with workspace.writer("d", source="mem2", format="test", mapping=MAPPING, replace=True) as w:
        w.write_events(_events([("a", "y", t, 0), ("b", "y", t, 1)]))
    assert workspace.dataset("d").manifest.events == 2


def _write(workspace: EventStore, name: str, batches: list[pa.Table]) -> None:
    with workspace.writer(name, source="mem", format="test", mapping=MAPPING) as w:
        for b in batches:
            w.write_events(b)


def test_batches_each_in_order_but_not_together_are_sorted(workspace: EventStore) -> None:
    # each batch alone is in the stored order; only the boundary between them is not, so a
    # writer that checked batches separately would skip the sort and store "b" before "a"
    t = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)
    _write(
        workspace,
        "d",
        [
            _events([("a", "a1", t, 0), ("b", "b1", t, 1)]),
            _events([("a", "a2", later, 2), ("c", "c1", t, 3)]),
        ],
    )
    got = pq.read_table(workspace.dataset("d").events_path).to_pydict()
    assert got["activity"] == ["a1", "a2", "b1", "c1"]


def test_tied_keys_in_source_order_are_still_sorted_by_position(workspace: EventStore) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    _write(workspace, "d", [_events([("a", "p1", t, 1), ("a", "p0", t, 0)])])
    got = pq.read_table(workspace.dataset("d").events_path).to_pydict()
    assert got["activity"] == ["p0", "p1"]
    assert got["position"] == [0, 1]


def _with_attributes(table: pa.Table) -> pa.Table:
    # every type the writer keeps in memory, with and without nulls
    n = table.num_rows
    first = table.column("position")[0].as_py()
    values = [first + i for i in range(n)]
    columns = {
        "small": pa.array([v % 100 for v in values], pa.int8()),
        "ratio": pa.array([v / 7 for v in values], pa.float32()),
        "flag": pa.array([None if v % 5 == 0 else v % 2 == 0 for v in values], pa.bool_()),
        "seen": pa.array([datetime(2024, 3, 1, v % 24) for v in values], pa.timestamp("us")),
        "local": pa.array(
            [datetime(2024, 3, 1, v % 24) for v in values],
            pa.timestamp("us", tz="Europe/Amsterdam"),
        ),
        "note": pa.array([None if v % 3 == 0 else f"n{v}" for v in values], pa.string()),
    }
    for name, col in columns.items():
        table = table.append_column(name, col)
    return table


@pytest.mark.parametrize("in_order", [True, False])
def test_spilling_to_disk_stores_the_same_file(
    workspace: EventStore, monkeypatch: pytest.MonkeyPatch, in_order: bool
) -> None:
    """Events over the memory budget go through a temporary file; the dataset must not depend
    on which way they went (same bytes, hence the same fingerprint)."""
    import civicflow.eventlog._store as store

    t = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(f"c{i // 3:03d}", f"act{i % 4}", t.replace(hour=i % 3), i) for i in range(300)]
    if not in_order:
        rows.reverse()
    batches = [_with_attributes(_events(rows[i : i + 70])) for i in range(0, len(rows), 70)]
    _write(workspace, "memory", batches)
    monkeypatch.setattr(store, "MEMORY_BUDGET", 1_000)
    _write(workspace, "spilled", batches)
    memory, spilled = workspace.dataset("memory"), workspace.dataset("spilled")
    assert memory.manifest.fingerprint == spilled.manifest.fingerprint
    assert memory.events_path.read_bytes() == spilled.events_path.read_bytes()
    got = pq.read_table(spilled.events_path).to_pydict()
    assert got["position"] == list(range(300))
    assert pq.read_schema(spilled.events_path) == pq.read_schema(memory.events_path)


def test_second_precision_attribute_is_stored_in_microseconds(workspace: EventStore) -> None:
    """A type outside the in-memory set goes through the temporary file, as every type did."""
    t = datetime(2024, 1, 1, tzinfo=UTC)
    table = _events([("a", "x", t, 0)]).append_column(
        "due", pa.array([datetime(2024, 2, 1)], pa.timestamp("s"))
    )
    _write(workspace, "d", [table])
    stored = pq.read_table(workspace.dataset("d").events_path)
    assert stored.schema.field("due").type == pa.timestamp("us")
    assert stored.column("due").to_pylist() == [datetime(2024, 2, 1)]


def test_runs_of_cases_are_ordered_by_case_id(workspace: EventStore) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)
    _write(
        workspace,
        "d",
        [
            _events([("c", "c1", t, 0), ("c", "c2", later, 1), ("a", "a1", t, 2)]),
            _events([("a", "a2", later, 3), ("b", "b1", t, 4)]),
        ],
    )
    got = pq.read_table(workspace.dataset("d").events_path).to_pydict()
    assert got["activity"] == ["a1", "a2", "b1", "c1", "c2"]
    assert got["position"] == [2, 3, 4, 0, 1]


def test_a_case_that_comes_back_after_another_is_merged(workspace: EventStore) -> None:
    # two runs of case "a", each in order: ordering runs alone would keep them apart
    t = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)
    _write(
        workspace,
        "d",
        [_events([("a", "a2", later, 0), ("b", "b1", t, 1), ("a", "a1", t, 2)])],
    )
    got = pq.read_table(workspace.dataset("d").events_path).to_pydict()
    assert got["activity"] == ["a1", "a2", "b1"]
    assert workspace.dataset("d").manifest.cases == 2


def _naive_repeats(rows: list[tuple[object, ...]]) -> list[int]:
    """Positions (last field) of rows equal to an earlier row in every other field."""
    seen: set[tuple[object, ...]] = set()
    repeats = []
    for row in sorted(rows, key=lambda r: r[-1]):
        if row[:-1] in seen:
            repeats.append(row[-1])
        seen.add(row[:-1])
    return repeats


def _dup_rows() -> list[tuple[str, str, datetime, int]]:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(120):
        # few cases, two timestamps, two activities: many ties, some of them true duplicates
        rows.append((f"c{i % 4}", f"act{(i // 4) % 2}", t.replace(hour=(i // 8) % 2), i))
    return rows


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize("spilled", [False, True])
def test_duplicates_are_found_among_ties_in_memory_and_on_disk(
    workspace: EventStore, monkeypatch: pytest.MonkeyPatch, drop: bool, spilled: bool
) -> None:
    """Identical events are counted (or dropped, keeping the first in source order) after the
    sort, whichever way the events went."""
    import civicflow.eventlog._store as store

    rows = _dup_rows()
    note = [None if r[3] % 3 == 0 else "n" for r in rows]  # NULLs compare equal
    batches = [
        _events(rows[i : i + 25]).append_column("note", pa.array(note[i : i + 25], pa.string()))
        for i in range(0, len(rows), 25)
    ]
    if spilled:
        monkeypatch.setattr(store, "MEMORY_BUDGET", 1_000)
    with workspace.writer(
        "d", source="mem", format="test", mapping=MAPPING, drop_duplicates=drop
    ) as w:
        for b in batches:
            w.write_events(b)
    ds = workspace.dataset("d")
    expected = _naive_repeats([(c, a, t, n, p) for (c, a, t, p), n in zip(rows, note, strict=True)])
    assert 0 < len(expected) < len(rows)
    assert ds.manifest.options["duplicates"] == len(expected)
    assert ds.manifest.options["duplicates_dropped"] == (len(expected) if drop else 0)
    stored = pq.read_table(ds.events_path)
    positions = stored.column("position").to_pylist()
    kept = sorted(set(range(len(rows))) - set(expected)) if drop else list(range(len(rows)))
    assert sorted(positions) == kept
    assert ds.manifest.events == len(kept)
    keys = list(
        zip(
            *(stored.column(c).to_pylist() for c in ("case_id", "timestamp")),
            positions,
            strict=True,
        )
    )
    assert keys == sorted(keys)


def test_dropping_duplicates_stores_the_same_file_either_way(
    workspace: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import civicflow.eventlog._store as store

    batches = [_events(_dup_rows())]
    with workspace.writer(
        "m", source="mem", format="test", mapping=MAPPING, drop_duplicates=True
    ) as w:
        w.write_events(batches[0])
    monkeypatch.setattr(store, "MEMORY_BUDGET", 1_000)
    with workspace.writer(
        "s", source="mem", format="test", mapping=MAPPING, drop_duplicates=True
    ) as w:
        w.write_events(batches[0])
    m, s = workspace.dataset("m"), workspace.dataset("s")
    assert m.manifest.events == s.manifest.events < 120
    assert m.events_path.read_bytes() == s.events_path.read_bytes()


def test_tied_rows_are_found_across_batch_boundaries() -> None:
    from civicflow.eventlog._store import _tied_rows

    t = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)

    def batch(keys: list[tuple[str, datetime]]) -> pa.Table:
        return pa.table({"case_id": [k[0] for k in keys], "timestamp": [k[1] for k in keys]})

    got = _tied_rows(
        [
            batch([("a", t), ("a", later)]),  # row 1 ties with row 2 (next batch)
            batch([("a", later)]),
            batch([]),
            batch([("a", later), ("b", t), ("c", t)]),  # row 3 continues the tie
            batch([("c", later)]),  # same case, other time: no tie
        ]
    )
    assert got.tolist() == [1, 2, 3]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("ab"),
            st.sampled_from("xy"),
            st.integers(0, 2),
            st.sampled_from([None, "r"]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
)
def test_duplicate_count_equals_a_plain_count(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    fields: list[tuple[str, str, int, str | None]],
    spilled: bool,
) -> None:
    import civicflow.eventlog._store as store

    # spilled: through the temporary file and DuckDB's sort, then compared from the stored file
    monkeypatch.setattr(store, "MEMORY_BUDGET", 0 if spilled else 1 << 30)
    ws = EventStore.create(tmp_path_factory.mktemp("ws"))
    t = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(c, a, t.replace(hour=h), i) for i, (c, a, h, _r) in enumerate(fields)]
    table = _events(rows).set_column(4, "resource", pa.array([f[3] for f in fields], pa.string()))
    with ws.writer("d", source="mem", format="test", mapping=MAPPING) as w:
        w.write_events(table)
    expected = _naive_repeats([(c, a, h, r, i) for i, (c, a, h, r) in enumerate(fields)])
    assert ws.dataset("d").manifest.options["duplicates"] == len(expected)


def test_the_sort_may_hold_half_the_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import civicflow.eventlog._store as store

    sizes = {"SC_PHYS_PAGES": 6 * 1024 * 1024, "SC_PAGE_SIZE": 4096}  # 24 GiB
    monkeypatch.setattr(store.os, "sysconf", lambda name: sizes[name])
    assert store._sort_memory_limit() == f"{12 * 1024}MB"
    sizes["SC_PHYS_PAGES"] = 1024  # a tiny machine still gets 1 GiB
    assert store._sort_memory_limit() == "1024MB"


def test_ties_spanning_row_groups_are_compared_whole(tmp_path: Path) -> None:
    """The on-disk comparison reads a row group at a time; a tie group cut by row groups (here of
    7 rows, as DuckDB never writes them that small) must still be compared as one."""
    import duckdb

    from civicflow.eventlog._store import (
        _drop_rows_in_file,
        _repeated_rows,
        _repeated_rows_in_file,
        _tied_rows,
    )

    rows = sorted(_dup_rows(), key=lambda r: (r[0], r[2], r[3]))
    table = _events(rows)
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=7)
    assert pq.ParquetFile(path).metadata.num_row_groups > 10
    con = duckdb.connect()
    on_disk = _repeated_rows_in_file(con, path)
    in_memory = _repeated_rows(con, table, _tied_rows([table]))
    expected = _naive_repeats([(c, a, t, p) for c, a, t, p in rows])
    assert on_disk.tolist() == in_memory.tolist()
    assert sorted(rows[i][3] for i in on_disk) == sorted(expected)

    _drop_rows_in_file(con, path, on_disk)
    kept = pq.read_table(path)
    assert sorted(kept.column("position").to_pylist()) == sorted(
        set(r[3] for r in rows) - set(expected)
    )
    keys = list(
        zip(
            kept.column("case_id").to_pylist(),
            kept.column("timestamp").to_pylist(),
            kept.column("position").to_pylist(),
            strict=True,
        )
    )
    assert keys == sorted(keys)


def _tiny(workspace: EventStore, name: str = "d") -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    with workspace.writer(name, source="mem", format="test", mapping=MAPPING) as w:
        w.write_events(_events([("c1", "A", t, 0), ("c1", "B", t.replace(day=2), 1)]))


def test_clean_abandoned_removes_killed_ingests_only(workspace: EventStore) -> None:
    """A killed ingest's ``.incoming-*`` folder (its lock released by the kernel) is removed and
    reported with its size; a live ingest's (lock held here, or in another process) stays."""
    import subprocess
    import sys
    import time

    from civicflow.core import OwnerLock

    _tiny(workspace)
    dead = workspace.datasets_dir / ".incoming-dead"
    dead.mkdir()
    (dead / "unsorted.parquet").write_bytes(b"x" * 5000)
    derived_dead = workspace.datasets_dir / "d" / "derived" / ".incoming-dead"
    derived_dead.mkdir(parents=True)
    live = workspace.datasets_dir / ".incoming-live"
    lock = OwnerLock(live)
    live.mkdir()
    other = workspace.datasets_dir / ".incoming-other"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from civicflow.core import OwnerLock;"
         "p = Path(sys.argv[1]); OwnerLock(p); p.mkdir(); print('ready', flush=True);"
         "time.sleep(60)", str(other)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        trash = workspace.datasets_dir / ".deleting-x"
        trash.mkdir()
        removed = dict(workspace.clean_abandoned())
        assert removed == {dead: 5000, derived_dead: 0, trash: 0}
        assert live.is_dir() and other.is_dir() and not dead.exists()
        assert workspace.dataset_names() == ["d"]
        lock.release()
        holder.kill()  # the other "ingest" is killed: its folder is now abandoned
        holder.wait(10)
        deadline = time.monotonic() + 10
        while (other.exists() or live.exists()) and time.monotonic() < deadline:
            workspace.clean_abandoned()
        assert not other.exists() and not live.exists()
        assert sorted(p.name for p in workspace.datasets_dir.iterdir()) == ["d"]
    finally:
        holder.kill()
        holder.wait(10)


def test_a_workspace_path_with_quotes_and_spaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths reach DuckDB as quoted literals: ingest (in memory, spilled, with duplicates
    dropped), derived files and analyses work in a folder named with ' and " and a space."""
    from civicflow.eventlog import _store as store
    from civicflow.eventlog import make_engine
    from civicflow.mining import EventLogFilter, LogView, compute_kpis, ensure_derived, variants

    workspace = EventStore.create(tmp_path / 'o\'brien "office" ws')
    t = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [("c2", "A", t, 0), ("c1", "A", t, 1), ("c1", "B", t.replace(day=3), 2)]
    rows += [("c1", "B", t.replace(day=3), 3)]  # a duplicate of the row before
    for name, budget in (("memory", None), ("spilled", 1)):
        if budget is not None:
            monkeypatch.setattr(store, "MEMORY_BUDGET", budget)
        with workspace.writer(
            name, source="mem", format="test", mapping=MAPPING, drop_duplicates=True
        ) as w:
            w.write_events(_events(rows))
            w.write_cases(pa.table({"case_id": ["c1", "c2"], "office": ["x'y", 'q"z']}))
    engine = make_engine("duckdb")
    try:
        for name in ("memory", "spilled"):
            dataset = workspace.dataset(name)
            assert (dataset.manifest.events, dataset.manifest.cases) == (3, 2)
            assert dataset.manifest.options["duplicates_dropped"] == 1
            ensure_derived(dataset)
            view = LogView(engine=engine, dataset=dataset, filter=EventLogFilter())
            kpis = {v.name: v.value for v in compute_kpis(view).values}
            assert kpis["case_count"] == 2
            assert sorted(v.cases for v in variants(view).variants) == [1, 1]
    finally:
        engine.close()
    assert workspace.clean_abandoned() == []
