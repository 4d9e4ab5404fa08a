"""Parquet importer: streams record batches (row group by row group) through the shared mapping."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from civicflow.core import InputError, Location
from civicflow.eventlog._canonical import EventSink, guess_mapping_from_columns
from civicflow.eventlog._schema import ColumnMapping

if TYPE_CHECKING:
    from civicflow.eventlog._ingest import IngestOptions


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
            raise InputError(
                "the file is not a readable Parquet file",
                where=Location(file=path.name),
                found=str(exc),
                expected="an Apache Parquet file",
                fix="check the file, or pass --format with its real format",
            ) from exc

    def guess_mapping(self, path: Path, options: IngestOptions) -> ColumnMapping:
        names = self._open(path).schema_arrow.names
        return guess_mapping_from_columns(names, file=path.name, timezone=options.timezone or "UTC")

    def read(
        self, path: Path, *, mapping: ColumnMapping, options: IngestOptions, sink: EventSink
    ) -> dict[str, object]:
        pf = self._open(path)
        total = pf.metadata.num_rows
        done = 0
        sink.progress(0, total, "events")
        for batch in pf.iter_batches(batch_size=options.batch_size):
            sink.write(pa.Table.from_batches([batch]))
            done += batch.num_rows
            sink.progress(done, total, "events")
        return {"row_groups": pf.metadata.num_row_groups}
