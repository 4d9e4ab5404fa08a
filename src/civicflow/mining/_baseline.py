"""Baselines: named, timestamped, frozen KPI snapshots that every later change is measured against.

A baseline is one JSON file, ``<workspace>/baselines/<name>.json``, holding the KPI values with their
definitions, the filter, the dataset's name, fingerprint and counts, the engine and civicflow's
version. Baselines are frozen: freezing refuses to overwrite, and the file appears whole or not at
all (written beside, then linked into place).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from civicflow import __version__
from civicflow.core import ConflictError, InputError, Location, NotFoundError, check_name, new_id
from civicflow.eventlog import EventStore
from civicflow.mining._kpis import SAMPLE_LIMIT, Direction, KpiSnapshot, KpiValue, compute_kpis
from civicflow.mining._record import Kpis, Record, Rows
from civicflow.mining._significance import format_p, mann_whitney, two_proportion_z
from civicflow.mining._view import EventLogFilter

if TYPE_CHECKING:
    from civicflow.mining._sla import SlaConfig
    from civicflow.mining._view import LogView

BASELINE_FORMAT = 1
Assessment = Literal["better", "worse", "no material change", "changed", "not comparable"]

# Two computations of one KPI on the same data differ in the last bits when the engine sums in
# another order (DuckDB threads, Spark partitions): within these bounds a value is the same.
# The relative bound covers large values (case counts, seconds); the absolute one values near 0
# (shares), where a relative bound alone would call 1e-17 against 0 a change.
_SLA_SCOPE = ("target_seconds", "deadline_attribute", "calendar", "end_activities")
"""The parts of a stored SLA that define what is measured (not its trend period or list length)."""

REL_TOL = 1e-9
ABS_TOL = 1e-12


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeThresholds(Record):
    """When a KPI's change counts, and how it is tested.

    A change is *material* when it reaches both the relative threshold (``relative``: share of
    the baseline value) and the absolute one of its unit (``absolute_share`` for shares, in
    share points — 0.01 is one percentage point; ``absolute_days`` for durations in days;
    ``absolute_other`` for every other unit). Below either, the verdict is "no material
    change". A material change is tested where a test applies and both sides keep what it
    needs (``KpiValue.sample``): Mann-Whitney U on per-case values (durations, events per case),
    a two-proportion z-test on rates; significant when p < ``alpha``.
    """

    relative: float = 0.05
    absolute_share: float = 0.01
    absolute_days: float = 0.5
    absolute_other: float = 0.0
    alpha: float = 0.05

    def __post_init__(self) -> None:
        for name in ("relative", "absolute_share", "absolute_days", "absolute_other"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InputError(
                    f"the change threshold {name} must be zero or more",
                    where=Location(field=name),
                    found=str(value),
                    expected="a finite number >= 0",
                    fix=f"pass e.g. {name}={getattr(ChangeThresholds(), name)}",
                )
        if not 0 < self.alpha < 1:
            raise InputError(
                "the significance level must be between 0 and 1",
                where=Location(field="alpha"),
                found=str(self.alpha),
                expected="0 < alpha < 1",
                fix="pass alpha=0.05",
            )

    def absolute(self, unit: str) -> float:
        """The absolute threshold of a KPI in ``unit``."""
        if unit == "share":
            return self.absolute_share
        if unit == "days":
            return self.absolute_days
        return self.absolute_other


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline(Kpis[KpiValue]):
    """A frozen KPI snapshot of a dataset seen through a filter."""

    name: str
    description: str | None
    created_at: str
    civicflow_version: str
    engine: str
    dataset: str
    fingerprint: str
    """sha256 of the dataset's events when the baseline was frozen."""
    dataset_events: int
    dataset_cases: int
    events: int
    """Events in the filtered view."""
    cases: int
    """Cases in the filtered view."""
    filter: EventLogFilter
    sla: dict[str, Any] | None
    kpis: tuple[KpiValue, ...]

    _rows = "kpis"

    @property
    def kpi_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.kpis)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BASELINE_FORMAT,
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at,
            "civicflow_version": self.civicflow_version,
            "engine": self.engine,
            "dataset": {
                "name": self.dataset,
                "fingerprint": self.fingerprint,
                "events": self.dataset_events,
                "cases": self.dataset_cases,
            },
            "view": {"events": self.events, "cases": self.cases},
            "filter": self.filter.to_dict(),
            "sla": self.sla,
            "kpis": [v.to_dict() for v in self.kpis],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        ds = data["dataset"]
        return cls(
            name=str(data["name"]),
            description=data.get("description"),
            created_at=str(data["created_at"]),
            civicflow_version=str(data.get("civicflow_version", "")),
            engine=str(data.get("engine", "")),
            dataset=str(ds["name"]),
            fingerprint=str(ds["fingerprint"]),
            dataset_events=int(ds["events"]),
            dataset_cases=int(ds["cases"]),
            events=int(data["view"]["events"]),
            cases=int(data["view"]["cases"]),
            filter=EventLogFilter.from_dict(data.get("filter") or {}),
            sla=data.get("sla"),
            kpis=tuple(KpiValue.from_dict(k) for k in data["kpis"]),
        )

    @property
    def scope(self) -> dict[str, Any]:
        """What a value of this baseline is a value *of*: the dataset (by name: later data
        replaces it under the same name), the filter and the SLA definition (target or deadline
        attribute, calendar, end activities). Two baselines measure the same thing only when
        their scopes are equal (:meth:`same_scope`)."""
        sla = self.sla or {}
        return {
            "dataset": self.dataset,
            "filter": self.filter.to_dict(),
            "sla": {k: sla.get(k) for k in _SLA_SCOPE} if self.sla else None,
        }

    def same_scope(self, other: Baseline) -> bool:
        """Whether ``other`` measures the same population the same way (see :attr:`scope`): only
        such a baseline can move an objective set on this one."""
        return self.scope == other.scope

    def sla_config(self) -> SlaConfig | None:
        """The SLA the baseline's compliance KPI was computed with, to recompute it the same way."""
        from civicflow.mining._sla import SlaConfig

        return SlaConfig.from_dict(self.sla) if self.sla else None


def _baseline_path(workspace: EventStore, name: str) -> Path:
    return workspace.baselines_dir / f"{name}.json"


def freeze_baseline(
    *,
    workspace: EventStore,
    view: LogView,
    name: str,
    kpis: Iterable[str] | None = None,
    description: str | None = None,
    sla: SlaConfig | None = None,
    write_to: Path | None = None,
) -> Baseline:
    """Compute the KPIs on ``view`` and store them as the frozen baseline ``name``.

    Raises ``ConflictError`` when a baseline of that name exists: baselines are never overwritten.
    ``write_to`` writes the file there instead (the application stages it under a hidden name
    and renames it into place in the transaction of its ledger entry).
    """
    check_name(name, kind="baseline name")
    target = _baseline_path(workspace, name)
    if target.exists():
        raise _exists(workspace, name)
    snapshot = compute_kpis(view, names=kpis, sla=sla, samples=True)
    manifest = view.dataset.manifest
    if snapshot.cases == 0:
        # a baseline of nothing would hold only "–": later comparisons and objectives' progress
        # would have no reference to measure against
        raise InputError(
            f"the filter keeps no case of '{manifest.name}', so there is nothing to freeze",
            where=Location(field="filter"),
            found=f"0 of {manifest.cases:,} cases after the filter",
            expected="a filter that keeps at least one case",
            fix="loosen the filter (see the case count after each step with `civicflow filters` "
            "or on the Assessment page), or freeze the whole dataset",
        )
    baseline = Baseline(
        name=name,
        description=description,
        created_at=snapshot.computed_at,
        civicflow_version=__version__,
        engine=snapshot.engine,
        dataset=manifest.name,
        fingerprint=manifest.fingerprint,
        dataset_events=manifest.events,
        dataset_cases=manifest.cases,
        events=snapshot.events,
        cases=snapshot.cases,
        filter=view.filter,
        sla=snapshot.sla,
        kpis=snapshot.values,
    )
    text = json.dumps(baseline.to_dict(), indent=2, allow_nan=False) + "\n"
    _write_new(write_to or target, text, workspace)
    return baseline


def _write_new(target: Path, text: str, workspace: EventStore) -> None:
    """Write ``target`` whole, never replacing an existing file (even one created meanwhile)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.stem}.{new_id()}.tmp"
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            # link() fails if the target exists, so two concurrent freezes cannot both win
            os.link(tmp, target)
        except FileExistsError:
            raise _exists(workspace, target.stem) from None
        except OSError:
            # file systems without hard links: rename after a check (a small race, no partial file)
            if target.exists():
                raise _exists(workspace, target.stem) from None
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _exists(workspace: EventStore, name: str) -> ConflictError:
    return ConflictError(
        f"a baseline named '{name}' already exists in {workspace.path}",
        where=Location(file=str(_baseline_path(workspace, name))),
        found=name,
        expected="a new name: baselines are frozen and never overwritten",
        fix=f"choose another name, such as '{name}-2', or compare with it: "
        f"`civicflow baseline compare {name} --dataset <dataset>`",
    )


def list_baselines(workspace: EventStore) -> list[Baseline]:
    """Every baseline in the workspace, oldest first."""
    folder = workspace.baselines_dir
    if not folder.exists():
        return []
    found = [_read(path) for path in folder.glob("*.json") if not path.name.startswith(".")]
    return sorted(found, key=lambda b: (b.created_at, b.name))


def load_baseline(workspace: EventStore, name: str) -> Baseline:
    """The baseline called ``name``."""
    path = _baseline_path(workspace, name)
    if not path.exists():
        known = ", ".join(b.name for b in list_baselines(workspace)) or "none yet"
        raise NotFoundError(
            f"no baseline '{name}' in workspace {workspace.path}",
            where=Location(file=str(path)),
            found=name,
            expected=f"one of: {known}",
            fix="list them with `civicflow baseline list`, or freeze one with "
            "`civicflow baseline freeze`",
        )
    return _read(path)


def _read(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != BASELINE_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        return Baseline.from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            "a baseline file cannot be read",
            where=Location(file=str(path)),
            found=f"{type(exc).__name__}: {exc}",
            expected=f"a civicflow baseline (JSON, format {BASELINE_FORMAT})",
            fix="restore the file from a backup, or move it out of the baselines folder",
        ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiChange(Record):
    """One KPI then and now."""

    name: str
    label: str
    unit: str
    direction: Direction
    baseline: float | None
    current: float | None
    absolute_change: float | None
    relative_change: float | None
    """(current − baseline) / |baseline|; None when the baseline is 0 or missing."""
    assessment: Assessment
    definition_changed: bool = False
    """The two values were computed with different definitions (compare with care)."""
    test: str | None = None
    """The significance test run ("Mann-Whitney U", "two-proportion z-test"), or None."""
    p_value: float | None = None
    significant: bool | None = None
    """p < alpha; None when not tested (see ``test_note``)."""
    test_note: str | None = None
    """Why no test was run ("not tested: ..."), or the test's result in words."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineComparison(Rows[KpiChange]):
    """Per KPI: the baseline value, the current value, the change, and whether it is better."""

    baseline: str
    current: str
    """The other baseline's name, or ``current data`` for a recomputation."""
    baseline_fingerprint: str
    current_fingerprint: str
    filter_changed: bool
    changes: tuple[KpiChange, ...]
    thresholds: ChangeThresholds = ChangeThresholds()

    @property
    def fingerprint_changed(self) -> bool:
        """The data differ: a change in a KPI may come from new data, not only a process change."""
        return self.baseline_fingerprint != self.current_fingerprint

    _rows = "changes"
    _keys = (
        "baseline",
        "current",
        "baseline_fingerprint",
        "current_fingerprint",
        "fingerprint_changed",
        "filter_changed",
        "threshold_rules",
    )

    @property
    def threshold_rules(self) -> dict[str, Any]:
        """The thresholds and significance level the verdicts used (``ChangeThresholds``)."""
        return self.thresholds.to_dict()

    def __getitem__(self, name: str) -> KpiChange:
        return self._row(name)

    @property
    def better(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.changes if c.assessment == "better")

    @property
    def worse(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.changes if c.assessment == "worse")


def compare_baselines(
    baseline: Baseline, other: Baseline, *, thresholds: ChangeThresholds | None = None
) -> BaselineComparison:
    """How ``other`` (usually later) differs from ``baseline``, KPI by KPI."""
    thresholds = thresholds or ChangeThresholds()
    return BaselineComparison(
        baseline=baseline.name,
        current=other.name,
        baseline_fingerprint=baseline.fingerprint,
        current_fingerprint=other.fingerprint,
        filter_changed=baseline.filter != other.filter,
        changes=_changes(baseline.kpis, other.kpis, thresholds),
        thresholds=thresholds,
    )


def compare_to_baseline(
    view: LogView,
    baseline: Baseline,
    *,
    use_baseline_filter: bool = True,
    thresholds: ChangeThresholds | None = None,
) -> BaselineComparison:
    """Recompute the baseline's KPIs on ``view`` (with the baseline's filter and SLA by default,
    so like is compared with like) and compare."""
    thresholds = thresholds or ChangeThresholds()
    current_view = view.with_filter(baseline.filter) if use_baseline_filter else view
    snapshot: KpiSnapshot = compute_kpis(
        current_view, names=baseline.kpi_names, sla=baseline.sla_config(), samples=True
    )
    return BaselineComparison(
        baseline=baseline.name,
        current="current data",
        baseline_fingerprint=baseline.fingerprint,
        current_fingerprint=snapshot.fingerprint,
        filter_changed=current_view.filter != baseline.filter,
        changes=_changes(baseline.kpis, snapshot.values, thresholds),
        thresholds=thresholds,
    )


def _changes(
    before: Iterable[KpiValue], after: Iterable[KpiValue], thresholds: ChangeThresholds
) -> tuple[KpiChange, ...]:
    now = {v.name: v for v in after}
    out: list[KpiChange] = []
    for b in before:
        a = now.get(b.name)
        cur = a.value if a is not None else None
        assessment = _assess(b.direction, b.value, cur, b.unit, thresholds)
        test: dict[str, Any] = {}
        if assessment in ("better", "worse", "changed"):
            test = _significance(b, a, thresholds.alpha)
        out.append(
            KpiChange(
                name=b.name,
                label=b.label,
                unit=b.unit,
                direction=b.direction,
                baseline=b.value,
                current=cur,
                absolute_change=None if b.value is None or cur is None else cur - b.value,
                relative_change=(
                    None
                    if b.value is None or cur is None or b.value == 0
                    else (cur - b.value) / abs(b.value)
                ),
                assessment=assessment,
                definition_changed=a is not None and a.definition != b.definition,
                **test,
            )
        )
    return tuple(out)


def _assess(
    direction: Direction,
    before: float | None,
    after: float | None,
    unit: str,
    thresholds: ChangeThresholds,
) -> Assessment:
    if before is None or after is None or math.isnan(before) or math.isnan(after):
        return "not comparable"
    delta = abs(after - before)
    if math.isclose(before, after, rel_tol=REL_TOL, abs_tol=ABS_TOL):
        return "no material change"
    if delta < thresholds.absolute(unit):
        return "no material change"
    if before != 0 and delta / abs(before) < thresholds.relative:
        return "no material change"
    if direction == "neutral":
        return "changed"
    lower = after < before
    return "better" if lower == (direction == "lower_is_better") else "worse"


def _significance(before: KpiValue, after: KpiValue | None, alpha: float) -> dict[str, Any]:
    """Mann-Whitney U (per-case values) or a two-proportion z-test (rates) of a material change,
    when both sides keep their sample; otherwise why not."""
    a = before.sample
    b = after.sample if after is not None else None
    if a is None or b is None:
        missing = "the baseline" if a is None else "the other side"
        why = (
            "no test applies to this KPI (a count of the whole, not a sample)"
            if before.name in _UNTESTED
            else f"{missing} keeps no per-case values or counts (frozen before civicflow kept "
            f"them, or more than {SAMPLE_LIMIT:,} cases)"
        )
        return {"test_note": f"not tested: {why}"}
    if "values" in a and "values" in b:
        x, y = a["values"], b["values"]
        result = mann_whitney(x, y)
        if result is None:
            return {"test_note": "not tested: no cases on one side"}
        test = "Mann-Whitney U"
    elif "trials" in a and "trials" in b:
        result = two_proportion_z(a["successes"], a["trials"], b["successes"], b["trials"])
        if result is None:
            return {"test_note": "not tested: every case on both sides has the same outcome"}
        test = "two-proportion z-test"
    else:
        return {"test_note": "not tested: the two sides keep different kinds of sample"}
    p = result.p_value
    significant = p < alpha
    verdict = "significant" if significant else "not significant"
    return {
        "test": test,
        "p_value": p,
        "significant": significant,
        "test_note": f"{verdict} at {alpha:g} ({test}, {format_p(p)})",
    }


_UNTESTED = frozenset({"case_count", "variant_count", "arrivals_per_week", "cost_per_case"})
