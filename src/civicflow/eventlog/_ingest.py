"""The importer extension point and the one entry point that runs an ingest.

An importer is any object with ``name``, ``suffixes``, ``sniff(path)``, ``guess_mapping(path,
options)`` and ``read(path, *, mapping, options, sink)``; built-ins are registered the same way a
third-party one would be (:func:`register_importer`). ``tests/contract/test_importers.py`` runs
against every registered importer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from civicflow.core import ConfigurationError, InputError, Location, NotFoundError
from civicflow.eventlog._canonical import EventSink, ProgressCallback, SinkSettings
from civicflow.eventlog._csv import CsvImporter
from civicflow.eventlog._importer import Importer, IngestOptions
from civicflow.eventlog._limits import IngestLimits
from civicflow.eventlog._ocel import OcelJsonImporter, OcelSqliteImporter
from civicflow.eventlog._parquet import ParquetImporter
from civicflow.eventlog._schema import ColumnMapping
from civicflow.eventlog._store import Dataset, EventStore, sort_memory
from civicflow.eventlog._transforms import EventTransform, TransformContext, transform_reports
from civicflow.eventlog._xes import XesImporter

_REGISTRY: dict[str, Importer] = {
    importer.name: importer
    for importer in (
        CsvImporter(),
        ParquetImporter(),
        XesImporter(),
        OcelJsonImporter(),
        OcelSqliteImporter(),
    )
}


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
    transforms: Sequence[EventTransform] = (),
) -> Dataset:
    """Import ``source`` into ``workspace`` as dataset ``name``; atomic (all or nothing).

    Without a mapping, the importer guesses one (XES keys; common CSV column names).
    ``transforms`` rewrite the canonical batches before they are stored, in order (see
    :class:`EventTransform`); the manifest's ``options["transforms"]`` records what ran.
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
    if options.currency:
        facts["currency"] = options.currency
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
            transforms=transforms,
            context=TransformContext(dataset=name, source=source.name, mapping=mapping),
        )
        extra = importer.read(source, mapping=mapping, options=options, sink=sink)
        stats = sink.finish()
        if transforms:
            facts["transforms"] = transform_reports(transforms)
        # the writer keeps a reference to ``facts``: what we learnt while reading lands in the manifest
        facts.update(extra or {})
        facts["events_read"] = stats.events_in
        facts["timestamp_formats"] = stats.timestamp_formats
    return workspace.dataset(name)
