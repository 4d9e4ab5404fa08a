"""Validation of discovered simulation models on real logs, on held-out data.

For each log in ../shared/data/eventlogs named below: ingest the XES file into a temporary
workspace, hold out the last ``--holdout`` share of its time span, discover a model on the rest,
simulate the held-out period ``--replications`` times and measure the distance to what happened
with log-distance-measures (control-flow log distance on ``--max-cases`` sampled cases, 3-gram,
and the earth-mover's distances of absolute timestamps, the circadian pattern, case arrivals and
cycle times), beside the naive reference (the training period's last stretch replayed). Prints a
table per log, the verdict, and the timings.

Usage (from the project root)::

    python bench/bench_simulation_validation.py                     # the three logs below
    python bench/bench_simulation_validation.py --logs Sepsis_Cases-Event_Log --replications 5

With ``--prosimos`` the same discovered model, exported with ``to_prosimos``, is also run by
Prosimos (in the Python of ``--prosimos-python``, a separate virtual environment: Prosimos is never a
dependency of civicflow; set it up as bench/bench_simulation.py says) from the split for as many
cases as the held-out log has (Prosimos takes a count, not a period), and measured the same way.

Results go to docs/benchmarks.md "## Simulation validation". Nothing is asserted: the figures are
what they are.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.eventlog import DuckDBEngine, EventStore, ingest  # noqa: E402
from civicflow.mining import EventLogFilter, LogView  # noqa: E402
from civicflow.planning import (  # noqa: E402
    DiscoveryConfig,
    SimulationModel,
    ValidationConfig,
    held_out,
    measure_logs,
    to_prosimos,
    validate_model,
)

EVENTLOGS = ROOT.parent / "shared" / "data" / "eventlogs"

# log -> (time zone, holiday country, optional window of case starts to keep the run time sane)
LOGS: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "Road_Traffic_Fine_Management_Process": ("Europe/Rome", "IT", ("2006-01-01", "2010-01-01")),
    "BPIC15_1": ("Europe/Amsterdam", "NL", None),
    "Sepsis_Cases-Event_Log": ("Europe/Amsterdam", "NL", None),
}


def run(name: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    zone, country, window = LOGS.get(name, ("UTC", "", None))
    t = time.perf_counter()
    ds = ingest(
        workspace=EventStore.create(folder / name), source=EVENTLOGS / f"{name}.xes.gz", name="log"
    )
    ingest_s = time.perf_counter() - t
    flt = EventLogFilter()
    if window is not None:
        flt = EventLogFilter(
            start=datetime.fromisoformat(window[0] + "T00:00:00+00:00"),
            end=datetime.fromisoformat(window[1] + "T00:00:00+00:00"),
            time_mode="started",
        )
    view = LogView(engine=DuckDBEngine(), dataset=ds, filter=flt)
    cfg = ValidationConfig(
        holdout=args.holdout,
        replications=args.replications,
        seed=args.seed,
        max_cases=args.max_cases,
        discovery=DiscoveryConfig(timezone=zone, country=country or None),
    )
    t = time.perf_counter()
    report = validate_model(view, cfg)
    seconds = time.perf_counter() - t
    row = {
        "log": name,
        "window": window,
        "cases": ds.manifest.cases,
        "events": ds.manifest.events,
        "ingest_seconds": round(ingest_s, 1),
        "validate_seconds": round(seconds, 1),
        "report": report.to_dict(),
    }
    if args.prosimos:
        row["prosimos"] = run_prosimos(view, cfg, report.model, args.prosimos_python)
    return row


PROSIMOS_RUNNER = """
import sys, time
from prosimos.simulation_engine import run_simulation
bpmn, params, cases, log, start = sys.argv[1:6]
t = time.perf_counter()
run_simulation(bpmn, params, int(cases), stat_out_path=None, log_out_path=log, starting_at=start)
print(time.perf_counter() - t)
"""


def run_prosimos(
    view: LogView, cfg: ValidationConfig, model: SimulationModel, python: str
) -> dict[str, Any]:
    """The discovered model run by Prosimos on the same split, measured the same way."""
    import pandas as pd

    held = held_out(view, cfg)
    export = to_prosimos(model)
    with tempfile.TemporaryDirectory() as tmp:
        bpmn, params = export.write(tmp)
        log = Path(tmp) / "log.csv"
        try:
            out = subprocess.run(
                [python, "-c", PROSIMOS_RUNNER, str(bpmn), str(params),
                 str(held.held_out_cases), str(log), held.split.isoformat()],
                capture_output=True, text=True, check=True, timeout=3600,
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            return {"error": exc.stderr.strip().splitlines()[-1] if exc.stderr else str(exc)}
        seconds = float(out.stdout.strip().splitlines()[-1])
        frame = pd.read_csv(log)
    sim = pd.DataFrame(
        {
            "case_id": "p-" + frame[frame.columns[0]].astype(str),
            "activity": frame["activity"].astype(str),
            "start": pd.to_datetime(frame["start_time"], utc=True, format="ISO8601"),
            "end": pd.to_datetime(frame["end_time"], utc=True, format="ISO8601"),
            "resource": frame["resource"],
        }
    )
    sim = sim[sim["end"] <= held.cut]
    measures = measure_logs(held, [sim], max_cases=cfg.max_cases, seed=cfg.seed)
    cycle = sim.groupby("case_id")["end"].max() - sim.groupby("case_id")["start"].min()
    return {
        "seconds": round(seconds, 1),
        "events": len(sim),
        "cases": int(sim["case_id"].nunique()),
        "mean_cycle_days": round(cycle.dt.total_seconds().mean() / 86_400, 2),
        "measures": {m.key: m.simulated for m in measures},
        "lost_in_export": export.lost,
    }


def show(row: dict[str, Any]) -> None:
    r = row["report"]
    window = f", cases starting {row['window'][0]} to {row['window'][1]}" if row["window"] else ""
    print(f"\n### {row['log']}{window}")
    print(
        f"split {r['split'][:10]}: {r['training_cases']:,} training cases, "
        f"{r['held_out_cases']:,} held out; {r['replications']} replications; "
        f"validation {row['validate_seconds']} s (ingest {row['ingest_seconds']} s)\n"
    )
    print("| measure | model (mean ± sd) | naive reference | model beats naive |")
    print("|---|---|---|---|")
    for m in r["measures"]:
        print(
            f"| {m['label']} ({m['unit']}) | {m['simulated']:.3f} ± {m['simulated_sd']:.3f} | "
            f"{m['naive']:.3f} | {'yes' if m['beats_naive'] else 'no'} |"
        )
    print("\n| key figure | real | model | naive |")
    print("|---|---|---|---|")
    for f in r["figures"]:
        print(f"| {f['label']} | {f['real']:,.2f} | {f['simulated']:,.2f} | {f['naive']:,.2f} |")
    print("\n" + "\n".join(f"- {f['aspect']}: **{f['trust']}**" for f in r["findings"]))
    print(f"\nVerdict: {r['verdict']}")
    p = row.get("prosimos")
    if p is not None and "error" in p:
        print(f"\nProsimos on the same split failed: {p['error']}")
    elif p is not None:
        civic = {m["key"]: m for m in r["measures"]}
        print(
            f"\nProsimos 2.1.0, the same model exported, {p['cases']:,} cases from the split "
            f"({p['events']:,} events, mean cycle time {p['mean_cycle_days']} days) in "
            f"{p['seconds']} s:\n"
        )
        print("| measure | civicflow | Prosimos | naive reference |")
        print("|---|---|---|---|")
        for key, value in p["measures"].items():
            m = civic[key]
            print(f"| {m['label']} | {m['simulated']:.3f} | {value:.3f} | {m['naive']:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", nargs="*", default=list(LOGS))
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--max-cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write every report here")
    parser.add_argument("--prosimos", action="store_true", help="run Prosimos on the same split")
    parser.add_argument("--prosimos-python", default="/tmp/prosimos-venv/bin/python")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.logs:
            row = run(name, args, Path(tmp))
            show(row)
            rows.append(row)
            sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
