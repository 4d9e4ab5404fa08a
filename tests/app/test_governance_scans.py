"""The datasets' PII scans (the classification stored in each manifest) fill the Art. 30 record's
categories of personal data and count in the readiness scorecard."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.app import Actor, AppContext, assessment, governance, workspaces
from civicflow.eventlog import ColumnMapping
from civicflow.privacy import KeyRing

MAPPING = ColumnMapping(case_id="case", activity="activity", timestamp="time")
LINES = [
    "case,activity,time,citizen,bsn",
    "c1,Submit,2024-03-01T09:00:00Z,Anna Jansen,111222333",
    "c1,Decide,2024-03-02T09:00:00Z,Anna Jansen,111222333",
    "c2,Submit,2024-03-02T12:00:00Z,Bram de Vries,123456782",
    "c3,Submit,2024-03-03T08:30:00Z,Cem Kaya,12345672",
]


@pytest.fixture
def ctx(sqlite_ctx: AppContext) -> AppContext:
    return sqlite_ctx


def test_scans_fill_art30_and_readiness(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "log.csv"
    source.write_text("\n".join(LINES) + "\n")
    # stored without a scan (no key ring configured)
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=source, name="legacy", mapping=MAPPING
    )
    keys = tmp_path / "outside" / "keys.json"
    keys.parent.mkdir()
    KeyRing.generate().write(keys)
    monkeypatch.setattr(ctx.settings, "privacy_key_file", keys)
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=source, name="claims", mapping=MAPPING
    )
    scans = governance.dataset_scans(ctx, actor=admin, workspace_id=ws.id)
    assert scans["legacy"] is None
    claims = scans["claims"]
    assert claims is not None and "person_name (citizen)" in claims and "bsn" in claims

    governance.add_system(
        ctx, actor=admin, workspace_id=ws.id,
        fields={"name": "Triage", "purpose": "Sort claims", "legal_basis": "Art. 6(1)(e)",
                "owner": "Benefits", "senior_responsible_owner": "Director",
                "datasets": ["claims", "legacy"]},
    )  # fmt: skip
    (row,) = governance.processing_record(
        ctx, actor=admin, workspace_id=ws.id, controller="Camden Council"
    )
    assert row.values["data_categories"] == f"claims: {claims}"
    assert "data_categories" not in row.missing
    (given,) = governance.processing_record(
        ctx, actor=admin, workspace_id=ws.id, controller="Camden Council",
        data_categories={"legacy": "names, addresses (declared by the owner)"},
    )  # fmt: skip
    assert given.values["data_categories"] == (
        f"claims: {claims}; legacy: names, addresses (declared by the owner)"
    )

    card = governance.readiness(ctx, actor=admin, workspace_id=ws.id)
    privacy = next(a for a in card.areas if a.area == "privacy")
    assert "1 of 2 dataset(s) with a PII scan" in privacy.evidence
    assert "no PII scan of: legacy" in privacy.gaps
    assert privacy.score == pytest.approx(0.25)  # no DPIA (0), half the datasets scanned
