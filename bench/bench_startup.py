"""Start-up benchmark: how long the ``civicflow`` command takes before it does any work.

Each invocation runs in a fresh subprocess (the console script's own interpreter, the sources of
this checkout first on ``PYTHONPATH``), ``--runs`` times; the median and the range are printed with
the 1-minute load average (the machine is shared), and the median CPU seconds of the child
(steadier than wall-clock time when other work shares the cores). Measured: ``civicflow --help``, ``civicflow
version``, and ``--help`` of every command of the root group (which loads that command's module
and what it imports: the per-command cost of start-up).

Usage (from the project root)::

    python bench/bench_startup.py            # 7 runs each
    python bench/bench_startup.py --runs 15 --json

Results go to docs/benchmarks.md "## Start-up". Speed is never asserted in tests
(``tests/cli/test_startup.py`` checks what ``--help`` imports instead).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[list[str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from civicflow.cli._main import COMMANDS

    return [["--help"], ["version"], *([spec.name, "--help"] for spec in COMMANDS)]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (user + system) of each run. On a shared, loaded machine the
    CPU time is the steadier measure of what start-up costs."""
    code = "import sys; from civicflow.cli import main; sys.argv[0] = 'civicflow'; main()"
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), _cpu()
        subprocess.run(
            [sys.executable, "-c", code, *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - start_cpu)
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100"}
    # one warm-up run: the first start after an edit compiles the bytecode
    _time(["--help"], 1, env)
    _time(["version"], 1, env)
    results = []
    for argv in _commands():
        times, cpu = _time(argv, args.runs, env)
        results.append(
            {
                "command": "civicflow " + " ".join(argv),
                "median_s": round(statistics.median(times), 3),
                "min_s": round(min(times), 3),
                "max_s": round(max(times), 3),
                "cpu_median_s": round(statistics.median(cpu), 3),
            }
        )
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"runs": args.runs, "load_1min": load, "results": results}, indent=2))
        return
    print(f"{args.runs} runs each, 1-minute load average {load:.2f}")
    print(f"{'command':<34} {'median':>8} {'min':>7} {'max':>7} {'CPU':>7}")
    for row in results:
        print(
            f"{row['command']:<34} {row['median_s']:>7.3f}s {row['min_s']:>6.3f}s "
            f"{row['max_s']:>6.3f}s {row['cpu_median_s']:>6.3f}s"
        )


if __name__ == "__main__":
    main()
