"""Simulation benchmark: civicflow's engine vs Prosimos on the same model.

The model: a 10-activity permit-like process (a rework loop, an optional branch, three outcomes)
with four resource pools that work Monday-Friday 08:30-17:00 (Dutch public holidays off) and
arrivals on weekdays in office hours at about 80 % of the bottleneck's capacity, so queues form.

- civicflow: ``simulate`` of ``--cases`` cases (100,000 by default) in one replication, in this
  process; prints wall and CPU time and events per second;
- Prosimos (optional, ``--prosimos``): the same model exported with ``to_prosimos`` is run by
  Prosimos' ``run_simulation`` in the Python of ``--prosimos-python`` (a separate virtual
  environment: Prosimos is never a dependency of civicflow) for ``--prosimos-cases`` cases, and
  civicflow runs the same number of cases; prints both times and the ratio.

Set up Prosimos once (its PyPI metadata declares no licence; it is run here, not shipped)::

    python -m venv /tmp/prosimos-venv && /tmp/prosimos-venv/bin/pip install prosimos==2.1.0

Usage (from the project root)::

    python bench/bench_simulation.py                                   # civicflow, 100,000 cases
    python bench/bench_simulation.py --prosimos --prosimos-python /tmp/prosimos-venv/bin/python

Results go to docs/benchmarks.md "## Simulation". Speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.mining import WorkingCalendar  # noqa: E402
from civicflow.planning import (  # noqa: E402
    ActivityModel,
    ArrivalModel,
    Branching,
    ControlFlow,
    Distribution,
    ResourcePool,
    SimulationConfig,
    SimulationModel,
    simulate,
    to_prosimos,
)

START = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bench_model(*, holidays: bool = True) -> SimulationModel:
    """10 activities, 4 pools with office calendars, arrivals in office hours on weekdays."""
    office = WorkingCalendar.office_hours(
        start="08:30", end="17:00", timezone="UTC", country="NL" if holidays else None
    ).to_dict()
    week = [0.0] * 168
    for day in range(5):
        for hour in range(8, 17):
            week[day * 24 + hour] = 1.0
    mean = sum(week) / 168
    # 100,000 cases over about a year: ~1,900 a week at the profile's mean rate
    gap = 7 * 86_400 / 1900

    def logn(median_minutes: float) -> Distribution:
        return Distribution(kind="lognorm", params={"sigma": 0.4, "median": median_minutes * 60})

    activities = {
        "Register": ActivityModel(pool="intake", duration=logn(4)),
        "Check completeness": ActivityModel(pool="intake", duration=logn(6)),
        "Request documents": ActivityModel(pool="intake", duration=logn(3)),
        "Receive documents": ActivityModel(pool="intake", duration=logn(2)),
        "Assess": ActivityModel(pool="assessor", duration=logn(25)),
        "Request advice": ActivityModel(pool="assessor", duration=logn(5)),
        "Decide": ActivityModel(pool="manager", duration=logn(6)),
        "Send permit": ActivityModel(pool="office", duration=logn(3)),
        "Send rejection": ActivityModel(pool="office", duration=logn(4)),
        "Archive": ActivityModel(pool="office", duration=logn(1)),
    }
    transitions = [
        Branching(source="Register", to={"Check completeness": 1.0}),
        Branching(source="Check completeness", to={"Request documents": 0.25, "Assess": 0.75}),
        Branching(source="Request documents", to={"Receive documents": 0.9, "Archive": 0.1}),
        Branching(source="Receive documents", to={"Check completeness": 1.0}),
        Branching(source="Assess", to={"Request advice": 0.2, "Decide": 0.8}),
        Branching(source="Request advice", to={"Decide": 1.0}),
        Branching(source="Decide", to={"Send permit": 0.8, "Send rejection": 0.12, "Assess": 0.08}),
        Branching(source="Send permit", to={"Archive": 1.0}),
        Branching(source="Send rejection", to={"Archive": 1.0}),
        Branching(source="Archive", to={"END": 1.0}),
    ]
    return SimulationModel(
        name="benchmark: 10 activities, 4 pools, office calendars",
        start=START,
        arrivals=ArrivalModel(
            interarrival=Distribution.exponential(gap), hour_of_week=[w / mean for w in week]
        ),
        control_flow=ControlFlow(start={"Register": 1.0}, transitions=transitions),
        activities=activities,
        pools={
            "intake": ResourcePool(size=14, calendar=office, cost_per_hour=48),
            "assessor": ResourcePool(size=28, calendar=office, cost_per_hour=74),
            "manager": ResourcePool(size=7, calendar=office, cost_per_hour=95),
            "office": ResourcePool(size=5, calendar=office, cost_per_hour=40),
        },
    )


def _figures(cases: int, events: int, wall: float, cpu: float, spans: Any) -> dict[str, Any]:
    """What both sides report: size, wall and CPU time, throughput and mean cycle time."""
    return {
        "cases": cases,
        "events": events,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "events_per_s": round(events / wall),
        "mean_cycle_hours": round(spans.dt.total_seconds().mean() / 3600, 1),
    }


def run_civicflow(model: SimulationModel, cases: int) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), _cpu()
    result = simulate(model, SimulationConfig(cases=cases, seed=1, workers=1))
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    events = result.events.num_rows
    ev = result.events.to_pandas()
    days = (ev["timestamp"].max() - ev["timestamp"].min()).days
    spans = (
        ev.groupby("case_id")["timestamp"].max()
        - result.cases.to_pandas().set_index("case_id")["arrival"]
    )
    hours = 5 * 8.5 * days / 7
    utilisation = {
        name: round(sum(busy) / 3600 / (model.pools[name].size * hours), 2)
        for name, busy in result.pool_busy_seconds.items()
    }
    return {
        **_figures(cases, events, wall, cpu, spans),
        "events_per_cpu_s": round(events / max(cpu, 1e-9)),
        "simulated_days": days,
        "utilisation_approx": utilisation,
    }


PROSIMOS_RUNNER = """
import sys, time, resource
from datetime import datetime, timezone
from prosimos.simulation_engine import run_simulation
bpmn, params, cases, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = resource.getrusage(resource.RUSAGE_SELF); cpu = r.ru_utime + r.ru_stime
t = time.perf_counter()
run_simulation(bpmn, params, cases, stat_out_path=None, log_out_path=log,
               starting_at=datetime(2025, 1, 6, 7, 0, tzinfo=timezone.utc).isoformat())
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_SELF)
print(wall, r.ru_utime + r.ru_stime - cpu)
"""


def run_prosimos(model: SimulationModel, cases: int, python: str) -> dict[str, Any]:
    export = to_prosimos(model)
    with tempfile.TemporaryDirectory() as tmp:
        bpmn, params = export.write(tmp)
        log = Path(tmp) / "log.csv"
        out = subprocess.run(
            [python, "-c", PROSIMOS_RUNNER, str(bpmn), str(params), str(cases), str(log)],
            capture_output=True,
            text=True,
            check=True,
        )
        wall, cpu = (float(x) for x in out.stdout.strip().splitlines()[-1].split())
        import pandas as pd

        frame = pd.read_csv(log)
        events = len(frame)
        case = frame.columns[0]
        end = pd.to_datetime(frame["end_time"], utc=True, format="ISO8601")
        enable = pd.to_datetime(frame["enable_time"], utc=True, format="ISO8601")
        spans = end.groupby(frame[case]).max() - enable.groupby(frame[case]).min()

    return {
        **_figures(cases, events, wall, cpu, spans),
        "lost_in_export": "; ".join(export.lost) or "nothing",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--prosimos", action="store_true")
    parser.add_argument("--prosimos-python", default="/tmp/prosimos-venv/bin/python")
    parser.add_argument("--prosimos-cases", type=int, default=5_000)
    args = parser.parse_args()
    model = bench_model()
    print(json.dumps({"civicflow": run_civicflow(model, args.cases)}, indent=2))
    if args.prosimos:
        # the Prosimos form has no public holidays: compare on the calendar both can express
        same = bench_model(holidays=False)
        ours = run_civicflow(same, args.prosimos_cases)
        theirs = run_prosimos(same, args.prosimos_cases, args.prosimos_python)
        print(
            json.dumps(
                {
                    "civicflow": ours,
                    "prosimos": theirs,
                    "ratio_wall": round(theirs["wall_s"] / max(ours["wall_s"], 1e-9), 1),
                    "ratio_events_per_s": round(
                        ours["events_per_s"] / max(theirs["events_per_s"], 1), 1
                    ),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
