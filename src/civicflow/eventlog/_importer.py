"""What an importer is and how it is told to read: :class:`IngestOptions` and the :class:`Importer`
protocol (kept apart from :mod:`._ingest`, which imports every built-in importer, so the importers
can import these without a circle)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from civicflow.core import ConfigurationError, Location, check_choice
from civicflow.eventlog._canonical import EventSink
from civicflow.eventlog._limits import IngestLimits
from civicflow.eventlog._schema import ColumnMapping

OnError = Literal["fail", "skip"]
"""What ingest does with a bad row: stop (``fail``, nothing is written) or set it aside (``skip``)."""


def check_currency(code: str) -> str:
    """An ISO 4217 currency code, upper-cased (``eur`` -> ``EUR``); a clear error otherwise."""
    text = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ConfigurationError(
            "the currency is not an ISO 4217 code",
            where=Location(field="currency"),
            found=repr(code),
            expected="three letters, e.g. EUR, GBP, USD",
            fix="pass --currency EUR (the code of the currency the cost column is in)",
        )
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestOptions:
    """How to read a source. Every field has a default that detects or picks the safe choice."""

    format: str | None = None
    """Importer name (``csv``, ``parquet``, ``xes``, ``ocel-json``, ``ocel-sqlite``); None: detect."""
    on_error: OnError = "fail"
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
    currency: str | None = None
    """ISO 4217 code of the log's cost column (``EUR``, ``GBP``), stored in the manifest and shown
    with every cost; None: the cost is shown as a plain amount."""

    def __post_init__(self) -> None:
        if self.currency is not None:
            object.__setattr__(self, "currency", check_currency(self.currency))
        check_choice(
            self.on_error,
            ("fail", "skip"),
            what="on_error policy",
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
