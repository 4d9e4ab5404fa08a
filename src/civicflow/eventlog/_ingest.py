"""The importer extension point and the one entry point that runs an ingest.

An importer is any object with ``name``, ``suffixes``, ``sniff(path)``, ``guess_mapping(path,
options)`` and ``read(path, *, mapping, options, sink)``; built-ins are registered the same way a
third-party one would be (:func:`register_importer`). ``tests/contract/test_importers.py`` runs
against every registered importer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from civicflow.core import ConfigurationError, InputError, Location, NotFoundError
from civicflow.eventlog._canonical import EventSink, ProgressCallback, SinkSettings
from civicflow.eventlog._limits import IngestLimits
from civicflow.eventlog._schema import ColumnMapping
from civicflow.eventlog._store import Dataset, EventStore, sort_memory


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestOptions:
    """How to read a source. Every field has a default that detects or picks the safe choice."""

    format: str | None = None
    """Importer name (``csv``, ``parquet``, ``xes``, ``ocel-json``, ``ocel-sqlite``); None: detect."""
    on_error: Literal["fail", "skip"] = "fail"
    """``fail`` stops at the first bad row; ``skip`` sets bad rows aside in rejects.csv."""
    delimiter: str | None = None
    """CSV field separator; None: detect from a sample."""
    quotechar: str | None = None
    """CSV quote character; None: detect (usually ``"``)."""
    encoding: str | None = None
    """Text encoding; None: detect (UTF-8, UTF-8 with BOM, else cp1252)."""
    timestamp_format: str | None = None
    """strptime format of the timestamp columns; overrides the mapping's and detection."""
    timezone: str | None = None
    """Zone of naive timestamps; overrides the mapping's."""
    replace: bool = False
    """Overwrite an existing dataset of the same name."""
    batch_size: int = 250_000
    """Rows per batch for CSV and Parquet."""
    ocel_object_type: str | None = None
    """OCEL: the object type whose objects become cases; None works when there is only one."""
    dedupe: bool = False
    """Drop events identical in every column but their position (the count is always reported)."""
    workers: int | None = None
    """XES: processes that parse in parallel; None: up to 2, only for large files."""
    limits: IngestLimits | None = None
    """Memory budget and caps on hostile input; None: from the settings (``CIVICFLOW_INGEST_*``)."""

    def __post_init__(self) -> None:
        if self.on_error not in ("fail", "skip"):
            raise ConfigurationError(
                f"unknown on_error policy '{self.on_error}'",
                found=str(self.on_error),
                expected="'fail' or 'skip'",
                fix="pass --on-error fail or --on-error skip",
            )
        if self.batch_size < 1:
            raise ConfigurationError(
                "batch_size must be positive", found=str(self.batch_size), expected=">= 1"
            )

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@runtime_checkable
class Importer(Protocol):
    """Reads one source format into an :class:`EventSink`."""

    name: str
    suffixes: tuple[str, ...]
    """Lower-case file-name endings this importer claims, e.g. ``(".xes", ".xes.gz")``."""

    def sniff(self, path: Path) -> bool:
        """True if the file's first bytes look like this format (used when the suffix is unknown)."""
        ...

    def guess_mapping(self, path: Path, options: IngestOptions) -> ColumnMapping:
        """The mapping to use when the caller gives none (raises a clear error when it cannot)."""
        ...

    def read(
        self, path: Path, *, mapping: ColumnMapping, options: IngestOptions, sink: EventSink
    ) -> dict[str, object]:
        """Hand every event to ``sink`` in source order; return facts for the manifest."""
        ...


_REGISTRY: dict[str, Importer] = {}


def register_importer(importer: Importer, *, replace_existing: bool = False) -> None:
    """Make an importer available to :func:`ingest` and the CLI's ``--format``."""
    if importer.name in _REGISTRY and not replace_existing:
        raise ConfigurationError(
            f"an importer named '{importer.name}' is already registered",
            fix="choose another name or pass replace_existing=True",
        )
    _REGISTRY[importer.name] = importer


def importers() -> dict[str, Importer]:
    """The registered importers by name (built-ins first)."""
    _load_builtins()
    return dict(_REGISTRY)


def get_importer(name: str) -> Importer:
    found = importers().get(name)
    if found is None:
        raise NotFoundError(
            f"no importer named '{name}'",
            found=name,
            expected="one of: " + ", ".join(importers()),
            fix="pass --format with one of those names",
        )
    return found


def detect_importer(path: Path) -> Importer:
    """Pick the importer by file name ending, else by sniffing the first bytes."""
    registered = importers()
    lower = path.name.lower()
    by_suffix = sorted(
        ((s, imp) for imp in registered.values() for s in imp.suffixes if lower.endswith(s)),
        key=lambda pair: -len(pair[0]),
    )
    for _suffix, imp in by_suffix:
        if imp.sniff(path):
            return imp
    for imp in registered.values():
        if imp.sniff(path):
            return imp
    if by_suffix:
        return by_suffix[0][1]
    raise InputError(
        "cannot tell the format of the file",
        where=Location(file=str(path)),
        found=path.name,
        expected="one of: "
        + ", ".join(f"{n} ({', '.join(i.suffixes)})" for n, i in registered.items()),
        fix="pass --format with one of those names",
    )


def ingest(
    *,
    workspace: EventStore,
    source: Path,
    name: str,
    mapping: ColumnMapping | None = None,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
) -> Dataset:
    """Import ``source`` into ``workspace`` as dataset ``name``; atomic (all or nothing).

    Without a mapping, the importer guesses one (XES keys; common CSV column names).
    """
    options = options or IngestOptions()
    if options.limits is None:
        options = replace(options, limits=IngestLimits.from_settings())
    limits = options.limits
    assert limits is not None
    source = Path(source)
    if not source.exists():
        raise NotFoundError(
            f"no file at {source}",
            where=Location(file=str(source)),
            fix="check the path",
        )
    if source.is_dir():
        raise InputError(
            f"{source} is a folder", where=Location(file=str(source)), expected="a file"
        )
    if source.stat().st_size == 0:
        raise InputError(
            "the file is empty",
            where=Location(file=str(source)),
            found="0 bytes",
            expected="an event log with at least one event",
            fix="check that the export finished and the right file was chosen",
        )
    importer = get_importer(options.format) if options.format else detect_importer(source)
    if mapping is None:
        mapping = importer.guess_mapping(source, options)
    if options.timestamp_format or options.timezone:
        mapping = replace(
            mapping,
            timestamp_format=options.timestamp_format or mapping.timestamp_format,
            timezone=options.timezone or mapping.timezone,
        )
    facts: dict[str, object] = {
        "importer": importer.name,
        "on_error": options.on_error,
        "dedupe": options.dedupe,
    }
    with (
        sort_memory(limits.sort_bytes),
        workspace.writer(
            name,
            source=source.name,
            format=importer.name,
            mapping=mapping,
            options=facts,
            replace=options.replace,
            drop_duplicates=options.dedupe,
        ) as writer,
    ):
        writer.memory_budget = min(writer.memory_budget, limits.held_bytes)
        sink = EventSink(
            writer,
            mapping=mapping,
            settings=SinkSettings(
                on_error=options.on_error,
                timestamp_format=mapping.timestamp_format,
                timezone=mapping.timezone,
            ),
            file=source.name,
            progress=progress,
        )
        extra = importer.read(source, mapping=mapping, options=options, sink=sink)
        stats = sink.finish()
        # the writer keeps a reference to ``facts``: what we learnt while reading lands in the manifest
        facts.update(extra or {})
        facts["events_read"] = stats.events_in
        facts["timestamp_formats"] = stats.timestamp_formats
    return workspace.dataset(name)


_BUILTINS_LOADED = False


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    _BUILTINS_LOADED = True
    from civicflow.eventlog._csv import CsvImporter
    from civicflow.eventlog._ocel import OcelJsonImporter, OcelSqliteImporter
    from civicflow.eventlog._parquet import ParquetImporter
    from civicflow.eventlog._xes import XesImporter

    for imp in (
        CsvImporter(),
        ParquetImporter(),
        XesImporter(),
        OcelJsonImporter(),
        OcelSqliteImporter(),
    ):
        if imp.name not in _REGISTRY:
            _REGISTRY[imp.name] = imp
