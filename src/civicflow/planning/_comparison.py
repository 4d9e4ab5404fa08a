"""Compare what-if scenarios with the as-is model over replications.

Each model (the as-is and every scenario applied to it) is simulated ``replications`` times with
the same seeds (common random numbers: the arrivals and draws line up where the models agree, so a
difference is the change's, not the dice's). Per replication the outcome measures are computed
after a warm-up (the simulation starts with an empty office); each measure is reported as the mean
over the replications with a 95 % confidence interval (Student's t), and each scenario's difference
from the as-is model as the paired mean difference with its interval. This result is what the
business case reads: its fields are a stable API (docs/SIMULATION.md "For the business case").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import stats

from civicflow.core import ConfigurationError, Location
from civicflow.mining import format_duration, format_number, format_share
from civicflow.planning._checks import check_at_least, check_period
from civicflow.planning._engine import (
    ProgressCallback,
    SimulationConfig,
    SimulationResult,
    simulate,
)
from civicflow.planning._model import SimulationModel
from civicflow.planning._scenario import Scenario

COMPARISON_VERSION = 1
AS_IS = "as-is"


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparisonConfig:
    """How to compare: ``cases`` arriving from ``start`` (None: the model's start) or every
    arrival before ``end``, ``replications`` per model from ``seed``; the first ``warmup`` share
    of each replication's cases is left out of the measures; ``sla_days`` (calendar days from
    arrival to the last event) gives SLA compliance."""

    cases: int | None = 1000
    start: datetime | None = None
    end: datetime | None = None
    replications: int = 5
    seed: int = 0
    workers: int | None = None
    warmup: float = 0.1
    sla_days: float | None = None

    def __post_init__(self) -> None:
        check_at_least(
            "ComparisonConfig", cases=(self.cases, 1), replications=(self.replications, 2)
        )
        check_period(self.start, self.end, what="comparison")
        if not 0.0 <= self.warmup < 0.9:
            raise ConfigurationError(
                "the warm-up share must be at least 0 and below 0.9",
                where=Location(field="warmup"),
                found=str(self.warmup),
                expected="0 <= warmup < 0.9",
                fix="pass e.g. warmup=0.1",
            )
        if self.sla_days is not None and not self.sla_days > 0:
            raise ConfigurationError(
                "the SLA must be a positive number of days",
                where=Location(field="sla_days"),
                found=str(self.sla_days),
                expected="a number of days above 0",
                fix="pass e.g. sla_days=56",
            )

    def simulation(self) -> SimulationConfig:
        return SimulationConfig(
            cases=self.cases, start=self.start, end=self.end, replications=self.replications,
            seed=self.seed, workers=self.workers,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "replications": self.replications,
            "seed": self.seed,
            "warmup": self.warmup,
            "sla_days": self.sla_days,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """A measure over replications: the mean and its 95 % confidence interval (``low``,
    ``high``; equal to the mean when every replication agrees), and the values themselves."""

    mean: float
    low: float
    high: float
    values: list[float]

    @classmethod
    def of(
        cls, values: Sequence[float], *, lower: float | None = None, upper: float | None = None
    ) -> Estimate:
        """The mean and Student's t interval of ``values``; the interval is clipped to the
        measure's range [``lower``, ``upper``] (a share cannot pass 100 %, a time 0)."""
        vals = [float(v) for v in values if v is not None and math.isfinite(v)]
        if not vals:
            return cls(mean=math.nan, low=math.nan, high=math.nan, values=[])
        mean = statistics.fmean(vals)
        if len(vals) < 2:
            return cls(mean=mean, low=math.nan, high=math.nan, values=vals)
        t = float(stats.t.ppf(0.975, len(vals) - 1))
        half = t * statistics.stdev(vals) / math.sqrt(len(vals))
        low, high = mean - half, mean + half
        if lower is not None:
            low = max(low, lower)
        if upper is not None:
            high = min(high, upper)
        return cls(mean=mean, low=low, high=high, values=vals)

    @property
    def clear(self) -> bool:
        """True when the interval excludes 0 (for a difference: a real change)."""
        return not (self.low <= 0.0 <= self.high) and not math.isnan(self.low)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": _num(self.mean),
            "low": _num(self.low),
            "high": _num(self.high),
            "values": [_num(v) for v in self.values],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Estimate:
        def f(v: Any) -> float:
            return math.nan if v is None else float(v)

        return cls(
            mean=f(data["mean"]), low=f(data["low"]), high=f(data["high"]),
            values=[f(v) for v in data["values"]],
        )  # fmt: skip


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


@dataclass(frozen=True, kw_only=True)
class ScenarioOutcome:
    """The measures of one model over its replications. Durations in seconds; utilisation and
    SLA compliance as fractions 0..1; cost in the model's currency per case."""

    name: str
    description: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)
    cases: Estimate
    """Cases measured per replication (after the warm-up)."""
    throughput_median: Estimate
    throughput_p90: Estimate
    waiting: dict[str, Estimate]
    """Mean wait before each activity (from when it was ready to its start)."""
    backlog: Estimate
    """Work in progress: the time-average number of open cases."""
    utilisation: dict[str, Estimate]
    """Per pool: busy working time / (size × working time of its calendar)."""
    workload_hours_per_week: dict[str, Estimate]
    """Per pool: working hours spent on tasks per week of simulated time."""
    pool_sizes: dict[str, int]
    cost_per_case: Estimate
    sla_compliance: Estimate | None
    """Share of cases done within the SLA (None without ``sla_days``)."""

    def metric(self, key: str) -> Estimate | None:
        """A measure by its stable key: ``throughput_median``, ``throughput_p90``, ``backlog``,
        ``cost_per_case``, ``sla_compliance``, ``cases``, ``waiting:<activity>``,
        ``utilisation:<pool>``, ``workload:<pool>``."""
        kind, _, name = key.partition(":")
        if kind == "waiting":
            return self.waiting.get(name)
        if kind == "utilisation":
            return self.utilisation.get(name)
        if kind == "workload":
            return self.workload_hours_per_week.get(name)
        value = getattr(self, key, None) if key in _SCALARS else None
        return value if isinstance(value, Estimate) else None

    def metric_keys(self) -> list[str]:
        keys = [k for k in _SCALARS if self.metric(k) is not None]
        keys += [f"waiting:{a}" for a in self.waiting]
        keys += [f"utilisation:{p}" for p in self.utilisation]
        keys += [f"workload:{p}" for p in self.workload_hours_per_week]
        return keys

    def to_dict(self) -> dict[str, Any]:
        def group(d: Mapping[str, Estimate]) -> dict[str, Any]:
            return {k: v.to_dict() for k, v in d.items()}

        return {
            "name": self.name,
            "description": self.description,
            "changes": self.changes,
            "cases": self.cases.to_dict(),
            "throughput_median": self.throughput_median.to_dict(),
            "throughput_p90": self.throughput_p90.to_dict(),
            "waiting": group(self.waiting),
            "backlog": self.backlog.to_dict(),
            "utilisation": group(self.utilisation),
            "workload_hours_per_week": group(self.workload_hours_per_week),
            "pool_sizes": dict(self.pool_sizes),
            "cost_per_case": self.cost_per_case.to_dict(),
            "sla_compliance": None
            if self.sla_compliance is None
            else self.sla_compliance.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioOutcome:
        def group(d: Mapping[str, Any]) -> dict[str, Estimate]:
            return {k: Estimate.from_dict(v) for k, v in d.items()}

        sla = data.get("sla_compliance")
        return cls(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            changes=list(data.get("changes", [])),
            cases=Estimate.from_dict(data["cases"]),
            throughput_median=Estimate.from_dict(data["throughput_median"]),
            throughput_p90=Estimate.from_dict(data["throughput_p90"]),
            waiting=group(data["waiting"]),
            backlog=Estimate.from_dict(data["backlog"]),
            utilisation=group(data["utilisation"]),
            workload_hours_per_week=group(data["workload_hours_per_week"]),
            pool_sizes={k: int(v) for k, v in data["pool_sizes"].items()},
            cost_per_case=Estimate.from_dict(data["cost_per_case"]),
            sla_compliance=None if sla is None else Estimate.from_dict(sla),
        )


_SCALARS = (
    "throughput_median",
    "throughput_p90",
    "backlog",
    "cost_per_case",
    "sla_compliance",
    "cases",
)


@dataclass(frozen=True, kw_only=True)
class ScenarioComparison:
    """The as-is outcome, each scenario's, the paired differences and a plain-language summary.

    The stable API the business case reads (see docs/SIMULATION.md "For the business case"):
    ``as_is``, ``scenarios``, ``outcome(name)``, ``difference(name, key)``,
    ``relative_difference(name, key)``, ``summary``, ``to_dict()``/``from_dict()``."""

    model_name: str
    config: ComparisonConfig
    as_is: ScenarioOutcome
    scenarios: list[ScenarioOutcome]
    seconds: float = 0.0
    version: int = COMPARISON_VERSION

    def outcome(self, name: str) -> ScenarioOutcome:
        if name == AS_IS:
            return self.as_is
        for s in self.scenarios:
            if s.name == name:
                return s
        raise ConfigurationError(
            f"there is no scenario '{name}' in this comparison",
            where=Location(field="scenario"),
            found=name,
            expected="one of: " + ", ".join([AS_IS, *(s.name for s in self.scenarios)]),
            fix="use a scenario name of the comparison",
        )

    def difference(self, name: str, key: str) -> Estimate | None:
        """Scenario minus as-is for a measure, paired replication by replication (common
        random numbers), with its 95 % interval; None when either lacks the measure."""
        a = self.as_is.metric(key)
        b = self.outcome(name).metric(key)
        if a is None or b is None or len(a.values) != len(b.values) or not a.values:
            return None
        return Estimate.of([y - x for x, y in zip(a.values, b.values, strict=True)])

    def relative_difference(self, name: str, key: str) -> float | None:
        """(scenario − as-is) / as-is of the means; None when the as-is mean is 0 or missing."""
        a = self.as_is.metric(key)
        b = self.outcome(name).metric(key)
        if a is None or b is None or not a.mean or math.isnan(a.mean) or math.isnan(b.mean):
            return None
        return (b.mean - a.mean) / a.mean

    @property
    def summary(self) -> list[str]:
        """One plain sentence per scenario and measure that clearly changes."""
        return _summary(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "model_name": self.model_name,
            "config": self.config.to_dict(),
            "as_is": self.as_is.to_dict(),
            "scenarios": [s.to_dict() for s in self.scenarios],
            "summary": self.summary,
            "seconds": round(self.seconds, 3),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioComparison:
        if data.get("version") != COMPARISON_VERSION:
            raise ConfigurationError(
                "this scenario comparison was stored in another format",
                where=Location(field="version"),
                found=str(data.get("version")),
                expected=str(COMPARISON_VERSION),
                fix="run the comparison again",
            )
        c = data["config"]
        config = ComparisonConfig(
            cases=c.get("cases"),
            start=datetime.fromisoformat(c["start"]) if c.get("start") else None,
            end=datetime.fromisoformat(c["end"]) if c.get("end") else None,
            replications=int(c["replications"]),
            seed=int(c["seed"]),
            warmup=float(c["warmup"]),
            sla_days=c.get("sla_days"),
        )
        return cls(
            model_name=str(data["model_name"]),
            config=config,
            as_is=ScenarioOutcome.from_dict(data["as_is"]),
            scenarios=[ScenarioOutcome.from_dict(s) for s in data["scenarios"]],
            seconds=float(data.get("seconds", 0.0)),
        )


# --------------------------------------------------------------------------------------------


def compare_scenarios(
    model: SimulationModel,
    scenarios: Sequence[Scenario],
    config: ComparisonConfig | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ScenarioComparison:
    """Simulate the as-is ``model`` and each scenario applied to it with the same seeds and
    compare their outcomes (every change is checked before the first replication runs)."""
    import time

    began = time.perf_counter()
    cfg = config or ComparisonConfig()
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or AS_IS in names:
        raise ConfigurationError(
            "the scenarios of a comparison need distinct names",
            where=Location(field="scenarios"),
            found=", ".join(names),
            expected=f"distinct names, none of them '{AS_IS}'",
            fix="rename the scenarios",
        )
    models = [model] + [s.apply(model) for s in scenarios]
    sim_cfg = cfg.simulation()
    runs = len(models)
    outcomes = []
    for i, (m, scenario) in enumerate(zip(models, [None, *scenarios], strict=True)):

        def step(done: int, total: int, base: int = i) -> None:
            if progress is not None:
                progress(base * total + done, runs * total)

        result = simulate(m, sim_cfg, progress=step)
        outcomes.append(
            measure_outcome(
                result,
                name=AS_IS if scenario is None else scenario.name,
                description="" if scenario is None else scenario.description,
                changes=[]
                if scenario is None
                else [c.model_dump(mode="json", by_alias=True) for c in scenario.changes],
                warmup=cfg.warmup,
                sla_days=cfg.sla_days,
            )
        )
    return ScenarioComparison(
        model_name=model.name,
        config=cfg,
        as_is=outcomes[0],
        scenarios=outcomes[1:],
        seconds=time.perf_counter() - began,
    )


def measure_outcome(
    result: SimulationResult,
    *,
    name: str,
    description: str = "",
    changes: list[dict[str, Any]] | None = None,
    warmup: float = 0.1,
    sla_days: float | None = None,
) -> ScenarioOutcome:
    """The outcome measures of a simulation's replications (see :class:`ScenarioOutcome`)."""
    model = result.model
    per: dict[str, list[float]] = {k: [] for k in ("cases", "med", "p90", "wip", "cost", "sla")}
    waits: dict[str, list[float]] = {a: [] for a in model.activities}
    util: dict[str, list[float]] = {p: [] for p in model.pools}
    load: dict[str, list[float]] = {p: [] for p in model.pools}
    events = result.events
    cases = result.cases
    for rep in range(result.replications):
        ev = events.filter(pa.compute.equal(events.column("replication"), rep))
        cs = cases.filter(pa.compute.equal(cases.column("replication"), rep))
        m = _replication(ev, cs, warmup, sla_days)
        for k in per:
            per[k].append(m[k])
        for a in waits:
            waits[a].append(m["waits"].get(a, math.nan))
        horizon = (m["t0"], m["t1"])
        weeks = max((horizon[1] - horizon[0]) / (7 * 86_400), 1e-9)
        for p, pool in model.pools.items():
            busy = result.pool_busy_seconds.get(p, [0.0] * result.replications)[rep]
            cal = pool.working_calendar()
            if cal is None:
                available = horizon[1] - horizon[0]
            else:
                available = float(
                    cal.working_seconds_between(_stamp(horizon[0]), _stamp(horizon[1]))[0]
                )
            util[p].append(busy / (pool.size * available) if available > 0 else math.nan)
            load[p].append(busy / 3600 / weeks)

    def positive(values: Sequence[float]) -> Estimate:
        return Estimate.of(values, lower=0.0)

    def share(values: Sequence[float]) -> Estimate:
        return Estimate.of(values, lower=0.0, upper=1.0)

    return ScenarioOutcome(
        name=name,
        description=description,
        changes=changes or [],
        cases=positive(per["cases"]),
        throughput_median=positive(per["med"]),
        throughput_p90=positive(per["p90"]),
        waiting={a: positive(v) for a, v in waits.items() if any(math.isfinite(x) for x in v)},
        backlog=positive(per["wip"]),
        utilisation={p: share(v) for p, v in util.items()},
        workload_hours_per_week={p: positive(v) for p, v in load.items()},
        pool_sizes={p: pool.size for p, pool in model.pools.items()},
        cost_per_case=positive(per["cost"]),
        sla_compliance=None if sla_days is None else share(per["sla"]),
    )


def _stamp(seconds: float) -> list[Any]:
    import pandas as pd

    return [pd.Timestamp(seconds, unit="s", tz="UTC")]


def _seconds(column: Any) -> np.ndarray:
    return np.asarray(column.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=float) / 1e6


def _replication(
    ev: pa.Table, cs: pa.Table, warmup: float, sla_days: float | None
) -> dict[str, Any]:
    import pandas as pd

    arrival = pd.Series(_seconds(cs.column("arrival")), index=cs.column("case_id").to_pylist())
    frame = pd.DataFrame(
        {
            "case": ev.column("case_id").to_pylist(),
            "activity": ev.column("activity").to_pylist(),
            "start": _seconds(ev.column("start_timestamp")),
            "end": _seconds(ev.column("timestamp")),
            "cost": np.nan_to_num(
                np.asarray(ev.column("cost").to_numpy(zero_copy_only=False), dtype=float)
            ),
        }
    )
    frame = frame.sort_values(["case", "end", "start"], kind="stable")
    # ready: the previous event's end in the case, or the arrival for the first
    prev = frame.groupby("case", sort=False)["end"].shift()
    ready = prev.fillna(frame["case"].map(arrival))
    frame["wait"] = (frame["start"] - ready).clip(lower=0.0)
    ends = frame.groupby("case", sort=False)["end"].max()
    order = arrival.sort_values()
    skip = int(len(order) * warmup)
    kept = order.index[skip:]
    kept = kept[kept.isin(ends.index)]
    if len(kept) == 0:
        raise ConfigurationError(
            "no cases left to measure after the warm-up",
            where=Location(field="warmup"),
            found=f"{len(order)} cases, {skip} of them warm-up",
            expected="more cases than the warm-up leaves out",
            fix="simulate more cases or lower the warm-up share",
        )
    tp = (ends[kept] - arrival[kept]).to_numpy()
    sub = frame[frame["case"].isin(set(kept))]
    waits = sub.groupby("activity", sort=False)["wait"].mean().to_dict()
    cost = sub.groupby("case", sort=False)["cost"].sum()
    # backlog: open cases averaged over the window from the first measured arrival to the last
    t0 = float(arrival[kept].min())
    t1 = float(arrival[kept].max())
    if t1 <= t0:
        wip = math.nan
    else:
        a = arrival.to_numpy()
        e = ends.reindex(arrival.index).fillna(np.inf).to_numpy()
        overlap = np.clip(np.minimum(e, t1) - np.maximum(a, t0), 0.0, None)
        wip = float(overlap.sum() / (t1 - t0))
    horizon0 = float(arrival.min())
    horizon1 = float(frame["end"].max()) if len(frame) else horizon0
    return {
        "cases": float(len(kept)),
        "med": float(np.median(tp)),
        "p90": float(np.quantile(tp, 0.9)),
        "wip": wip,
        "cost": float(cost.reindex(kept).fillna(0.0).mean()),
        "sla": float(np.mean(tp <= sla_days * 86_400)) if sla_days is not None else math.nan,
        "waits": {str(k): float(v) for k, v in waits.items()},
        "t0": horizon0,
        "t1": horizon1,
    }


# --------------------------------------------------------------------------------------------
# the plain-language summary

_LABELS: dict[str, tuple[str, str]] = {
    "throughput_median": ("the median throughput time", "duration"),
    "throughput_p90": ("the 90th-percentile throughput time", "duration"),
    "backlog": ("the backlog (open cases on average)", "number"),
    "cost_per_case": ("the cost per case", "number"),
    "sla_compliance": ("SLA compliance", "share"),
}


def _fmt(value: float, kind: str) -> str:
    if kind == "duration":
        return format_duration(value)
    if kind == "share":
        return format_share(value)
    return format_number(round(value, 2))


def _summary(cmp: ScenarioComparison) -> list[str]:
    lines = []
    for s in cmp.scenarios:
        parts = []
        keys: list[tuple[str, str, str]] = [(k, *_LABELS[k]) for k in _LABELS]
        keys += [(f"utilisation:{p}", f"the utilisation of {p}", "share") for p in s.utilisation]
        for key, label, kind in keys:
            diff = cmp.difference(s.name, key)
            a = cmp.as_is.metric(key)
            b = s.metric(key)
            if diff is None or a is None or b is None or not diff.clear:
                continue
            verb = "rises" if diff.mean > 0 else "falls"
            lo, hi = sorted((abs(diff.low), abs(diff.high)))
            by = (
                f"{100 * lo:.1f} to {100 * hi:.1f} percentage points"
                if kind == "share"
                else f"{_fmt(lo, kind)} to {_fmt(hi, kind)}"
            )
            parts.append(
                f"{label} {verb} from {_fmt(a.mean, kind)} to {_fmt(b.mean, kind)} "
                f"(by {by}, 95 % confidence)"
            )
        if parts:
            lines.append(f"With '{s.name}', " + "; ".join(parts) + ".")
        else:
            lines.append(
                f"'{s.name}' makes no difference the {cmp.config.replications} replications "
                "can tell apart from chance on throughput time, backlog, cost, SLA or utilisation."
            )
    return lines
