"""The event store: a workspace folder holding datasets as sorted, encoded Parquet.

Layout of a workspace::

    <workspace>/
      workspace.json                  name, format version, creation time
      datasets/<name>/events.parquet  canonical columns + event attributes, sorted by EVENT_ORDER,
                                      dictionary-encoded strings, zstd, large row groups
      datasets/<name>/cases.parquet   case_id + case attributes (one row per case)
      datasets/<name>/manifest.json   source, format, mapping, counts, fingerprint
      datasets/<name>/rejects.csv     rows set aside by ``on_error="skip"`` (if any)
      baselines/<name>.json           frozen KPI snapshots (see civicflow.mining)

Both engines (DuckDB, Spark) read the same files. A dataset appears only when it is complete:
it is written under ``datasets/.incoming-<id>/`` and renamed into place at the end, so a failed
ingest leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from civicflow.core import (
    ConflictError,
    InputError,
    NotFoundError,
    OwnerLock,
    Record,
    RejectedRow,
    SubPath,
    check_name,
    new_id,
    remove_if_abandoned,
    size_of,
    utcnow,
    write_csv,
)
from civicflow.eventlog._schema import (
    ACTIVITY,
    CASE_ID,
    CORE_COLUMNS,
    EVENT_ORDER,
    POSITION,
    TIMESTAMP,
    ColumnMapping,
)

WORKSPACE_FORMAT = 1
ROW_GROUP_SIZE = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetManifest(Record):
    """What a dataset is and where it came from: shown next to every number computed from it."""

    name: str
    source: str
    format: str
    mapping: dict[str, Any]
    events: int
    cases: int
    activities: int
    first_timestamp: str | None
    last_timestamp: str | None
    fingerprint: str
    """sha256 over the sorted events file: two datasets with equal fingerprints hold equal events."""
    created_at: str
    event_attributes: list[str] = field(default_factory=list)
    case_attributes: list[str] = field(default_factory=list)
    rejected: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetManifest:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Dataset:
    """A stored event log in a workspace."""

    path: Path
    manifest: DatasetManifest

    @property
    def name(self) -> str:
        return self.manifest.name

    events_path = SubPath("events.parquet")
    cases_path = SubPath("cases.parquet")
    rejects_path = SubPath("rejects.csv")

    @property
    def mapping(self) -> ColumnMapping:
        return ColumnMapping.from_dict(self.manifest.mapping)


class DatasetWriter:
    """The sink an importer writes into. Use through :meth:`EventStore.writer`.

    Events are held in memory as Arrow tables (the store's sort reads them directly) until they
    pass ``MEMORY_BUDGET`` bytes or hold a type whose Parquet round trip would change it; from then
    on they stream into a temporary Parquet file, so a log larger than memory still imports.
    """

    def __init__(self, folder: Path, *, drop_duplicates: bool = False) -> None:
        self._folder = folder
        self.drop_duplicates = drop_duplicates
        """Drop events identical to an earlier one (all columns but the position); else count them."""
        self._events: pq.ParquetWriter | None = None
        self._events_schema: pa.Schema | None = None
        self._spill_schema: pa.Schema | None = None
        self._held: list[pa.Table] | None = []
        self._held_bytes = 0
        self._in_order = True
        self._runs_in_order = True
        self._last_key: pa.Table | None = None
        self._cases: pq.ParquetWriter | None = None
        self._rejects = _Rejects(folder / "rejects.spill")
        self.events_written = 0
        self.memory_budget = MEMORY_BUDGET
        """Bytes of events held in memory before they stream to a temporary file."""

    @property
    def folder(self) -> Path:
        return self._folder

    def write_events(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Append events: the core columns (see CORE_EVENT_SCHEMA) first, attributes after."""
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        missing = [c for c in CORE_COLUMNS if c not in table.column_names]
        if missing:
            raise InputError(
                "an importer wrote events without the canonical columns",
                found=", ".join(table.column_names),
                expected=", ".join(CORE_COLUMNS),
            )
        if self._events_schema is None:
            self._events_schema = table.schema
            if not all(_memory_safe(f.type) for f in table.schema):
                self._spill()
        elif table.schema != self._events_schema:
            table = table.cast(self._events_schema)
        if table.num_rows == 0:
            return
        if self._runs_in_order:
            self._check_order(table)
        if self._held is not None:
            self._held.append(table)
            self._held_bytes += table.nbytes
            if self._held_bytes > self.memory_budget:
                self._spill()
        else:
            assert self._events is not None
            self._events.write_table(table.cast(self._spill_schema))
        self.events_written += table.num_rows

    def _spill(self) -> None:
        assert self._events_schema is not None
        self._spill_schema = _nullable(self._events_schema)
        self._events = pq.ParquetWriter(
            self._folder / "unsorted.parquet",
            self._spill_schema,
            compression="none",
            write_statistics=False,
        )
        for held in self._held or []:
            self._events.write_table(held.cast(self._spill_schema))
        self._held = None

    def _check_order(self, table: pa.Table) -> None:
        """Track whether the events so far are already in EVENT_ORDER (strictly: no tied keys),
        so the store's sort can be skipped, or at least come as contiguous runs per case, each in
        order, so only the runs need ordering. XES traces and re-imported datasets usually are."""
        keys = table.select(list(EVENT_ORDER))
        if any(c.null_count for c in keys.columns):
            self._in_order = self._runs_in_order = False
            return
        last = keys.slice(keys.num_rows - 1)
        if self._last_key is not None:
            keys = pa.concat_tables([self._last_key, keys])
        self._last_key = last
        if keys.num_rows < 2:
            return
        case, ts, pos = (keys.column(c) for c in EVENT_ORDER)
        n = keys.num_rows

        def pair(arr: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
            return arr.slice(0, n - 1), arr.slice(1)

        c0, c1 = pair(case)
        t0, t1 = pair(ts)
        p0, p1 = pair(pos)
        same_case = pc.equal(c0, c1)
        within = pc.or_(pc.less(t0, t1), pc.and_(pc.equal(t0, t1), pc.less(p0, p1)))
        if self._in_order:
            later = pc.or_(pc.less(c0, c1), pc.and_(same_case, within))
            self._in_order = bool(pc.all(later).as_py())
        # a case that reappears after another is caught at the end (run heads must be distinct)
        self._runs_in_order = bool(pc.all(pc.or_(pc.invert(same_case), within)).as_py())

    def write_cases(self, table: pa.Table) -> None:
        """Append case attributes: ``case_id`` plus one column per case attribute."""
        if CASE_ID not in table.column_names:
            raise InputError("case attributes need a case_id column", found=str(table.column_names))
        if self._cases is None:
            self._cases = pq.ParquetWriter(self._folder / "cases.parquet", table.schema)
        self._cases.write_table(table)

    def reject(self, row: RejectedRow) -> None:
        self._rejects.append(row)

    @property
    def rejected(self) -> _Rejects:
        """The rows set aside so far (beyond a few thousand, they wait on disk)."""
        return self._rejects

    def _source(self) -> _EventsSource:
        """Where the finished events are, for the store's final sort and write."""
        if self._held is not None:
            assert self._events_schema is not None
            # the source becomes the only owner, so the store can let go of the events once
            # DuckDB holds them
            held, self._held = self._held, []
            return _EventsSource(
                table=pa.Table.from_batches(
                    [b for t in held for b in t.to_batches()], schema=self._events_schema
                ),
                in_order=self._in_order,
                runs_in_order=self._runs_in_order,
            )
        return _EventsSource(path=self._folder / "unsorted.parquet", in_order=self._in_order)

    def _close(self) -> None:
        for w in (self._events, self._cases):
            if w is not None:
                w.close()
        self._events = self._cases = None
        self._rejects.close()


REJECTS_HELD = 10_000
"""Rejected rows a dataset writer holds in memory; the rest wait in a file (a log of millions of
bad rows imported with on_error="skip" must not hold them all)."""


class _Rejects:
    """Rejected rows in order: the first ``REJECTS_HELD`` in memory, the rest pickled to
    ``spill`` (written and read back by this process only)."""

    def __init__(self, spill: Path) -> None:
        self._held: list[RejectedRow] = []
        self._spill = spill
        self._out: Any = None
        self._count = 0

    def append(self, row: RejectedRow) -> None:
        self._count += 1
        if len(self._held) < REJECTS_HELD:
            self._held.append(row)
            return
        if self._out is None:
            self._out = self._spill.open("ab")
        pickle.dump(row, self._out, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __contains__(self, item: object) -> bool:
        return any(item == row for row in self)

    def __iter__(self) -> Iterator[RejectedRow]:
        yield from self._held
        self.close()
        if self._count <= len(self._held):
            return
        with self._spill.open("rb") as fh:
            while True:
                try:
                    yield pickle.load(fh)
                except EOFError:
                    return


@dataclass(slots=True, kw_only=True)
class _EventsSource:
    table: pa.Table | None = None
    path: Path | None = None
    in_order: bool = False
    runs_in_order: bool = False


SORT_MEMORY_SHARE = 0.5
"""Share of the machine's memory the store's sort may hold before DuckDB spills it to disk (its
default, 80 %, took a 100M-event ingest to a 19.7 GiB peak on a 24 GiB machine)."""


SORT_MEMORY_FLOOR = 512 << 20
"""The least memory the store's sort is given, whatever an ingest's budget."""

_SORT_BUDGET: ContextVar[int | None] = ContextVar("civicflow_sort_budget", default=None)


@contextmanager
def sort_memory(limit: int) -> Iterator[None]:
    """Cap the memory of the store's sort for the datasets written in this block (an ingest's
    memory budget; see IngestLimits)."""
    token = _SORT_BUDGET.set(limit)
    try:
        yield
    finally:
        _SORT_BUDGET.reset(token)


def _sort_memory_limit() -> str:
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not every platform reports it
        total = 8 << 30
    limit = max(1 << 30, int(total * SORT_MEMORY_SHARE))
    budget = _SORT_BUDGET.get()
    if budget is not None:
        # below this DuckDB's sort and window functions fail instead of spilling
        limit = min(limit, max(SORT_MEMORY_FLOOR, budget))
    return f"{limit >> 20}MB"


def _events_file_options() -> str:
    """How DuckDB writes the events file (format version 1: Spark cannot read the byte-stream-split
    floats of version 2)."""
    return f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_SIZE}"


def _nullable(schema: pa.Schema) -> pa.Schema:
    """The schema with every field optional: DuckDB writes a column from Arrow data as optional
    whatever the field says, so the temporary file declares no field required (and has no
    statistics, from which DuckDB would infer it), or the stored file would depend on which
    way the events went."""
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


MEMORY_BUDGET = 1 << 30
"""Bytes of events a dataset writer holds in memory before it streams them to a temporary file."""


def _memory_safe(typ: pa.DataType) -> bool:
    """Types DuckDB reads from Arrow exactly as from the Parquet file pyarrow would write (others,
    e.g. second-precision timestamps that Parquet widens to milliseconds, take the file path so
    the stored dataset does not depend on which path was taken)."""
    if pa.types.is_timestamp(typ):
        return typ.unit == "us"
    return (
        pa.types.is_string(typ)
        or pa.types.is_boolean(typ)
        or pa.types.is_signed_integer(typ)
        or pa.types.is_float64(typ)
        or pa.types.is_float32(typ)
    )


@dataclass(slots=True, kw_only=True)
class StagedDataset:
    """A complete dataset still in its ``.incoming-<id>`` folder (see :func:`staged_datasets`)."""

    final: Path
    """Where it belongs: ``datasets/<name>``."""
    dataset: Dataset
    """The dataset as it is now, in its staging folder."""
    lock: OwnerLock

    @property
    def folder(self) -> Path:
        return self.dataset.path


class Staging:
    """The datasets written inside :func:`staged_datasets`, not yet in place."""

    def __init__(self) -> None:
        self.datasets: list[StagedDataset] = []

    def _add(self, staged: StagedDataset) -> None:
        self.datasets.append(staged)

    def find(self, final: Path) -> StagedDataset | None:
        for staged in reversed(self.datasets):
            if staged.final.resolve() == final.resolve():
                return staged
        return None


_STAGING: ContextVar[Staging | None] = ContextVar("civicflow_staging", default=None)


@contextmanager
def staged_datasets() -> Iterator[Staging]:
    """Inside this block, :meth:`EventStore.writer` leaves each complete dataset in its staging
    folder, still locked against clean-up, instead of renaming it into place, and
    :meth:`EventStore.dataset` returns the staged one under its name. The caller moves it into
    place (the application does so inside the transaction of its ledger entry); at the end of
    the block whatever is still in a staging folder is removed and every lock released."""
    staging = Staging()
    token = _STAGING.set(staging)
    try:
        yield staging
    finally:
        _STAGING.reset(token)
        for staged in staging.datasets:
            shutil.rmtree(staged.folder, ignore_errors=True)
            staged.lock.release()


class EventStore:
    """A folder of datasets and baselines. Create with :meth:`create` or open with :meth:`open`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(
        cls, path: Path | str, *, name: str | None = None, exist_ok: bool = True
    ) -> EventStore:
        path = Path(path)
        meta = path / "workspace.json"
        if meta.exists():
            if not exist_ok:
                raise ConflictError(
                    f"a workspace already exists at {path}", fix="choose another folder"
                )
            return cls(path)
        (path / "datasets").mkdir(parents=True, exist_ok=True)
        (path / "baselines").mkdir(exist_ok=True)
        meta.write_text(
            json.dumps(
                {
                    "name": name or path.name,
                    "format": WORKSPACE_FORMAT,
                    "created_at": utcnow().isoformat(),
                },
                indent=2,
            )
        )
        return cls(path)

    @classmethod
    def open(cls, path: Path | str) -> EventStore:
        path = Path(path)
        if not (path / "workspace.json").exists():
            raise NotFoundError(
                f"no civicflow workspace at {path}",
                expected="a folder with workspace.json",
                fix=f"create one with `civicflow ingest --workspace {path} ...` or `civicflow demo`",
            )
        return cls(path)

    datasets_dir = SubPath("datasets")
    baselines_dir = SubPath("baselines")
    filter_sets_dir = SubPath("filter_sets")
    """Saved filter stacks, one ``<name>.json`` each (written through ``civicflow.app``)."""

    def dataset_names(self) -> list[str]:
        if not self.datasets_dir.exists():
            return []
        return sorted(
            p.name
            for p in self.datasets_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").exists()
        )

    def datasets(self) -> list[Dataset]:
        return [self.dataset(n) for n in self.dataset_names()]

    def dataset(self, name: str) -> Dataset:
        staged = _STAGING.get()
        if staged is not None:
            found = staged.find(self.datasets_dir / name)
            if found is not None:
                return found.dataset
        folder = self.datasets_dir / name
        manifest = folder / "manifest.json"
        if not manifest.exists():
            known = ", ".join(self.dataset_names()) or "none yet"
            raise NotFoundError(
                f"no dataset '{name}' in workspace {self.path}",
                expected=f"one of: {known}",
                fix="list them with `civicflow datasets`",
            )
        return Dataset(folder, DatasetManifest.from_dict(json.loads(manifest.read_text())))

    def delete_dataset(self, name: str) -> None:
        folder = self.dataset(name).path
        trash = self.datasets_dir / f".deleting-{new_id()}"
        os.rename(folder, trash)  # atomic: the dataset disappears whole
        shutil.rmtree(trash, ignore_errors=True)

    def clean_abandoned(self, *, keep: Iterable[Path] = ()) -> list[tuple[Path, int]]:
        """Remove what killed processes left behind: ``.incoming-*`` folders of ingests and of
        derived files, and their lock files, whose writer is gone (a live one holds its lock, in
        this process or another), and ``.deleting-*``/``.replaced-*``/``.stale-*`` trash. Paths in
        ``keep`` (named by an unfinished operation's journal) stay. Returns what was removed, with
        its size in bytes."""
        kept = {Path(p) for p in keep}
        removed: list[tuple[Path, int]] = []
        folders = [self.datasets_dir, self.baselines_dir, self.filter_sets_dir]
        if self.datasets_dir.is_dir():
            folders += [d / "derived" for d in self.datasets_dir.iterdir() if d.is_dir()]
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                name = path.name
                if path in kept or not name.startswith("."):
                    continue
                if name.startswith(".incoming-"):
                    if name.endswith(".lock"):
                        target = path.with_name(name[: -len(".lock")])
                        if target.exists() or target in kept:
                            continue  # handled with its folder
                    else:
                        target = path
                    size, existed = size_of(target), target.exists()
                    if remove_if_abandoned(target) and existed:
                        removed.append((target, size))
                elif name.startswith("..incoming-") and name.endswith(".tmp"):
                    # a staged baseline's temporary file: ``.<stem>.<id>.tmp``, its owner's lock
                    # that of ``<stem>.json``
                    owner = folder / (name[1:].rsplit(".", 2)[0] + ".json")
                    lock = OwnerLock.try_take(owner)
                    if lock is not None:
                        size = size_of(path)
                        path.unlink(missing_ok=True)
                        lock.release()
                        removed.append((path, size))
                elif name.startswith((".deleting-", ".replaced-", ".stale-")):
                    size = size_of(path)
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
                    if not path.exists():
                        removed.append((path, size))
        return removed

    @contextmanager
    def writer(
        self,
        name: str,
        *,
        source: str,
        format: str,
        mapping: ColumnMapping,
        options: dict[str, Any] | None = None,
        replace: bool = False,
        drop_duplicates: bool = False,
    ) -> Iterator[DatasetWriter]:
        """Write a new dataset atomically: it exists only if the block completes without error.

        Identical events (equal in every column but the source position) are counted into the
        manifest's options as ``duplicates``; with ``drop_duplicates`` all but the first of each
        are dropped (``duplicates_dropped``).
        """
        check_name(name, kind="dataset name")
        final = self.datasets_dir / name
        if final.exists() and not replace:
            raise ConflictError(
                f"dataset '{name}' already exists in {self.path}",
                fix="choose another name, or pass --replace to overwrite it",
            )
        self.datasets_dir.mkdir(parents=True, exist_ok=True)
        staging = self.datasets_dir / f".incoming-{new_id()}"
        # the lock comes first: clean-up at start never removes a live ingest's folder
        lock = OwnerLock(staging)
        staged = _STAGING.get()
        try:
            staging.mkdir()
        except BaseException:
            lock.release()
            raise
        writer = DatasetWriter(staging, drop_duplicates=drop_duplicates)
        try:
            yield writer
            writer._close()
            if writer.events_written == 0:
                raise InputError(
                    "the log has no events",
                    where=None,
                    found=f"{source}: 0 events"
                    + (f" ({len(writer.rejected)} rejected)" if writer.rejected else ""),
                    expected="at least one event with a case id, an activity and a timestamp",
                    fix="check the file and the column mapping",
                )
            manifest = _finalize(
                staging,
                writer._source(),
                name=name,
                source=source,
                format=format,
                mapping=mapping,
                options=options or {},
                rejects=writer.rejected,
                drop_duplicates=writer.drop_duplicates,
            )
            if staged is not None:
                # the caller moves it into place (with its ledger entry) and releases the lock
                staged._add(
                    StagedDataset(final=final, dataset=Dataset(staging, manifest), lock=lock)
                )
                return
            if final.exists():
                old = self.datasets_dir / f".replaced-{new_id()}"
                os.rename(final, old)
                os.rename(staging, final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(staging, final)
            del manifest
            lock.release()
        except BaseException:
            writer._close()
            shutil.rmtree(staging, ignore_errors=True)
            lock.release()
            raise


def _finalize(
    folder: Path,
    source_events: _EventsSource,
    *,
    name: str,
    source: str,
    format: str,
    mapping: ColumnMapping,
    options: dict[str, Any],
    rejects: Collection[RejectedRow],
    drop_duplicates: bool = False,
) -> DatasetManifest:
    """Sort events into their stable order, write cases, counts, fingerprint and manifest."""
    events = folder / "events.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"SET temp_directory = {_literal(folder / 'tmp')}")
        con.execute(f"SET memory_limit = {_literal(_sort_memory_limit())}")
        in_order = source_events.in_order
        counts: tuple[int, int, int] | None = None
        repeated: np.ndarray | None = None
        """Rows (in stored order) identical to an earlier event but for the position."""
        from_memory = source_events.table is not None
        if source_events.table is not None:
            table, source_events.table = source_events.table, None
            if (
                not in_order
                and source_events.runs_in_order
                and not any(table.column(c).null_count for c in EVENT_ORDER)
            ):
                # ordered runs of one case each: ordering the runs by case id (strings by bytes,
                # as DuckDB's default collation) gives the file DuckDB's ORDER BY gives, in less
                # time; events in no order at all are left to DuckDB's sort, which uses every
                # core (Arrow's sort uses one: 5.8 s against 4.5 s with the write for 5M events)
                order = _run_order(table)
                if order is not None:
                    table = _take(table, order)
                    in_order = True
            if in_order:
                repeated = _repeated_rows(con, table, _tied_rows([table]))
                if drop_duplicates and len(repeated):
                    keep = np.ones(table.num_rows, dtype=bool)
                    keep[repeated] = False
                    table = table.filter(pa.array(keep))
            # a view on the Arrow data (no copy into DuckDB); its columns are written as optional,
            # as those of the temporary file the other path reads (see _nullable)
            con.register("incoming", table)
            if in_order:
                # sorted by case: each case is one run, so its first rows are the distinct case
                # ids, already in order (cheaper than DuckDB's DISTINCT over every event)
                case = table.column(CASE_ID).combine_chunks()
                starts = np.ones(len(case), dtype=bool)
                starts[1:] = pc.not_equal(case.slice(1), case.slice(0, len(case) - 1)).to_numpy(
                    zero_copy_only=False
                )
                con.register("case_ids", pa.table({CASE_ID: case.filter(pa.array(starts))}))
                counts = (
                    table.num_rows,
                    int(starts.sum()),
                    pc.count_distinct(table.column(ACTIVITY)).as_py(),
                )
                del case, starts
        else:
            con.execute(
                f"CREATE VIEW incoming AS SELECT * FROM read_parquet({_literal(source_events.path)})"
            )
        if in_order:
            # already in EVENT_ORDER with no tied keys: the rows are written as they are (the
            # same file DuckDB's sort writes)
            con.execute("SET preserve_insertion_order = true")
            query = "SELECT * FROM incoming"
        else:
            con.execute("SET preserve_insertion_order = false")
            order = ", ".join(_quote(c) for c in EVENT_ORDER)
            query = f"SELECT * FROM incoming ORDER BY {order}"
        con.execute(f"COPY ({query}) TO {_literal(events)} ({_events_file_options()})")
        if source_events.path is not None:
            source_events.path.unlink()
        if repeated is None:
            repeated = _repeated_rows_in_file(con, events)
            if drop_duplicates and len(repeated):
                _drop_rows_in_file(con, events, repeated)
        if counts is None:
            # counts, span and case list from what was stored (duplicates may have been dropped)
            if from_memory:
                con.unregister("incoming")
            con.execute(
                f"CREATE OR REPLACE VIEW incoming AS SELECT * FROM read_parquet({_literal(events)})"
            )
        if counts is None:
            con.execute("CREATE VIEW case_ids AS SELECT DISTINCT case_id FROM incoming")
            row = con.execute(
                "SELECT count(*), count(DISTINCT case_id), count(DISTINCT activity) FROM incoming"
            ).fetchone()
            assert row is not None
            counts = (int(row[0]), int(row[1]), int(row[2]))
        span = con.execute("SELECT min(timestamp), max(timestamp) FROM incoming").fetchone()
        assert span is not None
        stats = (*counts, *span)
        # the case list from runs is in order and written in that order; DISTINCT's needs sorting
        case_order = "" if in_order and from_memory else "ORDER BY case_id"
        cases_file = folder / "cases.parquet"
        if cases_file.exists():
            # one row per case, in case order; cases with no attributes row still get one
            con.execute(
                f"COPY (SELECT e.case_id, c.* EXCLUDE (case_id) FROM "
                f"case_ids e "
                f"LEFT JOIN (SELECT * FROM read_parquet({_literal(cases_file)}) "
                f"QUALIFY row_number() OVER (PARTITION BY case_id) = 1) c USING (case_id) "
                f"ORDER BY e.case_id) TO {_literal(folder / 'cases.tmp.parquet')} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
        else:
            con.execute(
                f"COPY (SELECT case_id FROM case_ids {case_order}) "
                f"TO {_literal(folder / 'cases.tmp.parquet')} (FORMAT parquet, COMPRESSION zstd)"
            )
        os.replace(folder / "cases.tmp.parquet", cases_file)
    finally:
        con.close()
    shutil.rmtree(folder / "tmp", ignore_errors=True)
    event_cols = pq.read_schema(events).names
    case_cols = pq.read_schema(cases_file).names
    if rejects:
        _write_rejects(folder / "rejects.csv", rejects)
        (folder / "rejects.spill").unlink(missing_ok=True)
    duplicates = len(repeated) if repeated is not None else 0
    options = {
        **options,
        "duplicates": duplicates,
        "duplicates_dropped": duplicates if drop_duplicates else 0,
    }
    manifest = DatasetManifest(
        name=name,
        source=source,
        format=format,
        mapping=mapping.to_dict(),
        events=int(stats[0]),
        cases=int(stats[1]),
        activities=int(stats[2]),
        first_timestamp=_iso(stats[3]),
        last_timestamp=_iso(stats[4]),
        fingerprint=_fingerprint(events),
        created_at=utcnow().isoformat(),
        event_attributes=[c for c in event_cols if c not in CORE_COLUMNS],
        case_attributes=[c for c in case_cols if c != CASE_ID],
        rejected=len(rejects),
        options=options,
    )
    (folder / "manifest.json").write_text(json.dumps(manifest.to_dict(), indent=2, default=str))
    return manifest


_ROW = "__civicflow_row__"


def _tied_rows(batches: Iterable[pa.Table]) -> np.ndarray:
    """Rows of sorted events that share case and timestamp with a neighbour, as indices into the
    concatenated ``batches`` (each holding at least ``case_id`` and ``timestamp``).

    Identical events can only be among them: sorted by (case, timestamp, position), events equal
    in every column but the position sit next to each other. Real logs have few such ties, so
    the full comparison runs on a small subset instead of hashing every event.
    """
    found: list[np.ndarray] = []
    offset = 0
    last: tuple[Any, Any] | None = None
    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        case, ts = batch.column(CASE_ID), batch.column(TIMESTAMP)
        tied = np.zeros(n, dtype=bool)
        if n > 1:
            same = pc.and_(
                pc.equal(case.slice(1), case.slice(0, n - 1)),
                pc.equal(ts.slice(1), ts.slice(0, n - 1)),
            )
            same_np = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
            tied[1:] |= same_np
            tied[:-1] |= same_np
        head = (case[0].as_py(), ts[0].as_py())
        if last is not None and None not in head and head == last:
            tied[0] = True
            found.append(np.array([offset - 1], dtype=np.int64))
        found.append(np.flatnonzero(tied).astype(np.int64) + offset)
        last = (case[n - 1].as_py(), ts[n - 1].as_py())
        offset += n
    if not found:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.concatenate(found))


def _repeated_rows(con: duckdb.DuckDBPyConnection, table: pa.Table, tied: np.ndarray) -> np.ndarray:
    """Of the ``tied`` rows of ``table``, those equal to an earlier event (lower position) in
    every column but the position; NULLs count as equal."""
    if len(tied) == 0:
        return tied
    subset = table.take(pa.array(tied)).append_column(_ROW, pa.array(tied))
    return _repeated_in_subset(con, subset)


def _repeated_in_subset(con: duckdb.DuckDBPyConnection, subset: pa.Table) -> np.ndarray:
    compared = ", ".join(_quote(c) for c in subset.column_names if c not in (POSITION, _ROW))
    con.from_arrow(subset).create_view("tied_events")
    try:
        found = con.execute(
            f"SELECT {_ROW} FROM tied_events QUALIFY row_number() OVER "
            f"(PARTITION BY {compared} ORDER BY {_quote(POSITION)}, {_ROW}) > 1 ORDER BY {_ROW}"
        ).fetchnumpy()[_ROW]
    finally:
        con.execute("DROP VIEW tied_events")
    return np.asarray(found, dtype=np.int64)


def _repeated_rows_in_file(con: duckdb.DuckDBPyConnection, events: Path) -> np.ndarray:
    """:func:`_repeated_rows` for a sorted events file too large to hold: read by row group, the
    tied rows of each compared on their own (memory stays bounded however many ties a log has).
    Rows tied to a group's last (case, timestamp) wait for the next group, which may continue
    their tie."""
    pf = pq.ParquetFile(events)
    groups = range(pf.metadata.num_row_groups)
    tied = _tied_rows(pf.read_row_group(g, columns=[CASE_ID, TIMESTAMP]) for g in groups)
    if len(tied) == 0:
        return tied
    found: list[np.ndarray] = []
    waiting: pa.Table | None = None
    start = 0
    for g in groups:
        size = pf.metadata.row_group(g).num_rows
        lo, hi = np.searchsorted(tied, [start, start + size])
        if hi > lo:
            rows = tied[lo:hi]
            part = pf.read_row_group(g).take(pa.array(rows - start))
            part = part.append_column(_ROW, pa.array(rows))
            if waiting is not None:
                part = pa.concat_tables([waiting, part])
            last = part.slice(part.num_rows - 1)
            same_as_last = pc.and_(
                pc.equal(part.column(CASE_ID), last.column(CASE_ID)[0]),
                pc.equal(part.column(TIMESTAMP), last.column(TIMESTAMP)[0]),
            ).to_numpy(zero_copy_only=False)
            # sorted: the rows equal to the last one are the part's tail
            settled = int(np.flatnonzero(~same_as_last).max(initial=-1)) + 1
            if settled:
                found.append(_repeated_in_subset(con, part.slice(0, settled)))
            waiting = part.slice(settled)
        start += size
    if waiting is not None and waiting.num_rows:
        found.append(_repeated_in_subset(con, waiting))
    return np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def _drop_rows_in_file(con: duckdb.DuckDBPyConnection, events: Path, rows: np.ndarray) -> None:
    """Rewrite the sorted events file without ``rows`` (indices in file order), in the same order."""
    pf = pq.ParquetFile(events)

    def kept_batches() -> Iterator[pa.RecordBatch]:
        start = 0
        for g in range(pf.metadata.num_row_groups):
            group = pf.read_row_group(g)
            lo, hi = np.searchsorted(rows, [start, start + group.num_rows])
            if hi > lo:
                keep = np.ones(group.num_rows, dtype=bool)
                keep[rows[lo:hi] - start] = False
                group = group.filter(pa.array(keep))
            start += pf.metadata.row_group(g).num_rows
            yield from group.to_batches()

    kept = events.with_name("events.kept.parquet")
    con.register("kept_events", pa.RecordBatchReader.from_batches(pf.schema_arrow, kept_batches()))
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"COPY kept_events TO {_literal(kept)} ({_events_file_options()})")
    con.unregister("kept_events")
    os.replace(kept, events)


def _quote(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    """An SQL string literal (paths and settings in statements DuckDB cannot take parameters for:
    SET, COPY ... TO, views over read_parquet)."""
    return "'" + str(value).replace("'", "''") + "'"


def _take(table: pa.Table, order: pa.Array) -> pa.Table:
    """``table.take(order)``, a column per thread (Arrow's take runs on one core per call)."""
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        columns = list(pool.map(lambda col: col.take(order), table.columns))
    return pa.Table.from_arrays(columns, schema=table.schema)


def _run_order(table: pa.Table) -> pa.Array | None:
    """The sorting permutation of events that come as runs of one case each, every run already
    in order: only the runs are ordered, by case id. None if a case id heads two runs."""
    case = table.column(CASE_ID).combine_chunks()
    n = len(case)
    change = np.ones(n, dtype=bool)
    change[1:] = pc.not_equal(case.slice(1), case.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(change)
    heads = case.take(pa.array(starts))
    by_case = pc.sort_indices(heads)
    ordered = heads.take(by_case)
    # sorted, the heads are distinct unless two neighbours are equal (far cheaper than a hash
    # count of distinct values)
    if (
        len(ordered) > 1
        and pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py()
    ):
        return None
    by_case = by_case.to_numpy()
    first, length = starts[by_case], np.diff(np.append(starts, n))[by_case]
    # row i of the result is row first[j] + (i - where run j begins in the result)
    begins = np.cumsum(length) - length
    return pa.array(np.repeat(first - begins, length) + np.arange(n, dtype=np.int64))


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _fingerprint(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_rejects(path: Path, rejects: Iterable[RejectedRow]) -> None:
    # the raw values come from the uploaded file: written through the formula-safe writer
    with path.open("w", newline="", encoding="utf-8") as fh:
        write_csv(
            fh,
            header=["file", "row", "line", "field", "reason", "raw"],
            rows=(
                [
                    r.location.file,
                    r.location.row,
                    r.location.line,
                    r.location.field,
                    r.reason,
                    json.dumps(r.raw)[:10_000],
                ]
                for r in rejects
            ),
        )
