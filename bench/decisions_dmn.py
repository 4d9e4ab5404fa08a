"""DMN benchmark: a generated 30-rule decision table (4 inputs, 2 outputs, hit policy FIRST with a
default output) through civicflow's ``DmnModel.evaluate_batch`` over ``--rows`` cases (1,000,000
by default) with the matched rule kept per row, and one ``DmnModel.evaluate`` with its trace.

The peer: bkflow-dmn (MIT, TencentBlueKing; a FEEL decision-table engine for Python) when a Python
that has it is given with ``--peer-python`` (install it in a throwaway venv, never the project's:
``python -m venv /tmp/dmnpeer && /tmp/dmnpeer/bin/pip install bkflow-dmn``). It decides one case at
a time, so it runs ``--peer-rows`` cases of the same data; its per-case time is scaled to
``--rows`` and the ratio printed, and its results are compared with civicflow's on those cases.
pyDMNrules (GPL-3.0) is not a permissive peer and is not run.

Usage (from the project root)::

    python bench/decisions_dmn.py
    python bench/decisions_dmn.py --peer-python /tmp/dmnpeer/bin/python

Results go to docs/benchmarks.md "## Decisions: DMN import". Speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.decisions import load_dmn  # noqa: E402

REGIONS = ["north", "south", "east", "west", "centre"]


def make_rules(count: int, seed: int = 3) -> list[tuple[str, str, str, str, int, str]]:
    """``count`` rules: (age, income, household, region) tests, an amount and a category."""
    rng = np.random.default_rng(seed)
    rules = []
    for i in range(count):
        low = int(rng.integers(0, 70))
        age = ["-", f">= {low}", f"[{low}..{low + int(rng.integers(5, 30))})", f"< {low + 10}"][
            (i + 1) % 4
        ]
        cap = int(rng.integers(10, 60)) * 100
        income = ["-", f"<= {cap}", f"> {cap}", f"[{cap}..{cap + 1500}]"][(i // 2 + 1) % 4]
        size = int(rng.integers(1, 6))
        household = ["-", f">= {size}", f"{size}", f"< {size}"][(i // 3 + 2) % 4]
        region = "-" if i % 3 == 2 else f'"{REGIONS[i % len(REGIONS)]}"'
        amount = int(rng.integers(1, 50)) * 10
        rules.append((age, income, household, region, amount, f'"band {i % 7}"'))
    return rules


def dmn_text(rules: list[tuple[str, str, str, str, int, str]]) -> str:
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    rows = "".join(
        "<rule>"
        + "".join(f"<inputEntry><text>{esc(t)}</text></inputEntry>" for t in rule[:4])
        + f"<outputEntry><text>{rule[4]}</text></outputEntry>"
        + f"<outputEntry><text>{esc(rule[5])}</text></outputEntry>"
        + f"<description>rule {n} of the generated benefit table</description></rule>"
        for n, rule in enumerate(rules, 1)
    )
    inputs = "".join(
        f'<input id="in_{name}" label="{name}"><inputExpression typeRef="{kind}">'
        f"<text>{name}</text></inputExpression></input>"
        for name, kind in (("age", "number"), ("income", "number"), ("household", "number"))
    )
    inputs += (
        '<input id="in_region" label="region"><inputExpression typeRef="string">'
        "<text>region</text></inputExpression></input>"
    )
    data = "".join(
        f'<inputData id="{n}" name="{n}"><variable name="{n}" typeRef="{k}"/></inputData>'
        for n, k in (
            ("age", "number"),
            ("income", "number"),
            ("household", "number"),
            ("region", "string"),
        )
    )
    return (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bench" '
        'name="bench" namespace="urn:civicflow:bench">'
        f'{data}<decision id="benefit" name="Benefit"><variable name="Benefit"/>'
        '<decisionTable id="t" hitPolicy="FIRST">'
        f"{inputs}"
        '<output id="o1" name="amount" typeRef="number"><defaultOutputEntry><text>0</text></defaultOutputEntry></output>'
        '<output id="o2" name="category" typeRef="string"><defaultOutputEntry><text>"none"</text></defaultOutputEntry></output>'
        f"{rows}</decisionTable></decision></definitions>"
    )


def make_columns(rows: int, seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "age": rng.integers(0, 100, rows).astype(np.float64),
        "income": (rng.integers(0, 80, rows) * 100).astype(np.float64),
        "household": rng.integers(1, 7, rows).astype(np.float64),
        "region": np.array(REGIONS, dtype=object)[rng.integers(0, len(REGIONS), rows)],
    }


PEER = textwrap.dedent(
    """
    import json, sys, time
    from bkflow_dmn.api import decide_single_table
    spec = json.load(sys.stdin)
    table = spec["table"]
    cases = spec["cases"]
    started = time.perf_counter()
    results = []
    for case in cases:
        out = decide_single_table(table, case, strict_mode=False)
        results.append(out[0] if out else None)
    elapsed = time.perf_counter() - started
    json.dump({"seconds": elapsed, "results": results}, sys.stdout)
    """
)


def run_peer(
    python: str,
    rules: list[tuple[str, str, str, str, int, str]],
    columns: dict[str, np.ndarray],
    rows: int,
) -> dict[str, object]:
    table = {
        "title": "bench",
        "hit_policy": "First",
        "inputs": {
            "cols": [{"id": "age"}, {"id": "income"}, {"id": "household"}, {"id": "region"}],
            "rows": [["" if t == "-" else t for t in rule[:4]] for rule in rules],
        },
        "outputs": {
            "cols": [{"id": "amount"}, {"id": "category"}],
            "rows": [[str(rule[4]), rule[5]] for rule in rules],
        },
    }
    cases = [
        {
            "age": int(columns["age"][i]),
            "income": int(columns["income"][i]),
            "household": int(columns["household"][i]),
            "region": str(columns["region"][i]),
        }
        for i in range(rows)
    ]
    done = subprocess.run(
        [python, "-c", PEER],
        input=json.dumps({"table": table, "cases": cases}),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=30)
    parser.add_argument("--single-runs", type=int, default=500)
    parser.add_argument("--peer-python", default=None, help="a Python with bkflow-dmn installed")
    parser.add_argument("--peer-rows", type=int, default=2_000)
    args = parser.parse_args()

    rules = make_rules(args.rules)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.dmn"
        path.write_text(dmn_text(rules), encoding="utf-8")
        started = time.perf_counter()
        model = load_dmn(path)
        load_s = time.perf_counter() - started
    columns = make_columns(args.rows)

    started = time.perf_counter()
    batch = model.evaluate_batch(columns)
    batch_s = time.perf_counter() - started
    matched = batch.matched_rules["Benefit"]
    print(f"civicflow: load {load_s * 1000:.1f} ms; {args.rows:,} rows x {args.rules} rules "
          f"(FIRST, 2 outputs, matched rule per row) in {batch_s:.2f} s "
          f"({args.rows / batch_s:,.0f} rows/s); row-wise parts: {batch.row_wise or 'none'}")  # fmt: skip
    hits = np.bincount(matched, minlength=args.rules + 1)
    print(f"  rows with no matching rule (default output): {hits[0]:,}; rules that matched first "
          f"somewhere: {(hits[1:] > 0).sum()} of {args.rules}")  # fmt: skip

    # one decision with its trace: median of --single-runs
    case = {k: (v[0].item() if isinstance(v[0], np.generic) else v[0]) for k, v in columns.items()}
    times = []
    for _ in range(args.single_runs):
        started = time.perf_counter()
        result = model.evaluate(case)
        times.append(time.perf_counter() - started)
    step = result.steps[0]
    print(f"civicflow: one evaluate() with trace: median {np.median(times) * 1000:.3f} ms, "
          f"p95 {np.percentile(times, 95) * 1000:.3f} ms (rule {step.matched_rules}, "
          f"{step.outputs})")  # fmt: skip

    # batch == row by row on a sample
    sample = min(args.rows, 2_000)
    for i in range(sample):
        row = {
            k: (v[i].item() if isinstance(v[i], np.generic) else v[i]) for k, v in columns.items()
        }
        one = model.evaluate(row).steps[0]
        number = int(matched[i])
        assert one.matched_rules == ((number,) if number else ()), i
        assert float(one.outputs["amount"]) == batch.outputs["Benefit.amount"][i], i  # type: ignore[index]
    print(f"  batch == row-by-row on the first {sample:,} rows")

    if args.peer_python is None:
        print(
            "peer: none run (pass --peer-python with bkflow-dmn installed; pyDMNrules is GPL-3.0)"
        )
        return
    peer_rows = min(args.peer_rows, args.rows)
    peer = run_peer(args.peer_python, rules, columns, peer_rows)
    seconds = float(peer["seconds"])  # type: ignore[arg-type]
    results = peer["results"]
    assert isinstance(results, list)
    agree = sum(
        1
        for i, r in enumerate(results)
        if r is not None
        and float(r["amount"]) == batch.outputs["Benefit.amount"][i]
        and r["category"] == batch.outputs["Benefit.category"][i]
    )
    no_match = sum(1 for r in results if r is None)
    both_none = sum(1 for i, r in enumerate(results) if r is None and matched[i] == 0)
    scaled = seconds / peer_rows * args.rows
    print(f"peer bkflow-dmn: {peer_rows:,} rows in {seconds:.2f} s ({seconds / peer_rows * 1000:.3f} ms/row); "
          f"scaled to {args.rows:,} rows: {scaled:,.0f} s; ratio peer/civicflow: {scaled / batch_s:,.0f}x")  # fmt: skip
    print(f"  agreement: {agree:,} of {peer_rows:,} rows equal; {no_match:,} rows where the peer matched "
          f"no rule (it has no default output), civicflow matched none on {both_none:,} of them "
          f"and gave the default")  # fmt: skip


if __name__ == "__main__":
    main()
