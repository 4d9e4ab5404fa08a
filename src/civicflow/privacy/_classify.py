"""Column classification from a sample: which columns hold which kind of personal data.

A column's verdict comes from an even, seeded sample of its distinct non-empty values (a 10-million
row table is classified from a few thousand values). Each recognizer's *share* of the sampled values
it accepts is its evidence; a header hint (``bsn``, ``email``, ``date_of_birth``) raises it, a weak
recognizer (ZIP codes, names, dates) without a hint is halved. The best category at or above the
threshold wins; the examples shown are masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from civicflow.core import InputError, Record
from civicflow.privacy._recognizers import (
    DIRECT_IDENTIFIERS,
    QUASI_IDENTIFIERS,
    RECOGNIZERS,
    Category,
    ValueRecognizer,
)

_NAME_MIN_DISTINCT = 0.3
"""Without a header hint, a column of name-shaped values counts as names only if at least this
share of its sampled cells are distinct (activity names repeat; people's names rarely do)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassifyConfig:
    """How much to sample and how sure to be."""

    sample_rows: int = 5_000
    """Rows sampled evenly from the table (seeded, the same rows every run)."""
    sample_values: int = 500
    """Distinct non-empty values of a column tested against the recognizers."""
    threshold: float = 0.6
    """Least confidence that makes a category the column's."""
    examples: int = 3
    """Masked examples kept per column."""
    seed: int = 20260101

    def __post_init__(self) -> None:
        for name in ("sample_rows", "sample_values"):
            if getattr(self, name) < 1:
                raise InputError(
                    f"{name} must be at least 1",
                    found=str(getattr(self, name)),
                    expected="a positive number",
                    fix=f"pass {name}=1000 or more",
                )
        if not 0.0 < self.threshold <= 1.0:
            raise InputError(
                "threshold must be a share above 0 and at most 1",
                found=str(self.threshold),
                expected="0 < threshold <= 1",
                fix="pass threshold=0.6",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnClassification(Record):
    """One column's verdict."""

    _json = True

    column: str
    category: Category
    confidence: float
    """The winning recognizer's share of sampled values, adjusted for the header hint."""
    sampled: int
    """Distinct non-empty values tested."""
    matched: int
    examples: tuple[str, ...]
    """Masked sample values of the category (``J** J*****``), never the values themselves."""
    header_hint: bool
    alternatives: tuple[tuple[str, float], ...] = ()
    """Other categories with some evidence, best first."""

    @property
    def direct_identifier(self) -> bool:
        return self.category in DIRECT_IDENTIFIERS

    @property
    def quasi_identifier(self) -> bool:
        return self.category in QUASI_IDENTIFIERS

    _extra = ("direct_identifier", "quasi_identifier")


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification(Record):
    """Every column's verdict for one table."""

    _json = True

    columns: tuple[ColumnClassification, ...]
    rows: int
    rows_sampled: int
    config: ClassifyConfig = field(default_factory=ClassifyConfig)
    _skip = ("config",)

    def column(self, name: str) -> ColumnClassification:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(name)

    @property
    def direct_identifiers(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.direct_identifier)

    @property
    def quasi_identifiers(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.quasi_identifier)

    @property
    def personal(self) -> tuple[ColumnClassification, ...]:
        """The columns with any category of personal data."""
        return tuple(c for c in self.columns if c.category is not Category.NONE)

    _extra = ("direct_identifiers", "quasi_identifiers")


def mask(value: str) -> str:
    """A value's shape without its content: each word keeps its first character, the rest
    becomes ``*`` (digits ``#``), separators stay (``Jan Jansen`` → ``J** J*****``)."""
    out: list[str] = []
    first = True
    for ch in value[:40]:
        if ch.isalnum():
            out.append(ch if first else ("#" if ch.isdigit() else "*"))
            first = False
        else:
            out.append(ch)
            first = True
    return "".join(out) + ("…" if len(value) > 40 else "")


def classify_values(
    column: str, values: Sequence[str], *, config: ClassifyConfig | None = None
) -> ColumnClassification:
    """Classify one column from its (sampled) values; ``values`` may repeat."""
    config = config or ClassifyConfig()
    cells = [v.strip() for v in values if v is not None and str(v).strip()]
    distinct = list(dict.fromkeys(str(v) for v in cells))
    distinct_share = len(distinct) / len(cells) if cells else 0.0
    tested = distinct[: config.sample_values]
    scores: list[tuple[float, ValueRecognizer, list[str], bool]] = []
    for recognizer in RECOGNIZERS:
        if not tested:
            break
        hits = [v for v in tested if recognizer.matches(v)]
        if not hits:
            continue
        hint = recognizer.header.search(column) is not None
        share = len(hits) / len(tested)
        confidence = share
        if hint:
            confidence = min(1.0, share + 0.2) if share >= 0.3 else share
        elif recognizer.weak:
            confidence = share / 2
            if recognizer.category is Category.PERSON_NAME and distinct_share >= _NAME_MIN_DISTINCT:
                confidence = share * 0.75  # many distinct full names: names, if less sure
            if recognizer.category is Category.FREE_TEXT:
                confidence = share
        scores.append((round(confidence, 3), recognizer, hits, hint))
    # prose holds every other category's words; it wins only where nothing exact does
    scores.sort(key=lambda s: (s[0], s[3], s[1].category is not Category.FREE_TEXT), reverse=True)
    if scores and scores[0][0] >= config.threshold:
        best_conf, best, hits, hint = scores[0]
        category = best.category
        examples = tuple(mask(v) for v in hits[: config.examples])
        matched = len(hits)
    else:
        best_conf, category, examples, matched = 0.0, Category.NONE, (), 0
        hint = False
    alternatives = tuple(
        (s[1].category.value, s[0]) for s in scores if s[1].category is not category and s[0] > 0
    )[:3]
    return ColumnClassification(
        column=column,
        category=category,
        confidence=best_conf,
        sampled=len(tested),
        matched=matched,
        examples=examples,
        header_hint=hint,
        alternatives=alternatives,
    )


def sample_rows(table: pa.Table, *, rows: int, seed: int) -> pa.Table:
    """An even, seeded sample of ``rows`` rows of ``table`` (all of it when it is smaller)."""
    if table.num_rows <= rows:
        return table
    import numpy as np

    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(table.num_rows, size=rows, replace=False))
    return table.take(pa.array(index))


def classify_table(
    table: pa.Table,
    *,
    config: ClassifyConfig | None = None,
    skip: Iterable[str] = (),
) -> Classification:
    """Classify every text-like column of ``table`` (other columns are ``none``) from a sample."""
    config = config or ClassifyConfig()
    skipped = set(skip)
    sample = sample_rows(table, rows=config.sample_rows, seed=config.seed)
    verdicts: list[ColumnClassification] = []
    for name in table.schema.names:
        if name in skipped:
            continue
        column = sample.column(name)
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = kind.value_type
        if pa.types.is_date(kind):
            column = pc.strftime(column, format="%Y-%m-%d")
        elif pa.types.is_integer(kind):
            column = column.cast(pa.string())
        elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            verdicts.append(
                ColumnClassification(
                    column=name,
                    category=Category.NONE,
                    confidence=0.0,
                    sampled=0,
                    matched=0,
                    examples=(),
                    header_hint=False,
                )
            )
            continue
        values = [v for v in column.to_pylist() if v is not None]
        verdicts.append(classify_values(name, values, config=config))
    return Classification(
        columns=tuple(verdicts), rows=table.num_rows, rows_sampled=sample.num_rows, config=config
    )
