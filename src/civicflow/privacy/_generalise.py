"""Generalisation: dates to month or year, ages to bands, postcodes to prefixes; HIPAA Safe Harbor.

Safe Harbor (45 CFR 164.514(b)(2)) removes the 18 identifiers; of dates only the year may stay,
ages over 89 become one group ("90+"), and of a ZIP code only the first three digits, and those
only where the three-digit area holds more than 20,000 people: the sparse prefixes below (from the
2000 Census, as HHS's guidance lists them) become ``000``.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from civicflow.core import InputError, check_choice
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
