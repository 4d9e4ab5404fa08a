"""After an erasure, prove the subject's identifiers are gone from every store, or say where they
remain: ``verify_erasure`` (PRIVACY_REQUESTS), ledgered ``privacy.request.verify_erasure`` by the
request's pseudonymous id with the counts, never a value.

The stores searched, for the identifier as given (case-insensitive) and its pseudonym under each
key of the ring:

- the event store: every file under the workspace folder (datasets' Parquet files read column by
  column, so compression hides nothing; manifests, baselines, journals as bytes);
- files: everything else under ``home`` (exports, reports, the published tree head);
- the application database: every table of the schema, the ledger's included, each value read
  through its column type (so encrypted fields are searched decrypted), and on SQLite the
  database's own files byte by byte (``civicflow.db`` and its write-ahead log, checkpointed first:
  a value left in a free page is found);
- logs: ``.log`` files under ``home`` and the paths of the setting ``privacy_log_paths``.

The request register itself keeps the identifiers' pseudonyms (``privacy_requests.subject_tokens``)
to show the request was answered; that column is not searched. A remnant in a dataset on legal
hold is reported as expected (Art. 17(3)).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Table, select
from sqlalchemy.engine import make_url

from civicflow.app._context import AppContext
from civicflow.app._models import Base
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConflictError, Location, Record, utcnow
from civicflow.ledger import tables as ledger_tables

STORES = ("event store", "files", "application database", "logs")
_NOT_SEARCHED = {("privacy_requests", "subject_tokens"), ("privacy_requests", "salt")}


@dataclass(frozen=True, slots=True, kw_only=True)
class Remnant(Record):
    """Where a form of the identifier was still found (never the value itself)."""

    _json = True

    store: str
    """``event store``, ``files``, ``application database`` or ``logs``."""
    where: str
    """The file (relative to ``home`` or the workspace) or the table."""
    field: str
    """The column (a table's or a Parquet file's), or ``bytes``."""
    row: str
    """The row's key, the Parquet row, or the file's line."""
    form: str
    """``identifier`` (as given) or ``pseudonym``."""
    expected: str = ""
    """Why it may remain (a dataset on legal hold), else empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureScan(Record):
    _json = True

    request_id: str
    scanned_at: datetime
    clean: bool
    """No form of the identifier remains anywhere but where it is expected to."""
    remnants: tuple[Remnant, ...]
    searched: dict[str, int]
    """How much was searched per store (files, or tables)."""

    def by_store(self) -> dict[str, int]:
        out = dict.fromkeys(STORES, 0)
        for r in self.remnants:
            out[r.store] += 1
        return out


@dataclass(frozen=True, slots=True)
class _Form:
    needle: str  # lower-cased
    label: str


def _forms(values: Sequence[str], clear: str) -> list[_Form]:
    return [
        _Form(v.lower(), "identifier" if v == clear else "pseudonym") for v in values if v.strip()
    ]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return ""


def _scan_tables(ctx: AppContext, forms: list[_Form]) -> tuple[list[Remnant], int]:
    found: list[Remnant] = []
    tables: list[Table] = [*Base.metadata.sorted_tables, *ledger_tables.metadata.sorted_tables]
    with ctx.engine.connect() as conn:
        for table in tables:
            keys = list(table.primary_key.columns)
            for row in conn.execute(select(table)).mappings():
                for column in table.columns:
                    if (table.name, column.name) in _NOT_SEARCHED:
                        continue
                    value = _text(row[column.name]).lower()
                    if not value:
                        continue
                    for form in forms:
                        if form.needle in value:
                            key = "/".join(str(row[k.name]) for k in keys) or "?"
                            found.append(Remnant(
                                store="application database", where=table.name,
                                field=column.name, row=key, form=form.label,
                            ))  # fmt: skip
    return found, len(tables)


def _scan_parquet(path: Path, forms: list[_Form]) -> Iterator[tuple[str, str, _Form]]:
    table = pq.read_table(path)
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        for form in forms:
            mask = pc.fill_null(
                pc.match_substring(col, pattern=form.needle, ignore_case=True), False
            )
            hits = pc.indices_nonzero(mask.combine_chunks())
            if len(hits):
                yield name, f"row {hits[0].as_py()}", form


def _scan_bytes(path: Path, forms: list[_Form]) -> Iterator[tuple[str, str, _Form]]:
    data = path.read_bytes().lower()
    for form in forms:
        for needle in {form.needle.encode(), json.dumps(form.needle)[1:-1].encode()}:
            at = data.find(needle)
            if at >= 0:
                line = data.count(b"\n", 0, at) + 1
                yield "bytes", f"line {line}", form
                break


def _files(roots: Sequence[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for root in roots:
        if root.is_file():
            candidates: Iterator[Path] = iter([root])
        elif root.is_dir():
            candidates = root.rglob("*")
        else:
            continue
        for path in candidates:
            resolved = path.resolve()
            if resolved in seen or path.is_symlink() or not path.is_file():
                continue
            seen.add(resolved)
            yield path


def _sqlite_file(ctx: AppContext) -> Path | None:
    url = make_url(ctx.settings.resolved_database_url())
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def _scan_files(
    ctx: AppContext, workspace: Path, forms: list[_Form], held: dict[str, str]
) -> tuple[list[Remnant], dict[str, int]]:
    home = ctx.settings.home.resolve()
    workspace = workspace.resolve()
    logs = [Path(p).resolve() for p in ctx.settings.privacy_log_paths or ()]
    db_file = _sqlite_file(ctx)
    if db_file is not None:
        with ctx.engine.connect() as conn:  # the write-ahead log's pages into the file
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    key_file = ctx.settings.privacy_key_file
    skip = {Path(key_file).resolve()} if key_file is not None else set()
    found: list[Remnant] = []
    searched = dict.fromkeys(("event store", "files", "logs"), 0)
    for path in _files([workspace, home, *logs]):
        resolved = path.resolve()
        if resolved in skip:
            continue
        here = forms
        if (
            db_file is not None
            and resolved.name.startswith(db_file.name)
            and (resolved.parent == db_file.parent)
        ):
            # the database's own files, byte by byte (a free page, the write-ahead log): for
            # the identifier as given; its pseudonym is in the request register by design, and
            # the table scan searches for it row by row
            store, where = "application database", f"{resolved.name} (file)"
            here = [f for f in forms if f.label == "identifier"]
        elif resolved.is_relative_to(workspace):
            store, where = "event store", str(resolved.relative_to(workspace))
        elif path.suffix == ".log" or any(resolved.is_relative_to(p) for p in logs):
            store, where = "logs", str(resolved)
        else:
            store = "files"
            where = str(resolved.relative_to(home)) if resolved.is_relative_to(home) else str(path)
        searched[store] = searched.get(store, 0) + 1
        try:
            hits = list(
                _scan_parquet(path, here) if path.suffix == ".parquet" else _scan_bytes(path, here)
            )
        except (OSError, pa.ArrowException) as exc:
            found.append(Remnant(store=store, where=where, field="(unreadable)",
                                 row=type(exc).__name__, form="unknown"))  # fmt: skip
            continue
        parts = set(Path(where).parts)
        expected = next(
            (
                f"legal hold (Art. 17(3)): {reason}"
                for name, reason in held.items()
                if name in parts
            ),
            "",
        )
        found += [
            Remnant(store=store, where=where, field=f, row=r, form=form.label, expected=expected)
            for f, r, form in hits
        ]
    return found, searched


def verify_erasure(
    ctx: AppContext, *, actor: Actor, workspace_id: str, request_id: str, identifier: str
) -> ErasureScan:
    """Search every store for the subject's identifier and its pseudonyms after an erasure
    (PRIVACY_REQUESTS; the request verified, in progress or completed) and report each place one
    remains. Ledger ``privacy.request.verify_erasure`` with the counts per store."""
    from civicflow.app import _privacy_requests as req

    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    with ctx.read_session() as s:
        row, ring = req._checked(
            ctx, s, workspace_id, request_id, identifier, "verified as erased",
            allowed=("verified", "in_progress", "completed"),
        )  # fmt: skip
        if row.kind != "erasure":
            raise ConflictError(
                f"request {row.id} is an {row.kind} request, not an erasure",
                where=Location(field="request"),
                found=row.kind,
                expected="an erasure request",
                fix="verify the erasure on the erasure request",
            )
        workspace = Path(require_workspace_row(s, workspace_id).path)
    value = identifier.strip()
    forms = _forms(req._forms(ring, value), value)
    held = req.legal_holds(ctx, actor=actor, workspace_id=workspace_id)
    remnants, searched = _scan_files(ctx, workspace, forms, held)
    in_db, n_tables = _scan_tables(ctx, forms)
    remnants += in_db
    searched["application database"] = searched.get("application database", 0) + n_tables
    scan = ErasureScan(
        request_id=request_id, scanned_at=utcnow(),
        clean=not any(r for r in remnants if not r.expected), remnants=tuple(remnants),
        searched=searched,
    )  # fmt: skip
    with ctx.session() as s:
        row = req._load(s, workspace_id, request_id)
        before = req._state(row)
        row.result = {**(row.result or {}), "verification": scan.to_dict()}
        summary = {"clean": scan.clean, "remnants": scan.by_store(), "searched": searched}
        req._step(ctx, s, actor, row, "verify_erasure", before, extra={"verification": summary})
    return scan
