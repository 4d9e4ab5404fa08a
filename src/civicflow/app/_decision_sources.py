"""Decision streams: where the decisions a fairness audit reads come from.

A :class:`DecisionSource` yields rows of decisions — the outcome (or a score), optionally the true
label, and the group and control attributes named by the audit's
:class:`civicflow.fairness.AuditConfig` — together with a digest of exactly what was read, which
the audit stores and ledgers. Two sources exist:

- :class:`FileSource`: a CSV or Parquet file (digest: the file's SHA-256);
- :class:`TableSource`: a table in PostgreSQL or in a DuckDB file, read through Ibis (digest:
  the SHA-256 of the rows read, independent of their order).

- :class:`RecordedDecisionsSource`: the decisions civicflow itself recorded under its published
  rule sets (``civicflow.app.decisions``), one row per decision with its inputs, the rules'
  outcome (``positive``) and the outcome after review (``final_positive``) (digest: the SHA-256
  of the rows read).

A new kind of source implements the protocol, and is added to :data:`SOURCE_KINDS` with the
function opening it from its ``reference`` (so a monitored stream can be re-audited from it).
Nothing else in the audit, the monitor or their interfaces changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from civicflow.app._context import AppContext
from civicflow.core import ConfigurationError, InputError, Location
from civicflow.fairness import DecisionTable, frame_digest, read_decisions, read_decisions_table

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRows:
    """What a source read: the decisions and the SHA-256 identifying that content."""

    frame: pd.DataFrame
    sha256: str


@runtime_checkable
class DecisionSource(Protocol):
    """A stream of decisions an audit can read (see the module's documentation)."""

    @property
    def kind(self) -> str:
        """The kind of source, a key of :data:`SOURCE_KINDS` (``file``, ``table``…)."""
        ...

    @property
    def label(self) -> str:
        """Where the decisions are, fit to store and show (never a password)."""
        ...

    @property
    def default_name(self) -> str:
        """The audit's name when none is given."""
        ...

    def reference(self) -> dict[str, Any]:
        """What :func:`source_from_dict` needs to open this source again."""
        ...

    def check(self) -> None:
        """Raise :class:`civicflow.core.InputError` unless the source can be kept and re-read
        later (e.g. a URL holding a password must not be stored)."""
        ...

    def read(self, columns: tuple[str, ...]) -> DecisionRows:
        """The decisions, only ``columns`` (raises ``InputError`` naming a missing one)."""
        ...


@dataclass(frozen=True, slots=True)
class FileSource:
    """Decisions in a CSV or Parquet file."""

    path: Path

    @property
    def kind(self) -> str:
        return "file"

    @property
    def label(self) -> str:
        return self.path.name

    @property
    def default_name(self) -> str:
        return self.path.stem

    def reference(self) -> dict[str, Any]:
        return {"path": str(self.path.resolve())}

    def check(self) -> None:
        if not self.path.is_file():
            raise InputError(
                "the decisions file does not exist",
                where=Location(file=str(self.path)),
                expected="a CSV or Parquet file",
                fix="check the path",
            )

    def read(self, columns: tuple[str, ...]) -> DecisionRows:
        self.check()
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return DecisionRows(frame=read_decisions(self.path, columns=columns), sha256=digest)


@dataclass(frozen=True, slots=True)
class TableSource:
    """Decisions in a database table (PostgreSQL or a DuckDB file), read through Ibis."""

    table: DecisionTable

    @property
    def kind(self) -> str:
        return "table"

    @property
    def label(self) -> str:
        return self.table.label

    @property
    def default_name(self) -> str:
        return self.table.table.rpartition(".")[2]

    def reference(self) -> dict[str, Any]:
        ref = self.table.to_dict()
        if self.table.kind == "duckdb":
            ref["connection"] = str(self.table.path.resolve())
        return ref

    def check(self) -> None:
        if self.table.has_password:
            raise InputError(
                "the connection URL holds a password, which would be stored with the stream",
                where=Location(field="connection"),
                found=self.label,
                expected="a URL without a password",
                fix="leave the password out of the URL: libpq reads PGPASSWORD or ~/.pgpass",
            )

    def read(self, columns: tuple[str, ...]) -> DecisionRows:
        frame = read_decisions_table(self.table, columns=columns)
        return DecisionRows(frame=frame, sha256=frame_digest(frame))


@dataclass(frozen=True, slots=True)
class RecordedDecisionsSource:
    """The decisions civicflow recorded in a workspace under its rule sets (``ruleset``'s only,
    or every rule set's). Reading needs the application: a use case binds its context
    (:meth:`bind`) before reading; a stored reference holds only the workspace and rule set."""

    workspace_id: str
    ruleset: str | None = None
    ctx: AppContext | None = None

    @property
    def kind(self) -> str:
        return "decisions"

    @property
    def label(self) -> str:
        return (
            f"decisions recorded under rule set {self.ruleset}"
            if self.ruleset
            else ("decisions recorded under every rule set")
        )

    @property
    def default_name(self) -> str:
        return f"{self.ruleset or 'all'}-decisions"

    def reference(self) -> dict[str, Any]:
        return {"workspace_id": self.workspace_id, "ruleset": self.ruleset}

    def bind(self, ctx: AppContext) -> RecordedDecisionsSource:
        return RecordedDecisionsSource(self.workspace_id, self.ruleset, ctx)

    def check(self) -> None:
        return None  # holds no secret and no path: always fit to keep

    def read(self, columns: tuple[str, ...]) -> DecisionRows:
        from civicflow.app._decisions import decision_stream, recorded_decisions

        if self.ctx is None:
            raise ConfigurationError(
                "recorded decisions are read through the application",
                where=Location(field="source"),
                expected="a source bound to the application's context",
                fix="call source.bind(ctx) first (app.fairness.audit_source does)",
            )
        found = recorded_decisions(self.ctx, workspace_id=self.workspace_id, ruleset=self.ruleset)
        if not found:
            raise InputError(
                f"there are no {self.label}",
                where=Location(field="ruleset"),
                found=self.ruleset or "every rule set",
                expected="a rule set with decisions recorded in this workspace",
                fix="decide cases first (`civicflow rules decide NAME -w …`), or check the name",
            )
        frame = decision_stream(found)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(
                f"the recorded decisions have no column {', '.join(missing)}",
                where=Location(field=missing[0]),
                found=", ".join(str(c) for c in frame.columns),
                expected="an input of the rule set, positive, uncertain or final_positive",
                fix="name one of the columns found (the outcome after review is final_positive)",
            )
        frame = frame.loc[:, list(columns)].reset_index(drop=True)
        return DecisionRows(frame=frame, sha256=frame_digest(frame))


def _file(ref: dict[str, Any]) -> DecisionSource:
    return FileSource(Path(ref["path"]))


def _table(ref: dict[str, Any]) -> DecisionSource:
    return TableSource(DecisionTable(connection=ref["connection"], table=ref["table"]))


def _recorded(ref: dict[str, Any]) -> DecisionSource:
    return RecordedDecisionsSource(ref["workspace_id"], ref.get("ruleset"))


SOURCE_KINDS: dict[str, Callable[[dict[str, Any]], DecisionSource]] = {
    "file": _file,
    "table": _table,
    "decisions": _recorded,
}
"""Each kind of source with the function opening it from its :meth:`DecisionSource.reference`."""


def source_from_dict(kind: str, reference: dict[str, Any]) -> DecisionSource:
    """Open a source again from its kind and reference (as a stream stores them)."""
    opener = SOURCE_KINDS.get(kind)
    if opener is None:
        raise ConfigurationError(
            f"there is no kind of decision source '{kind}'",
            where=Location(field="source_kind"),
            found=kind,
            expected="one of: " + ", ".join(SOURCE_KINDS),
            fix="register the stream again",
        )
    return opener(reference)
