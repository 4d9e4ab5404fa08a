"""Privacy through app: ingest pseudonymises the direct identifiers by default once a key ring is
configured, the data steward's decision keeps a column clear (ledgered with its reason), the vault
re-identifies for the DPO only (ledgered with the pseudonym, never the value)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from civicflow.app import Actor, AppContext, Role, assessment, audit, workspaces
from civicflow.app import privacy as pv
from civicflow.core import ConfigurationError, InputError, PermissionDeniedError
from civicflow.eventlog import ColumnMapping
from civicflow.privacy import DpConfig, KeyRing

MAPPING = ColumnMapping(case_id="case", activity="activity", timestamp="time", resource="clerk")
ROWS = [
    ("c1", "Submit", "2024-03-01T09:00:00Z", "Eva Smit", "Anna Jansen", "111222333"),
    ("c1", "Decide", "2024-03-02T09:00:00Z", "Ivo Bakker", "Anna Jansen", "111222333"),
    ("c2", "Submit", "2024-03-02T12:00:00Z", "Eva Smit", "Bram de Vries", "123456782"),
    ("c3", "Submit", "2024-03-03T08:30:00Z", "Joke Visser", "Cem Kaya", "12345672"),
]


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    lines = ["case,activity,time,clerk,citizen,bsn"] + [",".join(r) for r in ROWS]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_pseudonymised_by_default_with_steward_decisions_and_the_vault(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = _source(tmp_path)
    # no key ring: ingest stores the data as it is (and protect=True refuses)
    with pytest.raises(ConfigurationError, match="no pseudonymisation key ring"):
        assessment.ingest_dataset(
            ctx, actor=admin, workspace_id=ws.id, source=source, name="x", mapping=MAPPING,
            protect=True,
        )  # fmt: skip
    ring = KeyRing.generate()
    keys = tmp_path / "outside" / "keys.json"
    keys.parent.mkdir()
    ring.write(keys)
    monkeypatch.setattr(ctx.settings, "privacy_key_file", keys)

    steward = make_member(ws.id, Role.DATA_STEWARD)
    analyst = make_member(ws.id, Role.ANALYST)
    dpo = make_member(ws.id, Role.DPO)
    with pytest.raises(InputError, match="needs its reason"):
        pv.decide_column(
            ctx, actor=steward, workspace_id=ws.id, column="resource", action="keep", reason=""
        )
    with pytest.raises(PermissionDeniedError):
        pv.decide_column(
            ctx, actor=analyst, workspace_id=ws.id, column="resource", action="keep",
            reason="staff names needed",
        )  # fmt: skip
    decision = pv.decide_column(
        ctx, actor=steward, workspace_id=ws.id, column="resource", action="keep",
        reason="staff names: needed for the workload analysis",
    )  # fmt: skip
    assert [d.column for d in pv.list_decisions(ctx, actor=analyst, workspace_id=ws.id)] == [
        "resource"
    ]

    dataset = assessment.ingest_dataset(
        ctx, actor=analyst, workspace_id=ws.id, source=source, name="d", mapping=MAPPING
    )
    events = pq.read_table(dataset.events_path)
    assert events["resource"].to_pylist()[0] == "Eva Smit"  # kept clear by the decision
    citizens = events["citizen"].to_pylist()
    bsns = events["bsn"].to_pylist()
    assert citizens[0] == ring.pseudonym("Anna Jansen") and bsns[2] == ring.pseudonym("123456782")
    raw = dataset.events_path.read_bytes()
    assert b"Anna" not in raw and b"111222333" not in raw
    report = dataset.manifest.options["transforms"][-1]["report"]
    assert report["kept_clear"] == {"resource": decision.reason}

    # the scan of the stored dataset sees pseudonyms, not identifiers
    scan = pv.scan_dataset(ctx, actor=analyst, workspace_id=ws.id, dataset_name="d")
    assert scan.column("bsn").category.value == "none"
    assert scan.column("resource").category.value == "person_name"

    # re-identification: the DPO only, with a reason, ledgered by pseudonym
    with pytest.raises(PermissionDeniedError):
        pv.reidentify(ctx, actor=analyst, workspace_id=ws.id, pseudonym=bsns[0], reason="request 1")
    assert (
        pv.reidentify(ctx, actor=dpo, workspace_id=ws.id, pseudonym=bsns[0], reason="request 1")
        == "111222333"
    )
    entries = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=50)
    actions = [e.action for e in entries]
    assert {"privacy.decision", "privacy.pseudonymise", "privacy.reidentify"} <= set(actions)
    dumped = json.dumps([e.to_dict() for e in entries], default=str)
    assert "111222333" not in dumped and "Anna Jansen" not in dumped
    report = audit.verify(ctx, actor=admin)
    assert report.ok, report.problems

    # the same citizen in another dataset gets the same pseudonym (joins still work)
    again = assessment.ingest_dataset(
        ctx, actor=analyst, workspace_id=ws.id, source=source, name="d2", mapping=MAPPING
    )
    assert pq.read_table(again.events_path)["bsn"].to_pylist() == bsns


def test_releases_spend_the_budget_and_are_refused_when_it_is_spent(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> None:
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=_source(tmp_path), name="d", mapping=MAPPING
    )
    dpo = make_member(ws.id, Role.DPO)
    analyst = make_member(ws.id, Role.ANALYST)
    with pytest.raises(PermissionDeniedError):
        pv.publish_process_map(ctx, actor=analyst, workspace_id=ws.id, dataset_name="d")
    first = pv.publish_process_map(
        ctx, actor=dpo, workspace_id=ws.id, dataset_name="d",
        config=DpConfig(epsilon=0.6, max_pairs=3), budget=1.0,
    )  # fmt: skip
    assert first.spent == 0.6 and first.budget == 1.0 and first.release["cases"] == 3
    with pytest.raises(InputError, match="budget is spent") as err:
        pv.publish_process_map(
            ctx, actor=dpo, workspace_id=ws.id, dataset_name="d", config=DpConfig(epsilon=0.5)
        )
    assert err.value.expected == "at most 0.4"
    with pytest.raises(InputError, match="set by its first release"):
        pv.publish_process_map(
            ctx, actor=dpo, workspace_id=ws.id, dataset_name="d",
            config=DpConfig(epsilon=0.1), budget=5.0,
        )  # fmt: skip
    second = pv.publish_variants(
        ctx, actor=dpo, workspace_id=ws.id, dataset_name="d", epsilon=0.4, depth=3
    )
    assert second.spent == pytest.approx(1.0) and second.kind == "variants"
    assert second.release["cases"] == 3
    listed = pv.list_releases(ctx, actor=analyst, workspace_id=ws.id, dataset_name="d")
    assert [r.id for r in listed] == [first.id, second.id]
    entries = audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=20)
    assert [e.action for e in entries].count("privacy.release") == 2
