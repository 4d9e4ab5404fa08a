"""The readiness scorecard over the ten preparations."""

from __future__ import annotations

import pytest

from civicflow.core import InputError
from civicflow.governance import Declared, ReadinessEvidence, readiness_scorecard


def test_an_empty_workspace_scores_zero_with_a_roadmap() -> None:
    card = readiness_scorecard(ReadinessEvidence())
    assert len(card.areas) == 10 and card.overall == 0
    assert all(a.basis == "none" for a in card.areas)
    assert card.roadmap[0] == "Clear objectives: no objectives with a KPI target"
    assert len(card.roadmap) == 10


def test_evidence_and_declared_answers() -> None:
    evidence = ReadinessEvidence(
        objectives=2, objectives_with_frozen_baseline=1, objectives_measured=2, frozen_baselines=1,
        stakeholder_groups=frozenset({"employee", "citizen"}),
        consulted_groups=frozenset({"employee", "citizen", "vendor"}),
        budget_categories=frozenset({"software", "training", "maintenance"}), dpia_done=True,
        pilots=1, pilots_with_criteria=1, communications=0, controls_share=0.25, assessments=2,
    )  # fmt: skip
    card = readiness_scorecard(
        evidence, declared={"infrastructure": Declared(0.5, "inventory kept by IT, not here")}
    )
    by = {a.area: a for a in card.areas}
    assert by["objectives"].score == 0.5
    assert by["current_process"].score == 1
    assert by["stakeholders"].score == 0.75
    assert by["stakeholders"].gaps == ("no consultation with: policymaker",)
    assert by["budget"].score == 0.75 and by["budget"].gaps == ("no budget line for: hardware",)
    assert by["privacy"].score == 1 and "PII scans are not part" in by["privacy"].gaps[0]
    assert (by["infrastructure"].score, by["infrastructure"].basis) == (0.5, "declared")
    assert by["pilots"].score == 1
    assert by["change"].score == 0.5
    assert by["metrics"].score == 1
    assert by["compliance"].score == 0.25
    assert card.overall == pytest.approx(
        (0.5 + 1 + 0.75 + 0.75 + 1 + 0.5 + 1 + 0.5 + 1 + 0.25) / 10
    )
    # lowest first: compliance (0.25), then the 0.5s in journey order
    assert card.roadmap[0].startswith("Compliance:")
    assert card.roadmap[1].startswith("Clear objectives:")
    with pytest.raises(InputError):
        readiness_scorecard(evidence, declared={"luck": Declared(1, "x")})
    with pytest.raises(InputError):
        Declared(2, "too much")


def test_datasets_without_a_pii_scan_are_gaps() -> None:
    half = readiness_scorecard(
        ReadinessEvidence(dpia_done=True, pii_scans=1, datasets_unscanned=("legacy-export",))
    )
    privacy = next(a for a in half.areas if a.area == "privacy")
    assert privacy.score == pytest.approx((1 + 0.5) / 2)
    assert privacy.gaps == ("no PII scan of: legacy-export",)
    assert privacy.evidence == ("a DPIA with answers", "1 of 2 dataset(s) with a PII scan")
    none = readiness_scorecard(ReadinessEvidence(pii_scans=0))
    privacy = next(a for a in none.areas if a.area == "privacy")
    assert privacy.score == 0 and "no PII scan of the datasets" in privacy.gaps
