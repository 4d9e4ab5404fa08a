"""Span-level scores of a free-text detector against labelled texts.

A predicted span is a true positive if it overlaps a labelled span of the same entity; a labelled
span is found if some predicted span of its entity overlaps it. Precision counts predictions,
recall counts labelled spans (so a detector that covers a three-line address with one span gets
all three labelled parts, and one true positive). F2 weighs recall twice as much as precision: a
missed identifier costs more than a masked word.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from civicflow.core import InputError, Location, Record
from civicflow.privacy._text import TextSpan


@dataclass(frozen=True, slots=True)
class LabelledText:
    """A text and its labelled spans ``(entity, start, end)``."""

    text: str
    spans: tuple[tuple[str, int, int], ...]


def read_labelled(path: Path) -> list[LabelledText]:
    """Texts with labelled spans in the presidio-evaluator JSON form (``full_text``, ``spans``
    with ``entity_type``, ``start_position``, ``end_position``)."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [
            LabelledText(
                row["full_text"],
                tuple(
                    (s["entity_type"], int(s["start_position"]), int(s["end_position"]))
                    for s in row["spans"]
                ),
            )
            for row in rows
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            "cannot read the labelled texts",
            where=Location(file=str(path)),
            found=f"{type(exc).__name__}: {exc}",
            expected="a JSON list of {full_text, spans: [{entity_type, start_position, end_position}]}",
            fix="point at a presidio-evaluator style JSON file",
        ) from exc


@dataclass(frozen=True, slots=True)
class EntityScore(Record):
    _json = True

    entity: str
    labelled: int
    predicted: int
    correct_predictions: int
    found: int

    @property
    def precision(self) -> float | None:
        return self.correct_predictions / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.labelled if self.labelled else None

    @property
    def f2(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 5 * p * r / (4 * p + r)

    _extra = ("precision", "recall", "f2")


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_spans(
    texts: Sequence[LabelledText],
    predictions: Sequence[Sequence[TextSpan]],
    *,
    entities: Sequence[str] | None = None,
) -> dict[str, EntityScore]:
    """Per-entity scores (see the module docstring); ``entities`` limits which are scored."""
    counts: dict[str, list[int]] = {}
    for labelled, predicted in zip(texts, predictions, strict=True):
        for entity, start, end in labelled.spans:
            row = counts.setdefault(entity, [0, 0, 0, 0])
            row[0] += 1
            row[3] += any(
                p.entity == entity and _overlaps((p.start, p.end), (start, end)) for p in predicted
            )
        for p in predicted:
            row = counts.setdefault(p.entity, [0, 0, 0, 0])
            row[1] += 1
            row[2] += any(
                e == p.entity and _overlaps((p.start, p.end), (s, t)) for e, s, t in labelled.spans
            )
    wanted = set(entities) if entities is not None else set(counts)
    return {e: EntityScore(e, *counts.get(e, [0, 0, 0, 0])) for e in sorted(wanted)}


def run_detector(
    detect: Callable[[str], list[TextSpan]], texts: Sequence[LabelledText]
) -> list[list[TextSpan]]:
    return [detect(t.text) for t in texts]
