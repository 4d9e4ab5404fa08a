"""The one ``to_dict`` of a frozen dataclass: its fields by name, as they are or ready for JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any, ClassVar


class Record:
    """Base of a frozen dataclass whose ``to_dict()`` gives its fields by name (but those in
    ``_skip``), then the properties named in ``_extra``.

    A result row of an analysis keeps its values as they are (a frame is built from them); a record
    shown on the command line or the API sets ``_json = True`` and gets values JSON can carry
    (see :func:`json_value`).
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]
    _skip: ClassVar[tuple[str, ...]] = ()
    _extra: ClassVar[tuple[str, ...]] = ()
    _json: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        names = [n for n in self.__dataclass_fields__ if n not in self._skip]
        out = {name: getattr(self, name) for name in (*names, *self._extra)}
        return {k: json_value(v) for k, v in out.items()} if self._json else out


def json_value(value: Any) -> Any:
    """``value`` as JSON carries it: enums by value, instants and dates in ISO 8601, paths as
    text, records and mappings as objects, sets sorted, tuples as lists."""
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Record):
        return value.to_dict() if value._json else json_value(value.to_dict())
    if isinstance(value, Mapping):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(json_value(v) for v in value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value
