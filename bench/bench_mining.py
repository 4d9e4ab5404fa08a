"""Mining benchmark: civicflow vs PM4Py on a large log built by replicating a real one.

The Road Traffic Fine log (561,470 events) is replicated ``--scale`` times with renamed case ids
(×18 ≈ 10.1 million events) into Parquet, ingested as a civicflow dataset, and handed to PM4Py as its
formatted pandas DataFrame built from the very same sorted events. Each side runs in its own
subprocess so its peak RSS (``ru_maxrss``) is its own:

- civicflow: ``process_map`` (DFG with performance), ``variants``, ``throughput_times`` on DuckDB,
  over the dataset's derived files (``ensure_derived``: timed in the setup step, as ingest through
  the app layer pays it once per dataset);
- PM4Py: ``discover_performance_dfg``, ``get_variants``, ``get_all_case_durations`` on the DataFrame.

Usage (from the project root)::

    python bench/bench_mining.py --scale 18                     # both sides, prints ratios
    python bench/bench_mining.py --scale 180 --civicflow-only   # ~100M events, civicflow alone

Results go to docs/benchmarks.md "## Analyses". Speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_LOG = (
    ROOT.parent / "shared" / "data" / "eventlogs" / "Road_Traffic_Fine_Management_Process.xes.gz"
)
BASE = "road_traffic"


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    # user + system time of every thread of this process: on a shared, overloaded machine the
    # wall clock mostly measures the other tenants; CPU seconds measure the work
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Clock:
    def __init__(self, out: dict[str, Any], key: str) -> None:
        self.out, self.key = out, key

    def __enter__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), _cpu()

    def __exit__(self, *exc: object) -> None:
        self.out[f"{self.key}_seconds"] = time.perf_counter() - self.wall
        self.out[f"{self.key}_cpu_seconds"] = _cpu() - self.cpu


def setup(workdir: Path, scale: int) -> dict[str, Any]:
    """Ingest the real log once, replicate it ``scale`` times into Parquet, ingest that."""
    import duckdb

    from civicflow.eventlog import EventStore, IngestOptions, ingest

    ws = EventStore.create(workdir / "ws")
    info: dict[str, Any] = {}
    if BASE not in ws.dataset_names():
        if not SHARED_LOG.exists():
            sys.exit(f"the shared log is missing: {SHARED_LOG}")
        t = time.perf_counter()
        ingest(workspace=ws, source=SHARED_LOG, name=BASE)
        info["xes_ingest_seconds"] = time.perf_counter() - t
    base = ws.dataset(BASE)
    name = f"{BASE}_x{scale}"
    if name not in ws.dataset_names():
        parquet = workdir / f"{name}.parquet"
        con = duckdb.connect()
        con.execute(f"SET temp_directory = '{workdir / 'duckdb-tmp'}'")
        n = base.manifest.events
        t = time.perf_counter()
        con.execute(
            f"""COPY (
                SELECT case_id || '#' || k AS case_id, activity, timestamp, resource,
                       position + k * {n} AS position
                FROM read_parquet('{base.events_path}'), range({scale}) r(k)
            ) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"""
        )
        con.close()
        info["replicate_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        ingest(
            workspace=ws,
            source=parquet,
            name=name,
            options=IngestOptions(format="parquet"),
        )
        info["parquet_ingest_seconds"] = time.perf_counter() - t
        info["parquet_ingest_events_per_second"] = n * scale / info["parquet_ingest_seconds"]
        parquet.unlink()
    ds = ws.dataset(name)
    # what ingest through the app layer (store_dataset) pays once per dataset
    from civicflow.mining import ensure_derived

    t, cpu = time.perf_counter(), _cpu()
    ensure_derived(ds)
    info["derive_seconds"] = time.perf_counter() - t
    info["derive_cpu_seconds"] = _cpu() - cpu
    info.update(dataset=name, events=ds.manifest.events, cases=ds.manifest.cases)
    return info


def run_civicflow(
    workdir: Path, name: str, memory_limit: str, include_cases: bool
) -> dict[str, Any]:
    from civicflow.eventlog import DuckDBEngine, EventStore
    from civicflow.mining import LogView, process_map, throughput_times, variants

    ws = EventStore.open(workdir / "ws")
    engine = DuckDBEngine(memory_limit=memory_limit)
    engine.connection.raw_sql(f"SET temp_directory = '{workdir / 'duckdb-tmp'}'")
    view = LogView(engine=engine, dataset=ws.dataset(name))
    out: dict[str, Any] = {}
    with _Clock(out, "dfg_performance"):
        pm = process_map(view)
    out["edges"] = len(pm.edges)
    with _Clock(out, "variants"):
        v = variants(view, top=None)
    out["variants"] = v.total_variants
    with _Clock(out, "throughput"):
        tt = throughput_times(view, include_cases=include_cases)
    out["cases"] = tt.summary.count
    out["peak_rss_mib"] = _peak_rss_mib()
    return out


def run_pm4py(workdir: Path, name: str) -> dict[str, Any]:
    warnings.filterwarnings("ignore")
    import pandas as pd
    import pm4py

    from civicflow.eventlog import EventStore

    ds = EventStore.open(workdir / "ws").dataset(name)
    out: dict[str, Any] = {}
    t = time.perf_counter()
    df = pd.read_parquet(ds.events_path, columns=["case_id", "activity", "timestamp"])
    df = df.rename(
        columns={
            "case_id": "case:concept:name",
            "activity": "concept:name",
            "timestamp": "time:timestamp",
        }
    )
    df = pm4py.format_dataframe(df)
    out["prepare_seconds"] = time.perf_counter() - t
    with _Clock(out, "dfg_performance"):
        perf, _, _ = pm4py.discover_performance_dfg(df)
    out["edges"] = len(perf)
    with _Clock(out, "variants"):
        v = pm4py.get_variants(df)
    out["variants"] = len(v)
    with _Clock(out, "throughput"):
        durations = pm4py.get_all_case_durations(df)
    out["cases"] = len(durations)
    out["peak_rss_mib"] = _peak_rss_mib()
    return out


def _in_subprocess(args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--scale", type=int, default=18, help="copies of the Road Traffic log (18 ≈ 10M events)"
    )
    p.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "civicflow-bench-mining"
    )
    p.add_argument("--memory-limit", default="12GB", help="DuckDB memory_limit for civicflow")
    p.add_argument("--civicflow-only", action="store_true", help="skip PM4Py (for the 100M run)")
    p.add_argument("--no-cases", action="store_true", help="do not fetch per-case throughput rows")
    p.add_argument("--side", choices=["setup", "civicflow", "pm4py"], help=argparse.SUPPRESS)
    p.add_argument("--dataset", help=argparse.SUPPRESS)
    a = p.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    if a.side == "setup":
        t = time.perf_counter()
        info = setup(a.workdir, a.scale)
        info["setup_seconds"] = time.perf_counter() - t
        print(json.dumps(info))
        return
    if a.side == "civicflow":
        print(json.dumps(run_civicflow(a.workdir, a.dataset, a.memory_limit, not a.no_cases)))
        return
    if a.side == "pm4py":
        print(json.dumps(run_pm4py(a.workdir, a.dataset)))
        return

    # every step in its own process: Linux keeps ru_maxrss across fork+exec, so a child of a big
    # parent would report the parent's peak
    info = _in_subprocess(["--workdir", str(a.workdir), "--scale", str(a.scale), "--side", "setup"])
    print(f"dataset {info['dataset']}: {info['events']:,} events, {info['cases']:,} cases")
    for k in (
        "xes_ingest_seconds",
        "replicate_seconds",
        "parquet_ingest_seconds",
        "derive_seconds",
        "derive_cpu_seconds",
    ):
        if k in info:
            print(f"  {k}: {info[k]:.1f}")
    if "parquet_ingest_events_per_second" in info:
        print(f"  parquet ingest: {info['parquet_ingest_events_per_second']:,.0f} events/s")
    common = [
        "--workdir",
        str(a.workdir),
        "--dataset",
        info["dataset"],
        "--memory-limit",
        a.memory_limit,
    ]
    ours = _in_subprocess([*common, "--side", "civicflow", *(["--no-cases"] if a.no_cases else [])])
    results: dict[str, Any] = {"setup": info, "civicflow": ours}
    theirs = None if a.civicflow_only else _in_subprocess([*common, "--side", "pm4py"])
    if theirs is not None:
        results["pm4py"] = theirs
    rows = [
        ("DFG with performance", "dfg_performance_seconds"),
        ("variants", "variants_seconds"),
        ("throughput times", "throughput_seconds"),
    ]
    print(
        f"\n{'analysis':<22}{'civicflow s (cpu)':>20}"
        + (f"{'PM4Py s (cpu)':>18}{'speed-up wall / cpu':>22}" if theirs else "")
    )
    for label, key in rows:
        cpu = key.replace("_seconds", "_cpu_seconds")
        line = f"{label:<22}{ours[key]:>12.2f} ({ours[cpu]:>5.1f})"
        if theirs:
            line += f"{theirs[key]:>10.2f} ({theirs[cpu]:>5.1f})"
            line += f"{theirs[key] / ours[key]:>12.1f}× / {theirs[cpu] / ours[cpu]:.1f}×"
        print(line)
    print(f"{'peak RSS (MiB)':<22}{ours['peak_rss_mib']:>12.0f}", end="")
    if theirs:
        ratio = ours["peak_rss_mib"] / theirs["peak_rss_mib"]
        print(f"{theirs['peak_rss_mib']:>10.0f}{ratio:>9.2f}× (civicflow / PM4Py)")
        assert ours["edges"] == theirs["edges"] and ours["variants"] == theirs["variants"]
        assert ours["cases"] == theirs["cases"]
    else:
        print()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
