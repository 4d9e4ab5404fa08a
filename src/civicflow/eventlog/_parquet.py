"""Parquet importer: streams record batches (row group by row group) through the shared mapping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from civicflow.eventlog._canonical import EventSink, guess_mapping_from_columns
from civicflow.eventlog._limits import IngestLimits, unreadable
from civicflow.eventlog._schema import ColumnMapping

if TYPE_CHECKING:
    from civicflow.eventlog._importer import IngestOptions


class ParquetImporter:
    """Apache Parquet files (any writer: pandas, Spark, DuckDB, Arrow)."""

    name = "parquet"
    suffixes: tuple[str, ...] = (".parquet", ".pq")

    def sniff(self, path: Path) -> bool:
        with path.open("rb") as fh:
            return fh.read(4) == b"PAR1"

    def _open(self, path: Path) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise unreadable(path.name, exc, "parquet") from exc

    def guess_mapping(self, path: Path, options: IngestOptions) -> ColumnMapping:
        names = self._open(path).schema_arrow.names
        return guess_mapping_from_columns(names, file=path.name, timezone=options.timezone or "UTC")

    def read(
        self, path: Path, *, mapping: ColumnMapping, options: IngestOptions, sink: EventSink
    ) -> dict[str, object]:
        pf = self._open(path)
        limits = options.limits or IngestLimits()
        meta = pf.metadata
        # Parquet compresses and run-length encodes its pages: a small file can declare billions
        # of rows or gigabytes of values; the footer says how much before anything is decoded
        decoded = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
        limits.check_expansion(
            file=path.name,
            compressed=path.stat().st_size,
            expanded=max(decoded, meta.num_rows * max(meta.num_columns, 1)),
            what="Parquet file",
        )
        total = meta.num_rows
        done = 0
        sink.progress(0, total, "events")
        for table in _tables(pf, options.batch_size, whole_below=limits.held_bytes // 2):
            sink.write(table)
            done += table.num_rows
            sink.progress(done, total, "events")
        return {"row_groups": pf.metadata.num_row_groups}


def _tables(pf: pq.ParquetFile, batch_size: int, *, whole_below: int) -> Iterator[pa.Table]:
    """The file in pieces of about ``batch_size`` rows. Row groups of moderate size (rows, and
    decoded bytes below ``whole_below``) are read whole, their columns decoded on all cores; an
    oversized one is streamed batch by batch so memory stays bounded."""
    for group in range(pf.metadata.num_row_groups):
        meta = pf.metadata.row_group(group)
        rows = meta.num_rows
        if rows <= _WHOLE_GROUP_BATCHES * batch_size and meta.total_byte_size <= whole_below:
            table = pf.read_row_group(group, use_threads=True)
            for start in range(0, rows, batch_size):
                yield table.slice(start, batch_size)
        else:
            for batch in pf.iter_batches(batch_size=batch_size, row_groups=[group]):
                yield pa.Table.from_batches([batch])


_WHOLE_GROUP_BATCHES = 8
