"""Did the pilot work? A pilot's design (scope, period, baseline period, control group, success
criteria) evaluated on an event log with ``planning/_evaluation.py``'s methods, a seasonality
check against the same periods a year earlier, and a verdict in plain words with its caveats.

- Cases belong to a period by when they started (their first event in ``[start, end]``, whole
  days, UTC). The baseline period defaults to as many days just before the pilot.
- Each criterion's KPI is compared between the scope's cases in the baseline period and in the
  pilot period with :func:`kpi_delta` (Mann-Whitney U for durations, a two-proportion z-test for
  shares; bootstrap interval). A criterion is *met* when the pilot period's value reaches its
  target; the change is *significant* when the interval excludes 0 and the test agrees.
- With a control group (another filter over the same log), a difference-in-differences of
  throughput says how much of the change the pilot caused beyond what the control group saw.
- Seasonality: when the log holds cases of the scope in both periods a year earlier, the same
  comparison is made there; a significant change a year earlier in the same direction is a
  caveat (the season may explain the pilot's change).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from civicflow.core import InputError, Location, Record, json_value
from civicflow.mining import EventLogFilter, FilterStack, compute_kpis
from civicflow.mining._filters import TimeFrameStep
from civicflow.planning._evaluation import (
    DiffInDiff,
    KpiDelta,
    SampleSize,
    Statistic,
    difference_in_differences,
    kpi_delta,
    sample_size_for_median_drop,
    throughput_seconds,
)

if TYPE_CHECKING:
    from civicflow.mining import LogView

DAY = 86400.0
Direction = Literal["decrease", "increase"]

_STATISTIC: dict[str, tuple[Statistic, float]] = {
    "throughput_median_days": ("median", DAY),
    "throughput_mean_days": ("mean", DAY),
    "median_waiting_days": ("median", DAY),
    "events_per_case": ("mean", 1.0),
    "rework_share": ("share", 1.0),
    "top10_variant_share": ("share", 1.0),
}
"""KPIs the evaluation can test: the statistic of their per-case sample and its scale to the
KPI's unit (seconds to days)."""
EVALUATED_KPIS = tuple(_STATISTIC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Criterion:
    """The pilot succeeds on ``kpi`` when its value in the pilot period reaches ``target``."""

    kpi: str
    target: float
    direction: Direction


@dataclass(frozen=True, slots=True, kw_only=True)
class PilotDesign:
    """What a pilot changed, where and when, and what success is."""

    start: date
    end: date
    """Inclusive: cases that started from ``start`` to ``end``."""
    criteria: tuple[Criterion, ...]
    scope: FilterStack = field(default_factory=FilterStack)
    control: FilterStack | None = None
    baseline_start: date | None = None
    baseline_end: date | None = None
    confidence: float = 0.95
    n_boot: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError(
                "the pilot ends before it starts",
                where=Location(field="end_date"),
                found=f"{self.start} .. {self.end}",
                expected="end_date on or after start_date",
            )
        if (self.baseline_start is None) != (self.baseline_end is None):
            raise InputError(
                "a baseline period needs both its start and its end",
                where=Location(
                    field="baseline_end" if self.baseline_end is None else "baseline_start"
                ),
                found=f"{self.baseline_start} .. {self.baseline_end}",
                expected="both dates, or neither (the same number of days before the pilot)",
            )
        bs, be = self.baseline
        if be < bs:
            raise InputError(
                "the baseline period ends before it starts",
                where=Location(field="baseline_end"),
                found=f"{bs} .. {be}",
                expected="baseline_end on or after baseline_start",
            )
        if be >= self.start:
            raise InputError(
                "the baseline period overlaps the pilot",
                where=Location(field="baseline_end"),
                found=f"baseline {bs} .. {be}, pilot from {self.start}",
                expected="a baseline period that ends before the pilot starts",
            )
        if not self.criteria:
            raise InputError(
                "a pilot needs at least one success criterion",
                where=Location(field="success_criteria"),
                found="none",
                expected="a KPI, a target and a direction",
            )

    @property
    def baseline(self) -> tuple[date, date]:
        """The baseline period: as given, or as many days just before the pilot."""
        if self.baseline_start is not None and self.baseline_end is not None:
            return self.baseline_start, self.baseline_end
        days = (self.end - self.start).days + 1
        return self.start - timedelta(days=days), self.start - timedelta(days=1)


_PROPERTIES = ("significant", "verdict", "sentence")


def plain(value: Any) -> Any:
    """``value`` as JSON carries it, the evaluation's dataclasses with their verdicts."""
    if isinstance(value, Record):
        return {k: plain(v) for k, v in value.to_dict().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in _PROPERTIES:
            if hasattr(type(value), name):
                out[name] = getattr(value, name)
        return out
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return json_value(value)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def period_view(view: LogView, scope: FilterStack, start: date, end: date) -> LogView:
    """The scope's cases that started in ``[start, end]`` (whole days, UTC)."""
    step = TimeFrameStep(
        start=_instant(start), end=_instant(end + timedelta(days=1)), mode="started"
    )
    return view.with_filter(EventLogFilter.from_stack(scope.then(step)))


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True, slots=True, kw_only=True)
class CriterionResult(Record):
    """One success criterion: the KPI in both periods, the test, and whether it is met."""

    kpi: str
    target: float
    direction: Direction
    baseline: float | None
    pilot: float | None
    met: bool | None
    delta: KpiDelta | None
    note: str

    @property
    def significant(self) -> bool | None:
        return None if self.delta is None else self.delta.significant

    _extra = ("significant",)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeasonCheck(Record):
    """The same comparison a year earlier (throughput), or why it could not be made."""

    checked: bool
    delta: KpiDelta | None
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PilotEvaluation(Record):
    """The evaluation of a pilot, in figures and in words."""

    pilot_period: tuple[date, date]
    baseline_period: tuple[date, date]
    cases: dict[str, int]
    criteria: tuple[CriterionResult, ...]
    did: DiffInDiff | None
    season: SeasonCheck
    sample_size: SampleSize | None
    verdict: str
    caveats: tuple[str, ...]

    @property
    def succeeded(self) -> bool:
        """Every criterion met with a change beyond chance, and, with a control group, an
        effect on throughput beyond the control group's change."""
        met = all(c.met and c.significant for c in self.criteria)
        return met and (self.did is None or self.did.significant)

    _extra = ("succeeded",)

    def to_json(self) -> dict[str, Any]:
        """Everything as JSON carries it (what the application stores and the commands print)."""
        return plain(self)


def _sample(view: LogView, kpi: str) -> np.ndarray | None:
    snapshot = compute_kpis(view, names=[kpi], samples=True)
    value = snapshot.values[0]
    sample = value.sample
    if sample is None:
        return None
    if "values" in sample:
        return np.asarray(sample["values"], dtype=np.float64) / _STATISTIC[kpi][1]
    k, n = int(sample["successes"]), int(sample["trials"])
    return np.concatenate([np.ones(k), np.zeros(n - k)])


def _criterion(
    c: Criterion, before: LogView, after: LogView, design: PilotDesign
) -> CriterionResult:
    if c.kpi not in _STATISTIC:
        return CriterionResult(
            kpi=c.kpi, target=c.target, direction=c.direction, baseline=None, pilot=None,
            met=None, delta=None,
            note=f"not evaluated: no per-case test for {c.kpi} (evaluated: "
            f"{', '.join(EVALUATED_KPIS)})",
        )  # fmt: skip
    a, b = _sample(before, c.kpi), _sample(after, c.kpi)
    if a is None or b is None or a.size < 2 or b.size < 2:
        return CriterionResult(
            kpi=c.kpi, target=c.target, direction=c.direction, baseline=None, pilot=None,
            met=None, delta=None, note="not evaluated: fewer than 2 cases in a period",
        )  # fmt: skip
    delta = kpi_delta(
        baseline=a, pilot=b, statistic=_STATISTIC[c.kpi][0], confidence=design.confidence,
        n_boot=design.n_boot, seed=design.seed,
    )  # fmt: skip
    met = delta.pilot <= c.target if c.direction == "decrease" else delta.pilot >= c.target
    right_way = (delta.delta < 0) == (c.direction == "decrease")
    if delta.significant and right_way:
        how = "a change in the intended direction beyond chance"
    elif delta.significant:
        how = "a change beyond chance, against the intended direction"
    else:
        how = "no change beyond chance"
    note = (
        f"{c.kpi}: {delta.baseline:,.4g} in the baseline period, {delta.pilot:,.4g} in the "
        f"pilot (target {c.target:,.4g}: {'met' if met else 'not met'}); {how} "
        f"({delta.test}, p = {delta.p_value:.3g})"
    )
    return CriterionResult(
        kpi=c.kpi, target=c.target, direction=c.direction, baseline=delta.baseline,
        pilot=delta.pilot, met=met, delta=delta, note=note,
    )  # fmt: skip


def _durations(view: LogView) -> np.ndarray:
    return throughput_seconds(view)


def _season(view: LogView, design: PilotDesign) -> SeasonCheck:
    bs, be = design.baseline
    before = period_view(view, design.scope, _year_earlier(bs), _year_earlier(be))
    after = period_view(view, design.scope, _year_earlier(design.start), _year_earlier(design.end))
    a, b = _durations(before), _durations(after)
    if a.size < 2 or b.size < 2:
        return SeasonCheck(
            checked=False,
            delta=None,
            note="not checked: the log does not hold the same periods a year earlier "
            f"({a.size} and {b.size} cases with a duration)",
        )
    delta = kpi_delta(
        baseline=a, pilot=b, statistic="median", confidence=design.confidence,
        n_boot=design.n_boot, seed=design.seed,
    )  # fmt: skip
    return SeasonCheck(
        checked=True,
        delta=delta,
        note=f"a year earlier, the same periods: median throughput {delta.baseline / DAY:,.3g} "
        f"→ {delta.pilot / DAY:,.3g} days; "
        + ("a change beyond chance" if delta.significant else "no change beyond chance"),
    )


def _count(view: LogView) -> int:
    from civicflow.mining._activities import count_value

    return count_value(view.execute(view.case_summary.count()))


def evaluate_pilot(view: LogView, design: PilotDesign) -> PilotEvaluation:
    """Evaluate a pilot on ``view`` (the whole log; the design's filters select the cases)."""
    bs, be = design.baseline
    before = period_view(view, design.scope, bs, be)
    after = period_view(view, design.scope, design.start, design.end)
    cases = {"baseline": _count(before), "pilot": _count(after)}
    if cases["pilot"] == 0:
        raise InputError(
            "the pilot period has no cases in the pilot's scope",
            where=Location(field="start_date"),
            found=f"0 cases started {design.start} .. {design.end} "
            f"({len(design.scope.steps)} scope filter step(s))",
            expected="a period and scope of the dataset that hold cases",
            fix="check the pilot's start_date and end_date against the dataset's dates, "
            "and its scope filter",
        )
    if cases["baseline"] == 0:
        raise InputError(
            "the baseline period has no cases in the pilot's scope",
            where=Location(field="baseline_start"),
            found=f"0 cases started {bs} .. {be}",
            expected="a baseline period the dataset covers",
            fix="set baseline_start and baseline_end within the dataset's dates",
        )
    criteria = tuple(_criterion(c, before, after, design) for c in design.criteria)
    caveats: list[str] = []
    did = None
    if design.control is not None:
        c_before = period_view(view, design.control, bs, be)
        c_after = period_view(view, design.control, design.start, design.end)
        groups = {
            "treated_before": _durations(before),
            "treated_after": _durations(after),
            "control_before": _durations(c_before),
            "control_after": _durations(c_after),
        }
        cases |= {"control_baseline": _count(c_before), "control_pilot": _count(c_after)}
        if min(g.size for g in groups.values()) >= 2:
            did = difference_in_differences(
                **groups, confidence=design.confidence, n_boot=design.n_boot, seed=design.seed
            )
            caveats.append(
                "the control comparison assumes both groups would have changed alike without "
                "the pilot (parallel trends)"
            )
        else:
            caveats.append("the control group has fewer than 2 cases in a period: not compared")
    else:
        caveats.append(
            "no control group: a before/after comparison also picks up changes in season, "
            "workload and staffing"
        )
    season = _season(view, design)
    if not season.checked:
        caveats.append("seasonality " + season.note)
    elif season.delta is not None and season.delta.significant:
        first = next((c.delta for c in criteria if c.delta is not None), None)
        same_way = first is not None and (first.delta < 0) == (season.delta.delta < 0)
        if same_way:
            caveats.append(
                "a year earlier the same periods also differed beyond chance in the same "
                "direction: the season may explain part of the change"
            )
    base = _durations(before)
    size = None
    first_duration = next(
        (c for c in criteria if c.delta is not None and _STATISTIC[c.kpi][1] == DAY), None
    )
    if base.size >= 2 and np.all(base > 0):
        drop = 0.15
        if (
            first_duration is not None
            and first_duration.baseline
            and first_duration.direction == "decrease"
        ):
            wanted = 1 - first_duration.target / first_duration.baseline
            drop = wanted if 0 < wanted < 1 else drop
        size = sample_size_for_median_drop(durations=base, drop=drop)
        if cases["pilot"] < size.per_group:
            caveats.append(
                f"the pilot has {cases['pilot']:,} cases; {size.sentence}: a real effect of "
                "that size may be missed"
            )
    verdict = _verdict(criteria, did)
    return PilotEvaluation(
        pilot_period=(design.start, design.end),
        baseline_period=(bs, be),
        cases=cases,
        criteria=criteria,
        did=did,
        season=season,
        sample_size=size,
        verdict=verdict,
        caveats=tuple(caveats),
    )


def _verdict(criteria: tuple[CriterionResult, ...], did: DiffInDiff | None) -> str:
    tested = [c for c in criteria if c.delta is not None]
    if not tested:
        return "not evaluated: none of the success criteria could be tested on this log"
    good = [c for c in tested if c.met and c.significant]
    if len(good) == len(criteria):
        text = "the pilot met every success criterion, with changes beyond chance"
    elif good:
        text = f"the pilot met {len(good)} of {len(criteria)} success criteria beyond chance"
    elif any(c.significant for c in tested):
        text = "the pilot changed the KPIs beyond chance but did not meet its criteria"
    else:
        text = "no change beyond chance: the evidence does not show that the pilot worked"
    if did is not None:
        if good and not did.significant:
            text += (
                ", but the control group changed as much: the change cannot be credited to "
                "the pilot"
            )
        text += "; against the control group: " + did.verdict
    return text


def sample_size_for_pilot(
    view: LogView, design: PilotDesign, *, drop: float | None = None, power: float = 0.8
) -> SampleSize | None:
    """Cases needed to detect the drop a pilot aims for in median throughput (the first duration
    criterion's target against the baseline period, else ``drop`` or 15 %); None when the
    baseline period has fewer than 2 cases with a duration."""
    bs, be = design.baseline
    base = _durations(period_view(view, design.scope, bs, be))
    if base.size < 2:
        return None
    if drop is None:
        drop = 0.15
        for c in design.criteria:
            if (
                c.kpi in ("throughput_median_days", "throughput_mean_days")
                and c.direction == "decrease"
            ):
                median_days = float(np.median(base)) / DAY
                wanted = 1 - c.target / median_days if median_days else math.nan
                if 0 < wanted < 1:
                    drop = wanted
                break
    return sample_size_for_median_drop(durations=base, drop=drop, power=power)
