"""The ingest transform that classifies the columns before a dataset is committed and replaces
the direct identifiers by their pseudonyms (``app`` plugs it into ``ingest_dataset``).

The first batch of each table is classified (a sample of up to ``ClassifyConfig.sample_rows``
rows); the verdicts hold for the rest of the ingest. Direct identifiers are pseudonymised unless a
data steward's decision keeps the column clear; the pseudonyms come from the key ring, so the same
citizen has the same pseudonym in every dataset. Each original value is sealed for the vault
(``vault_entries``), which ``app`` stores where only the role that may re-identify can open it.
Columns classified as free text (case notes, messages) are redacted unless a data steward's
decision keeps them: the personal data the text detector finds (with the values of the columns
classified as names as known names) is replaced by typed placeholders (``<PERSON>``), each
distinct text analysed once.
The manifest gets the classification of both tables, the decisions, the key id and what was
redacted (spans per entity type per column, never the values).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from civicflow.eventlog import (
    ACTIVITY,
    CASE_ID,
    COST,
    LIFECYCLE,
    POSITION,
    START_TIMESTAMP,
    TIMESTAMP,
    TransformContext,
)
from civicflow.privacy._classify import Classification, ClassifyConfig, classify_table
from civicflow.privacy._keys import KeyRing
from civicflow.privacy._recognizers import Category
from civicflow.privacy._redact import redact_column
from civicflow.privacy._text import TextDetector

NOT_CLASSIFIED = frozenset({ACTIVITY, TIMESTAMP, START_TIMESTAMP, LIFECYCLE, COST, POSITION})
"""Core columns that never hold a person's identifier (their types are fixed, too)."""

TableKind = Literal["events", "cases"]
PSEUDONYMISE = "pseudonymise"
KEEP = "keep"
REDACT = "redact"
"""Free text: the personal data the text detector finds replaced by typed placeholders."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnDecision:
    """A data steward's decision on one column: ``keep`` it clear (with the reason; for free text:
    not redacted), ``pseudonymise`` it although it was not classified as a direct identifier, or
    ``redact`` it as free text although it was not classified as such."""

    column: str
    action: str
    reason: str


def _names(batch: pa.Table, classification: Classification) -> list[str]:
    """The distinct values of the columns classified as person names (the text detector finds
    them in the notes, too)."""
    out: list[str] = []
    for verdict in classification.columns:
        if verdict.category is Category.PERSON_NAME and verdict.column in batch.column_names:
            values = pc.unique(pc.cast(batch.column(verdict.column), pa.string()))
            out.extend(v for v in values.to_pylist() if v)
    return out


class PseudonymiseTransform:
    """See the module docstring. ``decisions`` are keyed by column name (``case:x`` for a case
    attribute as it appears in the events table is ``x`` in the cases table: both are asked)."""

    name = "privacy"
    drops_rows = False

    def __init__(
        self,
        ring: KeyRing,
        *,
        decisions: Mapping[str, ColumnDecision] | None = None,
        config: ClassifyConfig | None = None,
        vault: bool = True,
    ) -> None:
        self._ring = ring
        self._decisions = dict(decisions or {})
        self._config = config or ClassifyConfig()
        self._vault = vault
        self._classified: dict[str, Classification] = {}
        self._columns: dict[str, list[str]] = {}
        self._sealed: dict[str, str] = {}
        self._cache: dict[str, str] = {}
        self._rows = {"events": 0, "cases": 0}
        self._redacting: dict[str, list[str]] = {}
        self._redacted: dict[str, dict[str, Counter[str]]] = {"events": {}, "cases": {}}
        self._redact_cache: dict[str, tuple[str, Counter[str]]] = {}
        self._detector: TextDetector | None = None

    def _decision(self, column: str) -> ColumnDecision | None:
        bare = column.removeprefix("case:")
        return (
            self._decisions.get(column)
            or self._decisions.get(bare)
            or self._decisions.get(f"case:{bare}")
        )

    def _plan(self, batch: pa.Table, table: TableKind) -> list[str]:
        classification = classify_table(batch, config=self._config, skip=NOT_CLASSIFIED)
        self._classified[table] = classification
        chosen: list[str] = []
        redact: list[str] = []
        for verdict in classification.columns:
            decision = self._decision(verdict.column)
            if decision is not None:
                if decision.action == PSEUDONYMISE:
                    chosen.append(verdict.column)
                elif decision.action == REDACT:
                    redact.append(verdict.column)
                continue
            if verdict.direct_identifier:
                chosen.append(verdict.column)
            elif verdict.category is Category.FREE_TEXT:
                redact.append(verdict.column)
        self._redacting[table] = [c for c in batch.column_names if c in redact]
        if redact and self._detector is None:
            self._detector = TextDetector(known_names=_names(batch, classification))
        # the case id is pseudonymised in both tables or in neither (the first table decides)
        other = self._columns.get("cases" if table == "events" else "events")
        if other is not None:
            chosen = [c for c in chosen if c != CASE_ID] + ([CASE_ID] if CASE_ID in other else [])
        return [c for c in batch.column_names if c in chosen]

    def apply(self, batch: pa.Table, *, table: TableKind, context: TransformContext) -> pa.Table:
        self._rows[table] += batch.num_rows
        if table not in self._columns:
            self._columns[table] = self._plan(batch, table)
        for name in self._columns[table]:
            index = batch.schema.get_field_index(name)
            if index < 0:
                continue
            column = batch.column(index)
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                column = pc.cast(column, pa.string())
            batch = batch.set_column(
                index, pa.field(name, pa.string(), batch.schema.field(index).nullable),
                self._pseudonymise(column),
            )  # fmt: skip
        for name in self._redacting.get(table, ()):
            index = batch.schema.get_field_index(name)
            if index < 0:
                continue
            assert self._detector is not None
            redacted, counts = redact_column(
                batch.column(index), self._detector, cache=self._redact_cache
            )
            self._redacted[table].setdefault(name, Counter()).update(counts)
            batch = batch.set_column(
                index, pa.field(name, pa.string(), batch.schema.field(index).nullable), redacted
            )
        return batch

    def _pseudonymise(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        chunks = []
        for chunk in column.chunks:
            encoded = pc.dictionary_encode(chunk)
            values = encoded.dictionary.to_pylist()
            mapped = pa.array([self._one(v) for v in values], pa.string())
            chunks.append(mapped.take(encoded.indices))
        return pa.chunked_array(chunks, pa.string())

    def _one(self, value: str) -> str:
        pseudonym = self._cache.get(value)
        if pseudonym is None:
            pseudonym = self._ring.pseudonym(value)
            self._cache[value] = pseudonym
            if self._vault and pseudonym not in self._sealed:
                self._sealed[pseudonym] = self._ring.seal(value, pseudonym)
        return pseudonym

    def vault_entries(self) -> dict[str, str]:
        """Pseudonym → sealed original of every value replaced (for the vault)."""
        return dict(self._sealed)

    def classification(self, table: TableKind = "events") -> Classification | None:
        return self._classified.get(table)

    def finish(self) -> Mapping[str, object]:
        return {
            "key_id": self._ring.current,
            "pseudonymised": {t: list(c) for t, c in self._columns.items()},
            "kept_clear": {
                d.column: d.reason for d in self._decisions.values() if d.action == KEEP
            },
            "classification": {t: c.to_dict() for t, c in self._classified.items()},
            "distinct_values_pseudonymised": len(self._cache),
            "redacted": {
                t: {c: dict(sorted(self._redacted[t].get(c, Counter()).items())) for c in cols}
                for t, cols in self._redacting.items()
            },
            "rows": dict(self._rows),
        }
