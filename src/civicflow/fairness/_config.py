"""What a decision audit reads: the typed configuration and the decisions table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicflow.core import ConfigurationError, InputError, Location

if TYPE_CHECKING:
    import pandas as pd

REFERENCES = ("largest", "favoured")
"""How the reference group is chosen when no group value is named: the largest group, or the
group with the highest rate of the favourable outcome."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditConfig:
    """A decision audit: which columns hold the decision, the truth and the groups.

    Give ``outcome`` (a 0/1, true/false or yes/no column: the decision) or ``score`` with
    ``threshold`` (decision = score ≥ threshold), or both (the outcome is the decision, the score
    adds AUC and calibration). ``label`` is the true outcome (optional: without it only counts and
    selection rates exist).
    """

    outcome: str | None = None
    score: str | None = None
    threshold: float | None = None
    label: str | None = None
    groups: tuple[str, ...] = ()
    """Protected attributes; each is audited alone, and together when ``intersectional``."""
    controls: tuple[str, ...] = ()
    """Legitimate attributes: selection-rate differences are also given within their strata."""
    reference: str = "largest"
    """``largest``, ``favoured``, or a group value (used for the attributes that have it)."""
    positive_is_favourable: bool = True
    """False when the positive decision harms the person (a high risk score, a fine)."""
    band: tuple[float, float] = (0.8, 1.25)
    """Parity band of a ratio to the reference (Aequitas's default, the four-fifths rule's 0.8)."""
    min_group_size: int = 30
    """Groups with fewer rows get a warning instead of a finding."""
    intersectional: bool = True
    bootstrap: int = 1000
    confidence: float = 0.95
    alpha: float = 0.05
    """Significance level after Holm's correction over every disparity test of the audit."""
    seed: int = 0
    calibration_bins: int = 10

    def __post_init__(self) -> None:
        def bad(name: str, found: Any, expected: str, fix: str) -> ConfigurationError:
            return ConfigurationError(
                f"the audit's {name} is not usable",
                where=Location(field=name),
                found=str(found),
                expected=expected,
                fix=fix,
            )

        if self.outcome is None and self.score is None:
            raise bad("outcome", None, "an outcome column or a score column", "pass --outcome")
        if self.score is not None and self.outcome is None and self.threshold is None:
            raise bad("threshold", None, "a number", "pass --threshold with --score")
        if not self.groups:
            raise bad("groups", "()", "at least one protected attribute", "pass --group")
        lo, hi = self.band
        if not 0 < lo < 1 < hi:
            raise bad("band", self.band, "0 < low < 1 < high", "e.g. band=(0.8, 1.25)")
        if self.min_group_size < 1:
            raise bad("min_group_size", self.min_group_size, "at least 1", "e.g. 30")
        if not 0 <= self.bootstrap <= 100_000:
            raise bad("bootstrap", self.bootstrap, "0 to 100,000 replicates", "e.g. 1000")
        if not 0.5 <= self.confidence < 1:
            raise bad("confidence", self.confidence, "in [0.5, 1)", "e.g. 0.95")
        if not 0 < self.alpha < 0.5:
            raise bad("alpha", self.alpha, "in (0, 0.5)", "e.g. 0.05")
        if self.calibration_bins < 2:
            raise bad("calibration_bins", self.calibration_bins, "at least 2", "e.g. 10")

    @property
    def columns(self) -> tuple[str, ...]:
        named = (self.outcome, self.score, self.label, *self.groups, *self.controls)
        return tuple(dict.fromkeys(c for c in named if c is not None))

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "score": self.score,
            "threshold": self.threshold,
            "label": self.label,
            "groups": list(self.groups),
            "controls": list(self.controls),
            "reference": self.reference,
            "positive_is_favourable": self.positive_is_favourable,
            "band": list(self.band),
            "min_group_size": self.min_group_size,
            "intersectional": self.intersectional,
            "bootstrap": self.bootstrap,
            "confidence": self.confidence,
            "alpha": self.alpha,
            "seed": self.seed,
            "calibration_bins": self.calibration_bins,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditConfig:
        values = dict(data)
        for key in ("groups", "controls", "band"):
            if key in values and values[key] is not None:
                values[key] = tuple(values[key])
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def read_decisions(path: str | Path, *, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A decisions table from a CSV or Parquet file (only ``columns`` when given)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(
            "the decisions file does not exist",
            where=Location(file=str(p)),
            expected="a CSV or Parquet file",
            fix="check the path",
        )
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p, columns=list(columns) if columns else None)
        frame = pd.read_csv(p, low_memory=False)
    except (ValueError, OSError) as exc:
        raise InputError(
            "the decisions file cannot be read",
            where=Location(file=str(p)),
            found=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            expected="a CSV file with a header row, or a Parquet file",
            fix="export the decisions as CSV or Parquet",
        ) from exc
    if columns:
        check_columns(frame, columns, source=str(p))
        return frame[list(columns)]
    return frame


def check_columns(frame: pd.DataFrame, columns: tuple[str, ...], *, source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"the decisions table has no column '{missing[0]}'",
            where=Location(file=source, field=missing[0]),
            found=", ".join(map(str, frame.columns[:30])),
            expected="the columns named by --outcome/--score/--label/--group/--control",
            fix="name a column of the table",
        )
