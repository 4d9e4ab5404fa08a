"""CSV that is safe to open in a spreadsheet: no cell is read as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (``=HYPERLINK(...)``, ``-2+3+cmd|' /C calc'!A0``). As OWASP
recommends ("CSV Injection"), such a cell gets a leading single quote, which spreadsheets show as
text and never evaluate; the writer quotes cells that need it.

Numbers stay numbers: a real number (``int``, ``float``, ``Decimal``, numpy numbers) is written as
is, and so is text that is nothing but a number (``-12``, ``+3.5``, ``-1e-3``): a negative value is
not a formula, and prefixing it would turn a column of numbers into text. Anything else that starts
with one of those characters, ``-1+1`` or ``-x`` included, is neutralised.
"""

from __future__ import annotations

import csv
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """The value as it may go into a CSV cell: ``None`` and NaN empty, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if isinstance(value, numbers.Real) and math.isnan(float(value)):
            return ""
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(fh: TextIO, *, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write ``header`` and ``rows`` to ``fh`` (opened with ``newline=""``), every cell safe."""
    writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
