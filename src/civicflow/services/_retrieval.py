"""Lexical retrieval over the knowledge base with bm25s: one index per field (question, answer)
with weights, query normalisation (lowercase, accents, stop words, Snowball stemming when
PyStemmer is installed, else a light suffix stripper) and spelling tolerance (an unknown query
word is replaced by the closest word of the vocabulary)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import bm25s
import numpy as np

from civicflow.services._knowledge import Chunk

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "me",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "about",
        "after",
        "again",
        "against",
        "all",
        "am",
        "any",
        "because",
        "before",
        "below",
        "between",
        "both",
        "during",
        "each",
        "few",
        "further",
        "more",
        "most",
    ]
)
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrievalConfig:
    """How queries and chunks are matched. ``plain()`` is the baseline: one index over question
    and answer, words split on non-letters, nothing else."""

    question_weight: float = 1.0
    answer_weight: float = 0.4
    title_in_question: bool = True
    stem: bool = True
    stopwords: bool = False
    spelling: bool = True
    fielded: bool = True

    @classmethod
    def plain(cls) -> RetrievalConfig:
        return cls(stem=False, stopwords=False, spelling=False, fielded=False)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    try:
        import Stemmer  # PyStemmer (MIT/BSD), optional
    except ImportError:  # pragma: no cover - the light stripper below
        return None
    return Stemmer.Stemmer("english")


_SUFFIXES = ("ations", "ation", "ingly", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s")


def _strip(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """Lower-case, accent-free words of ``text``."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    out = []
    for w in _WORD.findall(text):
        out.append(w)
        if "-" in w:
            out.extend(p for p in w.split("-") if p)
    return out


class Retriever:
    """A BM25 index over chunks. ``search`` returns (chunk index, score) best first."""

    def __init__(self, chunks: Sequence[Chunk], config: RetrievalConfig | None = None) -> None:
        self.chunks = list(chunks)
        self.config = config or RetrievalConfig()
        c = self.config
        questions = [f"{ch.title} {ch.question}" if c.title_in_question and ch.title != ch.question
                     else ch.question for ch in self.chunks]  # fmt: skip
        answers = [ch.answer for ch in self.chunks]
        self.vocabulary: set[str] = set()
        if c.fielded:
            q_tokens = [self._terms(words(t), learn=True) for t in questions]
            a_tokens = [self._terms(words(t), learn=True) for t in answers]
            self._indexes = [(c.question_weight, self._index(q_tokens)),
                             (c.answer_weight, self._index(a_tokens))]  # fmt: skip
        else:
            tokens = [
                self._terms(words(f"{q} {a}"), learn=True)
                for q, a in zip(questions, answers, strict=False)
            ]
            self._indexes = [(1.0, self._index(tokens))]
        self._by_initial: dict[str, list[str]] = {}
        for w in self.vocabulary:
            self._by_initial.setdefault(w[:1], []).append(w)

    @staticmethod
    def _index(tokens: list[list[str]]) -> bm25s.BM25:
        index = bm25s.BM25()
        index.index([t or ["\x00"] for t in tokens], show_progress=False)
        return index

    def _terms(self, ws: list[str], *, learn: bool = False) -> list[str]:
        c = self.config
        if c.stopwords:
            ws = [w for w in ws if w not in STOPWORDS]
        if learn:
            self.vocabulary.update(ws)
        if not c.stem:
            return ws
        stemmer = _stemmer()
        return list(stemmer.stemWords(ws)) if stemmer is not None else [_strip(w) for w in ws]

    def _correct(self, ws: list[str]) -> list[str]:
        out = []
        for w in ws:
            if w in self.vocabulary or len(w) < 4 or w.isdigit():
                out.append(w)
                continue
            near = difflib.get_close_matches(w, self._by_initial.get(w[:1], ()), n=1, cutoff=0.8)
            out.append(near[0] if near else w)
        return out

    def query_terms(self, query: str) -> list[str]:
        ws = words(query)
        if self.config.stopwords:
            ws = [w for w in ws if w not in STOPWORDS]
        if self.config.spelling:
            ws = self._correct(ws)
        return self._terms(ws)

    def known(self, query: str) -> float:
        """The share of the query's content words found in the knowledge base's vocabulary."""
        ws = [w for w in words(query) if w not in STOPWORDS]
        if not ws:
            return 0.0
        fixed = self._correct(ws) if self.config.spelling else ws
        return sum(w in self.vocabulary for w in fixed) / len(ws)

    def scores(self, query: str) -> np.ndarray:
        terms = self.query_terms(query)
        total = np.zeros(len(self.chunks), dtype=np.float64)
        if not terms:
            return total
        for weight, index in self._indexes:
            total += weight * index.get_scores(terms)
        return total

    def search(self, query: str, *, k: int = 5) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        s = self.scores(query)
        k = min(k, len(s))
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        return [(int(i), float(s[i])) for i in top]
