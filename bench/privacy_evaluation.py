"""Free-text PII detection on labelled spans: civicflow's fast path, Presidio with civicflow's
recognizers, and Presidio alone (pattern-only, offline), in the same run on the same texts.

Data: ``../shared/data/privacy/pii_generated_small.json`` is the development split (the patterns
were written looking at it); ``pii_generated_large.json`` is held out (never looked at while
writing them). Scores are per entity at span level (a prediction is correct if it overlaps a
labelled span of its entity; see ``civicflow.privacy.score_spans``): precision, recall and F2.

Usage (from the project root)::

    python bench/privacy_evaluation.py              # both splits, Markdown tables
    python bench/privacy_evaluation.py --json out.json

Results go to docs/privacy-evaluation.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.privacy import (  # noqa: E402
    TextDetector,
    presidio_analyzer,
    presidio_spans,
    read_labelled,
    run_detector,
    score_spans,
)

DATA = ROOT.parent / "shared" / "data" / "privacy"
SPLITS = {"development": "pii_generated_small.json", "held-out": "pii_generated_large.json"}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    fast = TextDetector()
    alone = presidio_analyzer(civicflow_recognizers=False)
    combined = presidio_analyzer()
    systems = {
        "civicflow fast path": fast.analyze,
        "Presidio + civicflow recognizers": lambda t: presidio_spans(combined, t),
        "Presidio alone (pattern-only)": lambda t: presidio_spans(alone, t),
    }
    out: dict[str, object] = {}
    for split, name in SPLITS.items():
        texts = read_labelled(args.data / name)
        labelled = sorted({e for t in texts for e, _, _ in t.spans})
        print(f"\n### {split} split: {name} ({len(texts)} texts)\n")
        results = {}
        for system, detect in systems.items():
            detect(texts[0].text)  # warm up
            start = time.perf_counter()
            predictions = run_detector(detect, texts)
            elapsed = time.perf_counter() - start
            scores = score_spans(texts, predictions, entities=labelled)
            results[system] = (scores, elapsed / len(texts) * 1000)
        header = "| entity | labelled | " + " | ".join(f"{s} P | R | F2" for s in systems) + " |"
        print(header)
        print("|" + "---|" * (2 + 3 * len(systems)))
        for entity in labelled:
            cells = [entity, str(results[next(iter(systems))][0][entity].labelled)]
            for system in systems:
                score = results[system][0][entity]
                cells += [_fmt(score.precision), _fmt(score.recall), _fmt(score.f2)]
            print("| " + " | ".join(cells) + " |")
        print()
        targeted = sorted(
            e for e in labelled if results["Presidio alone (pattern-only)"][0][e].predicted
        )
        for system in systems:
            scores = results[system][0]
            found = sum(scores[e].found for e in targeted)
            total = sum(scores[e].labelled for e in targeted)
            everything = sum(s.found for s in scores.values()) / sum(
                s.labelled for s in scores.values()
            )
            print(
                f"- {system}: {results[system][1]:.3f} ms per text; recall over the entities "
                f"Presidio alone targets ({', '.join(targeted)}): {found / total:.3f}; "
                f"over every labelled span: {everything:.3f}"
            )
        out[split] = {
            system: {
                "ms_per_text": ms,
                "scores": {e: s.to_dict() for e, s in scores.items()},
            }
            for system, (scores, ms) in results.items()
        }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
