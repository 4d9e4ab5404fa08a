"""Forecasting benchmark (issue 17): speed on 1,000 weekly series of 5 years with
cross-validation, and accuracy against seasonal naive on the shared logs' arrivals and the NYC
case-rate series.

    PYTHONPATH=src python bench/bench_forecast.py [--series 1000] [--jobs 2] [--skip-logs]

1. Speed: 1,000 seeded weekly series (level, trend, yearly season, noise; a tenth intermittent),
   260 weeks each, horizon 13, 2 cross-validation windows + 1 held out, ``n_jobs`` workers.
   The peer is statsforecast alone running the same candidates' cross-validation and the final
   fit of every candidate (what one would write by hand): the ratio is civicflow's time over it.
   Both run after a warm-up (numba compiles the models on first use; that cost is printed).
2. Accuracy on the shared event logs: each log ingested with civicflow's own importer, new cases
   per week for the total, horizon 8; MASE, sMAPE and 80 %/95 % coverage of the chosen model
   against seasonal naive on the held-out 8 weeks.
3. Accuracy on the NYC weekly case rates (city, 5 boroughs, 177 areas), horizon 8.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicflow.eventlog import DuckDBEngine, EventStore, ingest  # noqa: E402
from civicflow.forecasting import (  # noqa: E402
    DatasetSeriesConfig,
    ForecastConfig,
    ForecastResult,
    TableSeriesConfig,
    forecast,
    series_from_table,
    series_from_view,
)
from civicflow.mining import LogView  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
LOGS = (
    "Receipt_phase_environmental_permit_WABO.xes.gz",
    "CoSeLoG_WABO_1.xes.gz",
    "BPIC15_1.xes.gz",
    "BPIC15_2.xes.gz",
    "BPIC15_3.xes.gz",
    "Sepsis_Cases-Event_Log.xes.gz",
    "Road_Traffic_Fine_Management_Process.xes.gz",
)


def synthetic(n: int, weeks: int = 260, seed: int = 17) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    grid = pd.date_range("2019-01-07", periods=weeks, freq="W-MON")
    parts = []
    for i in range(n):
        if i % 10 == 9:
            y = np.where(rng.random(weeks) < 0.2, rng.integers(1, 5, weeks), 0).astype(float)
        else:
            level = rng.uniform(20, 200)
            season = level * rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * (t / 52 + rng.random()))
            trend = level * rng.uniform(-0.001, 0.002) * t
            y = np.maximum(0, rng.poisson(np.maximum(level + season + trend, 1)).astype(float))
        parts.append(pd.DataFrame({"series": f"s{i:04d}", "period": grid, "value": y}))
    return pd.concat(parts, ignore_index=True)


def peer(frame: pd.DataFrame, cfg: ForecastConfig) -> float:
    """statsforecast alone: the same candidates' cross-validation and final fit of each."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, CrostonOptimized, SeasonalNaive, Theta

    df = frame.rename(columns={"series": "unique_id", "period": "ds", "value": "y"})
    zeros = df.groupby("unique_id")["y"].apply(lambda v: float(np.mean(v == 0)))
    rare = set(zeros[zeros >= cfg.intermittent_share].index)
    started, cpu = time.perf_counter(), cpu_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for intermittent in (False, True):
            part = df[df["unique_id"].isin(rare) == intermittent]
            models = (
                [CrostonOptimized(), SeasonalNaive(season_length=1)]
                if intermittent
                else [AutoETS(season_length=1), Theta(season_length=52), SeasonalNaive(52)]
            )
            sf = StatsForecast(models=models, freq="W-MON", n_jobs=cfg.n_jobs)
            sf.cross_validation(
                df=part, h=cfg.horizon, n_windows=cfg.windows, step_size=cfg.horizon,
                level=list(cfg.levels) if not intermittent else None,
            )  # fmt: skip
            sf.forecast(
                df=part, h=cfg.horizon, level=list(cfg.levels) if not intermittent else None
            )
    print(f"  (peer: {time.perf_counter() - started:.1f} s wall)")
    return cpu_seconds() - cpu


def cpu_seconds() -> float:
    """CPU time of this process and its finished workers (the wall clock lies on a shared
    machine: the CPU time over the cores used is what an idle machine would take)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def show(title: str, result: ForecastResult) -> None:
    acc = result.accuracy
    assert acc is not None
    s = acc.summary
    print(
        f"\n{title}: {s['series']} series, held-out {acc.holdout} periods, {result.seconds:.1f} s"
    )
    print(f"  MASE  {s['mase']}  vs seasonal naive {s['naive_mase']}")
    print(f"  sMAPE {s['smape']}  vs seasonal naive {s['naive_smape']}")
    print(f"  coverage {s['coverage']}  vs seasonal naive {s['naive_coverage']}")
    print(f"  beats seasonal naive in {100 * s['beats_naive_share']:.0f} % of series")
    models = pd.Series([c.model for c in result.choices]).value_counts().to_dict()
    print(f"  models chosen: {models}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-logs", action="store_true")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()

    cfg = ForecastConfig(horizon=13, cv_windows=2, n_jobs=args.jobs)
    frame = synthetic(args.series)
    warm = time.perf_counter()
    forecast(series_from_table(frame[frame["series"].isin(["s0000", "s0009"])]), cfg)
    print(f"warm-up (numba compiles statsforecast's models): {time.perf_counter() - warm:.1f} s")
    started, cpu = time.perf_counter(), cpu_seconds()
    result = forecast(series_from_table(frame), cfg)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(
        f"civicflow: {args.series} weekly series x 260 weeks, horizon 13, "
        f"{cfg.windows} windows, n_jobs={args.jobs}: {seconds:.1f} s wall, {cpu:.1f} s CPU "
        f"= {cpu / args.jobs:.1f} s on {args.jobs} idle cores (target < 60 s)"
    )
    show("synthetic", result)
    if not args.skip_peer:
        p = peer(frame, cfg)
        print(f"\nstatsforecast alone (same candidates, CV + final fit of each): {p:.1f} s CPU; "
              f"ratio civicflow / statsforecast = {cpu / p:.2f} (CPU)")  # fmt: skip

    if not args.skip_logs:
        with tempfile.TemporaryDirectory() as tmp:
            ws = EventStore.create(Path(tmp) / "ws")
            for name in LOGS:
                path = SHARED / "eventlogs" / name
                if not path.exists():
                    print(f"(skipped {name}: not in ../shared/data)")
                    continue
                ds = ingest(workspace=ws, source=path, name=name.split(".")[0][:40])
                view = LogView(engine=DuckDBEngine(), dataset=ds)
                series = series_from_view(view, DatasetSeriesConfig(freq="week"))
                res = forecast(series, ForecastConfig(horizon=8, n_jobs=1, short="skip"))
                if res.skipped:
                    print(f"\n{name}: too short for 3 windows of 8 weeks")
                    continue
                show(f"{name} (weekly new cases, {len(series.values('total'))} weeks)", res)

    nyc = SHARED / "forecasting" / "nyc_caserate_by_modzcta_weekly.csv"
    if nyc.exists():
        series = series_from_table(
            nyc, TableSeriesConfig(period="week_ending", prefix="CASERATE_", gaps="interpolate")
        )
        res = forecast(series, ForecastConfig(horizon=8, n_jobs=args.jobs, nonnegative=True))
        show("NYC weekly case rates (city, boroughs, 177 areas)", res)


if __name__ == "__main__":
    main()
