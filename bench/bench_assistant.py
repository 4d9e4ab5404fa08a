"""Benchmark of the citizen inquiry assistant (issue 15).

Quality on the project's paraphrased evaluation set (tests/data/assistant/covid_faq_eval.csv:
65 paraphrases of entries of ../shared/data/assistant/gov_covid_faq.csv and 22 questions that
must be refused): recall@1/@3, MRR, abstention precision/recall — the tuned retriever beside a
plain BM25 baseline (one index over question+answer, no stemming, no spelling, no field
weights). The calibration is fitted and the threshold chosen on the even-numbered half; the
figures are on the odd-numbered half. Latency: p50/p95 per question on the 2,261-entry scraped
FAQ (gov_faq_scraped.tsv).

    PYTHONPATH=src .venv/bin/python bench/bench_assistant.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from civicflow.services import (
    Assistant,
    Calibration,
    FaqColumns,
    RetrievalConfig,
    calibrate,
    evaluate,
    import_source,
    load_knowledge,
    read_cases,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "assistant"
CASES = ROOT / "tests" / "data" / "assistant" / "covid_faq_eval.csv"


def main() -> None:
    precision = float(sys.argv[1]) if len(sys.argv) > 1 else 0.9
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        import_source(ws, DATA / "gov_covid_faq.csv", columns=FaqColumns(url="link"))
        chunks = load_knowledge(ws).chunks
        cases = read_cases(CASES, source="gov_covid_faq")
        fit, test = cases[::2], cases[1::2]
        print(f"{len(cases)} questions ({sum(1 for c in cases if c.expected)} in scope); "
              f"calibrated on {len(fit)}, measured on {len(test)}; target precision {precision}")  # fmt: skip
        print("| retriever | recall@1 | recall@3 | MRR | threshold | answered right | "
              "answer precision | abstention precision | abstention recall |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        for label, config in (
            ("plain BM25", RetrievalConfig.plain()),
            ("tuned", RetrievalConfig()),
        ):
            cal, curve = calibrate(Assistant(chunks, config=config), fit, precision=precision)
            r = evaluate(Assistant(chunks, config=config, calibration=cal), test)
            full = evaluate(Assistant(chunks, config=config, calibration=cal), cases)
            print(f"| {label} | {r.recall_at_1:.3f} ({full.recall_at_1:.3f}) | "
                  f"{r.recall_at_3:.3f} ({full.recall_at_3:.3f}) | {r.mrr:.3f} ({full.mrr:.3f}) | "
                  f"{cal.threshold:.2f} | {r.answered_correct}/{r.in_scope} | "
                  f"{r.answer_precision:.3f} | {r.abstention_precision:.3f} | "
                  f"{r.abstention_recall:.3f} |")  # fmt: skip
            if label == "tuned":
                tuned, tuned_curve = cal, curve
        print(f"\ntuned calibration: {tuned}")
        print("\ntrade-off on the calibration half (tuned): threshold | answered | precision")
        for t, share, prec in tuned_curve:
            print(f"| {t:.2f} | {share:.2f} | {prec:.2f} |")

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        t0 = time.perf_counter()
        import_source(ws, DATA / "gov_faq_scraped.tsv", columns=FaqColumns(url="sourceUrl"))
        chunks = load_knowledge(ws).chunks
        t1 = time.perf_counter()
        assistant = Assistant(chunks, calibration=Calibration())
        t2 = time.perf_counter()
        questions = [c.question for c in cases] * 3
        lat = []
        for q in questions:
            s = time.perf_counter()
            assistant.ask(q)
            lat.append((time.perf_counter() - s) * 1000)
        print(f"\nscraped FAQ: {len(chunks)} entries; import {t1 - t0:.2f} s, index {t2 - t1:.2f} s; "
              f"{len(lat)} questions: p50 {np.percentile(lat, 50):.2f} ms, "
              f"p95 {np.percentile(lat, 95):.2f} ms, max {max(lat):.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
