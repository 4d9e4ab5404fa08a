"""Engines: where analyses run. Analyses are Ibis expressions written once; an engine supplies the
tables and executes them. DuckDB is the embedded default; Spark is the scale-out engine."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import ibis

from civicflow.core import ConfigurationError, check_choice
from civicflow.eventlog._store import Dataset

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from ibis.expr.types import Table


@runtime_checkable
class Engine(Protocol):
    """The small interface every analytics engine implements (see tests/contract)."""

    name: str

    def events(self, dataset: Dataset) -> Table:
        """The dataset's events as an Ibis table with the canonical columns."""
        ...

    def cases(self, dataset: Dataset) -> Table:
        """One row per case: ``case_id`` and the case attributes."""
        ...

    def table(self, dataset: Dataset, path: Path) -> Table:
        """Another Parquet file of the dataset (e.g. files derived from its events) as a table."""
        ...

    def execute(self, expr: Any) -> pd.DataFrame:
        """Run an Ibis expression and return its result as a pandas DataFrame."""
        ...

    def execute_arrow(self, expr: Any) -> pa.Table:
        """Run an Ibis expression and return its result as an Arrow table (no pandas
        conversion: for results of millions of rows)."""
        ...

    def close(self) -> None: ...


class _IbisEngine:
    name = "ibis"

    def __init__(self, con: Any) -> None:
        self._con = con
        self._tables: dict[tuple[str, str], Table] = {}
        self._lock = threading.Lock()

    @property
    def connection(self) -> Any:
        return self._con

    def _table(self, dataset: Dataset, which: str, path: Path) -> Table:
        key = (str(dataset.path), dataset.manifest.fingerprint + which)
        with self._lock:
            if key not in self._tables:
                table_name = f"cf_{path.stem}_{abs(hash(key)) % 10**12}"
                self._tables[key] = self._con.read_parquet(str(path), table_name=table_name)
            return self._tables[key]

    def events(self, dataset: Dataset) -> Table:
        return self._table(dataset, "events", dataset.events_path)

    def cases(self, dataset: Dataset) -> Table:
        return self._table(dataset, "cases", dataset.cases_path)

    def table(self, dataset: Dataset, path: Path) -> Table:
        return self._table(dataset, f":{path}", path)

    def execute(self, expr: Any) -> pd.DataFrame:
        return self._con.execute(expr)

    def execute_arrow(self, expr: Any) -> pa.Table:
        return self._con.to_pyarrow(expr)

    def close(self) -> None:
        self._tables.clear()


class DuckDBEngine(_IbisEngine):
    """The embedded default: an in-process DuckDB reading the workspace's Parquet files."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        con = ibis.duckdb.connect()
        if threads:
            con.raw_sql(f"SET threads = {int(threads)}")
        if memory_limit:
            con.raw_sql("SET memory_limit = '" + str(memory_limit).replace("'", "''") + "'")
        con.raw_sql("SET TimeZone = 'UTC'")
        super().__init__(con)

    def close(self) -> None:
        super().close()
        self._con.disconnect()


DEFAULT_SPARK_MASTER = "local[2]"
"""The master when none is given: the default of ``Settings.spark_master`` (the engine reads no
settings itself; the application and the CLI pass ``CIVICFLOW_SPARK_MASTER`` in)."""


class SparkEngine(_IbisEngine):
    """Apache Spark through Ibis: the same analyses on a cluster (or ``local[*]`` in tests)."""

    name = "spark"

    def __init__(self, *, master: str | None = None, session: Any = None) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "the Spark engine needs PySpark",
                fix="install it with `pip install 'civicflow[spark]'` (Java 17 must be on PATH)",
            ) from exc
        if session is None:
            session = (
                SparkSession.builder.master(master or DEFAULT_SPARK_MASTER)
                .appName("civicflow")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.ansi.enabled", "false")
                .getOrCreate()
            )
            session.sparkContext.setLogLevel("ERROR")
        self.session = session
        super().__init__(ibis.pyspark.connect(session))


def make_engine(name: str = "duckdb", *, spark_master: str | None = None, **options: Any) -> Engine:
    """The engine called ``name`` ("duckdb" or "spark").

    Spark connects to ``master=`` (or ``spark_master``, which callers fill from
    ``Settings.spark_master``) when given, else to ``local[2]``; DuckDB ignores ``spark_master``.
    """
    check_choice(
        name,
        ("duckdb", "spark"),
        what="engine",
        fix="set CIVICFLOW_ENGINE or --engine to duckdb or spark",
    )
    if name == "duckdb":
        return DuckDBEngine(**options)
    if spark_master is not None:
        options.setdefault("master", spark_master)
    return SparkEngine(**options)
