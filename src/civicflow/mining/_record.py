"""The one ``to_dict`` of a result row: its dataclass fields by name."""

from __future__ import annotations

from typing import Any


class Record:
    """Base of a frozen dataclass result row; ``to_dict()`` gives its fields by name."""

    __slots__ = ()
    __dataclass_fields__: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
