"""Demand forecasts: a model per series chosen by rolling-origin cross-validation, prediction
intervals, accuracy on held-out periods against seasonal naive, and reconciliation so the parts of
a hierarchy add up.

One ``cross_validation`` pass of statsforecast fits every candidate model at ``cv_windows + 1``
origins, ``horizon`` periods apart. The first ``cv_windows`` windows choose each series' model (the
lowest mean absolute error); the last window is held out: the chosen model's forecast there,
reconciled like the final one, is scored against seasonal naive's (MASE, sMAPE, coverage). The
chosen model is then fitted on the whole history for the forecast itself.

Series with many zeros (``intermittent_share``) get the Croston family (Croston optimised, ADIDA,
IMAPA, with conformal intervals); the others ETS, Theta, ARIMA and seasonal naive. Known events and
public holidays enter as regressors of AutoARIMA, the one candidate that takes them.

statsforecast compiles its models with numba on first use: the first forecast in a process takes
some seconds more than the next ones.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from civicflow.core import ConfigurationError, InputError, Location, Record, check_choice
from civicflow.forecasting._accuracy import (
    AccuracyReport,
    SeriesAccuracy,
    coverage,
    mase,
    mase_scale,
    smape,
)
from civicflow.forecasting._reconcile import (
    RECONCILIATIONS,
    Reconciliation,
    reconcile,
    summing_matrix,
)
from civicflow.forecasting._series import SEASON, SeriesSet

if TYPE_CHECKING:
    import pandas as pd

ModelName = Literal["ets", "arima", "theta", "seasonal_naive", "croston", "adida", "imapa"]
MODELS: tuple[ModelName, ...] = (
    "ets", "arima", "theta", "seasonal_naive", "croston", "adida", "imapa",
)  # fmt: skip
INTERMITTENT_MODELS: tuple[ModelName, ...] = ("croston", "adida", "imapa")
DEFAULT_MODELS: dict[str, tuple[ModelName, ...]] = {
    "day": ("ets", "theta", "arima", "seasonal_naive"),
    "week": ("ets", "theta", "seasonal_naive"),
    "month": ("ets", "theta", "arima", "seasonal_naive"),
}
"""Candidates when none are named. Weekly series leave AutoARIMA out unless events are given: a
52-week seasonal ARIMA search costs seconds per series (ETS on weekly data is fitted without a
season, which statsforecast's ETS limits to 24 periods; Theta and seasonal naive carry the year)."""
MIN_FIT = 8
"""Fewest periods a model is fitted on (in the first cross-validation window)."""

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is ``cross-validation``, ``forecast`` or ``reconcile``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownEvent(Record):
    """Something known to move demand on given dates (a campaign, a deadline, a closure): a
    regressor that is 1 in every period holding one of the dates, past or future."""

    _json = True
    name: str
    dates: tuple[date, ...]

    def __post_init__(self) -> None:
        if not self.name or not self.dates:
            raise ConfigurationError(
                "an event needs a name and at least one date",
                where=Location(field="events"),
                found=f"name={self.name!r}, {len(self.dates)} dates",
                fix="give each event a name and its dates",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastConfig(Record):
    """How to forecast.

    ``horizon``: periods ahead. ``levels``: prediction-interval levels in percent (the table has
    ``lo_<level>``/``hi_<level>`` columns). ``models``: candidates (empty: :data:`DEFAULT_MODELS`
    for the frequency); seasonal naive is always fitted, as the reference. ``cv_windows``: origins
    that choose the model; ``evaluate``: hold out one more window of ``horizon`` periods for the
    accuracy report. ``reconcile``: how a hierarchy's forecasts are made to add up.
    ``events``/``holidays`` (a country code for the ``holidays`` package, e.g. ``NL``): regressors
    for AutoARIMA, added to the candidates when given. ``short``: a series too short to
    cross-validate is an error, or is left out (listed in the result). ``nonnegative``: clip
    forecasts and bounds at zero (counts). ``n_jobs``: worker processes for statsforecast."""

    _json = True
    horizon: int = 13
    levels: tuple[int, ...] = (80, 95)
    models: tuple[ModelName, ...] = ()
    intermittent_models: tuple[ModelName, ...] = INTERMITTENT_MODELS
    intermittent_share: float = 0.3
    cv_windows: int = 2
    evaluate: bool = True
    reconcile: Reconciliation = "mint_shrink"
    events: tuple[KnownEvent, ...] = ()
    holidays: str | None = None
    short: Literal["error", "skip"] = "error"
    nonnegative: bool = True
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= 520:
            raise ConfigurationError(
                "the horizon must be between 1 and 520 periods",
                where=Location(field="horizon"),
                found=str(self.horizon),
                fix="forecast fewer periods ahead",
            )
        if not self.levels or any(not 0 < lv < 100 for lv in self.levels):
            raise ConfigurationError(
                "interval levels are percentages between 0 and 100",
                where=Location(field="levels"),
                found=", ".join(map(str, self.levels)) or "(none)",
                fix="use levels such as 80 and 95",
            )
        for name in (*self.models, *self.intermittent_models):
            check_choice(name, MODELS, what="model", field="models")
        if not 1 <= self.cv_windows <= 10:
            raise ConfigurationError(
                "cross-validation needs 1 to 10 windows",
                where=Location(field="cv_windows"),
                found=str(self.cv_windows),
                fix="use 2 or 3 windows",
            )
        if not 0 < self.intermittent_share <= 1:
            raise ConfigurationError(
                "the intermittent share is a share of periods",
                where=Location(field="intermittent_share"),
                found=str(self.intermittent_share),
                fix="use a share such as 0.3",
            )
        check_choice(self.reconcile, RECONCILIATIONS, what="reconciliation", field="reconcile")
        check_choice(self.short, ("error", "skip"), what="short-series policy", field="short")
        if self.n_jobs < 1:
            raise ConfigurationError(
                "n_jobs counts worker processes", where=Location(field="n_jobs"),
                found=str(self.n_jobs), fix="use 1 or the number of cores",
            )  # fmt: skip

    @property
    def windows(self) -> int:
        return self.cv_windows + (1 if self.evaluate else 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelChoice(Record):
    """Why a series got its model: each candidate's mean absolute error over the
    cross-validation windows (lower is better)."""

    _json = True
    series: str
    model: str
    intermittent: bool
    season: int
    scores: dict[str, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastResult:
    """Forecasts per series and future period with intervals, the model chosen for each series,
    and (with ``evaluate``) the accuracy on held-out periods.

    :meth:`table` is the interface other parts read (an allocation plans from ``mean`` and checks
    against ``hi_80``): columns ``series``, ``period``, ``mean``, ``lo_<l>``, ``hi_<l>`` for every
    interval level ``l``, ``model``."""

    config: ForecastConfig
    history: SeriesSet
    forecasts: pd.DataFrame
    choices: tuple[ModelChoice, ...]
    accuracy: AccuracyReport | None
    reconciled: Reconciliation
    skipped: tuple[str, ...] = ()
    seconds: float = 0.0
    events: tuple[KnownEvent, ...] = field(default=())

    def table(self) -> pd.DataFrame:
        """The forecast table (a copy): one row per series and future period."""
        return self.forecasts.copy()

    def series_table(self, key: str) -> pd.DataFrame:
        """History and forecast of one series, for a chart: ``period``, ``actual`` (history),
        ``mean``, ``lo_<l>``, ``hi_<l>`` (forecast rows)."""
        import pandas as pd

        hist = self.history.frame[self.history.frame["series"] == key]
        fut = self.forecasts[self.forecasts["series"] == key]
        if hist.empty:
            raise InputError(
                f"there is no series '{key}'",
                where=Location(field="series"),
                expected="one of: " + ", ".join(self.history.keys[:12]),
                fix="pick a series of the forecast",
            )
        past = pd.DataFrame({"period": hist["period"], "actual": hist["value"]})
        return pd.concat([past, fut.drop(columns=["series", "model"])], ignore_index=True)

    def history_dict(self) -> dict[str, dict[str, list[Any]]]:
        """Each series' history as ``{key: {"periods": [ISO dates], "values": [...]}}``."""
        out: dict[str, dict[str, list[Any]]] = {}
        for key, rows in self.history.frame.groupby("series", sort=False):
            out[str(key)] = {
                "periods": [p.date().isoformat() for p in rows["period"]],
                "values": [_json_number(v) for v in rows["value"]],
            }
        return out

    def to_dict(self, *, history: bool = False) -> dict[str, Any]:
        """The result as JSON (undefined numbers, such as the MASE of a constant series, as
        null); ``history``: with every series' past values (for charts)."""
        return _finite(self._dict(history=history))

    def _dict(self, *, history: bool) -> dict[str, Any]:
        table = self.forecasts.copy()
        table["period"] = table["period"].dt.date.map(lambda d: d.isoformat())
        return {
            "config": self.config.to_dict(),
            "series": self.history.to_dict(),
            "reconciled": self.reconciled,
            "skipped": list(self.skipped),
            "seconds": round(self.seconds, 3),
            "choices": [c.to_dict() for c in self.choices],
            "accuracy": None if self.accuracy is None else self.accuracy.to_dict(),
            "forecasts": [
                {k: _json_number(v) for k, v in row.items()}
                for row in table.to_dict(orient="records")
            ],
        } | ({"history": self.history_dict()} if history else {})


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite number replaced by None (JSON has neither)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    return value


def _json_number(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return round(float(value), 4) if np.isfinite(value) else None
    return value


def _model(name: ModelName, season: int, config: ForecastConfig) -> Any:
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        AutoARIMA,
        AutoETS,
        CrostonOptimized,
        SeasonalNaive,
        Theta,
    )
    from statsforecast.utils import ConformalIntervals

    if name == "ets":
        return AutoETS(season_length=season if season <= 24 else 1, alias=name)
    if name == "arima":
        return AutoARIMA(season_length=season, approximation=True, alias=name)
    if name == "theta":
        return Theta(season_length=season, alias=name)
    if name == "seasonal_naive":
        return SeasonalNaive(season_length=season, alias=name)
    conformal = ConformalIntervals(h=config.horizon, n_windows=2)
    if name == "croston":
        return CrostonOptimized(alias=name, prediction_intervals=conformal)
    if name == "adida":
        return ADIDA(alias=name, prediction_intervals=conformal)
    return IMAPA(alias=name, prediction_intervals=conformal)


@dataclass(slots=True)
class _Group:
    """Series fitted with the same candidates: regular or intermittent, seasonal or not."""

    intermittent: bool
    season: int
    keys: list[str]
    models: tuple[ModelName, ...]


def event_regressors(
    periods: pd.DatetimeIndex, offset: str, events: tuple[KnownEvent, ...]
) -> pd.DataFrame:
    """One 0/1 column per event over ``periods`` (1 where a date falls in the period)."""
    import pandas as pd

    step = pd.tseries.frequencies.to_offset(offset)
    out = pd.DataFrame(index=periods)
    starts = periods.to_numpy()
    ends = (periods + step).to_numpy()
    for i, event in enumerate(events):
        column = np.zeros(len(periods))
        for d in event.dates:
            ts = np.datetime64(pd.Timestamp(d))
            column[(starts <= ts) & (ts < ends)] = 1.0
        out[f"event_{i}"] = column
    return out


def _holiday_events(country: str, years: range) -> KnownEvent:
    import holidays

    try:
        calendar = holidays.country_holidays(country, years=list(years))
    except NotImplementedError as exc:
        raise ConfigurationError(
            f"there is no holiday calendar for '{country}'",
            where=Location(field="holidays"),
            found=country,
            expected="a country code of the holidays package (NL, DE, GB, US, …)",
            fix="pass a supported country code, or list the dates as events",
        ) from exc
    return KnownEvent(name=f"holidays {country}", dates=tuple(sorted(calendar)))


def forecast(
    series: SeriesSet,
    config: ForecastConfig | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ForecastResult:
    """Forecast every series of ``series`` ``config.horizon`` periods ahead (see the module)."""
    import pandas as pd

    cfg = config or ForecastConfig()
    started = time.perf_counter()
    frame = series.frame
    season = SEASON[series.freq]
    need = cfg.windows * cfg.horizon + MIN_FIT
    lengths = frame.groupby("series", sort=False).size()
    short = lengths[lengths < need]
    if len(short) and (cfg.short == "error" or series.hierarchical):
        key = str(short.index[0])
        raise InputError(
            f"series '{key}' is too short to forecast {cfg.horizon} periods ahead with "
            "cross-validation",
            where=Location(field=key),
            found=f"{int(short.iloc[0])} {series.freq}s ({len(short)} series too short)",
            expected=f"at least {need} periods ({cfg.windows} windows of {cfg.horizon} plus "
            f"{MIN_FIT} to fit on)",
            fix="forecast fewer periods ahead (--horizon), use fewer windows (--cv-windows), "
            "a finer period (--freq), or leave short series out (--skip-short; not in a "
            "hierarchy, whose parts must all be forecast)",
        )
    skipped = tuple(str(k) for k in short.index)
    if skipped:
        frame = frame[~frame["series"].isin(skipped)]
    if frame.empty:
        raise InputError(
            "every series is too short to forecast",
            where=Location(field="series"),
            expected=f"at least {need} periods",
            fix="forecast fewer periods ahead, or pass a longer history",
        )
    keys = list(dict.fromkeys(frame["series"]))
    events = cfg.events
    if cfg.holidays:
        years = range(frame["period"].min().year, frame["period"].max().year + 3)
        events = (*events, _holiday_events(cfg.holidays, years))
    groups = _groups(frame, keys, season, need, cfg, events)
    df = frame.rename(columns={"series": "unique_id", "period": "ds", "value": "y"})
    regressors = _regressors(df, series.offset, cfg, events)

    cv_parts: list[pd.DataFrame] = []
    total = sum(len(g.keys) for g in groups)
    done = 0
    for group in groups:
        for chunk in _chunks(group.keys, 250):
            cv_parts.append(_cross_validate(df, chunk, group, series.offset, cfg, regressors))
            done += len(chunk)
            if progress is not None:
                progress("cross-validation", done, total)
    cv = pd.concat(cv_parts, ignore_index=True)
    # origins counted per series (series may end in different periods)
    cv["window"] = cv.groupby("unique_id")["cutoff"].rank(method="dense").astype(int) - 1
    selection = cv[cv["window"] < cfg.cv_windows]

    choices = _choose(selection, groups)
    chosen = {c.series: c.model for c in choices}
    hierarchical = series.hierarchical and cfg.reconcile != "none"
    method: Reconciliation = cfg.reconcile if series.hierarchical else "none"
    s_matrix, bottom_rows = None, []
    if hierarchical:
        s_matrix, bottom_keys = summing_matrix(tuple(keys), series.parents)
        bottom_rows = [keys.index(k) for k in bottom_keys]

    accuracy = None
    if cfg.evaluate:
        window = cv[cv["window"] == cfg.cv_windows]
        base = _pick(window, chosen, cfg.levels)
        if hierarchical and s_matrix is not None:
            errors = _errors(selection, chosen, keys)
            base = _reconcile_frame(base, keys, s_matrix, bottom_rows, method, errors, cfg.levels)
        accuracy = _accuracy(base, window, frame, season, cfg, chosen)

    fc = _final(df, groups, chosen, series.offset, cfg, regressors, events, progress)
    if hierarchical and s_matrix is not None:
        if progress is not None:
            progress("reconcile", 0, 1)
        errors = _errors(cv, chosen, keys)
        fc = _reconcile_frame(fc, keys, s_matrix, bottom_rows, method, errors, cfg.levels)
        if progress is not None:
            progress("reconcile", 1, 1)
    if cfg.nonnegative:
        value_columns = [c for c in fc.columns if c not in ("series", "period", "model")]
        fc[value_columns] = fc[value_columns].clip(lower=0.0)
        if hierarchical and s_matrix is not None:
            fc = _coherent_means(fc, keys, s_matrix, bottom_rows, cfg.levels)
    order = {k: i for i, k in enumerate(keys)}
    fc = fc.sort_values(
        ["series", "period"], key=lambda s: s.map(order) if s.name == "series" else s
    )
    return ForecastResult(
        config=cfg,
        history=series,
        forecasts=fc.reset_index(drop=True),
        choices=tuple(sorted(choices, key=lambda c: order[c.series])),
        accuracy=accuracy,
        reconciled=method,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        events=events,
    )


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _groups(
    frame: pd.DataFrame,
    keys: list[str],
    season: int,
    need: int,
    cfg: ForecastConfig,
    events: tuple[KnownEvent, ...],
) -> list[_Group]:
    stats = frame.groupby("series", sort=False)["value"].agg(
        zeros=lambda v: float(np.mean(v.to_numpy() == 0)), length="size"
    )
    regular: tuple[ModelName, ...] = cfg.models or DEFAULT_MODELS[_freq_of(season)]
    if events and "arima" not in regular:
        regular = (*regular, "arima")
    out: dict[tuple[bool, int], _Group] = {}
    for key in keys:
        intermittent = bool(stats.loc[key, "zeros"] >= cfg.intermittent_share)
        fit_length = int(stats.loc[key, "length"]) - cfg.windows * cfg.horizon
        m = season if fit_length >= 2 * season else 1
        models = cfg.intermittent_models if intermittent else regular
        models = tuple(dict.fromkeys((*models, "seasonal_naive")))
        group = out.setdefault((intermittent, m), _Group(intermittent, m, [], models))
        group.keys.append(key)
    return list(out.values())


def _freq_of(season: int) -> str:
    return {v: k for k, v in SEASON.items()}[season]


def _regressors(
    df: pd.DataFrame, offset: str, cfg: ForecastConfig, events: tuple[KnownEvent, ...]
) -> pd.DataFrame | None:
    """The event columns over the history and the horizon (index: period), or None."""
    import pandas as pd

    if not events:
        return None
    first, last = df["ds"].min(), df["ds"].max()
    step = pd.tseries.frequencies.to_offset(offset)
    grid = pd.date_range(first, last + step * cfg.horizon, freq=offset)
    return event_regressors(grid, offset, events)


def _with_regressors(df: pd.DataFrame, regressors: pd.DataFrame) -> pd.DataFrame:
    return df.merge(regressors, left_on="ds", right_index=True, how="left").fillna(
        {c: 0.0 for c in regressors.columns}
    )


def _statsforecast(models: list[Any], offset: str, cfg: ForecastConfig) -> Any:
    from statsforecast import StatsForecast

    return StatsForecast(models=models, freq=offset, n_jobs=cfg.n_jobs)


def _cross_validate(
    df: pd.DataFrame,
    keys: list[str],
    group: _Group,
    offset: str,
    cfg: ForecastConfig,
    regressors: pd.DataFrame | None,
) -> pd.DataFrame:
    """Every candidate of the group at every origin: one frame with a column per model and
    ``<model>-lo-<l>``/``-hi-<l>``."""
    part = df[df["unique_id"].isin(keys)]
    plain = [m for m in group.models if not (m == "arima" and regressors is not None)]
    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if plain:
            sf = _statsforecast([_model(m, group.season, cfg) for m in plain], offset, cfg)
            frames.append(
                sf.cross_validation(
                    df=part,
                    h=cfg.horizon,
                    n_windows=cfg.windows,
                    step_size=cfg.horizon,
                    level=list(cfg.levels),
                )
            )
        if len(plain) < len(group.models) and regressors is not None:
            sf = _statsforecast([_model("arima", group.season, cfg)], offset, cfg)
            frames.append(
                sf.cross_validation(
                    df=_with_regressors(part, regressors),
                    h=cfg.horizon,
                    n_windows=cfg.windows,
                    step_size=cfg.horizon,
                    level=list(cfg.levels),
                ).drop(columns=["y"])
            )
    out = frames[0]
    for extra in frames[1:]:
        out = out.merge(extra, on=["unique_id", "ds", "cutoff"], how="left")
    out["unique_id"] = out["unique_id"].astype(str)
    out.attrs["models"] = group.models
    return out


def _choose(window: pd.DataFrame, groups: list[_Group]) -> list[ModelChoice]:
    by_key = {k: g for g in groups for k in g.keys}
    choices = []
    for key, rows in window.groupby("unique_id", sort=False):
        group = by_key[str(key)]
        actual = rows["y"].to_numpy(dtype=np.float64)
        scores: dict[str, float] = {}
        for m in group.models:
            predicted = rows[m].to_numpy(dtype=np.float64)
            scores[m] = (
                float(np.mean(np.abs(actual - predicted)))
                if np.isfinite(predicted).all()
                else float("inf")
            )
        best = min(scores, key=lambda m: (scores[m], group.models.index(m)))  # type: ignore[arg-type]
        choices.append(
            ModelChoice(
                series=str(key),
                model=best,
                intermittent=group.intermittent,
                season=group.season,
                scores={
                    m: round(v, 4) if np.isfinite(v) else float("nan") for m, v in scores.items()
                },
            )
        )
    return choices


def _pick(window: pd.DataFrame, chosen: dict[str, str], levels: tuple[int, ...]) -> pd.DataFrame:
    """The chosen model's columns of a cross-validation window as a forecast table."""
    import pandas as pd

    rows = []
    for key, part in window.groupby("unique_id", sort=False):
        m = chosen[str(key)]
        out = pd.DataFrame({"series": str(key), "period": part["ds"], "mean": part[m]})
        for lv in levels:
            out[f"lo_{lv}"] = part[f"{m}-lo-{lv}"]
            out[f"hi_{lv}"] = part[f"{m}-hi-{lv}"]
        out["model"] = m
        rows.append(out)
    return pd.concat(rows, ignore_index=True)


def _errors(
    cv: pd.DataFrame, chosen: dict[str, str], keys: list[str]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Forecast errors of the chosen models: (origin, step) × series, in ``keys`` order."""
    import pandas as pd

    model_of = cv["unique_id"].map(chosen)
    predicted = np.full(len(cv), np.nan)
    for m in set(chosen.values()):
        mask = (model_of == m).to_numpy()
        predicted[mask] = cv.loc[mask, m].to_numpy(dtype=np.float64)
    err = pd.Series(
        cv["y"].to_numpy(dtype=np.float64) - predicted,
        index=pd.MultiIndex.from_arrays([cv["unique_id"], cv["window"], cv["ds"]]),
    )
    wide = err.unstack(level=0).reindex(columns=keys)
    return wide.to_numpy(dtype=np.float64)


def _reconcile_frame(
    fc: pd.DataFrame,
    keys: list[str],
    s_matrix: np.ndarray[Any, np.dtype[np.float64]],
    bottom_rows: list[int],
    method: Reconciliation,
    errors: np.ndarray[Any, np.dtype[np.float64]],
    levels: tuple[int, ...],
) -> pd.DataFrame:
    """Reconcile the means; move each interval by its mean's adjustment (widths kept)."""
    import pandas as pd

    wide = fc.pivot(index="series", columns="period", values="mean").reindex(keys)
    base = wide.to_numpy(dtype=np.float64)
    if not np.isfinite(base).all():
        raise InputError(
            "a base forecast is missing, so the hierarchy cannot be reconciled",
            where=Location(field="series"),
            expected="a forecast for every series and period",
            fix="use reconcile='none', or check the series for gaps",
        )
    adjusted = reconcile(base, s_matrix, method=method, bottom_rows=bottom_rows, residuals=errors)
    shift = pd.DataFrame(adjusted - base, index=wide.index, columns=wide.columns).stack()
    out = fc.copy()
    where = pd.MultiIndex.from_arrays([out["series"], out["period"]])
    moves = shift.reindex(where).to_numpy(dtype=np.float64)
    out["mean"] = out["mean"] + moves
    for lv in levels:
        out[f"lo_{lv}"] = out[f"lo_{lv}"] + moves
        out[f"hi_{lv}"] = out[f"hi_{lv}"] + moves
    return out


def _coherent_means(
    fc: pd.DataFrame,
    keys: list[str],
    s_matrix: np.ndarray[Any, np.dtype[np.float64]],
    bottom_rows: list[int],
    levels: tuple[int, ...],
) -> pd.DataFrame:
    """After clipping at zero, the means summed up again from the (clipped) bottom series so the
    hierarchy still adds up; each interval still holds its mean."""
    import pandas as pd

    wide = fc.pivot(index="series", columns="period", values="mean").reindex(keys)
    summed = s_matrix @ wide.to_numpy(dtype=np.float64)[bottom_rows]
    means = pd.DataFrame(summed, index=wide.index, columns=wide.columns).stack()
    out = fc.copy()
    where = pd.MultiIndex.from_arrays([out["series"], out["period"]])
    out["mean"] = means.reindex(where).to_numpy(dtype=np.float64)
    for lv in levels:
        out[f"lo_{lv}"] = np.minimum(out[f"lo_{lv}"], out["mean"])
        out[f"hi_{lv}"] = np.maximum(out[f"hi_{lv}"], out["mean"])
    return out


def _accuracy(
    holdout: pd.DataFrame,
    window: pd.DataFrame,
    frame: pd.DataFrame,
    season: int,
    cfg: ForecastConfig,
    chosen: dict[str, str],
) -> AccuracyReport:
    out = []
    for key, part in holdout.groupby("series", sort=False):
        naive = window[window["unique_id"] == key]
        cutoff = naive["cutoff"].iloc[0]
        actual = naive["y"].to_numpy(dtype=np.float64)
        history = frame[(frame["series"] == key) & (frame["period"] <= cutoff)]["value"].to_numpy(
            dtype=np.float64
        )
        scale = mase_scale(history, season)
        predicted = part["mean"].to_numpy(dtype=np.float64)
        naive_mean = naive["seasonal_naive"].to_numpy(dtype=np.float64)
        if cfg.nonnegative:
            predicted = np.clip(predicted, 0, None)
        out.append(
            SeriesAccuracy(
                series=str(key),
                model=chosen[str(key)],
                periods=len(actual),
                mase=mase(actual, predicted, scale),
                smape=smape(actual, predicted),
                coverage={
                    str(lv): coverage(
                        actual,
                        part[f"lo_{lv}"].to_numpy(np.float64),
                        part[f"hi_{lv}"].to_numpy(np.float64),
                    )
                    for lv in cfg.levels
                },
                naive_mase=mase(actual, naive_mean, scale),
                naive_smape=smape(actual, naive_mean),
                naive_coverage={
                    str(lv): coverage(
                        actual,
                        naive[f"seasonal_naive-lo-{lv}"].to_numpy(np.float64),
                        naive[f"seasonal_naive-hi-{lv}"].to_numpy(np.float64),
                    )
                    for lv in cfg.levels
                },
            )
        )
    return AccuracyReport(holdout=cfg.horizon, series=tuple(out))


def _final(
    df: pd.DataFrame,
    groups: list[_Group],
    chosen: dict[str, str],
    offset: str,
    cfg: ForecastConfig,
    regressors: pd.DataFrame | None,
    events: tuple[KnownEvent, ...],
    progress: ProgressCallback | None,
) -> pd.DataFrame:
    """Each series' chosen model fitted on its whole history, ``horizon`` periods ahead."""
    import pandas as pd

    batches: dict[tuple[int, str], list[str]] = {}
    for group in groups:
        for key in group.keys:
            batches.setdefault((group.season, chosen[key]), []).append(key)
    parts = []
    total = sum(len(v) for v in batches.values())
    done = 0
    step = pd.tseries.frequencies.to_offset(offset)
    for (season, name), keys in batches.items():
        part = df[df["unique_id"].isin(keys)]
        model = _model(name, season, cfg)  # type: ignore[arg-type]
        sf = _statsforecast([model], offset, cfg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name == "arima" and regressors is not None:
                future = _future(part, step, cfg.horizon)
                fc = sf.forecast(
                    df=_with_regressors(part, regressors), h=cfg.horizon,
                    X_df=_with_regressors(future, regressors), level=list(cfg.levels),
                )  # fmt: skip
            else:
                fc = sf.forecast(df=part, h=cfg.horizon, level=list(cfg.levels))
        out = pd.DataFrame(
            {"series": fc["unique_id"].astype(str), "period": fc["ds"], "mean": fc[name]}
        )
        for lv in cfg.levels:
            out[f"lo_{lv}"] = fc[f"{name}-lo-{lv}"]
            out[f"hi_{lv}"] = fc[f"{name}-hi-{lv}"]
        out["model"] = name
        parts.append(out)
        done += len(keys)
        if progress is not None:
            progress("forecast", done, total)
    return pd.concat(parts, ignore_index=True)


def _future(part: pd.DataFrame, step: Any, horizon: int) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for key, rows_ in part.groupby("unique_id", sort=False):
        last = rows_["ds"].max()
        rows.append(
            pd.DataFrame(
                {"unique_id": key, "ds": pd.date_range(last + step, periods=horizon, freq=step)}
            )
        )
    return pd.concat(rows, ignore_index=True)
