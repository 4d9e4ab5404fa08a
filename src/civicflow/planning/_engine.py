"""The discrete-event engine: cases arrive, move from activity to activity as the control flow
draws, and queue for the resources of each activity's pool, who work only in their calendar.

Written for speed: one heap of completions, arrivals merged from a sorted array, random numbers
drawn in bulk from numpy (seeded, so a run is reproducible), working time by bisection on a
timetable. Replications run in parallel processes; each has its own random stream spawned from
the seed, so the result does not depend on how many processes ran them.
"""

from __future__ import annotations

import heapq
import logging
import math
import multiprocessing
import os
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from civicflow.core import ConfigurationError, Location
from civicflow.eventlog import CORE_EVENT_SCHEMA, TIMESTAMP_TYPE
from civicflow.planning._checks import check_at_least, check_period
from civicflow.planning._model import END, SimulationModel
from civicflow.planning._timetable import Timetable

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: cases finished of all replications."""

_log = logging.getLogger(__name__)

_HOUR = 3600.0
_WEEK = 7 * 86_400.0
_REFILL = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    """What to simulate: ``cases`` arriving from ``start`` (or every case arriving before ``end``),
    ``replications`` times, from ``seed``."""

    cases: int | None = None
    start: datetime | None = None
    """First possible arrival; None: the model's ``start``."""
    end: datetime | None = None
    """No arrival at or after this instant (with ``cases``, whichever comes first)."""
    replications: int = 1
    seed: int = 0
    workers: int | None = None
    """Processes for the replications; None: up to the machine's cores; 1: in this process."""
    case_prefix: str = "sim"

    def __post_init__(self) -> None:
        if self.cases is None and self.end is None:
            raise ConfigurationError(
                "a simulation needs a number of cases or an end",
                where=Location(field="cases"),
                expected="cases >= 1, or end after start",
                fix="pass SimulationConfig(cases=1000) or end=...",
            )
        check_at_least(
            "SimulationConfig",
            cases=(self.cases, 1),
            replications=(self.replications, 1),
            workers=(self.workers, 1),
        )
        check_period(self.start, self.end, what="simulation")


@dataclass(frozen=True, kw_only=True)
class SimulationResult:
    """The simulated events of every replication in civicflow's canonical columns (plus
    ``replication``), one row per case in ``cases`` (``case_id``, ``replication``, ``arrival``
    and the sampled attributes), and how long it took."""

    events: pa.Table
    cases: pa.Table
    model: SimulationModel
    config: SimulationConfig
    seconds: float
    pool_busy_seconds: dict[str, list[float]] = field(default_factory=dict)
    """Working seconds each pool's resources spent on tasks, per replication."""

    @property
    def replications(self) -> int:
        return self.config.replications

    @property
    def events_per_second(self) -> float:
        return self.events.num_rows / self.seconds if self.seconds > 0 else math.inf

    def replication_events(self, replication: int = 0, *, prefix: str = "") -> pa.Table:
        """The events of one replication with the case attributes as extra columns named
        ``prefix + name`` (the shape of an ordinary dataset), without the ``replication``
        column."""
        rep = pa.compute.equal(self.events.column("replication"), replication)
        events = self.events.filter(rep).drop_columns(["replication"])
        cases = self.cases.filter(pa.compute.equal(self.cases.column("replication"), replication))
        index = pa.compute.index_in(events.column("case_id"), cases.column("case_id"))
        for name in cases.column_names:
            if name not in ("case_id", "replication"):
                label = name if name.startswith(prefix) else prefix + name
                events = events.append_column(label, cases.column(name).take(index))
        return events

    def to_pandas(self, replication: int | None = None) -> pd.DataFrame:
        """The events as a DataFrame (all replications, or one with its case attributes).

        For the ``log-distance-measures`` package: ``EventLogIDs(case="case_id",
        activity="activity", start_time="start_timestamp", end_time="timestamp",
        resource="resource")``.
        """
        table = self.events if replication is None else self.replication_events(replication)
        return table.to_pandas()

    def write_parquet(self, path: Path | str, *, replication: int = 0) -> Path:
        """One replication as a Parquet file that ``civicflow ingest`` reads as a dataset (case
        attributes as ``case:<name>`` columns, ``arrival`` among them)."""
        target = Path(path)
        table = self.replication_events(replication, prefix="case:").drop_columns(["position"])
        tmp = target.with_name(target.name + ".tmp")
        pq.write_table(table, tmp)
        tmp.replace(target)
        return target


def simulate(
    model: SimulationModel,
    config: SimulationConfig,
    *,
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Run ``config.replications`` seeded replications of ``model``."""
    began = time.perf_counter()
    start = config.start or model.start
    if start is None:
        raise ConfigurationError(
            "the simulation has no start",
            where=Location(field="start"),
            expected="SimulationConfig.start or the model's start",
            fix="pass SimulationConfig(start=datetime(..., tzinfo=UTC))",
        )
    check_period(start, config.end, what="simulation")
    seeds = np.random.SeedSequence(config.seed).spawn(config.replications)
    workers = config.workers or min(config.replications, os.cpu_count() or 1)
    workers = max(1, min(workers, config.replications))
    t0 = start.timestamp()
    t_end = None if config.end is None else config.end.timestamp()
    total = (config.cases or 0) * config.replications
    outputs: list[dict[str, Any]] = [{} for _ in range(config.replications)]
    done = 0
    if workers == 1:
        for rep, seq in enumerate(seeds):

            def inner(finished: int, _all: int, base: int = done) -> None:
                if progress is not None:
                    progress(base + finished, max(total, base + finished))

            outputs[rep] = _replicate(model, t0, t_end, config.cases, seq, inner)
            done += len(outputs[rep]["arrival"])
            if progress is not None:
                progress(done, max(total, done))
    else:
        text = model.to_json()
        finished: set[int] = set()
        try:
            # forkserver, not fork: the caller may hold threads (DuckDB, a web server, a test
            # runner) and a forked child of a threaded process can die on a lock it inherited
            with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
                futures = {
                    pool.submit(_replicate_json, text, t0, t_end, config.cases, seq): rep
                    for rep, seq in enumerate(seeds)
                }
                for future in as_completed(futures):
                    rep = futures[future]
                    outputs[rep] = future.result()
                    finished.add(rep)
                    done += len(outputs[rep]["arrival"])
                    if progress is not None:
                        progress(done, max(total, done))
        except BrokenProcessPool:
            # a worker was killed (out of memory, a signal): the seeds are fixed, so finishing the
            # missing replications here gives the same result, only slower
            _log.warning(
                "a simulation worker process died; running %d replication(s) in this process",
                config.replications - len(finished),
            )
            # fresh seed sequences: spawning children (as a replication does) advances a sequence
            fresh = np.random.SeedSequence(config.seed).spawn(config.replications)
            for rep, seq in enumerate(fresh):
                if rep in finished:
                    continue
                outputs[rep] = _replicate(model, t0, t_end, config.cases, seq, None)
                done += len(outputs[rep]["arrival"])
                if progress is not None:
                    progress(done, max(total, done))
    events, cases = _tables(model, config, outputs)
    busy = {name: [float(o["busy"][i]) for o in outputs] for i, name in enumerate(model.pools)}
    return SimulationResult(
        events=events,
        cases=cases,
        model=model,
        config=config,
        seconds=time.perf_counter() - began,
        pool_busy_seconds=busy,
    )


def _pool_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _replicate_json(
    text: str, t0: float, t_end: float | None, cases: int | None, seq: np.random.SeedSequence
) -> dict[str, Any]:
    return _replicate(SimulationModel.from_json(text), t0, t_end, cases, seq, None)


# --------------------------------------------------------------------------------------------
# one replication


class _Compiled:
    """The model as lists and arrays the hot loop indexes."""

    def __init__(self, model: SimulationModel, t0: float) -> None:
        self.model = model
        self.activities = list(model.activities)
        index = {name: i for i, name in enumerate(self.activities)}
        self.pools = list(model.pools)
        pool_index = {name: i for i, name in enumerate(self.pools)}
        acts = [model.activities[a] for a in self.activities]
        self.act_pool = [pool_index[a.pool] if a.pool is not None else -1 for a in acts]
        self.act_fixed_cost = [a.fixed_cost for a in acts]
        self.act_max = [a.max_visits or 0 for a in acts]
        self.durations = [a.duration for a in acts]
        self.pool_size = [model.pools[p].size for p in self.pools]
        self.pool_rate = [model.pools[p].cost_per_hour / _HOUR for p in self.pools]
        self.timetables: list[Timetable | None] = []
        for p in self.pools:
            cal = model.pools[p].working_calendar()
            self.timetables.append(None if cal is None else Timetable(cal, t0))
        self.resource_names: list[str] = []
        self.pool_first: list[int] = []
        for p in self.pools:
            pool = model.pools[p]
            self.pool_first.append(len(self.resource_names))
            names = list(pool.resources[: pool.size])
            names += [f"{p}-{i + 1:02d}" for i in range(len(names), pool.size)]
            self.resource_names.extend(names)
        cf = model.control_flow
        self.levels = cf.visit_levels
        cond = cf.condition_attribute
        when_values = sorted({b.when for b in cf.transitions if b.when is not None})
        self.cond_values = when_values
        cond_index = {v: i + 1 for i, v in enumerate(when_values)}
        self.cond_attribute = cond
        self.cond_index = cond_index

        def choice(to: dict[str, float]) -> tuple[list[float], list[int]]:
            targets = [(-1 if k == END else index[k]) for k in to]
            probs = np.array(list(to.values()), dtype=float)
            cum = np.cumsum(probs / probs.sum()).tolist()
            cum[-1] = 1.0 + 1e-12
            return cum, targets

        self.start = choice(cf.start)
        # route[a][v][c]: v = 0 any visit, 1..levels; c = 0 any value, 1.. the when values
        n_c = len(when_values) + 1
        rows = {(b.source, b.visit, b.when): b.to for b in cf.transitions}
        self.route: list[list[list[tuple[list[float], list[int]]]]] = []
        for name in self.activities:
            per_visit = []
            for v in range(self.levels + 1):
                visit = None if v == 0 else v
                per_cond = []
                for c in range(n_c):
                    when = None if c == 0 else when_values[c - 1]
                    to = None
                    for key in ((name, visit, when), (name, visit, None), (name, None, when)):
                        if key in rows:
                            to = rows[key]
                            break
                    per_cond.append(choice(to if to is not None else rows[(name, None, None)]))
                per_visit.append(per_cond)
            self.route.append(per_visit)


def _replicate(
    model: SimulationModel,
    t0: float,
    t_end: float | None,
    n_cases: int | None,
    seq: np.random.SeedSequence,
    progress: ProgressCallback | None,
) -> dict[str, Any]:
    comp = _Compiled(model, t0)
    arrivals_rng, attr_rng, dur_rng, route_rng = (np.random.default_rng(s) for s in seq.spawn(4))
    arrival = generate_arrivals(model, t0, t_end, n_cases, arrivals_rng)
    n = len(arrival)
    attributes = sample_case_attributes(model, n, attr_rng)
    cond = np.zeros(n, dtype=np.int64)
    if comp.cond_attribute is not None:
        values = attributes[comp.cond_attribute]
        cond = np.array([comp.cond_index.get(str(v), 0) for v in values], dtype=np.int64)
    prio: list[int] = [0] * n
    if model.priority is not None:
        order = model.priority.levels
        prio = [order.get(str(v), 0) for v in attributes[model.priority.attribute]]
    cond_l = cond.tolist()
    arrivals_l = arrival.tolist()

    route = comp.route
    levels = comp.levels
    act_pool = comp.act_pool
    act_max = comp.act_max
    n_acts = len(comp.activities)
    timetables = comp.timetables
    pool_first = comp.pool_first
    idle: list[list[int]] = [
        list(range(pool_first[p] + comp.pool_size[p] - 1, pool_first[p] - 1, -1))
        for p in range(len(comp.pools))
    ]
    queues: list[list[tuple[int, float, int, int, int, float]]] = [[] for _ in comp.pools]
    busy = [0.0] * len(comp.pools)

    # bulk random numbers: durations per activity, uniforms for routing
    dists = comp.durations
    dur_buf: list[list[float]] = [[] for _ in range(n_acts)]
    dur_pos = [0] * n_acts
    uni: list[float] = []
    upos = 0

    heap: list[tuple[float, int, int, int, int, float, float]] = []
    seq_no = 0
    ev_case: list[int] = []
    ev_act: list[int] = []
    ev_start: list[float] = []
    ev_end: list[float] = []
    ev_res: list[int] = []
    ev_work: list[float] = []
    visits: list[dict[int, int] | None] = [None] * n
    next_arrival = 0
    finished = 0
    push = heapq.heappush
    pop = heapq.heappop

    def draw_uniform() -> float:
        nonlocal uni, upos
        if upos >= len(uni):
            uni = route_rng.random(max(_REFILL, n * 4)).tolist()
            upos = 0
        u = uni[upos]
        upos += 1
        return u

    def draw_duration(a: int) -> float:
        buf = dur_buf[a]
        k = dur_pos[a]
        if k >= len(buf):
            buf = dists[a].sample(dur_rng, max(_REFILL, n // max(1, n_acts))).tolist()
            dur_buf[a] = buf
            k = 0
        dur_pos[a] = k + 1
        return buf[k]

    def next_activity(case: int, a: int) -> int:
        counts = visits[case]
        assert counts is not None
        v = counts.get(a, 0)
        row = route[a][v if v <= levels else levels][cond_l[case]]
        for _ in range(50):
            cum, targets = row
            nxt = targets[bisect_right(cum, draw_uniform())]
            if nxt < 0:
                return nxt
            limit = act_max[nxt]
            if limit == 0 or counts.get(nxt, 0) < limit:
                return nxt
        return -1

    def begin(r: int, p: int, t: float, sq: int, case: int, a: int, work: float) -> None:
        """Resource ``r`` of pool ``p`` takes the task at ``t`` (from its calendar's next opening)."""
        tt = timetables[p]
        if tt is None:
            push(heap, (t + work, sq, case, a, r, t, work))
        else:
            s, e = tt.serve(t, work)
            push(heap, (e, sq, case, a, r, s, work))

    def ready(case: int, a: int, t: float) -> None:
        nonlocal seq_no
        p = act_pool[a]
        work = draw_duration(a)
        seq_no += 1
        if p < 0:
            push(heap, (t + work, seq_no, case, a, -1, t, work))
            return
        free = idle[p]
        if free:
            begin(free.pop(), p, t, seq_no, case, a, work)
        else:
            push(queues[p], (prio[case], t, seq_no, case, a, work))

    while heap or next_arrival < n:
        if next_arrival < n and (not heap or arrivals_l[next_arrival] <= heap[0][0]):
            case = next_arrival
            next_arrival += 1
            t = arrivals_l[case]
            visits[case] = {}
            cum, targets = comp.start
            ready(case, targets[bisect_right(cum, draw_uniform())], t)
            continue
        t, _, case, a, r, s, work = pop(heap)
        ev_case.append(case)
        ev_act.append(a)
        ev_start.append(s)
        ev_end.append(t)
        ev_res.append(r)
        ev_work.append(work)
        counts = visits[case]
        assert counts is not None
        counts[a] = counts.get(a, 0) + 1
        nxt = next_activity(case, a)
        if nxt < 0:
            visits[case] = None
            finished += 1
            if progress is not None and finished % 10_000 == 0:
                progress(finished, n)
        else:
            ready(case, nxt, t)
        p = act_pool[a]
        if p >= 0:
            busy[p] += work
            q = queues[p]
            if q:
                _, _, sq, c2, a2, w2 = pop(q)
                begin(r, p, t, sq, c2, a2, w2)
            else:
                idle[p].append(r)
    if progress is not None:
        progress(n, n)
    return {
        "arrival": arrival,
        "attributes": attributes,
        "case": np.asarray(ev_case, dtype=np.int64),
        "activity": np.asarray(ev_act, dtype=np.int64),
        "start": np.asarray(ev_start, dtype=np.float64),
        "end": np.asarray(ev_end, dtype=np.float64),
        "resource": np.asarray(ev_res, dtype=np.int64),
        "work": np.asarray(ev_work, dtype=np.float64),
        "busy": busy,
    }


# --------------------------------------------------------------------------------------------
# arrivals and case attributes (vectorised)


def generate_arrivals(
    model: SimulationModel,
    t0: float,
    t_end: float | None,
    n_cases: int | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """Arrival instants (UTC seconds, sorted): gaps in operational time mapped to real time
    through the cumulative rate profile, hour by hour."""
    arr = model.arrivals
    mean_gap = max(arr.interarrival.mean, 1e-9)
    week = np.asarray(arr.hour_of_week, dtype=float)
    week = week / week.mean()
    months = np.asarray(arr.month_of_year, dtype=float)
    months = months / months.mean()
    grid0 = math.floor(t0 / _HOUR) * _HOUR
    origin = model.start.timestamp() if model.start is not None else grid0
    if n_cases is not None:
        gaps = arr.interarrival.sample(rng, n_cases)
    else:
        assert t_end is not None
        expected = int((t_end - t0) / mean_gap * 1.3) + 100
        gaps = arr.interarrival.sample(rng, expected)
    operational = np.cumsum(gaps)
    hours_needed = int(operational[-1] / _HOUR * 1.5) + 24 * 14 if len(gaps) else 24
    if t_end is not None:
        hours_needed = max(hours_needed, int((t_end - grid0) / _HOUR) + 2)
    while True:
        grid = grid0 + _HOUR * np.arange(hours_needed + 1)
        rate = _rates(grid[:-1], week, months, arr.trend_per_year, origin, model.timezone)
        cum = np.concatenate([[0.0], np.cumsum(rate * _HOUR)])
        offset = (t0 - grid0) * rate[0] if len(rate) else 0.0
        target = operational + offset
        if cum[-1] >= target[-1] or hours_needed > 24 * 366 * 200:
            break
        hours_needed *= 2
    target = target[target < cum[-1]]
    h = np.searchsorted(cum, target, side="right") - 1
    h = np.clip(h, 0, len(rate) - 1)
    t = grid[h] + (target - cum[h]) / np.maximum(rate[h], 1e-12)
    t = np.maximum(t, t0)
    if t_end is not None:
        t = t[t < t_end]
    if n_cases is not None:
        t = t[:n_cases]
    return t


def expected_arrivals(model: SimulationModel, start: datetime, end: datetime) -> float:
    """The mean number of cases the model lets arrive in ``[start, end)`` (the rate profile and
    trend integrated hour by hour; the trend counts from the model's ``start``)."""
    arr = model.arrivals
    t0, t1 = start.timestamp(), end.timestamp()
    if t1 <= t0:
        return 0.0
    week = np.asarray(arr.hour_of_week, dtype=float)
    months = np.asarray(arr.month_of_year, dtype=float)
    origin = model.start.timestamp() if model.start is not None else t0
    edges = np.arange(t0, t1, _HOUR)
    widths = np.minimum(edges + _HOUR, t1) - edges
    rate = _rates(
        edges,
        week / week.mean(),
        months / months.mean(),
        arr.trend_per_year,
        origin,
        model.timezone,
    )
    return float(np.sum(rate * widths) / max(arr.interarrival.mean, 1e-9))


def _rates(
    hours: np.ndarray,
    week: np.ndarray,
    months: np.ndarray,
    trend: float,
    origin: float,
    zone: str,
) -> np.ndarray:
    local = pd.DatetimeIndex(pd.to_datetime(hours, unit="s", utc=True)).tz_convert(zone)
    how = local.day_of_week.to_numpy() * 24 + local.hour.to_numpy()
    rate = week[how] * months[local.month.to_numpy() - 1]
    if trend:
        years = (hours - origin) / (365.25 * 86_400.0)
        rate = rate * np.power(1.0 + trend, years)
    return rate


def sample_case_attributes(
    model: SimulationModel, n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Each case attribute drawn independently as in the training data."""
    out: dict[str, np.ndarray] = {}
    for name, attr in model.case_attributes.items():
        if attr.values is not None:
            names = np.array(list(attr.values), dtype=object)
            p = np.array(list(attr.values.values()), dtype=float)
            out[name] = names[rng.choice(len(names), size=n, p=p / p.sum())]
        else:
            q = np.asarray(attr.quantiles, dtype=float)
            out[name] = np.interp(rng.random(n), np.linspace(0, 1, len(q)), q)
    return out


# --------------------------------------------------------------------------------------------
# output tables


def _tables(
    model: SimulationModel, config: SimulationConfig, outputs: Sequence[dict[str, Any]]
) -> tuple[pa.Table, pa.Table]:
    activities = np.array(list(model.activities), dtype=object)
    pools = list(model.pools)
    comp_names: list[str] = []
    pool_of_resource: list[int] = []
    for i, p in enumerate(pools):
        pool = model.pools[p]
        names = list(pool.resources[: pool.size])
        names += [f"{p}-{k + 1:02d}" for k in range(len(names), pool.size)]
        comp_names.extend(names)
        pool_of_resource.extend([i] * pool.size)
    resource_names = np.array([*comp_names, None], dtype=object)
    rate = np.array([model.pools[p].cost_per_hour / _HOUR for p in pools] + [0.0])
    res_pool = np.array([*pool_of_resource, len(pools)], dtype=np.int64)
    fixed = np.array([a.fixed_cost for a in model.activities.values()], dtype=float)
    event_tables: list[pa.Table] = []
    case_tables: list[pa.Table] = []
    position = 0
    for rep, out in enumerate(outputs):
        n = len(out["arrival"])
        width = max(6, len(str(n)))
        ids = np.array(
            [f"{config.case_prefix}-{rep + 1}-{i + 1:0{width}d}" for i in range(n)], dtype=object
        )
        case = out["case"]
        order = np.lexsort((out["end"], case))
        res = out["resource"][order]
        cost = out["work"][order] * rate[res_pool[res]] + fixed[out["activity"][order]]
        m = len(order)
        table = pa.table(
            {
                "case_id": pa.array(ids[case[order]], pa.string()),
                "activity": pa.array(activities[out["activity"][order]], pa.string()),
                "timestamp": _stamps(out["end"][order]),
                "start_timestamp": _stamps(out["start"][order]),
                "resource": pa.array(resource_names[res], pa.string()),
                "lifecycle": pa.array(np.full(m, "complete", dtype=object), pa.string()),
                "cost": pa.array(np.round(cost, 2), pa.float64()),
                "position": pa.array(np.arange(position, position + m), pa.int64()),
            },
            schema=CORE_EVENT_SCHEMA,
        )
        position += m
        event_tables.append(
            table.append_column("replication", pa.array(np.full(m, rep), pa.int64()))
        )
        cols: dict[str, Any] = {
            "case_id": pa.array(ids, pa.string()),
            "replication": pa.array(np.full(n, rep), pa.int64()),
            "arrival": _stamps(out["arrival"]),
        }
        for name, values in out["attributes"].items():
            cols[name] = pa.array(values.tolist())
        case_tables.append(pa.table(cols))
    return pa.concat_tables(event_tables), pa.concat_tables(case_tables, promote_options="default")


def _stamps(seconds: np.ndarray) -> pa.Array:
    micro = np.round(seconds * 1e6).astype("int64")
    return pa.array(micro, pa.int64()).cast(TIMESTAMP_TYPE)


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)
