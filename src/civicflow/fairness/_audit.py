"""The decision audit: group metrics with bootstrap intervals, disparities against a reference,
the four-fifths rule, Fairlearn's summary differences, and findings in plain language."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from civicflow.core import InputError, Location, Record, check_choice
from civicflow.fairness._config import REFERENCES, AuditConfig, check_columns
from civicflow.fairness._metrics import (
    BY_NAME,
    METRICS,
    MetricDefinition,
    binned_auc,
    confusion_counts,
    holm,
    metric_parts,
    metric_values,
    percentile_interval,
    poisson_replicates,
    quiet,
    two_proportion_p,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from numpy.typing import NDArray

JOIN = " × "
"""Joins the attributes (and values) of an intersectional group."""

SEVERITIES = ("high", "medium", "low", "warning")
FINDING_METRICS = ("selection_rate", "fpr", "fnr", "tpr", "ppv", "accuracy")
"""The disparities findings are written about (the others are in the tables)."""
AUC_MAX_BINS = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupMetric(Record):
    attribute: str
    group: str
    metric: str
    value: float | None
    low: float | None
    high: float | None
    numerator: float | None
    denominator: float | None
    small: bool
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Disparity(Record):
    attribute: str
    group: str
    reference: str
    metric: str
    value: float | None
    reference_value: float | None
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    difference: float | None
    difference_low: float | None
    difference_high: float | None
    p_value: float | None
    p_adjusted: float | None
    in_band: bool | None
    small: bool
    adjusted_difference: float | None = None
    """Selection rate only, with controls: the difference left within the controls' strata."""
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class FourFifths(Record):
    attribute: str
    group: str
    favourable_rate: float | None
    highest_group: str
    impact_ratio: float | None
    low: float | None
    high: float | None
    violation: bool
    small: bool
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary(Record):
    """A Fairlearn summary of one attribute (``demographic_parity_difference`` etc.)."""

    attribute: str
    measure: str
    value: float | None
    low: float | None
    high: float | None
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration(Record):
    attribute: str
    group: str
    bin: int
    score_low: float
    score_high: float
    count: int
    mean_score: float | None
    observed_rate: float | None
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding(Record):
    rank: int
    severity: str
    attribute: str
    group: str
    metric: str | None
    text: str
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class FairnessAudit:
    """Everything a decision audit found; :meth:`to_dict` is its stored and ``--json`` form."""

    config: AuditConfig
    rows: int
    metrics: tuple[GroupMetric, ...]
    disparities: tuple[Disparity, ...]
    four_fifths: tuple[FourFifths, ...]
    summaries: tuple[Summary, ...]
    calibration: tuple[Calibration, ...]
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...]
    references: dict[str, str]

    def value(self, attribute: str, group: str, metric: str) -> float | None:
        for m in self.metrics:
            if (m.attribute, m.group, m.metric) == (attribute, group, metric):
                return m.value
        raise KeyError((attribute, group, metric))

    def metric(self, attribute: str, group: str, metric: str) -> GroupMetric:
        for m in self.metrics:
            if (m.attribute, m.group, m.metric) == (attribute, group, metric):
                return m
        raise KeyError((attribute, group, metric))

    def disparity(self, attribute: str, group: str, metric: str) -> Disparity:
        for d in self.disparities:
            if (d.attribute, d.group, d.metric) == (attribute, group, metric):
                return d
        raise KeyError((attribute, group, metric))

    def summary(self, attribute: str, measure: str) -> Summary:
        for s in self.summaries:
            if (s.attribute, s.measure) == (attribute, measure):
                return s
        raise KeyError((attribute, measure))

    def metrics_frame(self) -> pd.DataFrame:
        """One row per attribute and group, one column per metric."""
        import pandas as pd

        long = pd.DataFrame([m.to_dict() for m in self.metrics])
        return long.pivot_table(
            index=["attribute", "group"], columns="metric", values="value", dropna=False
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "rows": self.rows,
            "references": dict(self.references),
            "findings": [f.to_dict() for f in self.findings],
            "warnings": list(self.warnings),
            "metrics": [m.to_dict() for m in self.metrics],
            "disparities": [d.to_dict() for d in self.disparities],
            "four_fifths": [r.to_dict() for r in self.four_fifths],
            "summaries": [s.to_dict() for s in self.summaries],
            "calibration": [c.to_dict() for c in self.calibration],
        }


def _num(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return None if math.isnan(f) or math.isinf(f) else f


def _as_bool(series: pd.Series, *, name: str) -> NDArray[np.bool_]:
    """A decision or label column as booleans: numbers (non-zero is positive), booleans, or
    yes/no, true/false words."""
    import pandas as pd

    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise InputError(
            f"the column '{name}' has an empty value",
            where=Location(row=row + 2, field=name),
            expected="a value on every row",
            fix="drop or fill the rows without a value",
        )
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        return values != 0
    text = series.astype(str).str.strip().str.lower()
    yes, no = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f"}
    bad = ~text.isin(yes | no)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"the column '{name}' is not a yes/no column",
            where=Location(row=row + 2, field=name),
            found=str(series.iloc[row]),
            expected="0/1, true/false or yes/no",
            fix="name a 0/1 column, or give a score column with --score and --threshold",
        )
    return text.isin(yes).to_numpy()


def _scores(series: pd.Series, *, name: str) -> NDArray[np.float64]:
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise InputError(
            f"the score column '{name}' has a value that is not a number",
            where=Location(row=row + 2, field=name),
            found=str(series.iloc[row]),
            expected="a number on every row",
            fix="clean the score column",
        )
    return values.to_numpy(dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Partition:
    attribute: str
    labels: tuple[str, ...]
    codes: NDArray[np.int64]


def _partitions(frame: pd.DataFrame, config: AuditConfig) -> list[_Partition]:
    """Each protected attribute as integer codes (missing values are the group ``(missing)``),
    and their intersection, combined on the codes (no text is built per row)."""
    import pandas as pd

    singles: list[_Partition] = []
    for g in config.groups:
        codes, uniques = pd.factorize(frame[g], sort=True)
        labels = [str(u) for u in uniques]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(labels), codes)
            labels.append("(missing)")
        singles.append(_Partition(g, tuple(labels), codes.astype(np.int64)))
    out = list(singles)
    if config.intersectional and len(singles) > 1:
        combined = np.zeros(len(frame), dtype=np.int64)
        for part in singles:
            combined = combined * len(part.labels) + part.codes
        present, codes = np.unique(combined, return_inverse=True)
        labels = []
        for value in present:
            parts = []
            for part in reversed(singles):
                value, code = divmod(int(value), len(part.labels))
                parts.append(part.labels[code])
            labels.append(JOIN.join(reversed(parts)))
        out.append(_Partition(JOIN.join(config.groups), tuple(labels), codes.astype(np.int64)))
    return out


def audit_decisions(
    frame: pd.DataFrame | pa.Table, config: AuditConfig, *, source: str = "decisions"
) -> FairnessAudit:
    """Audit the decisions in ``frame`` (a pandas DataFrame or a pyarrow Table) for the groups of
    ``config`` (see :class:`AuditConfig`)."""
    import pyarrow as pa

    if isinstance(frame, pa.Table):
        frame = frame.select([c for c in config.columns if c in frame.column_names]).to_pandas()
    check_columns(frame, config.columns, source=source)
    if len(frame) == 0:
        raise InputError(
            "the decisions table is empty",
            where=Location(file=source),
            expected="at least one row",
            fix="audit a table with decisions",
        )
    if config.reference not in REFERENCES:
        # a named value must belong to at least one of the attributes
        present = any((frame[g].astype("string") == config.reference).any() for g in config.groups)
        if not present:
            check_choice(
                config.reference,
                REFERENCES,
                what="the reference group is neither a rule nor a value of a protected attribute",
                field="reference",
                fix="name a group value, or 'largest' or 'favoured'",
                error=InputError,
            )
    scores = _scores(frame[config.score], name=config.score) if config.score else None
    if config.outcome is not None:
        predicted = _as_bool(frame[config.outcome], name=config.outcome)
    else:
        assert scores is not None and config.threshold is not None
        predicted = scores >= config.threshold
    has_label = config.label is not None
    label = (
        _as_bool(frame[config.label], name=config.label)
        if config.label is not None
        else np.zeros(len(frame), dtype=bool)
    )
    rng = np.random.default_rng(config.seed)
    warnings: list[str] = []
    metrics: list[GroupMetric] = []
    disparities: list[Disparity] = []
    four: list[FourFifths] = []
    summaries: list[Summary] = []
    calibration: list[Calibration] = []
    references: dict[str, str] = {}
    used = [m for m in METRICS if has_label or not m.needs_label]
    control_codes = _control_codes(frame, config)
    for part in _partitions(frame, config):
        n_groups = len(part.labels)
        counts = confusion_counts(part.codes, n_groups, predicted, label)
        reps = (
            poisson_replicates(counts, replicates=config.bootstrap, rng=rng)
            if config.bootstrap
            else None
        )
        sizes = counts.sum(axis=1)
        small = sizes < config.min_group_size
        for i in np.flatnonzero(small):
            warnings.append(
                f"{part.attribute} = {part.labels[i]}: only {int(sizes[i]):,} rows (fewer than "
                f"{config.min_group_size}); its numbers are shown but too few to conclude anything"
            )
        # --- group metrics ---
        values: dict[str, NDArray[np.float64]] = {}
        draws: dict[str, NDArray[np.float64]] = {}
        for m in used:
            values[m.name] = metric_values(counts, m)
            if reps is not None:
                draws[m.name] = metric_values(reps, m)
        if scores is not None and has_label:
            auc, auc_draws = _auc(part, scores, label, reps is not None, config, rng)
            values["auc"] = auc
            if auc_draws is not None:
                draws["auc"] = auc_draws
            calibration.extend(_calibration(part, scores, label, config))
        for g, name in enumerate(part.labels):
            metrics.append(
                GroupMetric(
                    attribute=part.attribute,
                    group=name,
                    metric="count",
                    value=float(sizes[g]),
                    low=None,
                    high=None,
                    numerator=None,
                    denominator=None,
                    small=bool(small[g]),
                )
            )
            for key, v in values.items():
                lo = hi = None
                if key in draws:
                    low, high = percentile_interval(draws[key][:, g : g + 1], config.confidence)
                    lo, hi = _num(low[0]), _num(high[0])
                num = den = None
                if key in BY_NAME:
                    n_, d_ = metric_parts(counts[g], BY_NAME[key])
                    num, den = float(n_), float(d_)
                metrics.append(
                    GroupMetric(
                        attribute=part.attribute,
                        group=name,
                        metric=key,
                        value=_num(v[g]),
                        low=lo,
                        high=hi,
                        numerator=num,
                        denominator=den,
                        small=bool(small[g]),
                    )
                )
        # --- reference and disparities ---
        favourable = (
            values["selection_rate"]
            if config.positive_is_favourable
            else 1 - values["selection_rate"]
        )
        ref = _reference(part, sizes, favourable, small, config)
        references[part.attribute] = part.labels[ref]
        for m in used:
            if m.name == "base_rate":
                continue
            v = values[m.name]
            nums, dens = metric_parts(counts, m)
            for g, name in enumerate(part.labels):
                if g == ref:
                    continue
                ratio = v[g] / v[ref] if v[ref] else np.nan
                diff = v[g] - v[ref]
                rl = rh = dl = dh = None
                if m.name in draws:
                    d = draws[m.name]
                    with np.errstate(invalid="ignore", divide="ignore"):
                        r_draws = d[:, g] / d[:, ref]
                    r_draws[~np.isfinite(r_draws)] = np.nan
                    low, high = percentile_interval(
                        np.stack([r_draws, d[:, g] - d[:, ref]], 1), config.confidence
                    )
                    rl, rh, dl, dh = _num(low[0]), _num(high[0]), _num(low[1]), _num(high[1])
                r = _num(ratio)
                adj = None
                if m.name == "selection_rate" and control_codes is not None:
                    adj = _adjusted_difference(part.codes, g, ref, control_codes, predicted)
                disparities.append(
                    Disparity(
                        attribute=part.attribute,
                        group=name,
                        reference=part.labels[ref],
                        metric=m.name,
                        value=_num(v[g]),
                        reference_value=_num(v[ref]),
                        ratio=r,
                        ratio_low=rl,
                        ratio_high=rh,
                        difference=_num(diff),
                        difference_low=dl,
                        difference_high=dh,
                        p_value=two_proportion_p(nums[g], dens[g], nums[ref], dens[ref]),
                        p_adjusted=None,
                        in_band=None if r is None else config.band[0] <= r <= config.band[1],
                        small=bool(small[g] or small[ref]),
                        adjusted_difference=adj,
                    )
                )
        # --- four-fifths rule (against the group with the highest favourable rate) ---
        top = (
            int(np.nanargmax(np.where(small, np.nan, favourable)))
            if (~small).any()
            else int(np.nanargmax(favourable))
        )
        fav_draws = None
        if reps is not None:
            sel = draws["selection_rate"]
            fav_draws = sel if config.positive_is_favourable else 1 - sel
        for g, name in enumerate(part.labels):
            ratio = _num(favourable[g] / favourable[top]) if favourable[top] else None
            lo = hi = None
            if fav_draws is not None:
                with np.errstate(invalid="ignore", divide="ignore"):
                    rd = fav_draws[:, g] / fav_draws[:, top]
                rd[~np.isfinite(rd)] = np.nan
                low, high = percentile_interval(rd[:, None], config.confidence)
                lo, hi = _num(low[0]), _num(high[0])
            four.append(
                FourFifths(
                    attribute=part.attribute,
                    group=name,
                    favourable_rate=_num(favourable[g]),
                    highest_group=part.labels[top],
                    impact_ratio=ratio,
                    low=lo,
                    high=hi,
                    violation=ratio is not None and ratio < 0.8,
                    small=bool(small[g]),
                )
            )
        # --- Fairlearn's summaries (between groups: max - min, min / max) ---
        summary_sets: list[tuple[str, list[str], str]] = [
            ("demographic_parity_difference", ["selection_rate"], "difference"),
            ("demographic_parity_ratio", ["selection_rate"], "ratio"),
        ]
        if has_label:
            summary_sets += [
                ("equalized_odds_difference", ["tpr", "fpr"], "difference"),
                ("equalized_odds_ratio", ["tpr", "fpr"], "ratio"),
            ]
        for measure, names, kind in summary_sets:
            point = _between(np.stack([values[n] for n in names]), kind)
            lo = hi = None
            if draws:
                rep = _between(np.stack([draws[n] for n in names]), kind)
                low, high = percentile_interval(rep[:, None], config.confidence)
                lo, hi = _num(low[0]), _num(high[0])
            summaries.append(
                Summary(
                    attribute=part.attribute, measure=measure, value=_num(point), low=lo, high=hi
                )
            )
    # --- multiple testing: Holm over every disparity test of the audit ---
    adjusted = holm([d.p_value for d in disparities])
    disparities = [_replace(d, p_adjusted=p) for d, p in zip(disparities, adjusted, strict=True)]
    findings = _findings(disparities, four, warnings, config)
    return FairnessAudit(
        config=config,
        rows=len(frame),
        metrics=tuple(metrics),
        disparities=tuple(disparities),
        four_fifths=tuple(four),
        summaries=tuple(summaries),
        calibration=tuple(calibration),
        findings=tuple(findings),
        warnings=tuple(warnings),
        references=references,
    )


def _replace(d: Disparity, **changes: Any) -> Disparity:
    from dataclasses import replace

    return replace(d, **changes)


def _between(values: NDArray[np.float64], kind: str) -> Any:
    """Fairlearn's ``between_groups`` aggregate over the group axis (last), worst case over the
    metrics (first axis): the largest max − min, or the smallest min / max."""
    with np.errstate(invalid="ignore", divide="ignore"), quiet():
        hi = np.nanmax(values, axis=-1)
        lo = np.nanmin(values, axis=-1)
        if kind == "difference":
            return np.max(hi - lo, axis=0)
        ratio = np.where(hi > 0, lo / np.where(hi > 0, hi, 1), np.nan)
        return np.min(ratio, axis=0)


def _reference(
    part: _Partition,
    sizes: NDArray[np.int64],
    favourable: NDArray[np.float64],
    small: NDArray[np.bool_],
    config: AuditConfig,
) -> int:
    if config.reference not in REFERENCES and config.reference in part.labels:
        return part.labels.index(config.reference)
    if config.reference == "favoured":
        candidates = np.where(small & (~small).any(), np.nan, favourable)
        return int(np.nanargmax(candidates))
    return int(np.argmax(sizes))


def _control_codes(frame: pd.DataFrame, config: AuditConfig) -> NDArray[np.int64] | None:
    import pandas as pd

    if not config.controls:
        return None
    joined = frame[config.controls[0]].astype("string").fillna("(missing)")
    for c in config.controls[1:]:
        joined = joined + JOIN + frame[c].astype("string").fillna("(missing)")
    codes, _ = pd.factorize(joined)
    return codes.astype(np.int64)


def _adjusted_difference(
    codes: NDArray[np.int64],
    g: int,
    ref: int,
    strata: NDArray[np.int64],
    predicted: NDArray[np.bool_],
) -> float | None:
    """The group's selection rate minus the rate the reference group has in the same strata,
    weighted by the group's members per stratum (strata without reference members left out)."""
    n_strata = int(strata.max()) + 1
    in_g, in_r = codes == g, codes == ref
    g_n = np.bincount(strata[in_g], minlength=n_strata)
    g_x = np.bincount(strata[in_g], weights=predicted[in_g], minlength=n_strata)
    r_n = np.bincount(strata[in_r], minlength=n_strata)
    r_x = np.bincount(strata[in_r], weights=predicted[in_r], minlength=n_strata)
    keep = (g_n > 0) & (r_n > 0)
    if not keep.any():
        return None
    w = g_n[keep] / g_n[keep].sum()
    return float((w * (g_x[keep] / g_n[keep] - r_x[keep] / r_n[keep])).sum())


def _auc(
    part: _Partition,
    scores: NDArray[np.float64],
    label: NDArray[np.bool_],
    boot: bool,
    config: AuditConfig,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """AUC per group, exact (every distinct score its own bin); bootstrap over the counts per
    group, score bin and label (scores binned to quantiles when there are many distinct ones)."""
    uniq, inverse = np.unique(scores, return_inverse=True)
    n_groups = len(part.labels)
    exact_bins = len(uniq)
    cells = np.bincount(
        (part.codes * exact_bins + inverse) * 2 + label, minlength=n_groups * exact_bins * 2
    ).reshape(n_groups, exact_bins, 2)
    auc = binned_auc(cells[..., 1].astype(float), cells[..., 0].astype(float))
    if not boot:
        return auc, None
    if exact_bins > AUC_MAX_BINS:
        edges = np.unique(np.quantile(scores, np.linspace(0, 1, AUC_MAX_BINS + 1)[1:-1]))
        b = np.searchsorted(edges, scores, side="right")
        nb = len(edges) + 1
        cells = np.bincount((part.codes * nb + b) * 2 + label, minlength=n_groups * nb * 2).reshape(
            n_groups, nb, 2
        )
    reps = poisson_replicates(cells, replicates=config.bootstrap, rng=rng)
    return auc, binned_auc(reps[..., 1], reps[..., 0])


def _calibration(
    part: _Partition, scores: NDArray[np.float64], label: NDArray[np.bool_], config: AuditConfig
) -> list[Calibration]:
    """Mean score and observed positive rate per score bin and group (bins: the distinct scores
    when there are few, else quantiles of all scores)."""
    uniq = np.unique(scores)
    if len(uniq) <= config.calibration_bins:
        edges = (uniq[:-1] + uniq[1:]) / 2
    else:
        edges = np.unique(np.quantile(scores, np.linspace(0, 1, config.calibration_bins + 1)[1:-1]))
    b = np.searchsorted(edges, scores, side="right")
    nb = len(edges) + 1
    key = part.codes * nb + b
    size = len(part.labels) * nb
    n = np.bincount(key, minlength=size).reshape(-1, nb)
    s = np.bincount(key, weights=scores, minlength=size).reshape(-1, nb)
    y = np.bincount(key, weights=label.astype(float), minlength=size).reshape(-1, nb)
    lo_edges = np.concatenate([[scores.min()], edges])
    hi_edges = np.concatenate([edges, [scores.max()]])
    out = []
    for g, name in enumerate(part.labels):
        for k in range(nb):
            if n[g, k] == 0:
                continue
            out.append(
                Calibration(
                    attribute=part.attribute,
                    group=name,
                    bin=k,
                    score_low=float(lo_edges[k]),
                    score_high=float(hi_edges[k]),
                    count=int(n[g, k]),
                    mean_score=float(s[g, k] / n[g, k]),
                    observed_rate=float(y[g, k] / n[g, k]),
                )
            )
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.2f} %"


def _findings(
    disparities: list[Disparity],
    four: list[FourFifths],
    warnings: list[str],
    config: AuditConfig,
) -> list[Finding]:
    lo_band, hi_band = config.band
    level = f"{100 * config.confidence:g} %"
    scored: list[tuple[int, float, Finding]] = []

    def add(severity: str, weight: float, **kw: Any) -> None:
        scored.append(
            (SEVERITIES.index(severity), -weight, Finding(rank=0, severity=severity, **kw))
        )

    for f in four:
        if not f.violation or f.small or f.impact_ratio is None:
            continue
        sure = f.high is not None and f.high < 0.8
        severity = "high" if sure else "medium"
        ci = (
            f" ({level} interval {f.low:.2f}–{f.high:.2f})"
            if f.low is not None and f.high is not None
            else ""
        )
        word = (
            "favourable outcome"
            if config.positive_is_favourable
            else "favourable (negative) outcome"
        )
        add(
            severity,
            1 - f.impact_ratio + 1,
            attribute=f.attribute,
            group=f.group,
            metric="four_fifths",
            text=(
                f"Four-fifths rule: {f.attribute} = {f.group} receives the {word} at "
                f"{_pct(f.favourable_rate)}, {f.impact_ratio:.2f} of the rate of "
                f"{f.highest_group}{ci}, below 0.8 — an indication of adverse impact. Assess "
                "whether a legitimate, job- or service-related reason explains it; if not, "
                "mitigate (review the criteria, the threshold or the data) and re-audit."
            ),
        )
    for d in disparities:
        if d.metric not in FINDING_METRICS or d.ratio is None or d.in_band or d.small:
            continue
        significant = d.p_adjusted is not None and d.p_adjusted < config.alpha
        ci_outside = (d.ratio_low is not None and d.ratio_low > hi_band) or (
            d.ratio_high is not None and d.ratio_high < lo_band
        )
        severity = "high" if significant and ci_outside else "medium" if significant else "low"
        m: MetricDefinition = BY_NAME[d.metric]
        ci = (
            f"; {level} interval of the ratio {d.ratio_low:.2f}–{d.ratio_high:.2f}"
            if d.ratio_low is not None and d.ratio_high is not None
            else ""
        )
        p = "" if d.p_adjusted is None else f"; p = {d.p_adjusted:.2g} after Holm's correction"
        tail = (
            "Assess whether a legitimate difference explains it; if not, mitigate and re-audit."
            if significant
            else "It may be chance (not significant): keep it in view and re-audit with more data."
        )
        add(
            severity,
            abs(math.log(d.ratio)) if d.ratio > 0 else 10.0,
            attribute=d.attribute,
            group=d.group,
            metric=d.metric,
            text=(
                f"{d.attribute} = {d.group}: {_pct(d.value)} {m.words}, against "
                f"{_pct(d.reference_value)} for {d.reference} — {d.ratio:.2f} times the "
                f"reference, outside the parity band {lo_band:g}–{hi_band:g}{ci}{p}. {tail}"
            ),
        )
    for w in warnings:
        attribute, _, rest = w.partition(" = ")
        add("warning", 0.0, attribute=attribute, group=rest.split(":")[0], metric=None, text=w)
    scored.sort(key=lambda t: (t[0], t[1]))
    from dataclasses import replace

    return [replace(f, rank=i + 1) for i, (_, _, f) in enumerate(scored)]
