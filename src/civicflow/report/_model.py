"""What a report section is made of, independent of how it is drawn: key figures, findings, charts
(Vega-Lite specs with a data table beside them for screen readers and print), tables and the map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from civicflow.report._symbol_map import SymbolMap


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One key figure: a label, its value as text, and the definition behind it."""

    label: str
    value: str
    definition: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A table already formatted for reading; ``numeric`` columns are right-aligned."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    """A Vega-Lite chart; ``label`` is its text alternative, ``table`` the same data as a table."""

    id: str
    label: str
    spec: dict[str, Any]
    table: Table | None = None
    table_open: bool = False
    """Show the table under the chart (it holds more than the chart), not folded away."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MapBlock:
    """The process map pre-rendered as DOT for each (mode, activity limit)."""

    levels: tuple[int, ...]
    """Activity limits, ascending; the last one is every activity when the log is small enough."""
    default_level: int
    dots: dict[str, dict[int, str]]
    """mode ("frequency", "performance") -> activity limit -> DOT text."""
    nodes: dict[int, int]
    """activity limit -> number of activity nodes drawn (tests and the text alternative use it)."""
    total_activities: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Graph:
    """A graph drawn by Graphviz from DOT (the social network of handovers); ``label`` is its
    text alternative, ``table`` the same edges as a table."""

    id: str
    label: str
    dot: str
    table: Table | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    id: str
    title: str
    intro: str = ""
    figures: tuple[Figure, ...] = ()
    findings: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    map: MapBlock | None = None
    graphs: tuple[Graph, ...] = ()
    maps: tuple[SymbolMap, ...] = ()
    """Proportional-symbol maps of areas (server-drawn SVG), each with its table."""
    notes: tuple[str, ...] = field(default=())
