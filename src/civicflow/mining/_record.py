"""The one ``to_dict`` of a result row: its dataclass fields by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class Record:
    """Base of a frozen dataclass result row; ``to_dict()`` gives its fields by name."""

    __slots__ = ()
    __dataclass_fields__: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def records_frame(rows: Iterable[Any]) -> pd.DataFrame:
    """One row per record (its ``to_dict()``): the ``frame`` of a result."""
    import pandas as pd

    return pd.DataFrame([r.to_dict() for r in rows])
