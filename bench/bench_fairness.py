"""Fairness benchmark: civicflow's decision audit with bootstrap intervals vs Fairlearn's
``MetricFrame(n_boot=...)`` on the same data.

The data: ``--rows`` decisions (10 million by default) in 4 groups of unequal size and base rate,
a true label and a decision that depends on both; seeded.

- civicflow: ``audit_decisions`` with every group metric (count, base rate, selection rate, TPR,
  FPR, FNR, TNR, PPV, NPV, FDR, FOR, accuracy), disparities, the four-fifths rule and Fairlearn's
  summaries, each with ``--replicates`` (1,000) Poisson-bootstrap replicates; prints wall time;
- Fairlearn: ``MetricFrame`` with the same 12 metrics and ``n_boot`` replicates on the first
  ``--peer-rows`` rows (Fairlearn resamples rows, so its cost grows with rows × replicates; it
  cannot finish 10M × 1,000 here). Its time per replicate is measured at two sizes (linear in
  rows) and scaled to ``--rows`` × ``--replicates``; civicflow also runs at ``--peer-rows`` so
  the ratio at equal size is printed too.

Usage (from the project root)::

    python bench/bench_fairness.py                     # 10M rows, 1,000 replicates, Fairlearn
    python bench/bench_fairness.py --rows 1000000 --no-peer

Results go to docs/benchmarks.md "## Fairness audit bootstrap". Speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.fairness import AuditConfig, audit_decisions  # noqa: E402


def make_decisions(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    groups = np.array(["A", "B", "C", "D"])
    g = rng.choice(4, size=rows, p=[0.55, 0.25, 0.15, 0.05])
    base = np.array([0.30, 0.35, 0.25, 0.40])[g]
    label = rng.random(rows) < base
    # the decision follows the label, with a group-dependent error
    hit = np.array([0.75, 0.65, 0.80, 0.60])[g]
    false_alarm = np.array([0.10, 0.20, 0.08, 0.25])[g]
    decision = np.where(label, rng.random(rows) < hit, rng.random(rows) < false_alarm)
    return pd.DataFrame(
        {"group": pd.Categorical(groups[g]), "label": label.astype(np.int8),
         "decision": decision.astype(np.int8)}
    )  # fmt: skip


def run_civicflow(frame: pd.DataFrame, replicates: int) -> float:
    config = AuditConfig(
        outcome="decision", label="label", groups=("group",), bootstrap=replicates, seed=1
    )
    started = time.perf_counter()
    audit = audit_decisions(frame, config)
    seconds = time.perf_counter() - started
    assert replicates == 0 or audit.metric("group", "A", "fpr").low is not None
    return seconds


def _ratio(num, den):  # type: ignore[no-untyped-def]
    def f(y_true, y_pred):  # type: ignore[no-untyped-def]
        t, p = np.asarray(y_true), np.asarray(y_pred)
        d = den(t, p).sum()
        return num(t, p).sum() / d if d else np.nan

    return f


def fairlearn_metrics() -> dict:
    import fairlearn.metrics as fm
    from sklearn.metrics import accuracy_score, precision_score

    return {
        "count": fm.count,
        "base_rate": lambda t, p: float(np.mean(t)),
        "selection_rate": fm.selection_rate,
        "tpr": fm.true_positive_rate,
        "fpr": fm.false_positive_rate,
        "fnr": fm.false_negative_rate,
        "tnr": fm.true_negative_rate,
        "ppv": lambda t, p: precision_score(t, p, zero_division=np.nan),
        "npv": _ratio(lambda t, p: (t == 0) & (p == 0), lambda t, p: p == 0),
        "fdr": _ratio(lambda t, p: (t == 0) & (p == 1), lambda t, p: p == 1),
        "for": _ratio(lambda t, p: (t == 1) & (p == 0), lambda t, p: p == 0),
        "accuracy": accuracy_score,
    }


def run_fairlearn(frame: pd.DataFrame, n_boot: int) -> float:
    from fairlearn.metrics import MetricFrame

    started = time.perf_counter()
    mf = MetricFrame(
        metrics=fairlearn_metrics(), y_true=frame["label"], y_pred=frame["decision"],
        sensitive_features=frame["group"], n_boot=n_boot, ci_quantiles=[0.025, 0.975],
        random_state=1,
    )  # fmt: skip
    _ = mf.by_group_ci
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--peer-rows", type=int, default=100_000)
    ap.add_argument("--peer-boot", type=int, default=10)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    frame = make_decisions(args.rows)
    print(f"data: {args.rows:,} decisions, 4 groups ({time.perf_counter() - t:.1f} s to make)")
    ours = run_civicflow(frame, args.replicates)
    print(
        f"civicflow audit_decisions, {args.rows:,} rows × {args.replicates:,} replicates "
        f"(12 metrics, disparities, four-fifths, summaries): {ours:.2f} s"
    )
    ours_zero = run_civicflow(frame, 0)
    print(f"  of which without the bootstrap (reading and counting): {ours_zero:.2f} s")
    if args.no_peer:
        return
    small = frame.iloc[: args.peer_rows].reset_index(drop=True)
    half = frame.iloc[: args.peer_rows // 2].reset_index(drop=True)
    ours_small = run_civicflow(small, args.replicates)
    # Fairlearn: a fixed part plus a part per replicate, per row
    # (fairlearn needs n_boot >= 2: the per-replicate cost is the difference over the extra ones)
    base_small = run_fairlearn(small, 2)
    boot_small = run_fairlearn(small, args.peer_boot)
    boot_half = run_fairlearn(half, args.peer_boot)
    per_rep_small = (boot_small - base_small) / (args.peer_boot - 2)
    per_rep_half = (boot_half - run_fairlearn(half, 2)) / (args.peer_boot - 2)
    print(
        f"Fairlearn MetricFrame n_boot={args.peer_boot}: {args.peer_rows:,} rows {boot_small:.2f} s "
        f"({per_rep_small:.3f} s per replicate); {args.peer_rows // 2:,} rows {boot_half:.2f} s "
        f"({per_rep_half:.3f} s per replicate)"
    )
    # a replicate costs a fixed part plus a part per row: the line through the two sizes
    per_row = max((per_rep_small - per_rep_half) / (args.peer_rows - args.peer_rows // 2), 0.0)
    fixed = max(per_rep_small - per_row * args.peer_rows, 0.0)
    scaled = (fixed + per_row * args.rows) * args.replicates
    same_size = per_rep_small * args.replicates
    print(
        f"Fairlearn scaled to {args.rows:,} rows × {args.replicates:,} replicates (per replicate "
        f"{fixed:.2f} s + {per_row * 1e6:.1f} µs per row, from the two sizes): {scaled:,.0f} s "
        f"= {scaled / 3600:,.1f} h"
    )
    print(f"ratio at {args.rows:,} rows: {scaled / ours:,.0f}×")
    print(
        f"at equal size ({args.peer_rows:,} rows × {args.replicates:,} replicates): civicflow "
        f"{ours_small:.2f} s, Fairlearn {same_size:,.1f} s (scaled from {args.peer_boot} "
        f"replicates): {same_size / ours_small:,.0f}×"
    )


if __name__ == "__main__":
    main()
