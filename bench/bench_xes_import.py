"""Ingest throughput: civicflow's XES import against ``pm4py.read_xes`` on the same file in the same
run, then Parquet and CSV ingest of a generated multi-million-event log.

    python bench/bench_xes_import.py                       # Road Traffic Fine log, 5M-event Parquet
    python bench/bench_xes_import.py --events 10000000 --skip-pm4py --repeat 1

The generated log replicates the cases of the real log (case ids suffixed ``#k``, timestamps
unchanged), so its shape is a real one. Times are wall-clock, end to end into the store (parse,
map, check, sort, write, fingerprint).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from civicflow.eventlog import EventStore, IngestOptions, ingest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LOG = (
    ROOT.parent / "shared" / "data" / "eventlogs" / "Road_Traffic_Fine_Management_Process.xes.gz"
)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the XES parse workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn):  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), _cpu()
    result = fn()
    wall = time.perf_counter() - start
    print(f"      (CPU {_cpu() - cpu:.2f} s, load average {os.getloadavg()[0]:.2f})")
    return result, wall


def replicate(events: Path, target: int, out: Path) -> int:
    """A Parquet log of about ``target`` events: copies of the real cases with new case ids."""
    base = pq.read_table(
        events, columns=["case_id", "activity", "timestamp", "resource", "lifecycle", "position"]
    )
    copies = max(1, round(target / base.num_rows))
    base = base.drop(["position"])
    schema = pa.schema([f.with_nullable(True) for f in base.schema])
    writer = pq.ParquetWriter(out, schema)
    n = 0
    for k in range(copies):
        case_ids = pc.binary_join_element_wise(base["case_id"], pa.scalar(f"#{k}"), "")
        part = base.set_column(0, "case_id", case_ids).cast(schema)
        writer.write_table(part, row_group_size=1_000_000)
        n += part.num_rows
    writer.close()
    return n


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument(
        "--events", type=int, default=5_000_000, help="size of the generated Parquet log"
    )
    parser.add_argument(
        "--csv-events", type=int, default=2_000_000, help="size of the generated CSV log"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="civicflow runs per format (each into a new dataset)"
    )
    parser.add_argument("--skip-pm4py", action="store_true")
    args = parser.parse_args()

    # Both sides are timed without their imports: `import pm4py` (outside its timing) loads
    # pandas, which pyarrow otherwise loads lazily inside civicflow's first run.
    import pandas  # noqa: F401

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tmp = Path(tempfile.mkdtemp(prefix="civicflow-bench-"))
    try:
        ws = EventStore.create(tmp / "ws")
        times = []
        for k in range(args.repeat):
            ds, t_cf = _timed(lambda k=k: ingest(workspace=ws, source=args.log, name=f"xes{k}"))
            n = ds.manifest.events
            times.append(t_cf)
            print(f"XES   civicflow  {n:>10,} events  {t_cf:7.2f} s  {n / t_cf:>12,.0f} events/s")
        t_cf = _median(times)
        if not args.skip_pm4py:
            import pm4py

            df, t_pm = _timed(lambda: pm4py.read_xes(str(args.log), show_progress_bar=False))
            assert len(df) == n, (len(df), n)
            print(
                f"XES   pm4py      {len(df):>10,} events  {t_pm:7.2f} s  {len(df) / t_pm:>12,.0f} events/s"
            )
            print(
                f"XES   ratio      civicflow (median of {args.repeat}, {t_cf:.2f} s) is "
                f"{t_pm / t_cf:.1f}x faster than pm4py.read_xes (best run {t_pm / min(times):.1f}x, "
                f"worst {t_pm / max(times):.1f}x)"
            )
            del df

        real_events = ds.events_path
        big = tmp / "big.parquet"
        rows = replicate(real_events, args.events, big)
        times = []
        for k in range(args.repeat):
            ds, t = _timed(lambda k=k: ingest(workspace=ws, source=big, name=f"parquet{k}"))
            assert ds.manifest.events == rows
            times.append(t)
            print(f"PARQ  civicflow  {rows:>10,} events  {t:7.2f} s  {rows / t:>12,.0f} events/s")
            ws.delete_dataset(f"parquet{k}")
        print(f"PARQ  median     {rows / _median(times):>12,.0f} events/s")
        big.unlink()

        small = tmp / "big.csv"
        rows_csv = replicate(real_events, args.csv_events, tmp / "csv.parquet")
        pacsv.write_csv(pq.read_table(tmp / "csv.parquet"), small)
        (tmp / "csv.parquet").unlink()
        size = small.stat().st_size / 1e6
        times = []
        for k in range(args.repeat):
            ds, t = _timed(
                lambda k=k: ingest(
                    workspace=ws, source=small, name=f"csv{k}", options=IngestOptions()
                )
            )
            assert ds.manifest.events == rows_csv
            times.append(t)
            print(
                f"CSV   civicflow  {rows_csv:>10,} events  {t:7.2f} s  {rows_csv / t:>12,.0f} events/s ({size:,.0f} MB)"
            )
            ws.delete_dataset(f"csv{k}")
        print(f"CSV   median     {rows_csv / _median(times):>12,.0f} events/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
