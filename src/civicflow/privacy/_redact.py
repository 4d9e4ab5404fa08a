"""Redaction of free text: the personal data the text detector finds in a note or a message is
replaced by a typed placeholder (``<PERSON>``, ``<EMAIL_ADDRESS>``) or, for the entities a
``pseudonym`` function is given for, by the value's pseudonym (the same citizen, the same token in
every dataset).

Columns are redacted value by value over their *distinct* values (a case log repeats its notes
and messages: a 10-million-row column often holds a fraction of that many texts), then the
results are put back by index, so the cost follows the number of distinct texts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection

import pyarrow as pa
import pyarrow.compute as pc

from civicflow.privacy._text import TextDetector

Pseudonym = Callable[[str], str]


def placeholder(entity: str) -> str:
    """The typed placeholder that stands for a redacted ``entity``: ``<PERSON>``."""
    return f"<{entity}>"


def redact_text(
    text: str,
    detector: TextDetector,
    *,
    pseudonym: Pseudonym | None = None,
    pseudonymised: Collection[str] = (),
) -> tuple[str, Counter[str]]:
    """``text`` with each span ``detector`` finds replaced (the entities in ``pseudonymised`` by
    ``pseudonym(value)`` when it is given, the others by their placeholder), and how many spans of
    each entity were replaced. Placeholders are not found again, so redacting twice changes
    nothing more."""
    spans = detector.analyze(text)
    counts: Counter[str] = Counter()
    if not spans:
        return text, counts
    parts: list[str] = []
    last = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < last:
            continue
        parts.append(text[last : span.start])
        if pseudonym is not None and span.entity in pseudonymised:
            parts.append(pseudonym(text[span.start : span.end]))
        else:
            parts.append(placeholder(span.entity))
        counts[span.entity] += 1
        last = span.end
    parts.append(text[last:])
    return "".join(parts), counts


def redact_column(
    column: pa.ChunkedArray | pa.Array,
    detector: TextDetector,
    *,
    pseudonym: Pseudonym | None = None,
    pseudonymised: Collection[str] = (),
    cache: dict[str, tuple[str, Counter[str]]] | None = None,
) -> tuple[pa.ChunkedArray, Counter[str]]:
    """``column`` (strings; other types are cast) with every text redacted by ``redact_text``,
    each distinct text analysed once (``cache`` keeps the results across batches), and the
    number of spans replaced per entity over all rows."""
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    if not (pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)):
        chunked = pc.cast(chunked, pa.string())
    memo: dict[str, tuple[str, Counter[str]]] = {} if cache is None else cache
    totals: Counter[str] = Counter()
    chunks: list[pa.Array] = []
    for chunk in chunked.chunks:
        encoded = pc.dictionary_encode(chunk)
        texts = encoded.dictionary.to_pylist()
        out: list[str] = []
        per_value: list[Counter[str]] = []
        for text in texts:
            done = memo.get(text)
            if done is None:
                done = redact_text(text, detector, pseudonym=pseudonym, pseudonymised=pseudonymised)
                memo[text] = done
            out.append(done[0])
            per_value.append(done[1])
        if any(per_value):
            uses = pc.value_counts(encoded.indices.drop_null())
            for index, n in zip(
                uses.field("values").to_pylist(), uses.field("counts").to_pylist(), strict=True
            ):
                for entity, k in per_value[index].items():
                    totals[entity] += k * n
        chunks.append(pa.array(out, pa.string()).take(encoded.indices))
    return pa.chunked_array(chunks, pa.string()), totals
