"""The readiness scorecard: the ten preparations of an automation journey, each scored from
evidence in the workspace (gathered by ``civicflow.app``), or from a declared answer where no
evidence can exist (marked as declared), with the evidence behind each score, the gaps and a
prioritised roadmap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from civicflow.core import InputError, Location, Record, check_choice

AREAS: tuple[tuple[str, str], ...] = (
    ("objectives", "Clear objectives"),
    ("current_process", "Assessment of current processes"),
    ("stakeholders", "Stakeholder engagement"),
    ("budget", "Budget and resources"),
    ("privacy", "Data security and privacy"),
    ("infrastructure", "Technology infrastructure"),
    ("pilots", "Pilots"),
    ("change", "Change management"),
    ("metrics", "Performance metrics"),
    ("compliance", "Compliance"),
)
STAKEHOLDER_GROUPS = ("employee", "citizen", "policymaker", "vendor")
COST_CATEGORIES = ("software", "hardware", "training", "maintenance")


@dataclass(frozen=True, slots=True)
class ReadinessEvidence:
    """The facts the workspace holds (``None``: the workspace cannot hold that evidence yet)."""

    objectives: int = 0
    objectives_with_frozen_baseline: int = 0
    objectives_measured: int = 0
    frozen_baselines: int = 0
    stakeholder_groups: frozenset[str] = frozenset()
    consulted_groups: frozenset[str] = frozenset()
    budget_categories: frozenset[str] = frozenset()
    dpia_done: bool = False
    pii_scans: int | None = None  # datasets stored with a PII scan
    datasets_unscanned: tuple[str, ...] = ()  # the names of those stored without one
    infrastructure_assessed: int | None = None
    infrastructure_items: int = 0
    infrastructure_blockers: tuple[str, ...] = ()
    pilots: int = 0
    pilots_with_criteria: int = 0
    communications: int = 0
    controls_share: float | None = None
    assessments: int = 0


@dataclass(frozen=True, slots=True)
class Declared:
    """An answer given where no evidence can exist: a score from 0 to 1 and why."""

    score: float
    note: str

    def __post_init__(self) -> None:
        if not 0 <= self.score <= 1:
            raise InputError(
                "a declared score is from 0 to 1",
                where=Location(field="score"),
                found=str(self.score),
                expected="0 to 1",
                fix="declare a share, e.g. 0.5",
            )


@dataclass(frozen=True, slots=True)
class AreaScore(Record):
    area: str
    title: str
    score: float
    basis: str  # "evidence", "declared" or "none"
    evidence: tuple[str, ...]
    gaps: tuple[str, ...]
    _json = True


@dataclass(frozen=True, slots=True)
class Scorecard(Record):
    areas: tuple[AreaScore, ...]
    roadmap: tuple[str, ...]
    _json = True
    _extra = ("overall",)

    @property
    def overall(self) -> float:
        return sum(a.score for a in self.areas) / len(self.areas)


@dataclass(slots=True)
class _Area:
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def readiness_scorecard(
    evidence: ReadinessEvidence, *, declared: Mapping[str, Declared] | None = None
) -> Scorecard:
    """Score the ten areas. A declared answer counts only for an area without evidence (score
    0), and is marked ``declared``."""
    declared = dict(declared or {})
    for key in declared:
        check_choice(key, [a for a, _ in AREAS], what="readiness area", field="area",
                     error=InputError)  # fmt: skip
    e = evidence
    a: dict[str, _Area] = {name: _Area() for name, _ in AREAS}

    o = a["objectives"]
    o.score = _share(e.objectives_with_frozen_baseline, e.objectives)
    if e.objectives:
        o.evidence.append(
            f"{e.objectives} objective(s) with KPI targets, {e.objectives_with_frozen_baseline} "
            "measured from a frozen baseline"
        )
        if e.objectives_with_frozen_baseline < e.objectives:
            o.gaps.append("objectives whose reference baseline is not frozen")
    else:
        o.gaps.append("no objectives with a KPI target")

    c = a["current_process"]
    c.score = 1.0 if e.frozen_baselines else 0.0
    if e.frozen_baselines:
        c.evidence.append(f"{e.frozen_baselines} frozen baseline(s) of the current process")
    else:
        c.gaps.append("no frozen baseline of the current process")

    s = a["stakeholders"]
    consulted = e.consulted_groups & set(STAKEHOLDER_GROUPS)
    s.score = len(consulted) / len(STAKEHOLDER_GROUPS)
    if consulted:
        s.evidence.append(f"consultations with: {', '.join(sorted(consulted))}")
    missing = [g for g in STAKEHOLDER_GROUPS if g not in consulted]
    if missing:
        s.gaps.append(f"no consultation with: {', '.join(missing)}")

    b = a["budget"]
    covered = e.budget_categories & set(COST_CATEGORIES)
    b.score = len(covered) / len(COST_CATEGORIES)
    if covered:
        b.evidence.append(f"budget lines for: {', '.join(sorted(covered))}")
    lacking = [c for c in COST_CATEGORIES if c not in covered]
    if lacking:
        b.gaps.append(f"no budget line for: {', '.join(lacking)}")

    p = a["privacy"]
    parts = [1.0 if e.dpia_done else 0.0]
    if e.dpia_done:
        p.evidence.append("a DPIA with answers")
    else:
        p.gaps.append("no DPIA")
    if e.pii_scans is None:
        p.gaps.append("the datasets' PII scans are not part of this evidence")
    else:
        total = e.pii_scans + len(e.datasets_unscanned)
        parts.append(e.pii_scans / total if total else 0.0)
        if e.pii_scans:
            p.evidence.append(f"{e.pii_scans} of {total} dataset(s) with a PII scan")
        if e.datasets_unscanned:
            p.gaps.append(f"no PII scan of: {', '.join(e.datasets_unscanned)}")
        elif not total:
            p.gaps.append("no PII scan of the datasets")
    p.score = sum(parts) / len(parts)

    i = a["infrastructure"]
    if e.infrastructure_assessed:
        i.score = _share(e.infrastructure_assessed, e.infrastructure_items or 1)
        if e.infrastructure_blockers:
            i.score *= 0.5
            i.gaps.append(f"blockers in the inventory: {', '.join(e.infrastructure_blockers)}")
        i.evidence.append(
            f"{e.infrastructure_assessed} of {e.infrastructure_items or e.infrastructure_assessed}"
            " system(s) in the inventory assessed for compatibility"
        )
        if e.infrastructure_items > e.infrastructure_assessed:
            i.gaps.append("systems in the inventory not assessed for compatibility")
    else:
        i.gaps.append("no assessed inventory of the systems the automation depends on")

    pi = a["pilots"]
    if e.pilots_with_criteria:
        pi.score = 1.0
        pi.evidence.append(f"{e.pilots_with_criteria} pilot(s) with success criteria")
    elif e.pilots:
        pi.score = 0.5
        pi.evidence.append(f"{e.pilots} pilot(s)")
        pi.gaps.append("no pilot has success criteria")
    else:
        pi.gaps.append("no pilot planned")

    ch = a["change"]
    training = "training" in e.budget_categories
    ch.score = (0.5 if training else 0.0) + (0.5 if e.communications else 0.0)
    if training:
        ch.evidence.append("a training budget for the affected roles")
    else:
        ch.gaps.append("no training budgeted for the affected roles")
    if e.communications:
        ch.evidence.append(f"{e.communications} communication(s) planned")
    else:
        ch.gaps.append("no communication to the people affected")

    m = a["metrics"]
    m.score = _share(e.objectives_measured, e.objectives)
    if e.objectives_measured:
        m.evidence.append(f"{e.objectives_measured} objective(s) with KPI measurements")
    if e.objectives_measured < e.objectives or not e.objectives:
        m.gaps.append("KPIs not tracked for every objective")

    co = a["compliance"]
    if e.controls_share is not None:
        co.score = e.controls_share
        co.evidence.append(f"{e.controls_share:.0%} of the applicable controls evidenced")
        if e.controls_share < 1:
            co.gaps.append("controls without evidence (see the gaps report)")
    else:
        co.gaps.append("no compliance controls tracked")
    if e.assessments:
        co.evidence.append(f"{e.assessments} impact assessment(s)")

    areas = []
    for name, title in AREAS:
        area = a[name]
        basis = "evidence" if area.score > 0 else "none"
        if area.score == 0 and name in declared:
            area.score = declared[name].score
            basis = "declared"
            area.evidence.append(f"declared: {declared[name].note}")
        areas.append(
            AreaScore(
                name, title, round(area.score, 4), basis, tuple(area.evidence), tuple(area.gaps)
            )
        )
    order = {name: index for index, (name, _) in enumerate(AREAS)}
    todo = sorted(
        (x for x in areas if x.score < 1 and x.gaps), key=lambda x: (x.score, order[x.area])
    )
    roadmap = tuple(f"{x.title}: {x.gaps[0]}" for x in todo)
    return Scorecard(tuple(areas), roadmap)
