"""Timestamp detection and vectorised parsing into UTC, shared by every importer.

Rules (documented in docs/ARCHITECTURE.md, "Ingest"):
- values with an offset (``+02:00``, ``Z``) are converted to UTC;
- naive values are interpreted in the mapping's timezone, then converted to UTC;
- one column mixing naive and offset-bearing values is an error: its meaning would be ambiguous;
- without an explicit format the format is detected once, on a sample of the first values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from civicflow.core import check_timezone
from civicflow.eventlog._schema import TIMESTAMP_TYPE

_ISO = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
ISO_AWARE = re.compile(rf"^{_ISO}\s*{_OFFSET}$")
ISO_NAIVE = re.compile(rf"^{_ISO}$")
_EPOCH_S = re.compile(r"^\d{9,10}(?:\.\d+)?$")
_EPOCH_MS = re.compile(r"^\d{12,13}$")

# Tried in order on the sample; the first format that parses every sampled value wins. Month-first
# slashes come before day-first ones (the US habit), dashes and dots are day-first (the European one).
CANDIDATE_FORMATS: tuple[str, ...] = (
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)

ISO = "iso8601"
EPOCH_S = "epoch-seconds"
EPOCH_MS = "epoch-milliseconds"


class MixedTimezoneError(ValueError):
    """A column mixes naive and offset-bearing timestamps."""

    def __init__(self, index: int, value: str, aware: bool) -> None:
        self.index = index
        self.value = value
        self.aware = aware
        super().__init__(value)


@dataclass(frozen=True, slots=True)
class TimestampFormat:
    """How one column's text becomes UTC timestamps."""

    kind: str
    """``iso8601``, ``epoch-seconds``, ``epoch-milliseconds`` or a strptime format."""
    aware: bool = False
    """For ISO 8601: the values carry offsets."""

    def describe(self) -> str:
        if self.kind == ISO:
            return "ISO 8601 with a UTC offset" if self.aware else "ISO 8601 without offset"
        return self.kind


def detect_format(sample: list[str], explicit: str | None) -> TimestampFormat:
    """Pick the format of a column from its first non-empty values (raises on mixed offsets)."""
    if explicit:
        return TimestampFormat(explicit, aware="%z" in explicit)
    values = [v.strip() for v in sample if v is not None and v.strip()]
    if not values:
        return TimestampFormat(ISO, aware=False)
    aware = [bool(ISO_AWARE.match(v)) for v in values]
    naive = [bool(ISO_NAIVE.match(v)) for v in values]
    if all(a or n for a, n in zip(aware, naive, strict=True)):
        if any(aware) and any(naive):
            first_aware = aware[0]
            i = next(i for i, a in enumerate(aware) if a != first_aware)
            raise MixedTimezoneError(i, values[i], aware=aware[i])
        return TimestampFormat(ISO, aware=all(aware))
    if all(_EPOCH_MS.match(v) for v in values):
        return TimestampFormat(EPOCH_MS)
    if all(_EPOCH_S.match(v) for v in values):
        return TimestampFormat(EPOCH_S)
    arr = pa.array(values, pa.string())
    for fmt in CANDIDATE_FORMATS:
        parsed = pc.strptime(arr, format=fmt, unit="us", error_is_null=True)
        if parsed.null_count == 0:
            return TimestampFormat(fmt)
    return TimestampFormat(ISO, aware=any(aware))


def to_utc(arr: pa.Array, fmt: TimestampFormat, tz: str) -> tuple[pa.Array, list[int]]:
    """Parse ``arr`` (strings, numbers or timestamps) into UTC; return the result and the indices
    of values that did not parse (nulls in the input are not failures)."""
    if pa.types.is_timestamp(arr.type):
        return _from_timestamp(arr, tz), []
    if pa.types.is_date(arr.type):
        return _from_timestamp(arr.cast(pa.timestamp("us")), tz), []
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return _from_epoch(arr.cast(pa.float64()), fmt), []
    text = arr.cast(pa.string())
    text = pc.utf8_trim_whitespace(text)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if fmt.kind in (EPOCH_S, EPOCH_MS):
        num = pc.cast(text, pa.float64(), safe=False) if _all_numeric(text) else None
        if num is None:
            return _slow(text, fmt, tz)
        return _from_epoch(num, fmt), []
    if fmt.kind == ISO:
        try:
            if fmt.aware:
                return text.cast(TIMESTAMP_TYPE), []
            return _from_timestamp(text.cast(pa.timestamp("us")), tz), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _slow(text, fmt, tz)
    parsed = pc.strptime(text, format=fmt.kind, unit="us", error_is_null=True)
    parsed = _drop_impossible_dates(text, parsed, fmt.kind)
    bad = _failures(text, parsed)
    if bad:
        _raise_if_mixed(text, bad, fmt)
    return _from_timestamp(parsed, tz), bad


def _drop_impossible_dates(text: pa.Array, parsed: pa.Array, fmt: str) -> pa.Array:
    """Null out values that Arrow's strptime rolled over (``31-02-2024`` became 2 March).

    A parsed value that prints back as its text is right; the few that don't (no zero padding,
    or a rolled-over date) are checked one by one with Python's strict ``strptime``.
    """
    printed = pc.strftime(parsed, format=fmt)
    differs = pc.and_(pc.is_valid(parsed), pc.invert(pc.equal(printed, text)))
    if not pc.any(differs).as_py():
        return parsed
    impossible = []
    for i in pc.indices_nonzero(differs).to_pylist():
        try:
            datetime.strptime(text[i].as_py(), fmt)
        except ValueError:
            impossible.append(i)
    if not impossible:
        return parsed
    mask = np.zeros(len(parsed), dtype=bool)
    mask[impossible] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)


def _all_numeric(text: pa.Array) -> bool:
    ok = pc.match_substring_regex(text, r"^-?\d+(\.\d+)?$")
    return bool(pc.all(pc.or_kleene(ok, pc.is_null(text))).as_py() is not False)


def _failures(text: pa.Array, parsed: pa.Array) -> list[int]:
    mask = pc.and_(pc.is_valid(text), pc.is_null(parsed))
    if not pc.any(mask).as_py():
        return []
    return pc.indices_nonzero(mask).to_pylist()


def _from_timestamp(arr: pa.Array, tz: str) -> pa.Array:
    if arr.type.tz is None:
        arr = pc.assume_timezone(arr, timezone=tz, ambiguous="earliest", nonexistent="earliest")
    return arr.cast(TIMESTAMP_TYPE)


def _from_epoch(num: pa.Array, fmt: TimestampFormat) -> pa.Array:
    scale = 1_000 if fmt.kind == EPOCH_MS else 1_000_000
    micros = pc.cast(pc.round(pc.multiply(num, scale)), pa.int64())
    return micros.cast(TIMESTAMP_TYPE)


def _raise_if_mixed(text: pa.Array, bad: list[int], fmt: TimestampFormat) -> None:
    for i in bad:
        value = text[i].as_py()
        if value is None:
            continue
        if ISO_AWARE.match(value) and not fmt.aware:
            raise MixedTimezoneError(i, value, aware=True)
        if fmt.kind == ISO and fmt.aware and ISO_NAIVE.match(value):
            raise MixedTimezoneError(i, value, aware=False)


def _slow(text: pa.Array, fmt: TimestampFormat, tz: str) -> tuple[pa.Array, list[int]]:
    """Value by value: finds exactly which values fail when the vectorised cast refuses a batch."""
    zone = check_timezone(tz)
    out: list[datetime | None] = []
    bad: list[int] = []
    for i, value in enumerate(text.to_pylist()):
        if value is None:
            out.append(None)
            continue
        try:
            if fmt.kind in (EPOCH_S, EPOCH_MS):
                seconds = float(value) / (1000 if fmt.kind == EPOCH_MS else 1)
                out.append(datetime.fromtimestamp(seconds, UTC))
                continue
            parsed = datetime.fromisoformat(value.replace(",", "."))
        except ValueError:
            out.append(None)
            bad.append(i)
            continue
        if (parsed.tzinfo is not None) != fmt.aware:
            raise MixedTimezoneError(i, value, aware=parsed.tzinfo is not None)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        out.append(parsed.astimezone(UTC))
    return pa.array(out, TIMESTAMP_TYPE), bad
