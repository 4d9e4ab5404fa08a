"""Privacy benchmark: column classification of a large log, and free-text detection speed.

- classification: a synthetic event log of ``--events`` events (10 million by default) with the
  kinds of columns a public agency's case log has (citizen's name, BSN, e-mail, phone, postcode,
  date of birth, a free-text note, amounts, channels) is written to Parquet; then the log is read
  and ``classify_table`` classifies every column from its sample. Prints the read and classify
  times and each column's verdict (the target is under 30 s in all).
- free text: the texts of ../shared/data/privacy (both files), analysed by civicflow's fast path
  and by Presidio's ``AnalyzerEngine`` in pattern-only mode (offline, ``NoOpNlpEngine``), in the
  same run; prints ms per text, the ratio (target: at least 10x) and both recalls over the
  entities Presidio targets.
- redaction at ingest (``--redaction``): a case log of ``--redaction-events`` events (1 million by
  default) whose free-text ``note`` holds the texts of ../shared/data/privacy (names, e-mail
  addresses, numbers), one per case, is ingested three times in the same run: without the privacy
  transform, with it but the note kept clear (a data steward's decision: pseudonymisation only),
  and with the default redaction of the note. Prints each time, the redaction's extra time and
  the distinct notes redacted.

Usage (from the project root)::

    python bench/bench_privacy.py                  # 10 million events
    python bench/bench_privacy.py --events 1000000 --skip-text
    python bench/bench_privacy.py --skip-columns --skip-text --redaction

Results go to docs/benchmarks.md "## Privacy". Speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.privacy import (  # noqa: E402
    TextDetector,
    classify_table,
    presidio_analyzer,
    presidio_spans,
    read_labelled,
    run_detector,
    score_spans,
)

DATA = ROOT.parent / "shared" / "data" / "privacy"
FIRST = ["Anna", "Bram", "Cem", "Daan", "Eva", "Fleur", "Gijs", "Hana", "Ivo", "Joke", "Mary"]
LAST = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Kaya", "Smith", "El Amrani"]


def _bsns(rng: np.random.Generator, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        for number in rng.integers(10**8, 10**9, size=n * 12):
            d = str(number)
            total = sum(int(x) * w for x, w in zip(d[:8], range(9, 1, -1), strict=True))
            if (total - int(d[8])) % 11 == 0:
                out.append(d)
                if len(out) == n:
                    break
    return out


def synthetic_log(events: int, *, pool: int = 50_000, seed: int = 1) -> pa.Table:
    """``events`` events of ``events // 8`` cases; personal columns drawn from pools of values."""
    rng = np.random.default_rng(seed)
    cases = max(1, events // 8)
    case_of = np.sort(rng.integers(0, cases, size=events))

    def per_case(values: list[str]) -> pa.Array:
        # a case attribute repeated on its events (as the canonical event table holds it)
        return pa.array(values).take(pa.array(rng.integers(0, len(values), size=cases)[case_of]))

    names = [f"{FIRST[i % len(FIRST)]} {LAST[(i // 11) % len(LAST)]}-{i}" for i in range(pool)]
    names = [n.rsplit("-", 1)[0] + " " + chr(65 + i % 26) + "." for i, n in enumerate(names)]
    start = np.datetime64("2024-01-01T08:00:00")
    return pa.table(
        {
            "case_id": pa.array(np.char.add("case-", case_of.astype(str))),
            "activity": pa.array(["Register", "Check", "Decide", "Notify"]).take(
                pa.array(rng.integers(0, 4, size=events))
            ),
            "timestamp": pa.array(start + rng.integers(0, 3 * 10**7, size=events).astype("m8[s]")),
            "resource": pa.array([f"clerk{i}" for i in range(40)]).take(
                pa.array(rng.integers(0, 40, size=events))
            ),
            "citizen_name": per_case(names),
            "bsn": per_case(_bsns(rng, pool)),
            "email": per_case([f"burger{i}@example.nl" for i in range(pool)]),
            "phone": per_case([f"06-{n}" for n in rng.integers(10**7, 10**8, size=pool)]),
            "postcode": per_case(
                [
                    f"{n} {a}{b}"
                    for n, a, b in zip(
                        rng.integers(1000, 9999, size=pool),
                        rng.choice(list("ABCEGHJKLMNPRTVWXZ"), size=pool),
                        rng.choice(list("ABCEGHJKLMNPRTVWXZ"), size=pool),
                        strict=True,
                    )
                ]
            ),
            "date_of_birth": per_case(
                [
                    str(np.datetime64("1940-01-01") + int(d))
                    for d in rng.integers(0, 25000, size=pool)
                ]
            ),
            "note": per_case(
                [f"Called the applicant about form {i}; will send a reminder." for i in range(pool)]
            ),
            "channel": per_case(["web", "paper", "phone", "desk"]),
            "amount": pa.array(rng.normal(250, 80, size=events)),
        }
    )


def bench_classification(events: int) -> None:
    print(f"generating {events:,} events …", flush=True)
    table = synthetic_log(events)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.parquet"
        pq.write_table(table, path, row_group_size=1_000_000)
        del table
        start = time.perf_counter()
        log = pq.read_table(path)
        read = time.perf_counter() - start
        start = time.perf_counter()
        result = classify_table(log, skip=("case_id", "timestamp"))
        classify = time.perf_counter() - start
    print(f"read {read:.2f} s, classify {classify:.2f} s, total {read + classify:.2f} s")
    for column in result.columns:
        print(f"  {column.column:15} {column.category.value:14} {column.confidence:.2f}")


def bench_text(repeat: int) -> None:
    texts = read_labelled(DATA / "pii_generated_small.json") + read_labelled(
        DATA / "pii_generated_large.json"
    )
    fast = TextDetector()
    alone = presidio_analyzer(civicflow_recognizers=False)
    systems = {
        "civicflow fast path": fast.analyze,
        "Presidio alone (pattern-only)": lambda t: presidio_spans(alone, t),
    }
    times: dict[str, float] = {}
    recalls: dict[str, object] = {}
    for name, detect in systems.items():
        detect(texts[0].text)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            predictions = run_detector(detect, texts)
            best = min(best, time.perf_counter() - start)
        times[name] = best / len(texts) * 1000
        recalls[name] = score_spans(texts, predictions)
    peer = recalls["Presidio alone (pattern-only)"]
    targeted = [e for e, s in peer.items() if s.predicted and s.labelled]  # type: ignore[attr-defined]
    for name in systems:
        scores = recalls[name]
        found = sum(scores[e].found for e in targeted if e in scores)  # type: ignore[index,operator]
        total = sum(peer[e].labelled for e in targeted)  # type: ignore[index]
        print(
            f"{name}: {times[name]:.3f} ms per text, recall {found / total:.3f} over {', '.join(sorted(targeted))}"
        )
    ratio = times["Presidio alone (pattern-only)"] / times["civicflow fast path"]
    print(f"{len(texts)} texts, best of {repeat}; fast path is {ratio:.1f}x faster")


def _note_log(path: Path, events: int, *, seed: int = 2) -> int:
    """A CSV case log of ``events`` events (8 per case) whose note is one of the shared labelled
    texts per case (commas and quotes kept by the CSV writer). Returns the distinct notes."""
    import pyarrow.csv as pacsv

    texts = [t.text for t in read_labelled(DATA / "pii_generated_small.json")]
    texts += [t.text for t in read_labelled(DATA / "pii_generated_large.json")]
    rng = np.random.default_rng(seed)
    cases = max(1, events // 8)
    case_of = np.sort(rng.integers(0, cases, size=events))
    per_case = rng.integers(0, len(texts), size=cases)[case_of]
    start = np.datetime64("2024-01-01T08:00:00")
    table = pa.table(
        {
            "case": pa.array(np.char.add("case-", case_of.astype(str))),
            "activity": pa.array(["Register", "Check", "Decide", "Notify"]).take(
                pa.array(rng.integers(0, 4, size=events))
            ),
            "time": pa.array(
                (start + rng.integers(0, 3 * 10**7, size=events).astype("m8[s]")).astype(str)
            ),
            "note": pa.array(texts).take(pa.array(per_case)),
        }
    )
    pacsv.write_csv(table, path)
    return len(set(per_case.tolist()))


def bench_redaction(events: int, repeat: int) -> None:
    from civicflow.eventlog import ColumnMapping, EventStore, ingest
    from civicflow.privacy import KEEP, ColumnDecision, KeyRing, PseudonymiseTransform

    mapping = ColumnMapping(case_id="case", activity="activity", timestamp="time")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "notes.csv"
        distinct = _note_log(source, events)
        store = EventStore.create(Path(tmp) / "ws")
        ring = KeyRing.generate()
        keep = {"note": ColumnDecision(column="note", action=KEEP, reason="benchmark")}
        runs = {
            "no privacy transform": lambda: [],
            "pseudonymise only (note kept clear)": lambda: [
                PseudonymiseTransform(ring, decisions=keep, vault=False)
            ],
            "pseudonymise + redact the note (default)": lambda: [
                PseudonymiseTransform(ring, vault=False)
            ],
        }
        times: dict[str, float] = {}
        report: object = None
        ingest(workspace=store, source=source, name="warm-up", mapping=mapping)
        for i, (label, make) in enumerate(runs.items()):
            best = float("inf")
            for r in range(repeat):
                transforms = make()
                began = time.perf_counter()
                ingest(workspace=store, source=source, name=f"d{i}-{r}", mapping=mapping,
                       transforms=transforms)  # fmt: skip
                best = min(best, time.perf_counter() - began)
                if transforms:
                    report = transforms[0].finish().get("redacted")
            times[label] = best
            print(f"{label}: {best:.2f} s (best of {repeat})", flush=True)
        labels = list(runs)
        extra = times[labels[2]] - times[labels[1]]
        print(
            f"{events:,} events, {distinct:,} distinct notes; redaction adds {extra:.2f} s "
            f"({times[labels[2]] / times[labels[1]]:.2f}x the pseudonymising ingest, "
            f"{times[labels[2]] / times[labels[0]]:.2f}x the plain one); redacted: {report}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--skip-columns", action="store_true")
    parser.add_argument("--redaction", action="store_true")
    parser.add_argument("--redaction-events", type=int, default=1_000_000)
    args = parser.parse_args()
    if not args.skip_columns:
        bench_classification(args.events)
    if not args.skip_text:
        bench_text(args.repeat)
    if args.redaction:
        bench_redaction(args.redaction_events, args.repeat)


if __name__ == "__main__":
    main()
