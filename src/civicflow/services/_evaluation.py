"""Evaluation of the assistant: recall@1/@3 and MRR on questions with an expected entry,
abstention precision and recall (questions that must be refused), and latency."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from civicflow.core import InputError, Location
from civicflow.services._answer import Assistant, Calibration, fit_calibration


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalCase:
    """A question and the ids of the entries that answer it (empty: it must be refused)."""

    question: str
    expected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalReport:
    questions: int
    in_scope: int
    refuse: int
    recall_at_1: float
    recall_at_3: float
    mrr: float
    answered_correct: int
    abstention_precision: float
    abstention_recall: float
    answer_precision: float
    latency_p50_ms: float
    latency_p95_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def read_cases(path: Path, *, source: str) -> list[EvalCase]:
    """Cases from a CSV with ``question`` and ``expected`` (row numbers of ``source``, ``|``
    between alternatives; empty: the question must be refused)."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        for col in ("question", "expected"):
            if col not in (reader.fieldnames or []):
                raise InputError(
                    f"the evaluation file has no '{col}' column",
                    where=Location(file=str(path), field=col),
                    found=", ".join(reader.fieldnames or []) or "(no header)",
                    expected="columns question, expected",
                )
        return [
            EvalCase(question=row["question"],
                     expected=tuple(f"{source}#{x.strip()}"
                                    for x in (row["expected"] or "").split("|") if x.strip()))
            for row in reader
        ]  # fmt: skip


def _features(assistant: Assistant, cases: Sequence[EvalCase]) -> list[tuple[Any, ...]]:
    out = []
    for case in cases:
        cands, feats = assistant.rank(case.question, k=3)
        ids = [c.chunk.id for c in cands]
        out.append((ids, feats))
    return out


def calibrate(
    assistant: Assistant, cases: Sequence[EvalCase], *, precision: float = 0.9
) -> tuple[Calibration, list[tuple[float, float, float]]]:
    """Fit the calibration on ``cases`` and choose the lowest threshold whose answered
    questions are right at least ``precision`` of the time. Returns the calibration and the
    trade-off curve (threshold, share answered, precision of the answers)."""
    ranked = _features(assistant, cases)
    y = [
        int(bool(ids) and ids[0] in c.expected) for c, (ids, _) in zip(cases, ranked, strict=False)
    ]
    cal = fit_calibration([f for _, f in ranked], y)
    probs = np.array([cal.probability(f) for _, f in ranked])
    ys = np.array(y)
    curve = []
    chosen = 0.99
    for t in np.round(np.arange(0.05, 1.0, 0.05), 2):
        answered = probs >= t
        prec = float(ys[answered].mean()) if answered.any() else 1.0
        curve.append((float(t), float(answered.mean()), prec))
    for t, _, prec in curve:
        if prec >= precision:
            chosen = t
            break
    return Calibration(intercept=cal.intercept, margin=cal.margin, score=cal.score,
                       known=cal.known, threshold=chosen), curve  # fmt: skip


def evaluate(assistant: Assistant, cases: Sequence[EvalCase]) -> EvalReport:
    """Ask every case, measure ranking, abstention and latency."""
    hits1 = hits3 = 0
    rr = 0.0
    in_scope = [c for c in cases if c.expected]
    refuse = [c for c in cases if not c.expected]
    abstained_right = abstained = answered_correct = answered = 0
    latencies = []
    for case in cases:
        t0 = time.perf_counter()
        answer = assistant.ask(case.question, k=10)
        latencies.append((time.perf_counter() - t0) * 1000)
        ids = [c.chunk.id for c in answer.candidates]
        if case.expected:
            if not ids:
                cands, _ = assistant.rank(case.question, k=10)
                ids = [c.chunk.id for c in cands]
            rank = next((i for i, x in enumerate(ids) if x in case.expected), None)
            if rank is not None:
                hits1 += rank == 0
                hits3 += rank < 3
                rr += 1.0 / (rank + 1)
        if answer.answered:
            answered += 1
            answered_correct += answer.source is not None and answer.source.id in case.expected
        else:
            abstained += 1
            abstained_right += not case.expected
    n = max(1, len(in_scope))
    return EvalReport(
        questions=len(cases), in_scope=len(in_scope), refuse=len(refuse),
        recall_at_1=hits1 / n, recall_at_3=hits3 / n, mrr=rr / n,
        answered_correct=answered_correct,
        abstention_precision=abstained_right / abstained if abstained else 1.0,
        abstention_recall=abstained_right / len(refuse) if refuse else 1.0,
        answer_precision=answered_correct / answered if answered else 1.0,
        latency_p50_ms=float(np.percentile(latencies, 50)) if latencies else 0.0,
        latency_p95_ms=float(np.percentile(latencies, 95)) if latencies else 0.0,
    )  # fmt: skip
