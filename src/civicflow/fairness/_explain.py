"""Explanations of a scikit-learn model's decisions a person can read: the main factors of each
decision (SHAP values of the ``shap`` package, on the model's input columns rather than its
encoded ones), what change to a feature the person can change would have changed the outcome
(counterfactuals), and the global picture (the factors the model uses most, and how).

What GDPR Art. 15(1)(h) and 22 and the EU AI Act's Art. 86 ask for: the main factors actually
used, and how a change in the person's data would have changed the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from civicflow.core import ConfigurationError, InputError, Location, Record, check_choice

if TYPE_CHECKING:
    import pandas as pd

Output = Literal["probability", "log_odds"]
EXACT_MAX_FEATURES = 12
"""Up to this many features the SHAP values are exact (every coalition); above it the
permutation estimate."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExplainConfig:
    """How to explain a model's decisions.

    ``features`` are the model's input columns (default: every column of the table given);
    ``changeable`` those a person can change (income, amount asked; not age or nationality) —
    the only ones counterfactuals move. A decision is positive when the model's score (probability
    of ``positive_class``, or its log-odds) is at least ``threshold``.
    """

    features: tuple[str, ...] = ()
    changeable: tuple[str, ...] = ()
    positive_class: Any = 1
    threshold: float = 0.5
    output: Output = "probability"
    positive_words: str = "positive"
    negative_words: str = "negative"
    labels: dict[str, str] = field(default_factory=dict)
    """Readable names of features (``{"credit_amount": "amount asked"}``)."""
    background: int = 100
    """Rows of the table the SHAP values are taken against (the 'average person')."""
    top_factors: int = 3
    grid: int = 64
    """Candidate values per numeric feature in the counterfactual search (then bisection)."""
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice(self.output, ("probability", "log_odds"), what="output", field="output")
        for name, ok, expected in (
            ("background", 5 <= self.background <= 5000, "5 to 5,000 rows"),
            ("top_factors", 1 <= self.top_factors <= 20, "1 to 20"),
            ("grid", 4 <= self.grid <= 1000, "4 to 1,000"),
        ):
            if not ok:
                raise ConfigurationError(
                    f"ExplainConfig.{name} is out of range",
                    where=Location(field=name),
                    found=str(getattr(self, name)),
                    expected=expected,
                    fix=f"pass {name} within the range",
                )

    def label(self, feature: str) -> str:
        return self.labels.get(feature, feature.replace("_", " "))


@dataclass(frozen=True, slots=True, kw_only=True)
class Factor(Record):
    feature: str
    value: Any
    contribution: float
    """SHAP value: how much this feature moved the score from the average (base) score."""
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Counterfactual(Record):
    feature: str
    value: Any
    """The person's value."""
    new_value: Any
    """The nearest value (numeric: the boundary) at which the outcome changes."""
    direction: str
    """below, above, or equal (a category)."""
    new_score: float
    text: str
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionExplanation(Record):
    row: int
    score: float
    base_score: float
    decision: str
    factors: tuple[Factor, ...]
    """Every feature's contribution, largest influence first; they add up to score − base."""
    counterfactuals: tuple[Counterfactual, ...]
    text: str
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalFactor(Record):
    feature: str
    mean_abs_contribution: float
    share: float
    how: str
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelExplanation:
    method: str
    output: str
    features: tuple[str, ...]
    global_factors: tuple[GlobalFactor, ...]
    decisions: tuple[DecisionExplanation, ...]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "output": self.output,
            "features": list(self.features),
            "text": self.text,
            "global_factors": [g.to_dict() for g in self.global_factors],
            "decisions": [d.to_dict() for d in self.decisions],
        }


class _Encoded:
    """The model's input as numbers for the SHAP masker (categories by code) and back."""

    def __init__(self, frame: pd.DataFrame, features: tuple[str, ...]) -> None:
        import pandas as pd

        self.features = features
        self.codes: dict[str, list[Any]] = {}
        self.dtypes = frame[list(features)].dtypes
        for c in features:
            if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]):
                self.codes[c] = sorted(frame[c].dropna().unique().tolist(), key=str)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.features)))
        for i, c in enumerate(self.features):
            if c in self.codes:
                lookup = {v: k for k, v in enumerate(self.codes[c])}
                out[:, i] = frame[c].map(lookup).to_numpy(dtype=float)
            else:
                out[:, i] = frame[c].to_numpy(dtype=float)
        return out

    def decode(self, array: np.ndarray) -> pd.DataFrame:
        import pandas as pd

        cols: dict[str, Any] = {}
        for i, c in enumerate(self.features):
            if c in self.codes:
                values = np.asarray(self.codes[c], dtype=object)
                cols[c] = values[np.asarray(array[:, i], dtype=float).round().astype(int)]
            else:
                cols[c] = array[:, i].astype(self.dtypes[c], copy=False)
        return pd.DataFrame(cols)


def _scorer(model: Any, config: ExplainConfig, enc: _Encoded) -> Any:
    classes = list(getattr(model, "classes_", []))
    wanted = config.positive_class
    if wanted not in classes:
        # from text (a command line): "True", "1", "granted" name the class of that spelling
        by_text = [c for c in classes if str(c) == str(wanted)]
        wanted = by_text[0] if by_text else wanted
    if not hasattr(model, "predict_proba") or wanted not in classes:
        raise InputError(
            "the model cannot give a probability of the positive class",
            where=Location(field="positive_class"),
            found=f"classes {classes}" if classes else type(model).__name__,
            expected="a fitted scikit-learn classifier or pipeline with predict_proba",
            fix="register a fitted classifier, and name its positive class",
        )
    index = classes.index(wanted)

    def score(array: np.ndarray) -> np.ndarray:
        p = model.predict_proba(enc.decode(np.atleast_2d(array)))[:, index]
        if config.output == "log_odds":
            p = np.clip(p, 1e-12, 1 - 1e-12)
            return np.asarray(np.log(p / (1 - p)))
        return np.asarray(p)

    return score


def explain_model(
    model: Any,
    frame: pd.DataFrame,
    *,
    rows: list[int] | None = None,
    config: ExplainConfig | None = None,
    global_sample: int = 200,
) -> ModelExplanation:
    """Explain ``model`` on ``frame``: the decisions of ``rows`` (positions; default the first
    five) one by one, and the global picture over a sample of ``global_sample`` rows."""
    import shap

    cfg = config or ExplainConfig()
    features = cfg.features or tuple(str(c) for c in frame.columns)
    missing = [c for c in (*features, *cfg.changeable) if c not in frame.columns]
    if missing:
        raise InputError(
            f"the table has no column '{missing[0]}'",
            where=Location(field=missing[0]),
            found=", ".join(map(str, frame.columns[:30])),
            expected="the model's input columns",
            fix="name a column of the table",
        )
    wrong = [c for c in cfg.changeable if c not in features]
    if wrong:
        raise ConfigurationError(
            f"the changeable feature '{wrong[0]}' is not one of the model's features",
            where=Location(field="changeable"),
            found=wrong[0],
            expected=", ".join(features),
            fix="name a feature the model uses",
        )
    data = frame[list(features)].reset_index(drop=True)
    enc = _Encoded(data, features)
    score = _scorer(model, cfg, enc)
    rng = np.random.default_rng(cfg.seed)
    bg_idx = rng.choice(len(data), size=min(cfg.background, len(data)), replace=False)
    background = enc.encode(data.iloc[bg_idx])
    masker = shap.maskers.Independent(background, max_samples=len(background))
    exact = len(features) <= EXACT_MAX_FEATURES
    explainer = (
        shap.explainers.Exact(score, masker)
        if exact
        else shap.explainers.Permutation(score, masker, seed=cfg.seed)
    )
    chosen = list(range(min(5, len(data)))) if rows is None else list(rows)
    for r in chosen:
        if not 0 <= r < len(data):
            raise InputError(
                f"row {r} is not in the table",
                where=Location(row=r, field="row"),
                found=str(r),
                expected=f"0 to {len(data) - 1}",
                fix="give a row position of the table",
            )
    sample_idx = rng.choice(len(data), size=min(global_sample, len(data)), replace=False)
    all_idx = np.concatenate([np.asarray(chosen, dtype=int), sample_idx])
    x = enc.encode(data.iloc[all_idx])
    kwargs: dict[str, Any] = {"silent": True}
    values = explainer(x, **kwargs)
    shap_values = np.asarray(values.values, dtype=float)
    base = np.asarray(values.base_values, dtype=float).reshape(-1)
    decisions = []
    for k, r in enumerate(chosen):
        decisions.append(_decision(r, x[k], shap_values[k], float(base[k]), score, enc, data, cfg))
    sample_values = shap_values[len(chosen) :]
    global_factors = _global(sample_values, x[len(chosen) :], enc, cfg)
    method = (
        "SHAP values (shap, exact over every coalition of features"
        if exact
        else "SHAP values (shap, permutation estimate"
    ) + f", against {len(background)} background rows)"
    lead = ", ".join(
        f"{cfg.label(g.feature)} ({100 * g.share:.0f} %)" for g in global_factors[: cfg.top_factors]
    )
    text = (
        f"The model's decisions depend mainly on {lead} of the average influence on its "
        f"{'probability' if cfg.output == 'probability' else 'log-odds'} of "
        f"'{cfg.positive_words}'. " + " ".join(g.how for g in global_factors[: cfg.top_factors])
    )
    return ModelExplanation(
        method=method,
        output=cfg.output,
        features=features,
        global_factors=global_factors,
        decisions=tuple(decisions),
        text=text,
    )


def _show(value: Any) -> str:
    if isinstance(value, float | np.floating):
        f = float(value)
        if f.is_integer():
            return f"{int(f):,}"
        return f"{f:,.4g}" if abs(f) < 1000 else f"{f:,.0f}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return f"'{value}'"


def _decision(
    row: int,
    x: np.ndarray,
    contributions: np.ndarray,
    base: float,
    score: Any,
    enc: _Encoded,
    data: pd.DataFrame,
    cfg: ExplainConfig,
) -> DecisionExplanation:
    s = float(score(x[None, :])[0])
    positive = s >= cfg.threshold
    decision = cfg.positive_words if positive else cfg.negative_words
    person = data.iloc[row]
    order = np.argsort(-np.abs(contributions), kind="stable")
    factors = tuple(
        Factor(
            feature=enc.features[j],
            value=_plain(person[enc.features[j]]),
            contribution=float(contributions[j]),
        )
        for j in order
    )
    counterfactuals = tuple(_counterfactuals(x, positive, score, enc, data, cfg))
    parts = []
    for f in factors[: cfg.top_factors]:
        verb = "raised" if f.contribution > 0 else "lowered"
        parts.append(
            f"{cfg.label(f.feature)} = {_show(f.value)} {verb} it by {abs(f.contribution):.2f}"
        )
    text = (
        f"The decision was '{decision}' (score {s:.2f}; '{cfg.positive_words}' from "
        f"{cfg.threshold:g}). Against the average score of {base:.2f}, the main factors: "
        + "; ".join(parts)
        + "."
    )
    if counterfactuals:
        text += " " + " ".join(c.text for c in counterfactuals[:2])
    elif cfg.changeable:
        text += (
            " No single change to "
            + ", ".join(cfg.label(c) for c in cfg.changeable)
            + " within the values seen in the data would have changed the outcome."
        )
    return DecisionExplanation(
        row=row,
        score=s,
        base_score=base,
        decision=decision,
        factors=factors,
        counterfactuals=counterfactuals,
        text=text,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _counterfactuals(
    x: np.ndarray, positive: bool, score: Any, enc: _Encoded, data: pd.DataFrame, cfg: ExplainConfig
) -> list[Counterfactual]:
    """For each changeable feature alone: the nearest value that changes the outcome."""
    out: list[tuple[float, Counterfactual]] = []
    other = cfg.negative_words if positive else cfg.positive_words

    def flips(values: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
        trial = np.repeat(x[None, :], len(values), axis=0)
        trial[:, j] = values
        s = score(trial)
        return (s >= cfg.threshold) != positive, s

    for name in cfg.changeable:
        j = enc.features.index(name)
        current = x[j]
        if name in enc.codes:
            codes = np.array([k for k in range(len(enc.codes[name])) if k != current], dtype=float)
            if not len(codes):
                continue
            ok, s = flips(codes, j)
            for k in np.flatnonzero(ok):
                new = enc.codes[name][int(codes[k])]
                old = enc.codes[name][int(current)]
                text = (
                    f"The outcome would have been '{other}' if {cfg.label(name)} were "
                    f"{_show(new)} instead of {_show(old)}."
                )
                out.append(
                    (
                        1.0,
                        Counterfactual(
                            feature=name,
                            value=old,
                            new_value=new,
                            direction="equal",
                            new_score=float(s[k]),
                            text=text,
                        ),
                    )
                )
            continue
        column = data[name].to_numpy(dtype=float)
        spread = float(np.nanstd(column)) or 1.0
        grid = np.unique(np.nanquantile(column, np.linspace(0, 1, cfg.grid)))
        ok, s = flips(grid, j)
        if not ok.any():
            continue
        candidates = grid[ok]
        target = float(candidates[np.argmin(np.abs(candidates - current))])
        lo, hi = float(current), target  # lo keeps the outcome, hi changes it
        integer = bool(np.all(np.mod(column[~np.isnan(column)], 1) == 0))
        for _ in range(40):
            mid = (lo + hi) / 2
            if integer:
                mid = math.floor(mid) if hi < lo else math.ceil(mid)
                if mid in (lo, hi):
                    break
            if flips(np.array([mid]), j)[0][0]:
                hi = mid
            else:
                lo = mid
        boundary = hi
        new_score = float(flips(np.array([boundary]), j)[1][0])
        direction = "below" if boundary < current else "above"
        shown = int(boundary) if integer else float(f"{boundary:.4g}")
        bound_text = (
            f"{_show(shown)} or less"
            if direction == "below" and integer
            else f"{_show(shown)} or more"
            if integer
            else f"{direction} {_show(shown)}"
        )
        text = (
            f"The outcome would have been '{other}' if {cfg.label(name)} were {bound_text} "
            f"(it is {_show(float(current))})."
        )
        out.append(
            (
                abs(boundary - current) / spread,
                Counterfactual(
                    feature=name,
                    value=_plain(current),
                    new_value=shown,
                    direction=direction,
                    new_score=new_score,
                    text=text,
                ),
            )
        )
    out.sort(key=lambda t: t[0])
    return [c for _, c in out]


def _global(
    values: np.ndarray, x: np.ndarray, enc: _Encoded, cfg: ExplainConfig
) -> tuple[GlobalFactor, ...]:
    mean_abs = np.abs(values).mean(axis=0)
    total = float(mean_abs.sum()) or 1.0
    out = []
    for j in np.argsort(-mean_abs, kind="stable"):
        name = enc.features[j]
        label = cfg.label(name)
        if name in enc.codes:
            codes = x[:, j].round().astype(int)
            means = {c: values[codes == c, j].mean() for c in np.unique(codes)}
            best = max(means, key=lambda c: means[c])
            worst = min(means, key=lambda c: means[c])
            how = (
                f"{label} = {_show(enc.codes[name][best])} raises the score most, "
                f"{_show(enc.codes[name][worst])} lowers it most."
            )
        else:
            if np.std(x[:, j]) > 0 and np.std(values[:, j]) > 0:
                r = float(np.corrcoef(x[:, j], values[:, j])[0, 1])
            else:
                r = 0.0
            how = (
                f"A higher {label} raises the score."
                if r > 0.3
                else f"A higher {label} lowers the score."
                if r < -0.3
                else f"{label.capitalize()} acts in both directions."
            )
        out.append(
            GlobalFactor(
                feature=name,
                mean_abs_contribution=float(mean_abs[j]),
                share=float(mean_abs[j] / total),
                how=how,
            )
        )
    return tuple(out)
