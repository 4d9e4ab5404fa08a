"""Generalisation: dates to month or year, ages to bands, postcodes to prefixes; HIPAA Safe Harbor.

Safe Harbor (45 CFR 164.514(b)(2)) removes the 18 identifiers; of dates only the year may stay,
ages over 89 become one group ("90+"), and of a ZIP code only the first three digits, and those
only where the three-digit area holds more than 20,000 people: the sparse prefixes below (from the
2000 Census, as HHS's guidance lists them) become ``000``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime

import pyarrow as pa

from civicflow.core import InputError, check_choice
from civicflow.privacy._classify import Classification
from civicflow.privacy._recognizers import DIRECT_IDENTIFIERS as DIRECT
from civicflow.privacy._recognizers import parse_date

SAFE_HARBOR_SPARSE_ZIP3 = frozenset(
    [
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    ]
)
"""Three-digit ZIP prefixes with 20,000 people or fewer: set to ``000`` under Safe Harbor."""

DATE_LEVELS = ("month", "year")


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = parse_date(value.strip()[:10]) if len(value.strip()) >= 8 else None
    if parsed is None:
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError as exc:
            raise InputError(
                "not a date",
                found=value,
                expected="2024-03-31, 31-03-2024 or an ISO timestamp",
                fix="generalise only columns classified as dates",
            ) from exc
    return parsed


def generalise_date(value: date | datetime | str, *, level: str = "month") -> str:
    """``2024-03`` (month) or ``2024`` (year)."""
    check_choice(level, DATE_LEVELS, what="date level", field="level", error=InputError)
    day = _as_date(value)
    return f"{day.year:04d}" if level == "year" else f"{day.year:04d}-{day.month:02d}"


def age_band(age: int, *, width: int = 10, top: int | None = 90) -> str:
    """The band of ``width`` years holding ``age`` (``30-39``); ``top`` and over as ``90+``."""
    if age < 0 or width < 1:
        raise InputError(
            "an age band needs an age of 0 or more and a width of 1 or more",
            found=f"age {age}, width {width}",
            expected="age >= 0, width >= 1",
            fix="check the age column",
        )
    if top is not None and age >= top:
        return f"{top}+"
    low = age // width * width
    return f"{low}-{low + width - 1}"


_UK_OUTWARD = re.compile(r"([A-Z]{1,2}\d[A-Z\d]?) ?\d[A-Z]{2}")
_NL = re.compile(r"(\d{4}) ?[A-Z]{2}")
_CA = re.compile(r"([A-Z]\d[A-Z]) ?\d[A-Z]\d")
_US = re.compile(r"(\d{3})\d{2}(?:-\d{4})?")


def postcode_prefix(code: str) -> str:
    """The area part of a postcode: UK outward code (``SW1A``), Dutch digits (``1012``),
    Canadian forward sortation area (``K1A``), the first three digits of a US ZIP (``902``)."""
    text = code.strip().upper()
    for pattern in (_UK_OUTWARD, _NL, _CA, _US):
        match = pattern.fullmatch(text)
        if match:
            return match.group(1)
    raise InputError(
        "not a postcode civicflow knows",
        found=code,
        expected="a UK, Dutch, Canadian postcode or a US ZIP code",
        fix="generalise only columns classified as postcodes",
    )


def safe_harbor_zip(code: str) -> str:
    """The first three digits of a US ZIP code, ``000`` for the sparse prefixes."""
    prefix = postcode_prefix(code)
    if not prefix.isdigit():
        raise InputError(
            "Safe Harbor's ZIP rule needs a US ZIP code",
            found=code,
            expected="five digits (or ZIP+4)",
            fix="for other postcodes use postcode_prefix",
        )
    return "000" if prefix in SAFE_HARBOR_SPARSE_ZIP3 else prefix


def safe_harbor_date(value: date | datetime | str) -> str:
    """Only the year of a date related to the person."""
    return generalise_date(value, level="year")


def safe_harbor_age(age: int) -> str:
    """Ages over 89 in one group, ``90+``; younger ages kept."""
    return "90+" if age > 89 else str(age)


def _map_column(column: pa.ChunkedArray, fn: Callable[[str], str]) -> pa.Array:
    values = (
        column.cast(pa.string()).to_pylist()
        if not pa.types.is_date(column.type)
        else [None if v is None else v.isoformat() for v in column.to_pylist()]
    )
    cache: dict[str, str | None] = {}
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        if v not in cache:
            try:
                cache[v] = fn(v)
            except InputError:
                cache[v] = None  # a value the rule cannot read is withheld, not kept
        out.append(cache[v])
    return pa.array(out, pa.string())


def safe_harbor_table(
    table: pa.Table,
    classification: Classification,
    *,
    ages: Sequence[str] = (),
    keep: Sequence[str] = (),
) -> pa.Table:
    """``table`` under HIPAA Safe Harbor, column by column from ``classification``: direct
    identifiers and free text removed, dates of birth to the year, US ZIP codes to their
    three digits (sparse prefixes ``000``; other postcodes to their prefix), the ``ages``
    columns with ages over 89 as ``90+``. ``keep`` names columns left as they are (pseudonyms the
    ingest made, say). Other columns are unchanged; removed columns are gone, not emptied."""
    from civicflow.privacy._recognizers import Category

    verdicts = {c.column: c.category for c in classification.columns}
    out = table
    for name in table.column_names:
        if name in keep:
            continue
        category = verdicts.get(name)
        if name in ages:
            out = out.set_column(
                out.schema.get_field_index(name), name,
                _map_column(out[name], lambda v: safe_harbor_age(int(float(v)))),
            )  # fmt: skip
        elif category in DIRECT | {Category.FREE_TEXT}:
            out = out.drop_columns([name])
        elif category is Category.DATE_OF_BIRTH:
            out = out.set_column(
                out.schema.get_field_index(name), name, _map_column(out[name], safe_harbor_date)
            )
        elif category is Category.POSTCODE:

            def zip_or_prefix(v: str) -> str:
                prefix = postcode_prefix(v)
                return safe_harbor_zip(v) if prefix.isdigit() else prefix

            out = out.set_column(
                out.schema.get_field_index(name), name, _map_column(out[name], zip_or_prefix)
            )
    return out
