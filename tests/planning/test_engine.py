"""The engine against queueing theory (Erlang C), its calendars, priorities and reproducibility,
and its output as an ordinary civicflow dataset."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow.compute as pc
import pytest
from sim_models import flow_model, single_queue

from civicflow.eventlog import DuckDBEngine, EventStore, ingest
from civicflow.mining import LogView, WorkingCalendar, compute_kpis
from civicflow.planning import (
    ActivityModel,
    CaseAttribute,
    Distribution,
    Priority,
    SimulationConfig,
    SimulationModel,
    SimulationResult,
    simulate,
)


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean waiting time in the queue of an M/M/c system (Erlang C), computed from scratch."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    below = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (below + top)
    return p_wait / (c * mu - lam)


def waits(result: SimulationResult, replication: int) -> np.ndarray:
    """Waiting before the first activity, in arrival order (one activity per case)."""
    events = result.events.filter(pc.equal(result.events.column("replication"), replication))
    cases = result.cases.filter(pc.equal(result.cases.column("replication"), replication))
    first = events.group_by("case_id").aggregate([("start_timestamp", "min")])
    joined = cases.join(first, "case_id").sort_by("arrival")
    start = joined.column("start_timestamp_min").to_numpy().astype("int64")
    arrival = joined.column("arrival").to_numpy().astype("int64")
    return (start - arrival) / 1e6


def test_mmc_reproduces_erlang_c_waiting_time_within_its_confidence_interval() -> None:
    lam, mu, c = 1 / 250.0, 1 / 600.0, 3  # utilisation 0.8
    model = single_queue(mean_gap=1 / lam, mean_service=1 / mu, servers=c)
    reps, warmup = 10, 5000
    result = simulate(model, SimulationConfig(cases=60_000, replications=reps, seed=11, workers=1))
    means = np.array([waits(result, r)[warmup:].mean() for r in range(reps)])
    expected = erlang_c_wait(lam, mu, c)  # 647.19 s
    half = 2.262 * means.std(ddof=1) / math.sqrt(reps)  # t(0.975, 9): a 95 % interval
    assert abs(means.mean() - expected) <= half, (means.mean(), half, expected)
    # and the interval is tight enough to mean something: within 10 % of the theory
    assert half < 0.1 * expected


def test_mm1_utilisation_and_queue_length_match_theory() -> None:
    lam, mu = 1 / 100.0, 1 / 70.0
    model = single_queue(mean_gap=100.0, mean_service=70.0, servers=1)
    result = simulate(model, SimulationConfig(cases=40_000, seed=3, workers=1))
    w = waits(result, 0)[2000:]
    rho = lam / mu
    assert w.mean() == pytest.approx(rho / (mu - lam), rel=0.12)  # 163.3 s
    # the probability of not waiting at all is 1 - rho
    assert np.mean(w <= 1e-6) == pytest.approx(1 - rho, abs=0.02)


def test_replications_are_reproducible_and_independent_of_the_number_of_workers() -> None:
    model = single_queue(mean_gap=300.0, mean_service=500.0, servers=2)
    one = simulate(model, SimulationConfig(cases=500, replications=2, seed=5, workers=1))
    two = simulate(model, SimulationConfig(cases=500, replications=2, seed=5, workers=2))
    assert one.events.equals(two.events)
    assert one.cases.equals(two.cases)
    other = simulate(model, SimulationConfig(cases=500, replications=2, seed=6, workers=1))
    assert not one.events.equals(other.events)
    r0 = one.events.filter(pc.equal(one.events.column("replication"), 0))
    r1 = one.events.filter(pc.equal(one.events.column("replication"), 1))
    assert r0.column("timestamp").to_pylist() != r1.column("timestamp").to_pylist()


def test_a_dead_worker_process_costs_time_not_the_result(monkeypatch, caplog) -> None:
    """A worker killed mid-run (out of memory, a signal) breaks the pool: the missing replications
    are finished in this process from the same seeds, so the result is the one a clean run gives."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    import civicflow.planning._engine as engine

    class DyingPool:
        """Runs the first replication, then behaves as a pool whose worker was killed."""

        def __init__(self, **_: object) -> None:
            self.submitted = 0

        def __enter__(self) -> DyingPool:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            future: Future[object] = Future()
            if self.submitted == 0:
                future.set_result(fn(*args))
            else:
                future.set_exception(BrokenProcessPool("a worker was terminated abruptly"))
            self.submitted += 1
            return future

    model = single_queue(mean_gap=300.0, mean_service=500.0, servers=2)
    clean = simulate(model, SimulationConfig(cases=400, replications=3, seed=8, workers=1))
    monkeypatch.setattr(engine, "ProcessPoolExecutor", DyingPool)
    with caplog.at_level("WARNING", logger="civicflow.planning._engine"):
        survived = simulate(model, SimulationConfig(cases=400, replications=3, seed=8, workers=2))
    assert survived.events.equals(clean.events)
    assert survived.cases.equals(clean.cases)
    assert "replication(s) in this process" in caplog.text


def test_work_happens_only_within_the_calendar() -> None:
    calendar = WorkingCalendar.office_hours(
        start="09:00", end="17:00", timezone="Europe/Amsterdam", country="NL"
    )
    model = single_queue(
        mean_gap=1800.0, mean_service=3600.0, servers=2, calendar=calendar.to_dict()
    )
    result = simulate(model, SimulationConfig(cases=3000, seed=2, workers=1))
    ev = result.events.to_pandas()
    local_start = ev["start_timestamp"].dt.tz_convert("Europe/Amsterdam")
    local_end = ev["timestamp"].dt.tz_convert("Europe/Amsterdam")
    assert (local_start.dt.day_of_week < 5).all()
    seconds = local_start.dt.hour * 3600 + local_start.dt.minute * 60 + local_start.dt.second
    assert ((seconds >= 9 * 3600) & (seconds < 17 * 3600)).all()
    end_s = local_end.dt.hour * 3600 + local_end.dt.minute * 60 + local_end.dt.second
    assert ((end_s > 9 * 3600) & (end_s <= 17 * 3600)).all()
    holidays = calendar.holiday_dates(2025, 2026)
    assert not set(local_start.dt.date) & holidays
    # a task that spans the night resumes the next working morning: its working time is its draw
    worked = calendar.working_seconds_between(ev["start_timestamp"], ev["timestamp"])
    elapsed = (ev["timestamp"] - ev["start_timestamp"]).dt.total_seconds().to_numpy()
    assert (worked <= elapsed + 1e-3).all()
    assert (elapsed > worked + 3600).any()  # some did wait overnight
    # no more than two tasks at once (two servers)
    starts = ev["start_timestamp"].astype("int64").to_numpy()
    ends = ev["timestamp"].astype("int64").to_numpy()
    points = np.concatenate(
        [np.stack([starts, np.ones_like(starts)], 1), np.stack([ends, -np.ones_like(ends)], 1)]
    )
    points = points[np.lexsort((points[:, 1], points[:, 0]))]
    assert np.cumsum(points[:, 1]).max() == 2


def test_priorities_let_urgent_cases_jump_the_queue() -> None:
    base = single_queue(mean_gap=100.0, mean_service=95.0, servers=1)
    model = base.model_copy(
        update={
            "case_attributes": {"urgency": CaseAttribute(values={"high": 0.2, "normal": 0.8})},
            "priority": Priority(attribute="urgency", levels={"high": 0, "normal": 1}),
        }
    )
    model = SimulationModel.from_dict(model.to_dict())
    result = simulate(model, SimulationConfig(cases=8000, seed=4, workers=1))
    w = waits(result, 0)
    urgency = result.cases.sort_by("arrival").column("urgency").to_numpy(zero_copy_only=False)
    assert w[urgency == "high"].mean() < 0.2 * w[urgency == "normal"].mean()
    # FIFO without the priority: the same arrival stream waits about equally in both groups
    fifo = simulate(
        base.model_copy(update={"case_attributes": model.case_attributes}),
        SimulationConfig(cases=8000, seed=4, workers=1),
    )
    wf = waits(fifo, 0)
    u2 = fifo.cases.sort_by("arrival").column("urgency").to_numpy(zero_copy_only=False)
    assert wf[u2 == "high"].mean() == pytest.approx(wf[u2 == "normal"].mean(), rel=0.35)


def test_loops_and_branches_follow_their_probabilities() -> None:
    model = flow_model(
        {"a": {"b": 0.7, "c": 0.3}, "b": {"a": 0.25, "END": 0.75}, "c": {"END": 1.0}},
        mean_gap=600.0,
        durations={a: Distribution.fixed(10) for a in "abc"},
    )
    result = simulate(model, SimulationConfig(cases=20_000, seed=9, workers=1))
    ev = result.events.to_pandas()
    counts = ev["activity"].value_counts()
    # visits of a: geometric with the loop probability 0.7 * 0.25
    assert counts["a"] / 20_000 == pytest.approx(1 / (1 - 0.175), rel=0.02)
    assert counts["b"] / counts["a"] == pytest.approx(0.7, abs=0.01)
    # max_visits = 1 removes the loop
    once = model.model_copy(
        update={
            "activities": {
                **model.activities,
                "a": ActivityModel(duration=Distribution.fixed(10), max_visits=1),
            }
        }
    )
    ev1 = simulate(once, SimulationConfig(cases=5000, seed=9, workers=1)).events.to_pandas()
    assert ev1.groupby("case_id")["activity"].apply(lambda s: (s == "a").sum()).max() == 1


def test_progress_is_reported_up_to_the_total() -> None:
    model = single_queue(mean_gap=300.0, mean_service=200.0, servers=1)
    seen: list[tuple[int, int]] = []
    simulate(
        model,
        SimulationConfig(cases=25_000, replications=2, seed=1, workers=1),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (50_000, 50_000)
    assert len(seen) > 3
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(seen))


def test_the_simulated_log_is_an_ordinary_dataset(tmp_path) -> None:
    calendar = WorkingCalendar.office_hours(timezone="UTC")
    model = single_queue(
        mean_gap=1200.0, mean_service=900.0, servers=2, calendar=calendar.to_dict()
    )
    model = model.model_copy(
        update={
            "case_attributes": {"channel": CaseAttribute(values={"online": 0.6, "counter": 0.4})},
            "pools": {"servers": model.pools["servers"].model_copy(update={"cost_per_hour": 60.0})},
        }
    )
    result = simulate(model, SimulationConfig(cases=400, seed=1, workers=1))
    path = result.write_parquet(tmp_path / "sim.parquet")
    ws = EventStore.create(tmp_path / "ws")
    # the importer recognises the canonical columns and the case: attributes by their names
    ds = ingest(workspace=ws, source=path, name="sim")
    assert ds.manifest.events == 400
    assert ds.manifest.cases == 400
    view = LogView(engine=DuckDBEngine(), dataset=ds)
    kpis = {k.name: k.value for k in compute_kpis(view).values}
    assert kpis["case_count"] == 400
    assert kpis["cost_per_case"] == pytest.approx(
        float(np.sum(result.events.column("cost").to_numpy())) / 400, rel=1e-9
    )
    ev = result.events.to_pandas()
    spans = (ev["timestamp"] - result.cases.to_pandas()["arrival"].iloc[0]).dt.total_seconds()
    assert spans.min() > 0
    # cost = working hours x 60 per hour
    hours = calendar.working_seconds_between(ev["start_timestamp"], ev["timestamp"]) / 3600
    assert np.allclose(ev["cost"], np.round(hours * 60, 2), atol=0.02)
    cases = view.execute(view.cases)
    # case attributes arrive as the importer names them (the XES convention, case:<name>)
    assert set(cases["case:channel"]) == {"online", "counter"}
