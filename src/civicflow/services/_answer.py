"""Answering: rules first (emergency, personal case, complaint, out of scope), then retrieval,
a calibrated confidence, and an extractive answer (the best entry, quoted, with its source and
version) — or, below the threshold, "cannot answer" with a hand-off to a person."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from civicflow.services._generate import Generator, GeneratorUnavailable, supported
from civicflow.services._knowledge import Chunk
from civicflow.services._retrieval import RetrievalConfig, Retriever

Reason = Literal["answered", "low_confidence", "out_of_scope", "personal_case", "emergency",
                 "complaint", "empty"]  # fmt: skip

RULES: tuple[tuple[Reason, re.Pattern[str]], ...] = (
    ("emergency", re.compile(
        r"\b(emergency|ambulance|can'?t breathe|cannot breathe|not breathing|chest pain|suicid\w*|"
        r"kill (myself|me)|overdose|unconscious|999|911|112)\b", re.I)),
    ("complaint", re.compile(
        r"\b(complain\w*|complaint|disgrace\w*|unacceptable|appeal against|sue you|"
        r"terrible service|ombudsman)\b", re.I)),
    ("personal_case", re.compile(
        r"\b(my (application|case|claim|file|appointment|benefit|payment|account|reference)|"
        r"reference number|case number|status of my|why was i (refused|rejected|denied))\b", re.I)),
)  # fmt: skip
"""Messages the assistant never answers itself, checked in this order."""

HANDOFF = {
    "emergency": "This sounds urgent. If someone is in danger call the emergency number (112/999/"
    "911) now. A person from our team can also contact you.",
    "complaint": "I cannot handle complaints. I can pass your message to a person who will.",
    "personal_case": "I cannot look into individual cases. I can pass your question to a "
    "caseworker.",
    "out_of_scope": "I cannot answer that from our published information. I can pass your "
    "question to a person.",
    "low_confidence": "I am not sure I have the right answer. I can pass your question to a "
    "person.",
    "empty": "Please type a question.",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """Logistic calibration of the confidence: P(the top answer is right) from the score margin
    between the first and second candidate, the top score per query term and the share of known
    query words. The defaults were fitted on half the project's evaluation set
    (``bench/bench_assistant.py``); ``threshold`` is the confidence below which the assistant
    abstains."""

    intercept: float = -6.9
    margin: float = 3.25
    score: float = 6.58
    known: float = 2.15
    threshold: float = 0.7

    def probability(self, features: Sequence[float]) -> float:
        m, s, k = features
        z = self.intercept + self.margin * m + self.score * s + self.known * k
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def features(scores: Sequence[float], n_terms: int, known: float) -> tuple[float, float, float]:
    """(margin, top score per query term, known share) of a ranked score list."""
    s1 = scores[0] if scores else 0.0
    s2 = scores[1] if len(scores) > 1 else 0.0
    margin = (s1 - s2) / s1 if s1 > 0 else 0.0
    return (margin, s1 / max(1, n_terms), known)


def fit_calibration(
    x: Sequence[Sequence[float]], y: Sequence[int], *, threshold: float = 0.5, l2: float = 0.01
) -> Calibration:
    """Fit the logistic calibration by Newton's method (with a little L2 for stability)."""
    a = np.column_stack([np.ones(len(x)), np.asarray(x, dtype=float)])
    t = np.asarray(y, dtype=float)
    w = np.zeros(a.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -50, 50)))
        grad = a.T @ (p - t) + l2 * w
        hess = a.T @ (a * (p * (1 - p))[:, None]) + l2 * np.eye(a.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Calibration(intercept=float(w[0]), margin=float(w[1]), score=float(w[2]),
                       known=float(w[3]), threshold=threshold)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    chunk: Chunk
    score: float

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {"id": c.id, "question": c.question, "source": c.source, "version": c.version,
                "score": round(self.score, 4)}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The assistant's reply. ``answered`` False means it abstained (``reason`` says why) and
    offers the hand-off; ``text`` is then the hand-off message."""

    question: str
    answered: bool
    reason: Reason
    text: str
    confidence: float
    source: Chunk | None = None
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    handoff_offered: bool = False
    generated: bool = False
    """The text is the generator's rephrasing (its citations checked), not the quoted passage."""

    def to_dict(self) -> dict[str, Any]:
        s = self.source
        return {
            "question": self.question,
            "answered": self.answered,
            "reason": self.reason,
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "source": None if s is None else {
                "id": s.id, "source": s.source, "title": s.title, "url": s.url,
                "version": s.version, "effective_date": s.effective_date,
            },
            "handoff_offered": self.handoff_offered,
            "generated": self.generated,
            "candidates": [c.to_dict() for c in self.candidates],
        }  # fmt: skip


def rule_for(message: str) -> Reason | None:
    """The rule a message falls under (emergency, complaint, personal case), if any."""
    for reason, pattern in RULES:
        if pattern.search(message):
            return reason
    return None


class Assistant:
    """Answers questions from a set of chunks."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        *,
        config: RetrievalConfig | None = None,
        calibration: Calibration | None = None,
        rules: bool = True,
        generator: Generator | None = None,
    ) -> None:
        self.retriever = Retriever(chunks, config)
        self.calibration = calibration or Calibration()
        self.rules = rules
        self.generator = generator

    def rank(self, question: str, *, k: int = 5) -> tuple[list[Candidate], tuple[float, ...]]:
        """The top ``k`` candidates and the confidence features."""
        hits = self.retriever.search(question, k=max(k, 2))
        chunks = self.retriever.chunks
        cands = [Candidate(chunk=chunks[i], score=s) for i, s in hits if s > 0]
        n_terms = len(self.retriever.query_terms(question))
        feats = features([c.score for c in cands], n_terms, self.retriever.known(question))
        return cands[:k], feats

    def ask(self, question: str, *, k: int = 3) -> Answer:
        q = question.strip()
        if not q:
            return Answer(question=question, answered=False, reason="empty", text=HANDOFF["empty"],
                          confidence=0.0)  # fmt: skip
        rule = rule_for(q) if self.rules else None
        if rule is not None:
            return Answer(question=q, answered=False, reason=rule, text=HANDOFF[rule],
                          confidence=0.0, handoff_offered=True)  # fmt: skip
        cands, feats = self.rank(q, k=k)
        if not cands:
            return Answer(question=q, answered=False, reason="out_of_scope",
                          text=HANDOFF["out_of_scope"], confidence=0.0,
                          handoff_offered=True)  # fmt: skip
        p = self.calibration.probability(feats)
        if p < self.calibration.threshold:
            return Answer(question=q, answered=False, reason="low_confidence",
                          text=HANDOFF["low_confidence"], confidence=p,
                          candidates=tuple(cands), handoff_offered=True)  # fmt: skip
        best = cands[0].chunk
        if self.generator is not None:
            try:
                text = self.generator.rephrase(q, [best])
            except GeneratorUnavailable:
                text = ""  # the quoted answer below: a citizen is never left without one
            if text and supported(text, [best]):
                return Answer(question=q, answered=True, reason="answered", text=text,
                              confidence=p, source=best, candidates=tuple(cands),
                              generated=True)  # fmt: skip
        return Answer(question=q, answered=True, reason="answered", text=best.answer,
                      confidence=p, source=best, candidates=tuple(cands))  # fmt: skip
