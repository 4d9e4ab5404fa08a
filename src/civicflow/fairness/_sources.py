"""Decisions kept in a database table, read through Ibis (the engines' query layer): a
PostgreSQL table or a table in a DuckDB file. Only the audited columns are fetched."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from civicflow.core import ConfigurationError, InputError, Location

if TYPE_CHECKING:
    import pandas as pd

TableKind = Literal["postgres", "duckdb"]
POSTGRES_SCHEMES = ("postgres", "postgresql")


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionTable:
    """A table of decisions in a database.

    ``connection`` is a PostgreSQL URL (``postgresql://user@host:5432/db``; a SQLAlchemy-style
    ``postgresql+psycopg://`` is accepted too) or the path of a DuckDB file (optionally written
    ``duckdb:///path``). ``table`` is ``name`` or ``schema.name``. A password is best left out of
    the URL (libpq reads ``PGPASSWORD`` or ``~/.pgpass``): :attr:`label` never shows it.
    """

    connection: str
    table: str

    def __post_init__(self) -> None:
        parts = self.table.split(".")
        if not self.table or len(parts) > 2 or not all(parts):
            raise ConfigurationError(
                "the decisions table's name is not usable",
                where=Location(field="table"),
                found=self.table,
                expected="name or schema.name",
                fix="e.g. --table decisions or --table public.decisions",
            )
        if not self.connection:
            raise ConfigurationError(
                "the decisions table needs a connection",
                where=Location(field="connection"),
                expected="a PostgreSQL URL or a DuckDB file",
                fix="e.g. --connection postgresql://user@127.0.0.1:5432/db",
            )

    @property
    def kind(self) -> TableKind:
        scheme = urlsplit(self.connection).scheme.split("+")[0].lower()
        return "postgres" if scheme in POSTGRES_SCHEMES else "duckdb"

    @property
    def has_password(self) -> bool:
        return self.kind == "postgres" and urlsplit(self.connection).password is not None

    @property
    def url(self) -> str:
        """The PostgreSQL URL as libpq reads it (no SQLAlchemy driver suffix)."""
        parts = urlsplit(self.connection)
        return urlunsplit(("postgresql", *parts[1:]))

    @property
    def path(self) -> Path:
        """The DuckDB file."""
        text = self.connection
        if text.startswith("duckdb://"):
            text = text.removeprefix("duckdb://")
        return Path(text)

    @property
    def label(self) -> str:
        """Where the table is, without a password: ``postgresql://user@host:5432/db#table``."""
        if self.kind == "duckdb":
            return f"duckdb:{self.path.name}#{self.table}"
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = (f"{parts.username}@" if parts.username else "") + host
        netloc += f":{parts.port}" if parts.port else ""
        return urlunsplit(("postgresql", netloc, parts.path, "", "")) + f"#{self.table}"

    def to_dict(self) -> dict[str, Any]:
        return {"connection": self.connection, "table": self.table}


def _connect(source: DecisionTable) -> Any:
    import ibis

    where = Location(field="connection")
    if source.kind == "duckdb":
        if not source.path.is_file():
            raise InputError(
                "the DuckDB file does not exist",
                where=Location(file=str(source.path)),
                expected="a DuckDB database file holding the decisions table",
                fix="check the path given to --connection",
            )
        try:
            return ibis.duckdb.connect(str(source.path), read_only=True)
        except Exception as exc:  # duckdb raises its own IOException family
            raise InputError(
                "the DuckDB file cannot be opened",
                where=Location(file=str(source.path)),
                found=str(exc).splitlines()[0][:300],
                expected="a DuckDB database file not held open for writing elsewhere",
                fix="close the program writing it, or pass a copy",
            ) from exc
    try:
        return ibis.connect(source.url)
    except Exception as exc:  # psycopg's OperationalError and friends
        raise InputError(
            "cannot connect to the PostgreSQL database",
            where=where,
            found=f"{source.label.split('#')[0]}: {str(exc).splitlines()[0][:300]}",
            expected="a reachable server and a database this user may read",
            fix="check the host, port, database and user; give a password through PGPASSWORD "
            "or ~/.pgpass",
        ) from exc


def _tables(con: Any) -> list[str]:
    """The tables a connection sees, as ``schema.name`` (system schemas left out)."""
    cursor = con.raw_sql(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
        "NOT IN ('information_schema', 'pg_catalog') ORDER BY table_schema, table_name"
    )
    try:
        return [f"{schema}.{name}" for schema, name in cursor.fetchall()]
    finally:
        cursor.close()


def read_decisions_table(
    source: DecisionTable, *, columns: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The decisions in ``source`` (only ``columns`` when given; they are checked first)."""
    from ibis.common.exceptions import TableNotFound

    con = _connect(source)
    try:
        schema, _, name = source.table.rpartition(".")
        try:
            table = con.table(name, database=schema or None)
        except TableNotFound as exc:
            tables = _tables(con)
            raise InputError(
                f"there is no table '{source.table}'",
                where=Location(file=source.label.split("#")[0], field="table"),
                found=", ".join(tables[:30]) or "(no tables)",
                expected="the table holding the decisions",
                fix="name one of the tables found (schema.name for another schema)",
            ) from exc
        if columns:
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise InputError(
                    f"the decisions table has no column '{missing[0]}'",
                    where=Location(file=source.label, field=missing[0]),
                    found=", ".join(table.columns[:30]),
                    expected="the columns named by --outcome/--score/--label/--group/--control",
                    fix="name a column of the table",
                )
            table = table.select(*columns)
        return table.to_pyarrow().to_pandas()
    finally:
        con.disconnect()


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's content regardless of its row order (a database returns rows in
    any order): the sorted 64-bit hashes of its rows, with its column names."""
    import numpy as np
    import pandas as pd

    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()
