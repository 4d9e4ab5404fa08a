"""How the analysis commands print: JSON for scripts, Rich tables for people."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinity as None: they are not JSON (an unmeasurable value)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on plain stdout (no Rich markup or wrapping), valid for any reader."""
    text = json.dumps(json_safe(data), indent=2, ensure_ascii=False, default=str, allow_nan=False)
    typer.echo(text)


def table(
    console: Console,
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: Iterable[int] = (),
) -> None:
    """Print a table; ``numeric`` columns are right-aligned, integers get thousands separators."""
    right = set(numeric)
    t = Table(title=title, title_justify="left", show_lines=False)
    for i, c in enumerate(columns):
        t.add_column(c, justify="right" if i in right else "left", overflow="fold")
    for r in rows:
        t.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in r])
    console.print(t)


def echo_result(data: Any, *, as_json: bool, text: str) -> None:
    """What a state-changing command prints: ``data`` as one line of JSON, or ``text`` for people."""
    typer.echo(json.dumps(data) if as_json else text)
