"""Uploads: streamed to disk in chunks with a size limit, then identified by their content.

The request body is never held in memory: each chunk goes straight to a file, and the upload stops
(and the partial file is removed) as soon as it passes ``max_upload_bytes``. The type comes from the
bytes themselves, not from the name or the browser's Content-Type.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from starlette.datastructures import UploadFile

from civicflow.core import (
    InputError,
    Location,
    NotFoundError,
    OwnerLock,
    new_id,
    remove_if_abandoned,
    size_of,
)

UploadKind = Literal["xes", "xes.gz", "csv", "csv.gz", "parquet", "ocel.json", "ocel.sqlite"]

SUFFIX: dict[str, str] = {
    "xes": ".xes",
    "xes.gz": ".xes.gz",
    "csv": ".csv",
    "csv.gz": ".csv.gz",
    "parquet": ".parquet",
    "ocel.json": ".jsonocel",
    "ocel.sqlite": ".sqlite",
}
_SNIFF_BYTES = 64 * 1024
_UPLOAD_ID = re.compile(r"^up[0-9a-f]{32}$")
_EXPECTED = "an event log: XES (.xes or .xes.gz), CSV text, Parquet, or OCEL 2.0 (JSON or SQLite)"


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """An uploaded file on disk, with the kind its content shows."""

    upload_id: str
    path: Path
    kind: UploadKind
    size: int
    original_name: str


def _safe_stem(filename: str) -> str:
    stem = Path(filename.replace("\\", "/")).name
    for suffix in (
        ".xes.gz",
        ".csv.gz",
        ".gz",
        ".xes",
        ".csv",
        ".parquet",
        ".json",
        ".jsonocel",
        ".sqlite",
        ".db",
    ):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip(".-") or "upload"
    return stem[:64]


def _text_kind(head: bytes) -> Literal["xml", "json", "text"] | None:
    if b"\x00" in head:
        return None
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"<?xml", b"<log", b"<!--")):
        return "xml"
    if text.startswith((b"{", b"[")):
        return "json"
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sniff boundary is fine; invalid bytes earlier are not
        if exc.start < len(head) - 4:
            try:
                decoded = head.decode("cp1252")
            except UnicodeDecodeError:
                return None
        else:
            decoded = head[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in decoded)
    if decoded and printable / len(decoded) > 0.98 and "\n" in decoded:
        try:
            csv.Sniffer().sniff(decoded.split("\n", 1)[0] + "\n", delimiters=",;\t|")
        except csv.Error:
            return None
        return "text"
    return None


def sniff(head: bytes) -> UploadKind | None:
    """The kind of event-log file these first bytes belong to, or ``None``."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3\x00"):
        return "ocel.sqlite"
    if head.startswith(b"\x1f\x8b"):
        try:
            inner = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, _SNIFF_BYTES)
        except zlib.error:
            return None
        kind = _text_kind(inner)
        return "xes.gz" if kind == "xml" else "csv.gz" if kind == "text" else None
    kind = _text_kind(head)
    return {"xml": "xes", "json": "ocel.json", "text": "csv"}.get(kind or "")  # type: ignore[return-value]


async def store_upload(
    chunks: AsyncIterator[bytes],
    *,
    directory: Path,
    filename: str,
    max_bytes: int,
) -> StoredUpload:
    """Write the streamed body to ``directory/<upload id>/``; check size and content as it comes."""
    _forget_stale(directory)
    upload_id = "up" + new_id()[-32:]
    folder = directory / upload_id
    directory.mkdir(parents=True, exist_ok=True)
    # locked before it exists: clean-up never removes an upload still arriving (any worker)
    lock = OwnerLock(folder)
    try:
        folder.mkdir(exist_ok=False)
    except BaseException:
        lock.release()
        raise
    partial = folder / "body.partial"
    size = 0
    head = b""
    try:
        with partial.open("wb") as out:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > max_bytes:
                    raise InputError(
                        "the upload is larger than this server accepts",
                        where=Location(file=filename),
                        found=f"more than {max_bytes:,} bytes",
                        expected=f"at most {max_bytes:,} bytes (CIVICFLOW_MAX_UPLOAD_BYTES)",
                        fix="upload a smaller export, compress it (.xes.gz), or ask IT to raise the limit",
                    )
                if len(head) < _SNIFF_BYTES:
                    head += chunk[: _SNIFF_BYTES - len(head)]
                out.write(chunk)
        if size == 0:
            raise InputError(
                "the uploaded file is empty",
                where=Location(file=filename),
                found="0 bytes",
                expected=_EXPECTED,
                fix="choose the exported event-log file and upload it again",
            )
        kind = sniff(head)
        if kind is None:
            raise InputError(
                "the uploaded file is not an event log civicflow can read",
                where=Location(file=filename),
                found=f"content starting with {head[:16]!r}",
                expected=_EXPECTED,
                fix="export the log from the case-management system as XES or CSV and upload that",
            )
        final = folder / (_safe_stem(filename) + SUFFIX[kind])
        partial.rename(final)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        lock.release()
    return StoredUpload(
        upload_id=upload_id, path=final, kind=kind, size=size, original_name=filename
    )


STALE_SECONDS = 24 * 3600


def _forget_stale(directory: Path) -> None:
    # uploads whose mapping was never submitted would otherwise pile up on disk
    if not directory.is_dir():
        return
    forget_partial_uploads(directory.parent, workspace=directory.name)
    cutoff = time.time() - STALE_SECONDS
    for folder in directory.iterdir():
        if folder.is_dir() and _UPLOAD_ID.match(folder.name) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def forget_partial_uploads(uploads: Path, *, workspace: str = "*") -> list[tuple[Path, int]]:
    """Remove uploads cut short by a stopped server (a ``body.partial`` no live upload holds the
    lock of) under ``uploads/<workspace id>/``; what was removed, with its size in bytes."""
    removed: list[tuple[Path, int]] = []
    for partial in sorted(uploads.glob(f"{workspace}/up*/body.partial")):
        folder = partial.parent
        if _UPLOAD_ID.match(folder.name):
            size = size_of(folder)
            if remove_if_abandoned(folder):
                removed.append((folder, size))
    return removed


def find_upload(directory: Path, upload_id: str) -> Path:
    """The stored file of an upload id (validated: ids never become arbitrary paths)."""
    if _UPLOAD_ID.match(upload_id):
        folder = directory / upload_id
        files = (
            [p for p in folder.glob("*") if p.is_file() and p.suffix != ".partial"]
            if folder.is_dir()
            else []
        )
        if files:
            return files[0]
    raise NotFoundError(
        "that upload is no longer available",
        found=upload_id,
        expected="the id of a file uploaded in this session",
        fix="upload the file again",
    )


def preview(path: Path, kind: str, *, rows: int = 8) -> tuple[list[str], list[list[str]]]:
    """Field names and the first rows of an upload, for the mapping form.

    A file that cannot be read (truncated, corrupt, malformed XML, a DTD, beyond the ingest
    limits) raises :class:`UnreadableSourceError` naming the file and line, never a crash.
    """
    from lxml import etree
    from pyarrow import ArrowException

    from civicflow.eventlog import UnreadableSourceError

    try:
        return _preview(path, kind, rows=rows)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise UnreadableSourceError(
            "the XES file is not well-formed XML",
            where=Location(file=path.name, line=line),
            found=f"{exc.msg} (line {line}, column {exc.position[1] if exc.position else '?'})",
            expected="well-formed XES (XML) without a document type declaration",
            fix="repair the file (was it truncated or edited by hand?) and upload it again",
        ) from None
    except (EOFError, OSError, zlib.error, UnicodeError, ArrowException) as exc:
        raise UnreadableSourceError(
            "the uploaded file cannot be read",
            where=Location(file=path.name),
            found=str(exc) or type(exc).__name__,
            expected=_EXPECTED,
            fix="export or download the file again (was the transfer cut short?) and upload it",
        ) from None


def _preview(path: Path, kind: str, *, rows: int) -> tuple[list[str], list[list[str]]]:
    if kind in {"csv", "csv.gz"}:
        opener = gzip.open if kind == "csv.gz" else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:  # type: ignore[operator]
            sample = fh.read(_SNIFF_BYTES)
            try:
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                    sample.split("\n", 1)[0] + "\n", delimiters=",;\t|"
                )
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(io.StringIO(sample), dialect)
            table = [row for _, row in zip(range(rows + 1), reader, strict=False)]
        return (table[0] if table else []), table[1:]
    if kind in {"xes", "xes.gz"}:
        return _xes_preview(path, rows=rows)
    if kind == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        batch = next(pf.iter_batches(batch_size=rows), None)
        names = list(pf.schema_arrow.names)
        if batch is None:
            return names, []
        data = batch.to_pylist()
        return names, [[_cell(r.get(n)) for n in names] for r in data]
    return [], []


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _xes_preview(path: Path, *, rows: int) -> tuple[list[str], list[list[str]]]:
    from lxml import etree

    from civicflow.eventlog import IngestLimits, xes_classifiers

    def local(tag: object) -> str:
        return str(tag).rsplit("}", 1)[-1]

    # the importer's own reading of the header first: it refuses what ingest would refuse
    # (a DTD, a header beyond the limits, a truncated or corrupt file) with the same error
    xes_classifiers(path)
    records: list[dict[str, str]] = []
    with IngestLimits.from_settings().open(path) as fh:
        case_attrs: dict[str, str] = {}
        for event, elem in etree.iterparse(
            fh,
            events=("end",),
            huge_tree=False,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        ):
            tag = local(elem.tag)
            parent = elem.getparent()
            if parent is None:
                continue
            ptag = local(parent.tag)
            if tag == "event":
                record = {f"case:{k}": v for k, v in case_attrs.items()}
                for child in elem:
                    key = child.get("key")
                    if key is not None:
                        record[key] = child.get("value", "")
                records.append(record)
                elem.clear()
                if len(records) >= rows:
                    break
            elif ptag == "trace" and tag != "event" and elem.get("key"):
                case_attrs[str(elem.get("key"))] = str(elem.get("value", ""))
            elif tag == "trace":
                case_attrs = {}
            del event
    names: list[str] = []
    for record in records:
        for key in record:
            if key not in names:
                names.append(key)
    return names, [[_cell(r.get(n)) for n in names] for r in records]


MAX_TABLE_BYTES = 50_000_000
"""The largest demand, population or series table a form accepts."""


def read_upload(
    form: Any, name: str, *, what: str, limit: int = MAX_TABLE_BYTES
) -> tuple[str, bytes] | None:
    """The file name and bytes of the uploaded table of field ``name`` (None when no file was
    chosen); more than ``limit`` bytes is an error naming the field."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    raw = upload.file.read(limit + 1)
    if len(raw) > limit:
        raise InputError(
            f"the {what} is too large",
            where=Location(file=upload.filename, field=name),
            found=f"more than {limit:,} bytes",
            expected=f"a CSV or Parquet {what} of at most {limit:,} bytes",
            fix="upload a smaller table, or split it",
        )
    return upload.filename, raw


def save_upload(form: Any, name: str, directory: Path, *, what: str) -> Path | None:
    """The uploaded file of field ``name`` written into ``directory`` (None when no file was
    chosen); too large a file is an error naming the field."""
    uploaded = read_upload(form, name, what=what)
    if uploaded is None:
        return None
    filename, raw = uploaded
    suffix = Path(filename).suffix.lower()
    path = directory / (name + (suffix if suffix in (".csv", ".parquet", ".pq") else ".csv"))
    path.write_bytes(raw)
    return path
