"""Knowledge-base gaps for content owners: questions the assistant could not answer (or answered
unhelpfully) grouped by the content words they share, sources past their review age, and entries
no answer ever used."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from civicflow.services._knowledge import Chunk, SourceVersion
from civicflow.services._retrieval import STOPWORDS, _strip, words

_MARKER = re.compile(r"\[[A-Z_]+\]")
"""A redaction marker (``[EMAIL]``) that stands where personal data was."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionCluster:
    """Questions that share their content words: ``label`` is the words most of them use,
    ``questions`` the (redacted) texts, most recent first as given."""

    label: str
    questions: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.questions)


def content_words(text: str) -> frozenset[str]:
    """The stemmed words of ``text`` that are not stop words (nor redaction markers)."""
    text = _MARKER.sub(" ", text)
    return frozenset(_strip(w) for w in words(text) if w not in STOPWORDS and len(w) > 2)


def cluster_questions(
    questions: Sequence[str], *, similarity: float = 0.34
) -> list[QuestionCluster]:
    """Greedy single-pass clustering: each question joins the first cluster whose word set it
    overlaps by at least ``similarity`` (Jaccard), or starts one. Largest clusters first."""
    groups: list[tuple[set[str], list[str], dict[str, int]]] = []
    for q in questions:
        ws = content_words(q)
        best, best_sim = None, similarity
        for group in groups:
            union = ws | group[0]
            sim = len(ws & group[0]) / len(union) if union else 0.0
            if sim >= best_sim:
                best, best_sim = group, sim
        if best is None:
            best = (set(ws), [], {})
            groups.append(best)
        best[1].append(q)
        for w in ws:
            best[2][w] = best[2].get(w, 0) + 1
        best[0].update(ws)
    out = []
    for _, qs, counts in groups:
        common = sorted(counts, key=lambda w: (-counts[w], w))[:3]
        out.append(
            QuestionCluster(label=" ".join(common) or "(no content words)", questions=tuple(qs))
        )
    return sorted(out, key=lambda c: -c.size)


def stale_sources(
    sources: Iterable[SourceVersion], *, today: date, max_age_days: int
) -> list[tuple[SourceVersion, int]]:
    """Sources whose effective date (else import date) is more than ``max_age_days`` old,
    with their age in days, oldest first."""
    out = []
    for v in sources:
        when = v.effective_date or v.imported_at
        try:
            day = datetime.fromisoformat(when).date() if "T" in when else date.fromisoformat(when)
        except ValueError:
            continue
        age = (today - day).days
        if age > max_age_days:
            out.append((v, age))
    return sorted(out, key=lambda p: -p[1])


def never_used(chunks: Iterable[Chunk], used_ids: Iterable[str]) -> list[Chunk]:
    """Entries no answer has quoted."""
    used = set(used_ids)
    return [c for c in chunks if c.id not in used]
