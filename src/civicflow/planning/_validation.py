"""Validate a simulation model on held-out data before anyone acts on it.

The last part of the log (by time) is held out; a model is discovered on the rest (or a given model
is used), the held-out period is simulated (arrivals in that period, ``replications`` times) and
compared with what really happened, with the measures Simod uses, computed by the
``log-distance-measures`` package (never re-implemented here): control-flow log distance, 3-gram
distance, and earth-mover's distances on absolute timestamps, the circadian pattern, case arrivals
and cycle times. A naive reference — the cases of the training period's last stretch replayed,
shifted into the held-out period — gets the same measures: a model that cannot beat the past
replayed is not worth its parameters. The verdict rules are in docs/SIMULATION.md ("Validation").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.eventlog import ACTIVITY, CASE_ID, POSITION, RESOURCE, START_TIMESTAMP, TIMESTAMP
from civicflow.mining import LogView
from civicflow.planning._checks import check_at_least
from civicflow.planning._discover import DiscoveryConfig, _prepare, discover_model
from civicflow.planning._engine import ProgressCallback, SimulationConfig, simulate
from civicflow.planning._model import SimulationModel

Trust = Literal["trusted", "use with care", "not trusted"]

NAIVE_TOLERANCE = 1.10
"""A model "beats" the naive reference on a measure when its distance is at most this times the
reference's."""
RELATIVE_TOLERANCE = 0.20
"""A key figure (cases, events per case, events, mean cycle time) is "close" within this
relative error of the real one."""

_EPOCH = pd.Timestamp(0, tz="UTC")
_CFLD_LABELS = 100  # string.printable, the alphabet of log-distance-measures' CFLD
_COLUMNS = [CASE_ID, ACTIVITY, TIMESTAMP, START_TIMESTAMP, RESOURCE, POSITION]


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationConfig:
    """How to validate: hold out the last ``holdout`` share of the log's time span (or everything
    from ``split`` on), discover on the rest with ``discovery`` (its ``start``/``end`` are set
    here), simulate the held-out period ``replications`` times from ``seed``."""

    holdout: float = 0.2
    split: datetime | None = None
    """The first instant of the held-out period; None: from ``holdout``."""
    replications: int = 3
    seed: int = 0
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    max_cases: int = 1000
    """Cases sampled from each log for the control-flow log distance (it pairs every case of one
    log with one of the other: quadratic in the cases)."""
    workers: int | None = 1
    """Processes for the replications (see ``SimulationConfig.workers``)."""
    warmup: timedelta | None = None
    """The simulation starts this long before the split, so the held-out cases meet the work
    in progress the model builds up (cases arriving in the warm-up are not measured); None: as
    long as the held-out period, at most 30 days."""

    def __post_init__(self) -> None:
        if not 0.0 < self.holdout <= 0.5 or math.isnan(self.holdout):
            raise InputError(
                "the held-out share must be above 0 and at most 0.5",
                where=Location(field="holdout"),
                found=str(self.holdout),
                expected="0 < holdout <= 0.5 (the naive reference replays an equally long "
                "stretch of the training period)",
                fix="pass e.g. holdout=0.2",
            )
        check_at_least(
            "ValidationConfig",
            replications=(self.replications, 1),
            max_cases=(self.max_cases, 10),
            workers=(self.workers, 1),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Measure:
    """One distance between the held-out log and a simulated one (lower is better)."""

    key: str
    label: str
    unit: str
    simulated: float
    """Mean over the replications."""
    simulated_sd: float
    per_replication: list[float]
    naive: float
    note: str = ""
    """How the measure was computed when it differs from the package's default."""

    @property
    def beats_naive(self) -> bool:
        return self.simulated <= NAIVE_TOLERANCE * self.naive + 1e-12


@dataclass(frozen=True, slots=True, kw_only=True)
class SideBySide:
    """A distribution of the held-out log beside the simulated one (mean over replications) and
    the naive reference's, on the same bins (data for a chart)."""

    key: str
    title: str
    unit: str
    bins: list[str]
    real: list[float]
    simulated: list[float]
    naive: list[float]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyFigure:
    key: str
    label: str
    real: float
    simulated: float
    naive: float

    @property
    def relative_error(self) -> float:
        if self.real == 0:
            return 0.0 if self.simulated == 0 else math.inf
        return abs(self.simulated - self.real) / abs(self.real)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """What the model can be trusted for, one aspect at a time, and why."""

    aspect: str
    trust: Trust
    reason: str


@dataclass(frozen=True, kw_only=True)
class ValidationReport:
    """The result of :func:`validate_model`: the split, the measures, the key figures, the
    distributions side by side and the verdict."""

    dataset: str
    split: datetime
    training_start: datetime
    held_out_end: datetime
    training_cases: int
    held_out_cases: int
    replications: int
    measures: list[Measure]
    figures: list[KeyFigure]
    distributions: list[SideBySide]
    findings: list[Finding]
    model: SimulationModel
    seconds: float = 0.0

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    def figure(self, key: str) -> KeyFigure:
        return next(f for f in self.figures if f.key == key)

    @property
    def verdict(self) -> str:
        """The findings in one paragraph."""
        good = [f.aspect for f in self.findings if f.trust == "trusted"]
        care = [f.aspect for f in self.findings if f.trust == "use with care"]
        bad = [f.aspect for f in self.findings if f.trust == "not trusted"]
        parts = []
        if good:
            parts.append("The model can be trusted for " + _join(good) + ".")
        if care:
            parts.append("Use it with care for " + _join(care) + ".")
        if bad:
            parts.append("Do not rely on it for " + _join(bad) + ".")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the model as its document)."""
        return {
            "dataset": self.dataset,
            "split": self.split.isoformat(),
            "training_start": self.training_start.isoformat(),
            "held_out_end": self.held_out_end.isoformat(),
            "training_cases": self.training_cases,
            "held_out_cases": self.held_out_cases,
            "replications": self.replications,
            "measures": [
                _json_safe(asdict(m)) | {"beats_naive": m.beats_naive} for m in self.measures
            ],
            "figures": [
                asdict(f) | {"relative_error": _finite(f.relative_error)} for f in self.figures
            ],
            "distributions": [asdict(d) for d in self.distributions],
            "findings": [asdict(f) for f in self.findings],
            "verdict": self.verdict,
            "seconds": round(self.seconds, 3),
            "model": self.model.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidationReport:
        def pick(kind: Any, d: Mapping[str, Any]) -> Any:
            return kind(**{k: d[k] for k in kind.__dataclass_fields__})

        return cls(
            dataset=str(data["dataset"]),
            split=datetime.fromisoformat(data["split"]),
            training_start=datetime.fromisoformat(data["training_start"]),
            held_out_end=datetime.fromisoformat(data["held_out_end"]),
            training_cases=int(data["training_cases"]),
            held_out_cases=int(data["held_out_cases"]),
            replications=int(data["replications"]),
            measures=[pick(Measure, m) for m in data["measures"]],
            figures=[pick(KeyFigure, f) for f in data["figures"]],
            distributions=[SideBySide(**d) for d in data["distributions"]],
            findings=[Finding(**f) for f in data["findings"]],
            model=SimulationModel.from_dict(data["model"]),
            seconds=float(data.get("seconds", 0.0)),
        )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """Infinite distances (a log without cases) as None."""
    return {
        k: [_finite(x) for x in v]
        if isinstance(v, list)
        else _finite(v)
        if isinstance(v, float)
        else v
        for k, v in data.items()
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------------------------


def validate_model(
    view: LogView,
    config: ValidationConfig | None = None,
    *,
    model: SimulationModel | None = None,
    progress: ProgressCallback | None = None,
) -> ValidationReport:
    """Hold out the end of ``view``'s log, discover a model on the rest (or take ``model``),
    simulate the held-out period and measure how far the simulation is from what happened,
    beside the naive reference (the training period's last stretch replayed)."""
    import time

    began = time.perf_counter()
    cfg = config or ValidationConfig()
    held = held_out(view, cfg)
    split, split_s, length = held.split, held.split.timestamp(), held.length
    held_out_end = split_s + length
    if model is None:
        from dataclasses import replace

        model = discover_model(view, replace(cfg.discovery, start=None, end=split))
    real, naive = held.real, held.naive
    warmup = cfg.warmup.total_seconds() if cfg.warmup is not None else min(length, 30 * 86_400.0)
    result = simulate(
        model,
        SimulationConfig(
            start=datetime.fromtimestamp(split_s - warmup, tz=UTC),
            end=datetime.fromtimestamp(held_out_end, tz=UTC),
            replications=cfg.replications,
            seed=cfg.seed,
            workers=cfg.workers,
        ),
        progress=progress,
    )
    sims = []
    for rep in range(cfg.replications):
        frame = result.to_pandas(rep)
        frame = frame[frame["arrival"] >= split][
            [CASE_ID, ACTIVITY, TIMESTAMP, START_TIMESTAMP, RESOURCE]
        ]
        sims.append(frame.rename(columns={TIMESTAMP: "end", START_TIMESTAMP: "start"}))
    if all(s.empty for s in sims):
        raise InputError(
            "the model simulated no cases in the held-out period",
            where=Location(file=view.dataset.name, field="arrivals"),
            found=f"0 arrivals from {split.isoformat()} to {real['end'].max()}",
            expected="arrivals in the held-out period",
            fix="check the model's arrival rate and hour-of-week profile",
        )
    # the real log ends when it was extracted, with its open cases cut there: the simulated and
    # replayed logs are seen through the same window
    sims = [s[s["end"] <= held.cut] for s in sims]
    measures = measure_logs(held, sims, max_cases=cfg.max_cases, seed=cfg.seed)
    figures = _figures(real, sims, naive)
    distributions = _distributions(real, sims, naive, cfg.discovery.timezone, split_s, held_out_end)
    return ValidationReport(
        dataset=view.dataset.name,
        split=split,
        training_start=held.training_start,
        held_out_end=held.held_out_end,
        training_cases=held.training_cases,
        held_out_cases=held.held_out_cases,
        replications=cfg.replications,
        measures=measures,
        figures=figures,
        distributions=distributions,
        findings=_findings(measures, figures),
        model=model,
        seconds=time.perf_counter() - began,
    )


@dataclass(frozen=True, kw_only=True)
class HeldOut:
    """The split of a log: the held-out cases and the naive reference as the distance measures
    read them (``case_id``, ``activity``, ``start``, ``end``, ``resource``; UTC)."""

    split: datetime
    training_start: datetime
    held_out_end: datetime
    """The last held-out case start."""
    length: float
    """Seconds from the split to just after the last held-out case start."""
    training_cases: int
    held_out_cases: int
    real: pd.DataFrame
    naive: pd.DataFrame
    cut: pd.Timestamp
    """The real log's last event: later simulated or replayed events are cut."""


def held_out(view: LogView, config: ValidationConfig) -> HeldOut:
    """Split ``view``'s log by case start as :func:`validate_model` does (for a peer simulator
    measured on the same split, e.g. in the benchmark)."""
    cfg = config
    events = view.execute(view.events.select(*_COLUMNS).order_by([CASE_ID, TIMESTAMP, POSITION]))
    if events.empty:
        raise InputError(
            "no events to validate a simulation model on",
            where=Location(file=view.dataset.name),
            found="0 events in the view",
            expected="a log with cases before and after the split",
            fix="widen the filter",
        )
    events = _prepare(events, cfg.discovery.timezone)
    first_end = events.groupby(CASE_ID, sort=False)["end_s"].min()
    t_lo, t_hi = float(first_end.min()), float(first_end.max())
    split_s = (
        cfg.split.timestamp()
        if cfg.split is not None
        else t_lo + (1.0 - cfg.holdout) * (t_hi - t_lo)
    )
    test_ids = first_end.index[first_end >= split_s]
    train_ids = first_end.index[first_end < split_s]
    if len(test_ids) < 2 or len(train_ids) < 2:
        raise InputError(
            "the split leaves too few cases on one side",
            where=Location(file=view.dataset.name, field="split"),
            found=f"{len(train_ids)} training cases, {len(test_ids)} held-out cases",
            expected="at least 2 cases on each side (many more for a meaningful validation)",
            fix="move the split or change the held-out share",
        )
    length = t_hi + 1e-3 - split_s
    # the naive reference: the cases that started in the equally long stretch before the split,
    # every timestamp shifted by that length
    naive_ids = first_end.index[(first_end >= split_s - length) & (first_end < split_s)]
    cut = pd.Timestamp(float(events["end_s"].max()), unit="s", tz="UTC")
    naive = _frame(events[events[CASE_ID].isin(naive_ids)], shift=length)
    return HeldOut(
        split=datetime.fromtimestamp(split_s, tz=UTC),
        training_start=datetime.fromtimestamp(t_lo, tz=UTC),
        held_out_end=datetime.fromtimestamp(t_hi, tz=UTC),
        length=length,
        training_cases=len(train_ids),
        held_out_cases=len(test_ids),
        real=_frame(events[events[CASE_ID].isin(test_ids)]),
        naive=naive[naive["end"] <= cut],
        cut=cut,
    )


def measure_logs(
    held: HeldOut, simulated: Sequence[pd.DataFrame], *, max_cases: int = 1000, seed: int = 0
) -> list[Measure]:
    """The log-distance measures of simulated logs (frames shaped like ``held.real``; events
    after ``held.cut`` should be cut first) against the held-out log, beside the naive
    reference."""
    return _measures(held.real, list(simulated), held.naive, max_cases, np.random.default_rng(seed))


def _frame(events: pd.DataFrame, *, shift: float = 0.0) -> pd.DataFrame:
    """The log in the shape the distance measures read (start/end as UTC timestamps)."""
    out = pd.DataFrame(
        {
            CASE_ID: events[CASE_ID].astype(str).to_numpy(),
            ACTIVITY: events[ACTIVITY].astype(str).to_numpy(),
            "start": pd.to_datetime(events["start_s"].to_numpy() + shift, unit="s", utc=True),
            "end": pd.to_datetime(events["end_s"].to_numpy() + shift, unit="s", utc=True),
            RESOURCE: events[RESOURCE].to_numpy(),
        }
    )
    return out


# --------------------------------------------------------------------------------------------
# the measures (log-distance-measures)

_IDS_KW = {"case": CASE_ID, "activity": ACTIVITY, "start_time": "start", "end_time": "end"}


def _measures(
    real: pd.DataFrame,
    sims: list[pd.DataFrame],
    naive: pd.DataFrame,
    max_cases: int,
    rng: np.random.Generator,
) -> list[Measure]:
    try:
        from log_distance_measures.absolute_event_distribution import (
            absolute_event_distribution_distance,
        )
    except ImportError:
        raise ConfigurationError(
            "validating a simulation model needs the package log-distance-measures",
            found="it is not installed",
            expected="log-distance-measures 2.2 or later (Apache-2.0)",
            fix='pip install --no-deps "log-distance-measures>=2.2,<3" jellyfish pulp '
            "(it declares pandas<3 but runs on pandas 3)",
        ) from None
    from log_distance_measures.case_arrival_distribution import (
        case_arrival_distribution_distance,
    )
    from log_distance_measures.circadian_event_distribution import (
        circadian_event_distribution_distance,
    )
    from log_distance_measures.config import EventLogIDs
    from log_distance_measures.control_flow_log_distance import control_flow_log_distance
    from log_distance_measures.cycle_time_distribution import cycle_time_distribution_distance
    from log_distance_measures.n_gram_distribution import n_gram_distribution_distance

    ids = EventLogIDs(resource=RESOURCE, **_IDS_KW)
    # the package maps each activity to one printable character (100): with more activities, the
    # rarest ones (in the real log) share one label for this measure
    labels = set(real[ACTIVITY].unique())
    for other in [*sims, naive]:
        labels |= set(other[ACTIVITY].unique())
    keep: set[str] | None = None
    cfld_note = ""
    if len(labels) > _CFLD_LABELS:
        keep = set(real[ACTIVITY].value_counts().index[: _CFLD_LABELS - 1])
        cfld_note = (
            f"{len(labels)} activities: the {_CFLD_LABELS - 1} most frequent in the held-out log "
            "kept, the rest counted as one"
        )

    def relabel(log: pd.DataFrame) -> pd.DataFrame:
        if keep is None:
            return log
        out = log.copy()
        out[ACTIVITY] = out[ACTIVITY].where(out[ACTIVITY].isin(keep), "(other)")
        return out

    real_sample = relabel(_sample(real, max_cases, rng))

    def cfld(other: pd.DataFrame) -> float:
        return float(
            control_flow_log_distance(
                real_sample, ids, relabel(_sample(other, max_cases, rng)), ids, parallel=False
            )
        )

    def hourly(fn: Callable[..., float]) -> Callable[[pd.DataFrame], float]:
        return lambda other: float(fn(real, ids, other, ids))

    specs: list[tuple[str, str, str, Callable[[pd.DataFrame], float]]] = [
        ("control_flow", "Control-flow log distance", "0-1", cfld),
        (
            "ngram",
            "3-gram distance",
            "0-1",
            lambda other: float(n_gram_distribution_distance(real, ids, other, ids, n=3)),
        ),
        (
            "absolute",
            "Absolute timestamps EMD",
            "hours",
            hourly(absolute_event_distribution_distance),
        ),
        (
            "circadian",
            "Circadian pattern EMD",
            "hours",
            hourly(circadian_event_distribution_distance),
        ),
        ("arrivals", "Case arrivals EMD", "hours", hourly(case_arrival_distribution_distance)),
        (
            "cycle_time",
            "Cycle time EMD",
            "hours",
            lambda other: float(
                cycle_time_distribution_distance(real, ids, other, ids, bin_size=timedelta(hours=1))
            ),
        ),
    ]
    out = []
    for key, label, unit, fn in specs:
        values = [fn(s) if not s.empty else math.inf for s in sims]
        finite = [v for v in values if math.isfinite(v)]
        out.append(
            Measure(
                key=key,
                label=label,
                unit=unit,
                simulated=round(statistics.fmean(finite), 4) if finite else math.inf,
                simulated_sd=round(statistics.stdev(finite), 4) if len(finite) > 1 else 0.0,
                per_replication=[round(v, 4) for v in values],
                naive=round(fn(naive), 4) if not naive.empty else math.inf,
                note=cfld_note if key == "control_flow" else "",
            )
        )
    return out


def _sample(log: pd.DataFrame, max_cases: int, rng: np.random.Generator) -> pd.DataFrame:
    cases = log[CASE_ID].unique()
    if len(cases) <= max_cases:
        return log
    keep = rng.choice(cases, size=max_cases, replace=False)
    return log[log[CASE_ID].isin(keep)]


# --------------------------------------------------------------------------------------------
# key figures, distributions, findings


def _cycle_seconds(log: pd.DataFrame) -> np.ndarray:
    if log.empty:
        return np.array([])
    g = log.groupby(CASE_ID, sort=False)
    return np.asarray((g["end"].max() - g["start"].min()).dt.total_seconds().to_numpy())


def _figures(real: pd.DataFrame, sims: list[pd.DataFrame], naive: pd.DataFrame) -> list[KeyFigure]:
    def cases(log: pd.DataFrame) -> float:
        return float(log[CASE_ID].nunique())

    def per_case(log: pd.DataFrame) -> float:
        n = log[CASE_ID].nunique()
        return len(log) / n if n else 0.0

    def mean_days(log: pd.DataFrame) -> float:
        ct = _cycle_seconds(log)
        return float(np.mean(ct)) / 86_400 if len(ct) else 0.0

    specs: list[tuple[str, str, Callable[[pd.DataFrame], float]]] = [
        ("cases", "Cases arriving", cases),
        ("events", "Events", lambda log: float(len(log))),
        ("events_per_case", "Events per case", per_case),
        ("mean_cycle_days", "Mean cycle time (days)", mean_days),
    ]
    return [
        KeyFigure(
            key=key,
            label=label,
            real=round(fn(real), 4),
            simulated=round(statistics.fmean(fn(s) for s in sims), 4),
            naive=round(fn(naive), 4),
        )
        for key, label, fn in specs
    ]


def _shares(values: np.ndarray, bins: int) -> list[float]:
    counts = np.bincount(values, minlength=bins)[:bins].astype(float)
    total = counts.sum()
    return [round(float(c / total), 5) if total else 0.0 for c in counts]


def _distributions(
    real: pd.DataFrame,
    sims: list[pd.DataFrame],
    naive: pd.DataFrame,
    timezone: str,
    t0: float,
    t1: float,
) -> list[SideBySide]:
    def mean_over(fn: Callable[[pd.DataFrame], list[float]]) -> list[float]:
        rows = np.array([fn(s) for s in sims], dtype=float)
        return [round(float(v), 5) for v in rows.mean(axis=0)]

    # arrivals per day (or week for long periods), in counts
    span_days = max((t1 - t0) / 86_400, 1.0)
    step = 86_400.0 if span_days <= 120 else 7 * 86_400.0
    n_bins = math.ceil((t1 - t0) / step)

    def arrivals(log: pd.DataFrame) -> list[float]:
        if log.empty:
            return [0.0] * n_bins
        first = log.groupby(CASE_ID, sort=False)["start"].min()
        s = (first - _EPOCH).dt.total_seconds().to_numpy()
        idx = np.clip(((s - t0) // step).astype(int), 0, n_bins - 1)
        return [float(v) for v in np.bincount(idx, minlength=n_bins)]

    labels = [
        datetime.fromtimestamp(t0 + i * step, tz=UTC).date().isoformat() for i in range(n_bins)
    ]
    out = [
        SideBySide(
            key="arrivals",
            title="Cases arriving per " + ("day" if step == 86_400.0 else "week"),
            unit="cases",
            bins=labels,
            real=arrivals(real),
            simulated=mean_over(arrivals),
            naive=arrivals(naive),
        )
    ]

    # cycle time: shares per bin, 20 bins up to the real 95th percentile (the last is "and more")
    ct_real = _cycle_seconds(real) / 86_400
    top = float(np.quantile(ct_real, 0.95)) if len(ct_real) else 1.0
    top = top if top > 0 else 1.0
    edges = np.linspace(0.0, top, 20)

    def cycle(log: pd.DataFrame) -> list[float]:
        ct = _cycle_seconds(log) / 86_400
        return _shares(np.searchsorted(edges, ct, side="right") - 1, 20)

    width = top / 19
    out.append(
        SideBySide(
            key="cycle_time",
            title="Cycle time (share of cases)",
            unit="days",
            bins=[f"{e:.1f}-{e + width:.1f}" for e in edges[:-1]] + [f"{edges[-1]:.1f}+"],
            real=cycle(real),
            simulated=mean_over(cycle),
            naive=cycle(naive),
        )
    )

    # circadian: share of events per hour of the day and per weekday (local time, by end)
    def local(log: pd.DataFrame) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(log["end"]).tz_convert(timezone)

    def hours(log: pd.DataFrame) -> list[float]:
        return _shares(local(log).hour.to_numpy(), 24) if not log.empty else [0.0] * 24

    def weekdays(log: pd.DataFrame) -> list[float]:
        return _shares(local(log).day_of_week.to_numpy(), 7) if not log.empty else [0.0] * 7

    out.append(
        SideBySide(
            key="hour_of_day",
            title="Events per hour of the day (share)",
            unit=timezone,
            bins=[f"{h:02d}" for h in range(24)],
            real=hours(real),
            simulated=mean_over(hours),
            naive=hours(naive),
        )
    )
    out.append(
        SideBySide(
            key="weekday",
            title="Events per weekday (share)",
            unit=timezone,
            bins=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            real=weekdays(real),
            simulated=mean_over(weekdays),
            naive=weekdays(naive),
        )
    )

    # activities: executions per case, the 15 most frequent in the real log
    counts = real[ACTIVITY].value_counts()
    top_acts = [str(a) for a in counts.index[:15]]

    def per_case(log: pd.DataFrame) -> list[float]:
        n = log[CASE_ID].nunique()
        c = log[ACTIVITY].value_counts()
        return [float(c.get(a, 0)) / n if n else 0.0 for a in top_acts]

    out.append(
        SideBySide(
            key="activities",
            title="Executions per case",
            unit="per case",
            bins=top_acts,
            real=per_case(real),
            simulated=mean_over(per_case),
            naive=per_case(naive),
        )
    )
    return out


_ASPECTS: list[tuple[str, tuple[str, ...], str]] = [
    ("the paths cases take", ("control_flow", "ngram"), "events_per_case"),
    ("the volume and timing of arrivals", ("arrivals",), "cases"),
    ("the workload over time", ("absolute", "circadian"), "events"),
    ("throughput time", ("cycle_time",), "mean_cycle_days"),
]


def _findings(measures: list[Measure], figures: list[KeyFigure]) -> list[Finding]:
    """Per aspect: *beats* when every measure of it is within NAIVE_TOLERANCE of the naive
    reference or better, *close* when its key figure is within RELATIVE_TOLERANCE; trusted when
    both, use with care when one, not trusted when neither."""
    by_key = {m.key: m for m in measures}
    figs = {f.key: f for f in figures}
    out = []
    for aspect, keys, figure in _ASPECTS:
        ms = [by_key[k] for k in keys]
        beats = all(m.beats_naive for m in ms)
        fig = figs[figure]
        close = fig.relative_error <= RELATIVE_TOLERANCE
        trust: Trust = (
            "trusted" if beats and close else "use with care" if beats or close else "not trusted"
        )
        vs = "; ".join(
            f"{m.label.lower()} {m.simulated:g} vs {m.naive:g} for the past replayed" for m in ms
        )
        err = fig.relative_error
        err_text = f"{err:.0%}" if math.isfinite(err) else "unbounded"
        reason = (
            f"{'better than or as good as' if beats else 'worse than'} the naive reference ({vs}); "
            f"{fig.label.lower()} {fig.simulated:g} simulated vs {fig.real:g} real "
            f"({err_text} off, {'within' if close else 'beyond'} {RELATIVE_TOLERANCE:.0%})"
        )
        out.append(Finding(aspect=aspect, trust=trust, reason=reason))
    return out
