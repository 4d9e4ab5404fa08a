"""Inductive Miner benchmark: civicflow vs PM4Py on the shared real logs, in the same run.

For each log and noise threshold: discovery time on each side (civicflow from the dataset's
variants, PM4Py ``discover_process_tree_inductive`` from its DataFrame), whether the two trees are
equal (up to the order of exclusive/parallel children), and token-based fitness and precision of
each tool's own net (civicflow: ``conformance(..., method="token_replay")`` and escaping-edges
precision; PM4Py: ``fitness_token_based_replay`` and ``precision_token_based_replay``).

Usage (from the project root, PM4Py from the test extra)::

    python bench/bench_inductive.py                                  # Receipt, Sepsis, BPIC15_1
    python bench/bench_inductive.py --logs Road_Traffic_Fine_Management_Process --noise 0.2

Results go to docs/benchmarks.md "## Inductive Miner". Speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

DEFAULT_LOGS = ("Receipt_phase_environmental_permit_WABO", "Sepsis_Cases-Event_Log", "BPIC15_1")


def _from_pm4py(t: Any) -> Any:
    from pm4py.objects.process_tree.obj import Operator

    from civicflow.mining import ProcessTree

    ops = {
        Operator.SEQUENCE: "seq",
        Operator.XOR: "xor",
        Operator.PARALLEL: "and",
        Operator.LOOP: "loop",
    }
    if t.operator is None:
        return ProcessTree(label=t.label)
    return ProcessTree(ops[t.operator], children=tuple(_from_pm4py(c) for c in t.children))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", nargs="*", default=list(DEFAULT_LOGS))
    parser.add_argument("--noise", nargs="*", type=float, default=[0.0, 0.2])
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import pm4py

    from civicflow.eventlog import DuckDBEngine
    from civicflow.mining import (
        ConformanceConfig,
        InductiveConfig,
        LogView,
        conformance,
        discover_process_tree,
    )
    from realdata import pm4py_frame, real_dataset

    engine = DuckDBEngine()
    print(
        "| log | noise | civicflow s | PM4Py s | ratio | same tree | fitness cf / PM4Py "
        "| precision cf / PM4Py | conformance cf s / PM4Py s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.logs:
        view = LogView(engine=engine, dataset=real_dataset(name))
        frame = pm4py_frame(name)
        frame = frame[~frame["concept:name"].isna()]
        for noise in args.noise:
            t0 = time.perf_counter()
            tree = discover_process_tree(view, config=InductiveConfig(noise_threshold=noise))
            ours = time.perf_counter() - t0
            t0 = time.perf_counter()
            pt = pm4py.discover_process_tree_inductive(frame, noise_threshold=noise)
            theirs = time.perf_counter() - t0
            same = tree.canonical() == _from_pm4py(pt).canonical()
            t0 = time.perf_counter()
            result = conformance(
                view, net=tree.to_workflow_net(), config=ConformanceConfig(method="token_replay")
            )
            ours_c = time.perf_counter() - t0
            pn, im, fm = pm4py.convert_to_petri_net(pt)
            t0 = time.perf_counter()
            fit = pm4py.fitness_token_based_replay(frame, pn, im, fm)["log_fitness"]
            prec = pm4py.precision_token_based_replay(frame, pn, im, fm)
            theirs_c = time.perf_counter() - t0
            print(
                f"| {name} | {noise} | {ours:.3f} | {theirs:.3f} | {theirs / ours:.1f}x | "
                f"{'yes' if same else 'no'} | {result.fitness:.4f} / {fit:.4f} | "
                f"{result.precision or 0:.4f} / {prec:.4f} | {ours_c:.2f} / {theirs_c:.2f} |",
                flush=True,
            )
    engine.close()


if __name__ == "__main__":
    main()
