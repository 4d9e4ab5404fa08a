"""Canonical JSON: one byte string per value, so digests are reproducible by anyone.

Keys sorted, no insignificant whitespace, UTF-8, and a fixed text form for the types that JSON
lacks (datetimes and dates in ISO 8601, decimals and UUIDs as strings, enums by value, sets
sorted). Floats use Python's shortest round-trip repr.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def canonical_json(value: Any) -> bytes:
    """The canonical JSON bytes of ``value``."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    ).encode("utf-8")


def state_digest(value: Any) -> str | None:
    """SHA-256 hex of the canonical JSON of a before/after state; ``None`` stays ``None``."""
    if value is None:
        return None
    return hashlib.sha256(canonical_json(value)).hexdigest()
