"""Reading a table to classify: CSV or Parquet, every column, as Arrow."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from civicflow.core import InputError, Location


def read_table(path: Path) -> pa.Table:
    """``path`` (``.csv``, ``.tsv``, ``.parquet``) as a table; CSV cells stay text."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pq.read_table(path)
        if suffix in (".csv", ".tsv", ".txt"):
            first = path.open(encoding="utf-8", errors="replace").readline()
            header = [
                h.strip().strip('"')
                for h in first.rstrip("\r\n").split("\t" if suffix == ".tsv" else ",")
            ]
            return pacsv.read_csv(
                path,
                parse_options=pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ","),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string())
                ),
            )
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            "cannot read the table to scan",
            where=Location(file=str(path)),
            found=f"{type(exc).__name__}: {exc}",
            expected="a readable CSV (comma-separated, UTF-8) or Parquet file",
            fix="check the file; for other formats ingest it first and scan the dataset",
        ) from exc
    raise InputError(
        "cannot scan this kind of file",
        where=Location(file=str(path)),
        found=suffix or "(no extension)",
        expected=".csv, .tsv or .parquet",
        fix="ingest the log first (`civicflow ingest`) and scan the dataset by name",
    )
