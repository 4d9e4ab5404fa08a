"""The canonical event-log schema every importer writes and every analysis reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

CASE_ID = "case_id"
ACTIVITY = "activity"
TIMESTAMP = "timestamp"
START_TIMESTAMP = "start_timestamp"
RESOURCE = "resource"
LIFECYCLE = "lifecycle"
COST = "cost"
POSITION = "position"
"""0-based position of the event in its source file: the tie-breaker after the timestamp."""

TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")

CORE_EVENT_SCHEMA = pa.schema(
    [
        pa.field(CASE_ID, pa.string(), nullable=False),
        pa.field(ACTIVITY, pa.string(), nullable=False),
        pa.field(TIMESTAMP, TIMESTAMP_TYPE, nullable=False),
        pa.field(START_TIMESTAMP, TIMESTAMP_TYPE),
        pa.field(RESOURCE, pa.string()),
        pa.field(LIFECYCLE, pa.string()),
        pa.field(COST, pa.float64()),
        pa.field(POSITION, pa.int64(), nullable=False),
    ]
)
"""Columns every stored dataset has, in this order; other event attributes follow them."""

CORE_COLUMNS: tuple[str, ...] = tuple(CORE_EVENT_SCHEMA.names)
EVENT_ORDER: tuple[str, ...] = (CASE_ID, TIMESTAMP, POSITION)
"""The stable order of events: by case, then timestamp, then position in the source."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnMapping:
    """Which source fields become the canonical columns.

    ``activity`` is one field, or several joined by ``activity_separator`` (a classifier such as
    ``concept:name`` + ``lifecycle:transition``). Every unmapped field is kept as an attribute.
    """

    case_id: str
    activity: str | tuple[str, ...]
    timestamp: str
    start_timestamp: str | None = None
    resource: str | None = None
    lifecycle: str | None = None
    cost: str | None = None
    activity_separator: str = "+"
    timestamp_format: str | None = None
    """strptime-style format; None means detect it from the data."""
    timezone: str = "UTC"
    """Zone of naive timestamps (no offset in the text)."""

    @property
    def activity_fields(self) -> tuple[str, ...]:
        return (self.activity,) if isinstance(self.activity, str) else tuple(self.activity)

    def mapped_fields(self) -> dict[str, str]:
        """Canonical column -> source field, for each mapped single field (classifier excluded)."""
        pairs = {
            CASE_ID: self.case_id,
            TIMESTAMP: self.timestamp,
            START_TIMESTAMP: self.start_timestamp,
            RESOURCE: self.resource,
            LIFECYCLE: self.lifecycle,
            COST: self.cost,
        }
        if isinstance(self.activity, str):
            pairs[ACTIVITY] = self.activity
        return {k: v for k, v in pairs.items() if v is not None}

    def to_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "activity": list(self.activity_fields),
            "timestamp": self.timestamp,
            "start_timestamp": self.start_timestamp,
            "resource": self.resource,
            "lifecycle": self.lifecycle,
            "cost": self.cost,
            "activity_separator": self.activity_separator,
            "timestamp_format": self.timestamp_format,
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ColumnMapping:
        activity = data["activity"]
        if isinstance(activity, list):
            activity = tuple(str(a) for a in activity)
            if len(activity) == 1:
                activity = activity[0]
        return cls(
            case_id=str(data["case_id"]),
            activity=activity,  # type: ignore[arg-type]
            timestamp=str(data["timestamp"]),
            start_timestamp=_opt(data.get("start_timestamp")),
            resource=_opt(data.get("resource")),
            lifecycle=_opt(data.get("lifecycle")),
            cost=_opt(data.get("cost")),
            activity_separator=str(data.get("activity_separator", "+")),
            timestamp_format=_opt(data.get("timestamp_format")),
            timezone=str(data.get("timezone", "UTC")),
        )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


XES_DEFAULT_MAPPING = ColumnMapping(
    case_id="case:concept:name",
    activity="concept:name",
    timestamp="time:timestamp",
    resource="org:resource",
    lifecycle="lifecycle:transition",
    cost="cost:total",
)
"""The standard XES extensions' keys."""


@dataclass(frozen=True, slots=True)
class AttributeColumn:
    """An attribute kept beside the core columns: its stored name, source name and level."""

    name: str
    source: str
    level: str  # "event" or "case"
    dtype: str = field(default="string")
