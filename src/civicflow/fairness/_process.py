"""Process fairness: do cases of one group wait longer, loop more, miss the deadline more often or
end differently than other cases — and does a legitimate difference (case type, complexity)
explain it?

The per-case measures come from Ibis expressions on the view (throughput time from the case
summary, rework flags, waiting before each activity from the activity instances), so the analysis
runs on every engine; the statistics (differences, stratified or regression-adjusted, effect
sizes, intervals, Holm / Benjamini-Hochberg) are taken on the per-case table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from civicflow.core import ConfigurationError, InputError, Location, Record, check_choice
from civicflow.eventlog import ACTIVITY, CASE_ID
from civicflow.fairness._metrics import benjamini_hochberg, holm, quiet
from civicflow.mining import LogView, SlaConfig, sla_or_default
from civicflow.mining._activities import activity_instances
from civicflow.mining._rework import case_rework_flags
from civicflow.mining._sla import case_outcomes

if TYPE_CHECKING:
    import pandas as pd

DAY = 86_400.0
MISSING = "(missing)"
Adjustment = Literal["regression", "stratified"]
Correction = Literal["holm", "bh"]
SEVERITIES = ("high", "medium", "low", "warning")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessFairnessConfig:
    """Which case attribute marks the groups, and what counts as a legitimate difference.

    Each group is compared with all other cases. With ``control`` the difference is also given
    after accounting for it: ``regression`` (least squares with the control's categories as
    dummies, heteroscedasticity-robust HC3 errors, statsmodels) or ``stratified`` (the difference
    within each stratum of the control, weighted by the group's cases in it).
    """

    group: str
    control: str | None = None
    adjustment: Adjustment = "regression"
    sla: SlaConfig | None = None
    """None: the dataset's default deadline, if it has one."""
    outcome_attribute: str | None = None
    """A case attribute holding the outcome; None: ``outcome`` if the dataset has it, else none."""
    max_activities: int = 12
    """Waiting is compared before this many activities (those most cases pass through)."""
    min_cases: int = 20
    """A group (or a group's cases at an activity) below this gets a warning, not a finding."""
    material_days: float = 1.0
    """A difference in time smaller than this is not a finding (it stays in the table)."""
    material_share: float = 0.05
    """A difference in a share (rework, SLA, outcome) smaller than this is not a finding."""
    confidence: float = 0.95
    alpha: float = 0.05
    correction: Correction = "holm"
    """Which multiple-testing correction decides significance (both are reported)."""

    def __post_init__(self) -> None:
        check_choice(
            self.adjustment, ("regression", "stratified"), what="adjustment", field="adjustment"
        )
        check_choice(self.correction, ("holm", "bh"), what="correction", field="correction")
        for name, ok, expected in (
            ("max_activities", 1 <= self.max_activities <= 200, "1 to 200"),
            ("min_cases", self.min_cases >= 2, "at least 2"),
            ("material_days", self.material_days >= 0, "0 or more"),
            ("material_share", 0 <= self.material_share < 1, "in [0, 1)"),
            ("confidence", 0.5 <= self.confidence < 1, "in [0.5, 1)"),
            ("alpha", 0 < self.alpha < 0.5, "in (0, 0.5)"),
        ):
            if not ok:
                raise ConfigurationError(
                    f"ProcessFairnessConfig.{name} is out of range",
                    where=Location(field=name),
                    found=str(getattr(self, name)),
                    expected=expected,
                    fix=f"pass {name} within the range",
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "control": self.control,
            "adjustment": self.adjustment,
            "sla": self.sla.to_dict() if self.sla else None,
            "outcome_attribute": self.outcome_attribute,
            "max_activities": self.max_activities,
            "min_cases": self.min_cases,
            "material_days": self.material_days,
            "material_share": self.material_share,
            "confidence": self.confidence,
            "alpha": self.alpha,
            "correction": self.correction,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessDifference(Record):
    """One measure for one group against all other cases."""

    measure: str
    """throughput_days, wait_days, rework, sla_compliance, outcome"""
    activity: str | None
    """The activity waited for (wait_days) or the outcome value (outcome)."""
    group: str
    cases: int
    other_cases: int
    value: float | None
    other_value: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    adjusted_difference: float | None
    adjusted_low: float | None
    adjusted_high: float | None
    adjusted_p_value: float | None
    effect_size: float | None
    """Cohen's d (durations) or Cohen's h (shares) of the unadjusted difference."""
    p_holm: float | None = None
    p_bh: float | None = None
    significant: bool = False
    small: bool = False
    _json = True

    @property
    def tested_p(self) -> float | None:
        return self.adjusted_p_value if self.adjusted_p_value is not None else self.p_value


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessFinding(Record):
    rank: int
    severity: str
    group: str
    measure: str | None
    activity: str | None
    text: str
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessFairness:
    config: ProcessFairnessConfig
    dataset: str
    cases: int
    groups: dict[str, int]
    differences: tuple[ProcessDifference, ...]
    findings: tuple[ProcessFinding, ...]
    warnings: tuple[str, ...]
    sla: str | None

    def difference(
        self, measure: str, group: str, activity: str | None = None
    ) -> ProcessDifference:
        for d in self.differences:
            if (d.measure, d.group, d.activity) == (measure, group, activity):
                return d
        raise KeyError((measure, group, activity))

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "dataset": self.dataset,
            "cases": self.cases,
            "groups": dict(self.groups),
            "sla": self.sla,
            "findings": [f.to_dict() for f in self.findings],
            "warnings": list(self.warnings),
            "differences": [d.to_dict() for d in self.differences],
        }


def process_fairness(view: LogView, config: ProcessFairnessConfig) -> ProcessFairness:
    """Compare each group of ``config.group`` with all other cases of ``view``: throughput time,
    waiting before each main activity, rework, SLA compliance and outcomes."""
    import pandas as pd

    cases = view.cases
    for name in (config.group, config.control, config.outcome_attribute):
        if name is not None and (name == CASE_ID or name not in cases.columns):
            raise InputError(
                f"the dataset has no case attribute '{name}'",
                where=Location(file=view.dataset.name, field=name),
                found=name,
                expected="one of: "
                + (", ".join(c for c in cases.columns if c != CASE_ID) or "(none)"),
                fix="name a case attribute (see civicflow datasets show)",
            )
    if config.control == config.group:
        raise ConfigurationError(
            "the control attribute is the group attribute",
            where=Location(field="control"),
            found=config.control,
            expected="a different case attribute (a legitimate difference such as case type)",
            fix="name another attribute, or leave --control out",
        )
    outcome_attr = config.outcome_attribute or (
        "outcome" if "outcome" in cases.columns and config.group != "outcome" else None
    )
    # --- per case, one Ibis expression: group, control, outcome, throughput, rework ---
    cols: dict[str, Any] = {"_group": cases[config.group].cast("string").fill_null(MISSING)}
    if config.control:
        cols["_control"] = cases[config.control].cast("string").fill_null(MISSING)
    if outcome_attr:
        cols["_outcome"] = cases[outcome_attr].cast("string")
    labels = cases.select(CASE_ID, **cols)
    spans = view.spans
    per_case_expr = labels.join(spans.select(CASE_ID, "throughput_seconds"), CASE_ID).join(
        case_rework_flags(view.events).select(CASE_ID, "has_rework"), CASE_ID
    )
    per_case = view.execute(per_case_expr)
    per_case[CASE_ID] = per_case[CASE_ID].astype(str)
    per_case["throughput_days"] = per_case["throughput_seconds"].astype(float) / DAY
    per_case["rework"] = per_case["has_rework"].astype(float)
    # --- waiting before each activity, summed per case (activity instances, on the engine) ---
    inst = activity_instances(view.events)
    waits = inst.filter(inst.prev_end.notnull())
    per_activity = waits.group_by([CASE_ID, ACTIVITY]).aggregate(wait_us=waits.wait_us.sum())
    top = (
        per_activity.group_by(ACTIVITY)
        .aggregate(n=per_activity.count())
        .order_by([per_activity.count().desc(), ACTIVITY])
        .limit(config.max_activities)
    )
    wait_frame = view.execute(per_activity.semi_join(top, ACTIVITY))
    wait_frame[CASE_ID] = wait_frame[CASE_ID].astype(str)
    wait_frame["wait_days"] = wait_frame["wait_us"].astype(float) / 1e6 / DAY
    # --- SLA compliance (the mining SLA's case outcomes) ---
    sla = sla_or_default(view, config.sla)
    if sla is not None:
        outcomes = case_outcomes(view, config=sla)
        decided = outcomes[outcomes["status"].isin(["compliant", "breached"])]
        per_case = per_case.merge(
            pd.DataFrame(
                {
                    CASE_ID: decided[CASE_ID].astype(str),
                    "sla_compliance": (decided["status"] == "compliant").astype(float),
                }
            ),
            on=CASE_ID,
            how="left",
        )
    groups = per_case["_group"].value_counts()
    group_sizes = {str(k): int(v) for k, v in groups.items()}
    warnings: list[str] = []
    if len(groups) < 2:
        raise InputError(
            f"the case attribute '{config.group}' has a single value: there are no groups",
            where=Location(file=view.dataset.name, field=config.group),
            found=", ".join(group_sizes) or "(no cases)",
            expected="two or more groups",
            fix="pick an attribute that divides the cases, or widen the filter",
        )
    differences: list[ProcessDifference] = []
    # with two groups the larger one's comparison is the mirror image of the smaller one's
    compared = list(group_sizes.items())
    if len(compared) == 2:
        compared = compared[1:]
    for group, n in compared:
        if n < config.min_cases:
            warnings.append(
                f"{config.group} = {group}: only {n:,} cases (fewer than {config.min_cases}); "
                "its numbers are shown but too few to conclude anything"
            )
        is_g = (per_case["_group"] == group).to_numpy()
        control = per_case["_control"].to_numpy() if config.control else None
        differences.append(
            _compare(
                "throughput_days", None, group, per_case["throughput_days"], is_g, control, config
            )
        )
        differences.append(
            _compare("rework", None, group, per_case["rework"], is_g, control, config, share=True)
        )
        if "sla_compliance" in per_case:
            differences.append(
                _compare(
                    "sla_compliance",
                    None,
                    group,
                    per_case["sla_compliance"],
                    is_g,
                    control,
                    config,
                    share=True,
                )
            )
        if outcome_attr:
            for value in sorted(per_case["_outcome"].dropna().unique()):
                y = (
                    (per_case["_outcome"] == value)
                    .astype(float)
                    .where(per_case["_outcome"].notna())
                )
                differences.append(
                    _compare("outcome", str(value), group, y, is_g, control, config, share=True)
                )
        for activity, part in wait_frame.groupby(ACTIVITY, sort=True):
            merged = per_case[[CASE_ID, "_group", *(["_control"] if config.control else [])]].merge(
                part[[CASE_ID, "wait_days"]], on=CASE_ID, how="inner"
            )
            differences.append(
                _compare(
                    "wait_days",
                    str(activity),
                    group,
                    merged["wait_days"],
                    (merged["_group"] == group).to_numpy(),
                    merged["_control"].to_numpy() if config.control else None,
                    config,
                )
            )
    p = [d.tested_p for d in differences]
    p_h, p_b = holm(p), benjamini_hochberg(p)
    chosen = p_h if config.correction == "holm" else p_b
    differences = [
        replace(
            d,
            p_holm=h,
            p_bh=b,
            significant=c is not None and c < config.alpha and not d.small,
        )
        for d, h, b, c in zip(differences, p_h, p_b, chosen, strict=True)
    ]
    findings = _findings(differences, warnings, config)
    return ProcessFairness(
        config=config,
        dataset=view.dataset.name,
        cases=len(per_case),
        groups=group_sizes,
        differences=tuple(differences),
        findings=tuple(findings),
        warnings=tuple(warnings),
        sla=sla.describe() if sla is not None else None,
    )


def _num(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return None if math.isnan(f) or math.isinf(f) else f


def _compare(
    measure: str,
    activity: str | None,
    group: str,
    values: pd.Series,
    is_g: np.ndarray,
    control: np.ndarray | None,
    config: ProcessFairnessConfig,
    *,
    share: bool = False,
) -> ProcessDifference:
    from scipy import stats

    y = values.to_numpy(dtype=float)
    keep = ~np.isnan(y)
    y, g = y[keep], is_g[keep]
    ctrl = control[keep] if control is not None else None
    a, b = y[g], y[~g]
    n1, n2 = len(a), len(b)
    small = n1 < config.min_cases or n2 < config.min_cases
    z = stats.norm.ppf(0.5 + config.confidence / 2)
    diff = low = high = p = effect = None
    if n1 >= 2 and n2 >= 2:
        m1, m2 = a.mean(), b.mean()
        v1, v2 = a.var(ddof=1), b.var(ddof=1)
        se = math.sqrt(v1 / n1 + v2 / n2)
        diff = m1 - m2
        if se > 0:
            low, high = diff - z * se, diff + z * se
            if share:
                p = _two_proportion(a.sum(), n1, b.sum(), n2)
            else:
                p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
        else:
            p = 1.0 if diff == 0 else 0.0
        if share:
            effect = 2 * math.asin(math.sqrt(min(max(m1, 0), 1))) - 2 * math.asin(
                math.sqrt(min(max(m2, 0), 1))
            )
        else:
            pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
            effect = diff / pooled if pooled > 0 else None
    adj = adj_low = adj_high = adj_p = None
    if ctrl is not None and n1 >= 2 and n2 >= 2:
        if config.adjustment == "regression":
            adj, adj_low, adj_high, adj_p = _regression(y, g, ctrl, config.confidence)
        else:
            adj, adj_low, adj_high, adj_p = _stratified(y, g, ctrl, z)
    return ProcessDifference(
        measure=measure,
        activity=activity,
        group=group,
        cases=n1,
        other_cases=n2,
        value=_num(a.mean()) if n1 else None,
        other_value=_num(b.mean()) if n2 else None,
        difference=_num(diff),
        low=_num(low),
        high=_num(high),
        p_value=_num(p),
        adjusted_difference=_num(adj),
        adjusted_low=_num(adj_low),
        adjusted_high=_num(adj_high),
        adjusted_p_value=_num(adj_p),
        effect_size=_num(effect),
        small=small,
    )


def _two_proportion(x1: float, n1: int, x2: float, n2: int) -> float:
    from civicflow.fairness._metrics import two_proportion_p

    p = two_proportion_p(float(x1), float(n1), float(x2), float(n2))
    return 1.0 if p is None else p


def _regression(
    y: np.ndarray, g: np.ndarray, ctrl: np.ndarray, confidence: float
) -> tuple[float | None, float | None, float | None, float | None]:
    """The group's coefficient in y ~ 1 + group + C(control), with HC3 standard errors."""
    import pandas as pd
    import statsmodels.api as sm

    dummies = pd.get_dummies(pd.Series(ctrl), drop_first=True, dtype=float).to_numpy()
    x = np.column_stack([np.ones(len(y)), g.astype(float), dummies])
    # drop dummy columns that are constant within the sample (an empty stratum)
    keep = np.r_[True, True, dummies.std(axis=0) > 0] if dummies.size else np.array([True, True])
    x = x[:, keep]
    # a stratum of one case has leverage 1: HC3 divides by zero there (that row gets no weight
    # in the error, and the interval is NaN only if every row is such)
    with np.errstate(divide="ignore", invalid="ignore"), quiet():
        try:
            fit = sm.OLS(y, x).fit(cov_type="HC3")
        except (np.linalg.LinAlgError, ValueError):
            return None, None, None, None
        ci = fit.conf_int(alpha=1 - confidence)
    return _num(fit.params[1]), _num(ci[1][0]), _num(ci[1][1]), _num(fit.pvalues[1])


def _stratified(
    y: np.ndarray, g: np.ndarray, ctrl: np.ndarray, z: float
) -> tuple[float | None, float | None, float | None, float | None]:
    """Within each stratum the group's mean minus the others' mean, weighted by the group's cases
    in the stratum; strata where either side has fewer than two cases are left out."""
    from scipy import stats

    total = 0.0
    var = 0.0
    weight = 0
    parts = []
    for s in np.unique(ctrl):
        in_s = ctrl == s
        a, b = y[in_s & g], y[in_s & ~g]
        if len(a) < 2 or len(b) < 2:
            continue
        parts.append((len(a), a.mean() - b.mean(), a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
        weight += len(a)
    if not parts:
        return None, None, None, None
    for n, d, v in parts:
        w = n / weight
        total += w * d
        var += w * w * v
    se = math.sqrt(var)
    if se == 0:
        return total, total, total, 1.0 if total == 0 else 0.0
    p = float(2 * stats.norm.sf(abs(total / se)))
    return total, total - z * se, total + z * se, p


def _days(x: float) -> str:
    if abs(x) < 1:
        return f"{24 * abs(x):.1f} hours"
    return f"{abs(x):.1f} days"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _sentence(d: ProcessDifference, config: ProcessFairnessConfig) -> str:
    who = f"Cases of {config.group} = {d.group}"
    level = f"{100 * config.confidence:g} %"
    assert d.difference is not None
    ci = f" ({level} interval {_fmt(d, d.low)} to {_fmt(d, d.high)})" if d.low is not None else ""
    if d.measure in ("throughput_days", "wait_days"):
        more = "longer" if d.difference > 0 else "shorter"
        what = (
            f"wait {_days(d.difference)} {more} before '{d.activity}'"
            if d.measure == "wait_days"
            else f"take {_days(d.difference)} {more} from first to last event"
        )
        text = f"{who} {what}{ci}, on average"
        if d.adjusted_difference is not None and config.control:
            more_adj = "longer" if d.adjusted_difference > 0 else "shorter"
            text += (
                f"; {_days(d.adjusted_difference)} {more_adj}{_adjusted_ci(d, level)} after "
                f"accounting for {config.control}"
            )
    else:
        noun = {
            "rework": "repeat an activity (rework)",
            "sla_compliance": "meet the deadline",
            "outcome": f"end with {config.outcome_attribute or 'outcome'} '{d.activity}'",
        }[d.measure]
        text = (
            f"{who} {noun} in {_pct(d.value)} of cases, against {_pct(d.other_value)} of other "
            f"cases{ci}"
        )
        if d.adjusted_difference is not None and config.control:
            text += (
                f"; a difference of {100 * d.adjusted_difference:+.1f} points"
                f"{_adjusted_ci(d, level)} after accounting for {config.control}"
            )
    p = d.p_holm if config.correction == "holm" else d.p_bh
    name = "Holm's" if config.correction == "holm" else "the Benjamini-Hochberg"
    text += f" ({_p(p)} after {name} correction)." if p is not None else "."
    return text


def _p(p: float) -> str:
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"


def _adjusted_ci(d: ProcessDifference, level: str) -> str:
    if d.adjusted_low is None or d.adjusted_high is None:
        return ""
    return f" ({level} interval {_fmt(d, d.adjusted_low)} to {_fmt(d, d.adjusted_high)})"


def _fmt(d: ProcessDifference, x: float | None) -> str:
    if x is None:
        return "—"
    if d.measure in ("throughput_days", "wait_days"):
        return f"{x:+.1f} days"
    return f"{100 * x:+.1f} points"


def _findings(
    differences: list[ProcessDifference], warnings: list[str], config: ProcessFairnessConfig
) -> list[ProcessFinding]:
    scored: list[tuple[int, float, ProcessFinding]] = []
    for d in differences:
        if not d.significant or d.difference is None:
            continue
        timed = d.measure in ("throughput_days", "wait_days")
        material = config.material_days if timed else config.material_share
        shown = d.adjusted_difference if d.adjusted_difference is not None else d.difference
        if max(abs(d.difference), abs(shown)) < material:
            continue
        size = abs(d.effect_size or 0.0)
        explained = (
            d.adjusted_difference is not None
            and d.adjusted_p_value is not None
            and d.adjusted_p_value >= config.alpha
        )
        severity = (
            "low" if explained else "high" if size >= 0.5 else "medium" if size >= 0.2 else "low"
        )
        text = _sentence(d, config)
        if explained:
            text += f" Accounting for {config.control} explains most of it."
        else:
            text += (
                " Assess whether a legitimate difference explains it; if not, find its cause "
                "in the process and mitigate it."
            )
        scored.append(
            (
                SEVERITIES.index(severity),
                -size,
                ProcessFinding(
                    rank=0,
                    severity=severity,
                    group=d.group,
                    measure=d.measure,
                    activity=d.activity,
                    text=text,
                ),
            )
        )
    for w in warnings:
        group = w.split(" = ", 1)[1].split(":")[0]
        scored.append(
            (
                SEVERITIES.index("warning"),
                0.0,
                ProcessFinding(
                    rank=0, severity="warning", group=group, measure=None, activity=None, text=w
                ),
            )
        )
    scored.sort(key=lambda t: (t[0], t[1]))
    return [replace(f, rank=i + 1) for i, (_, _, f) in enumerate(scored)]
