"""Event logs: the canonical schema, importers (CSV, Parquet, XES, OCEL 2.0), the event store and
its engines."""

from civicflow.eventlog._canonical import EventSink, IngestProgress, ProgressCallback
from civicflow.eventlog._engines import DuckDBEngine, Engine, SparkEngine, make_engine
from civicflow.eventlog._export import LOG_FORMATS, LogFormat, export_events
from civicflow.eventlog._importer import Importer, IngestOptions, OnError
from civicflow.eventlog._ingest import (
    detect_importer,
    get_importer,
    importers,
    ingest,
    register_importer,
)
from civicflow.eventlog._limits import IngestLimits, UnreadableSourceError
from civicflow.eventlog._schema import (
    ACTIVITY,
    CASE_ID,
    CORE_COLUMNS,
    CORE_EVENT_SCHEMA,
    COST,
    EVENT_ORDER,
    LIFECYCLE,
    POSITION,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
    TIMESTAMP_TYPE,
    XES_DEFAULT_MAPPING,
    ColumnMapping,
)
from civicflow.eventlog._store import (
    Dataset,
    DatasetManifest,
    DatasetWriter,
    EventStore,
    StagedDataset,
    Staging,
    staged_datasets,
)
from civicflow.eventlog._transforms import EventTransform, IdentityTransform, TransformContext
from civicflow.eventlog._xes import xes_classifiers

__all__ = [
    "ACTIVITY",
    "CASE_ID",
    "CORE_COLUMNS",
    "CORE_EVENT_SCHEMA",
    "COST",
    "EVENT_ORDER",
    "LIFECYCLE",
    "LOG_FORMATS",
    "POSITION",
    "RESOURCE",
    "START_TIMESTAMP",
    "TIMESTAMP",
    "TIMESTAMP_TYPE",
    "XES_DEFAULT_MAPPING",
    "ColumnMapping",
    "Dataset",
    "DatasetManifest",
    "DatasetWriter",
    "DuckDBEngine",
    "Engine",
    "EventSink",
    "EventStore",
    "EventTransform",
    "IdentityTransform",
    "Importer",
    "IngestLimits",
    "IngestOptions",
    "IngestProgress",
    "LogFormat",
    "OnError",
    "ProgressCallback",
    "SparkEngine",
    "StagedDataset",
    "Staging",
    "TransformContext",
    "UnreadableSourceError",
    "detect_importer",
    "export_events",
    "get_importer",
    "importers",
    "ingest",
    "make_engine",
    "register_importer",
    "staged_datasets",
    "xes_classifiers",
]
