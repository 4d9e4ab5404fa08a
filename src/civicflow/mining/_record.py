"""A table of result rows (``Rows``, ``Kpis``); a row is a :class:`civicflow.core.Record`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from civicflow.core import Record

__all__ = ["Kpis", "Record", "Rows", "records_frame"]

if TYPE_CHECKING:
    import pandas as pd


class _Row(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class _Valued(_Row, Protocol):
    @property
    def value(self) -> float | None: ...


R = TypeVar("R", bound=_Row)
V = TypeVar("V", bound=_Valued)


class Rows(Generic[R]):
    """Base of a frozen dataclass result whose rows stand in one tuple field.

    ``frame`` is one row per record; ``to_dict()`` gives the other fields by name (or the names
    in ``_keys``, properties included) and then the rows as a list under ``_rows_key``.
    """

    __slots__ = ()
    __dataclass_fields__: dict[str, Any]
    _rows: ClassVar[str]
    """The field holding the rows."""
    _rows_key: ClassVar[str | None] = None
    """The rows' name in ``to_dict()`` (default: the field's name)."""
    _row_key: ClassVar[str] = "name"
    """The attribute of a row that ``_row()`` looks up."""
    _keys: ClassVar[tuple[str, ...] | None] = None
    """The names ``to_dict()`` gives before the rows, in order (default: the other fields)."""

    @property
    def _items(self) -> tuple[R, ...]:
        items: tuple[R, ...] = getattr(self, self._rows)
        return items

    @property
    def frame(self) -> pd.DataFrame:
        return records_frame(self._items)

    def _row(self, key: str) -> R:
        for row in self._items:
            if getattr(row, self._row_key) == key:
                return row
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        keys = self._keys or (n for n in self.__dataclass_fields__ if n != self._rows)
        out = {name: getattr(self, name) for name in keys}
        out[self._rows_key or self._rows] = [r.to_dict() for r in self._items]
        return out


class Kpis(Rows[V]):
    """A table of KPI values looked up by name: ``t["lead_time"]``, ``t.value("lead_time")``."""

    __slots__ = ()

    def __getitem__(self, name: str) -> V:
        return self._row(name)

    def __iter__(self) -> Iterator[V]:
        return iter(self._items)

    def value(self, name: str) -> float | None:
        return self[name].value


def records_frame(rows: Iterable[Any]) -> pd.DataFrame:
    """One row per record (its ``to_dict()``): the ``frame`` of a result."""
    import pandas as pd

    return pd.DataFrame([r.to_dict() for r in rows])
