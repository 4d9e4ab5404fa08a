"""Monitoring a decision stream: compare an audit with the previous audit of the same stream.

Works on the stored form of two decision audits (``FairnessAudit.to_dict()``), so the ``app``
layer can compare what it stored months apart. Two things are checked:

* drift: the change of each group's accuracy and of each disparity's difference to the reference
  (current minus previous) with an interval. The two audits are independent samples, so the
  interval combines their bootstrap intervals as normal ones would: half-width
  ``sqrt(h_prev² + h_cur²)``. A change is flagged when its interval excludes zero.
* alerts: a disparity of a metric findings are written about (selection rate, TPR, FPR, FNR,
  PPV, accuracy) whose ratio to the reference was inside the parity band and is now outside it
  with its whole bootstrap interval (a disparity already outside the band stays a finding of the
  audit, not a new alert; one whose interval still reaches into the band is noise a half-size
  sample shows often). The intervals are per comparison, not corrected for multiplicity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from civicflow.core import Record
from civicflow.fairness._audit import FINDING_METRICS

DRIFT_METRICS = ("accuracy",)
"""The group metrics whose drift is followed (besides every disparity)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Drift(Record):
    """The change of one group metric (``kind="metric"``) or of one disparity's difference to
    the reference (``kind="disparity"``) between two audits of a stream."""

    kind: str
    attribute: str
    group: str
    metric: str
    previous: float | None
    current: float | None
    change: float | None
    low: float | None
    high: float | None
    significant: bool
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert(Record):
    """A disparity that left the parity band since the previous audit."""

    attribute: str
    group: str
    reference: str
    metric: str
    previous_ratio: float | None
    ratio: float
    ratio_low: float | None
    ratio_high: float | None
    band_low: float
    band_high: float
    confident: bool
    """The ratio's whole interval lies outside the band (always true of a raised alert)."""
    text: str
    _json = True


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorCheck:
    """The comparison of a stream's audit with its previous one."""

    band: tuple[float, float]
    drift: tuple[Drift, ...]
    alerts: tuple[Alert, ...]
    out_of_band: int
    """Disparities (not of small groups) outside the band in the current audit."""

    @property
    def significant(self) -> tuple[Drift, ...]:
        return tuple(d for d in self.drift if d.significant)

    def to_dict(self) -> dict[str, Any]:
        return {
            "band": list(self.band),
            "alerts": [a.to_dict() for a in self.alerts],
            "significant_drift": len(self.significant),
            "out_of_band": self.out_of_band,
            "drift": [d.to_dict() for d in self.drift],
        }


def _f(x: Any) -> float | None:
    if x is None:
        return None
    v = float(x)
    return None if math.isnan(v) or math.isinf(v) else v


def _change(
    prev: tuple[Any, Any, Any], cur: tuple[Any, Any, Any]
) -> tuple[float | None, float | None, float | None, bool]:
    pv, pl, ph = (_f(x) for x in prev)
    cv, cl, ch = (_f(x) for x in cur)
    if pv is None or cv is None:
        return None, None, None, False
    change = cv - pv
    if None in (pl, ph, cl, ch):
        return change, None, None, False
    half = math.hypot((ph - pl) / 2, (ch - cl) / 2)  # type: ignore[operator]
    low, high = change - half, change + half
    return change, low, high, low > 0 or high < 0


def _in(ratio: float, band: tuple[float, float]) -> bool:
    return band[0] <= ratio <= band[1]


def compare_audits(
    previous: Mapping[str, Any] | None,
    current: Mapping[str, Any],
    *,
    band: tuple[float, float] = (0.8, 1.25),
) -> MonitorCheck:
    """Drift and alerts of ``current`` (a decision audit's ``to_dict()``) against ``previous``
    (``None`` for a stream's first audit: no drift, no alert)."""
    cur_d = [d for d in current.get("disparities", []) if not d.get("small")]
    out = sum(1 for d in cur_d if _f(d.get("ratio")) is not None and not _in(d["ratio"], band))
    if previous is None:
        return MonitorCheck(band=band, drift=(), alerts=(), out_of_band=out)
    drift: list[Drift] = []
    prev_m = {(m["attribute"], m["group"], m["metric"]): m for m in previous.get("metrics", [])}
    for m in current.get("metrics", []):
        key = (m["attribute"], m["group"], m["metric"])
        if m["metric"] not in DRIFT_METRICS or key not in prev_m or m.get("small"):
            continue
        p = prev_m[key]
        change, low, high, sig = _change(
            (p["value"], p["low"], p["high"]), (m["value"], m["low"], m["high"])
        )
        drift.append(
            Drift(
                kind="metric", attribute=key[0], group=key[1], metric=key[2],
                previous=_f(p["value"]), current=_f(m["value"]), change=change, low=low,
                high=high, significant=sig,
            )
        )  # fmt: skip
    prev_d = {(d["attribute"], d["group"], d["metric"]): d for d in previous.get("disparities", [])}
    alerts: list[Alert] = []
    for d in cur_d:
        key = (d["attribute"], d["group"], d["metric"])
        p = prev_d.get(key)
        if p is None:
            continue
        change, low, high, sig = _change(
            (p["difference"], p["difference_low"], p["difference_high"]),
            (d["difference"], d["difference_low"], d["difference_high"]),
        )
        drift.append(
            Drift(
                kind="disparity", attribute=key[0], group=key[1], metric=key[2],
                previous=_f(p["difference"]), current=_f(d["difference"]), change=change,
                low=low, high=high, significant=sig,
            )
        )  # fmt: skip
        ratio, before = _f(d.get("ratio")), _f(p.get("ratio"))
        if ratio is None or before is None or _in(ratio, band) or not _in(before, band):
            continue
        rl, rh = _f(d.get("ratio_low")), _f(d.get("ratio_high"))
        confident = rl is not None and rh is not None and (rh < band[0] or rl > band[1])
        if not confident or key[2] not in FINDING_METRICS:
            continue
        alerts.append(
            Alert(
                attribute=key[0], group=key[1], reference=str(d["reference"]), metric=key[2],
                previous_ratio=before, ratio=ratio, ratio_low=rl, ratio_high=rh,
                band_low=band[0], band_high=band[1], confident=confident,
                text=(
                    f"{key[0]} = {key[1]}: the {key[2]} ratio to {d['reference']} left the "
                    f"parity band {band[0]:g}–{band[1]:g}: {before:.2f} → {ratio:.2f}, its "
                    f"interval {rl:.2f}–{rh:.2f}"
                ),
            )
        )  # fmt: skip
    alerts.sort(key=lambda a: (not a.confident, -abs(math.log(a.ratio)) if a.ratio > 0 else 0))
    return MonitorCheck(band=band, drift=tuple(drift), alerts=tuple(alerts), out_of_band=out)


def metric_history(
    audits: list[Mapping[str, Any]], *, attribute: str, metric: str
) -> dict[str, list[float | None]]:
    """Each group's value of ``metric`` over ``audits`` (oldest first), by group."""
    groups: dict[str, list[float | None]] = {}
    for i, audit in enumerate(audits):
        for m in audit.get("metrics", []):
            if m["attribute"] == attribute and m["metric"] == metric:
                groups.setdefault(m["group"], [None] * len(audits))[i] = _f(m["value"])
    return groups
