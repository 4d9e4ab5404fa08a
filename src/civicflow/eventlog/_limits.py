"""What one ingest may cost: a memory budget, the largest XES element, and caps on how far a
compressed input may expand. Every importer reads its source through these limits, on the CLI and
in the workbench alike, and refuses a hostile file with a clear :class:`InputError` instead of
growing until the machine runs out of memory.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.ipc

from civicflow.core import ConfigurationError, InputError, Location, Settings, get_settings

_RATIO_CHECKED_ABOVE = 64 << 20
"""Decompressed bytes below which the expansion ratio is not checked (a small file cannot do harm,
and gzip's own buffering makes the ratio of the first bytes meaningless)."""


class UnreadableSourceError(InputError):
    """The source file itself cannot be read (truncated, corrupt, malformed, a compression bomb,
    beyond the limits): no column mapping or option fixes it, so the workbench discards the
    upload."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestLimits:
    """Caps of one ingest (see docs/CONFIGURATION.md, ``CIVICFLOW_INGEST_*``)."""

    memory_budget: int = 4 << 30
    """Bytes of memory the ingest may hold: buffered events, parse chunks and the store's sort
    share it; what does not fit goes to temporary files in the dataset's staging folder."""
    max_element_bytes: int = 32 << 20
    """Largest single XES trace (or log header before the first trace)."""
    max_decompressed_bytes: int = 32 << 30
    """Largest size a compressed source may expand to."""
    max_expansion_ratio: int = 200
    """Largest ratio of decompressed to compressed bytes (checked past 64 MiB decompressed)."""

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> IngestLimits:
        """The limits of ``settings`` (default: the environment's, ``CIVICFLOW_INGEST_*``)."""
        if settings is None:
            try:
                settings = get_settings()
            except ValueError as exc:  # pydantic's ValidationError: a CIVICFLOW_INGEST_* too small
                raise ConfigurationError(
                    "a setting in the environment is not valid",
                    found=" ".join(
                        line.split(" [")[0].strip() for line in str(exc).splitlines()[1:3]
                    ),
                    expected="the values and minimums in docs/CONFIGURATION.md",
                    fix="correct the CIVICFLOW_* variable named above",
                ) from None
        s = settings
        return cls(
            memory_budget=s.ingest_memory_budget,
            max_element_bytes=s.ingest_max_element_bytes,
            max_decompressed_bytes=s.ingest_max_decompressed_bytes,
            max_expansion_ratio=s.ingest_max_expansion_ratio,
        )

    def open(self, path: Path) -> BinaryIO:
        """The file's bytes, decompressed within these limits when it is gzip-compressed."""
        return open_source(path, self)

    @property
    def held_bytes(self) -> int:
        """Bytes of parsed events an importer or the store's writer holds before spilling."""
        return self.memory_budget // 4

    @property
    def sort_bytes(self) -> int:
        """Memory the store's sort may use before it spills to disk."""
        return self.memory_budget // 2

    def check_expansion(self, *, file: str, compressed: int, expanded: int, what: str) -> None:
        """Refuse a source that expands beyond the size or ratio caps."""
        ratio = self.max_expansion_ratio
        if expanded > self.max_decompressed_bytes:
            refused = (
                "expands to more than this server accepts",
                f"more than {self.max_decompressed_bytes:,} bytes once decompressed "
                f"(from {compressed:,} bytes)",
                f"at most {self.max_decompressed_bytes:,} bytes "
                "(CIVICFLOW_INGEST_MAX_DECOMPRESSED_BYTES)",
                "split it or ask IT to raise the limit",
            )
        elif expanded > _RATIO_CHECKED_ABOVE and expanded > ratio * max(compressed, 1):
            refused = (
                "expands far more than an event log does",
                f"{expanded:,} bytes from {compressed:,} compressed bytes (more than {ratio}:1)",
                f"an expansion ratio of at most {ratio}:1 (CIVICFLOW_INGEST_MAX_EXPANSION_RATIO)",
                "upload it uncompressed or ask IT to raise the ratio",
            )
        else:
            return
        problem, found, expected, remedy = refused
        raise UnreadableSourceError(
            f"the {what} {problem}",
            where=Location(file=file),
            found=found,
            expected=expected,
            fix=f"check that the file is the event log you meant (a compression bomb?); "
            f"if it is, {remedy}",
        )


_UNREADABLE: dict[str, tuple[str, str, str]] = {
    # format: (what happened, what was expected, how to fix it)
    "parquet": (
        "the file is not a readable Parquet file",
        "an Apache Parquet file",
        "check the file, or pass --format with its real format",
    ),
    "ocel-json": (
        "the OCEL file is not valid JSON",
        "OCEL 2.0 JSON (objectTypes, eventTypes, objects, events)",
        "repair or re-export the file",
    ),
    "ocel-sqlite": (
        "the OCEL SQLite database could not be read",
        "the OCEL 2.0 relational schema",
        "check the file against the OCEL 2.0 specification",
    ),
}


def unreadable(
    file: str, exc: BaseException, format: str, *, line: int | None = None
) -> UnreadableSourceError:
    """The source cannot be read as ``format`` at all (the parser's own words in ``found``)."""
    what, expected, fix = _UNREADABLE[format]
    return UnreadableSourceError(
        what, where=Location(file=file, line=line), found=str(exc), expected=expected, fix=fix
    )


def compression_error(file: str, exc: BaseException, expanded: int) -> UnreadableSourceError:
    """A truncated or corrupt compressed file, as an input error (never a crash or "aborted")."""
    truncated = isinstance(exc, EOFError)
    return UnreadableSourceError(
        "the compressed file ends before its end (truncated?)"
        if truncated
        else "the compressed file is corrupt",
        where=Location(file=file),
        found=f"{exc} (after {expanded:,} decompressed bytes)",
        expected="a complete gzip file",
        fix="download or export the file again (an interrupted transfer cuts it short)",
    )


class LimitedStream(io.RawIOBase):
    """A decompressing reader that counts what it expands to and enforces ``limits``.

    Reading past a cap, or from a truncated or corrupt file, raises :class:`InputError`.
    """

    def __init__(self, raw: BinaryIO, inner: BinaryIO, *, file: str, limits: IngestLimits) -> None:
        self._raw = raw
        self._inner = inner
        self._file = file
        self._limits = limits
        self.expanded = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 20
        parts: list[bytes] = []
        wanted = size
        try:
            # piece by piece, so that a truncated file reports how far it got
            while wanted > 0:
                part = self._inner.read1(min(wanted, 1 << 20))  # type: ignore[attr-defined]
                if not part:
                    break
                parts.append(part)
                wanted -= len(part)
                self.expanded += len(part)
        except (EOFError, OSError, zlib.error) as exc:
            raise compression_error(self._file, exc, self.expanded) from None
        data = b"".join(parts)
        self._limits.check_expansion(
            file=self._file,
            compressed=self._raw.tell(),
            expanded=self.expanded,
            what="compressed file",
        )
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self.expanded

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._raw.close()
            super().close()


def open_source(path: Path, limits: IngestLimits) -> BinaryIO:
    """The file's bytes, decompressed (with the limits enforced) when it is gzip-compressed."""
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        inner = gzip.GzipFile(fileobj=raw, mode="rb")
        return LimitedStream(raw, inner, file=path.name, limits=limits)  # type: ignore[arg-type, return-value]
    raw.seek(0)
    return raw


class TableSpool:
    """Arrow tables kept in order: in memory up to ``budget`` bytes, the rest in Arrow IPC files
    under ``folder`` (the dataset's staging folder), read back one at a time by :meth:`drain`."""

    def __init__(self, folder: Path | None, *, budget: int) -> None:
        self._folder = folder
        self._budget = budget
        self._items: deque[pa.Table | Path] = deque()
        self._held = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.schemas: list[pa.Schema] = []
        self.spilled = 0
        """Tables written to disk (reported in the manifest)."""

    def append(self, table: pa.Table) -> None:
        self.schemas.append(table.schema)
        if self._held + table.nbytes <= self._budget:
            self._items.append(table)
            self._held += table.nbytes
            return
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="spool-", dir=self._folder)
        path = Path(self._tmp.name) / f"{len(self.schemas)}.arrow"
        with pa.OSFile(str(path), "wb") as out, pa.ipc.new_file(out, table.schema) as writer:
            writer.write_table(table)
        self._items.append(path)
        self.spilled += 1

    def drain(self) -> Iterator[pa.Table]:
        """The tables in the order they came, each let go of once the caller moves on."""
        while self._items:
            item = self._items.popleft()
            if isinstance(item, Path):
                with pa.OSFile(str(item), "rb") as source:
                    table = pa.ipc.open_file(source).read_all()
                item.unlink()
            else:
                table = item
                self._held -= item.nbytes
            yield table
            del table

    def close(self) -> None:
        self._items.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
