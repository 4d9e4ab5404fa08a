"""Data-subject requests: the register (deadlines by calendar month, extensions, verification),
a planted identifier found, exported, erased and absent afterwards from every dataset file,
datasets on legal hold left unchanged, every step ledgered without the identifier."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from civicflow.app import Actor, AppContext, Role, assessment, audit, workspaces
from civicflow.app import privacy as pv
from civicflow.core import ConflictError, InputError, NotFoundError, PermissionDeniedError
from civicflow.eventlog import ColumnMapping, EventStore
from civicflow.privacy import KeyRing

MAPPING = ColumnMapping(case_id="case", activity="activity", timestamp="time", resource="clerk")
SUBJECT = "Anna Jansen"
ROWS = [
    ("c1", "Submit", "2024-03-01T09:00:00Z", "Eva Smit", SUBJECT),
    ("c1", "Decide", "2024-03-02T09:00:00Z", "Ivo Bakker", SUBJECT),
    ("c2", "Submit", "2024-03-02T12:00:00Z", "Eva Smit", "Bram de Vries"),
    ("c2", "Decide", "2024-03-04T12:00:00Z", "Ivo Bakker", "Bram de Vries"),
    ("c3", "Submit", "2024-03-03T08:30:00Z", "Joke Visser", "Cem Kaya"),
]


def _source(tmp_path: Path, rows: list[tuple[str, ...]] = ROWS) -> Path:
    path = tmp_path / "log.csv"
    lines = ["case,activity,time,clerk,citizen"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_deadline_is_one_calendar_month() -> None:
    assert pv.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert pv.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert pv.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert pv.add_months(date(2026, 3, 15), 1) == date(2026, 4, 15)


def _values(path: Path) -> set[str]:
    table = pq.read_table(path)
    return {str(v) for c in table.columns for v in c.to_pylist()}


def test_register_search_export_erase(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> None:
    dpo = make_member(ws.id, Role.DPO)
    analyst = make_member(ws.id, Role.ANALYST)
    source = _source(tmp_path)
    for name in ("intake", "archive"):
        assessment.ingest_dataset(
            ctx, actor=admin, workspace_id=ws.id, source=source, name=name, mapping=MAPPING
        )
    other = tmp_path / "other.csv"
    other.write_text("case,activity,time,clerk\nd1,Submit,2024-03-01T09:00:00Z,Eva Smit\n")
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=other, name="unrelated", mapping=MAPPING
    )
    assessment.freeze_baseline(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="intake", baseline_name="before"
    )

    # bad input names the field; the analyst may not keep the register
    with pytest.raises(InputError) as kind:
        pv.add_request(ctx, actor=dpo, workspace_id=ws.id, kind="forget", identifiers=[SUBJECT])
    assert kind.value.where is not None and kind.value.where.field == "kind"
    with pytest.raises(InputError) as empty:
        pv.add_request(ctx, actor=dpo, workspace_id=ws.id, kind="erasure", identifiers=[" "])
    assert empty.value.where is not None and empty.value.where.field == "identifier"
    with pytest.raises(PermissionDeniedError):
        pv.add_request(ctx, actor=analyst, workspace_id=ws.id, kind="access", identifiers=[SUBJECT])

    req = pv.add_request(
        ctx, actor=dpo, workspace_id=ws.id, kind="erasure", identifiers=[SUBJECT],
        received_on=date(2026, 1, 31),
    )  # fmt: skip
    assert req.due_on == date(2026, 2, 28) and req.status == "received"
    assert all(t.startswith("sha256:") for t in req.subject_tokens)
    assert SUBJECT not in json.dumps(req.to_dict())
    assert req.overdue and not req.due_soon

    with pytest.raises(ConflictError, match="verify"):
        pv.search_subject(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT)
    with pytest.raises(InputError) as how:
        pv.verify_request(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, how="ok")
    assert how.value.where is not None and how.value.where.field == "how"
    req = pv.verify_request(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, how="passport seen at the desk"
    )
    assert req.status == "verified" and req.verified_by == dpo.pseudonym

    req = pv.extend_request(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, months=2,
        reason="complex: several datasets; subject told on 20 February",
    )  # fmt: skip
    assert req.due_on == date(2026, 4, 30) and req.extended_months == 2
    with pytest.raises(InputError) as months:
        pv.extend_request(
            ctx,
            actor=dpo,
            workspace_id=ws.id,
            request_id=req.id,
            months=1,
            reason="once more please",
        )
    assert months.value.where is not None and months.value.where.field == "months"

    with pytest.raises(InputError, match="not one the request"):
        pv.search_subject(
            ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier="Cem Kaya"
        )
    found = pv.search_subject(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT
    )
    by = {(h.name, h.column): h for h in found.hits}
    assert set(by) == {("intake", "citizen"), ("archive", "citizen")}
    assert by[("intake", "citizen")].events == 2 and by[("intake", "citizen")].cases == 1
    assert found.datasets_searched == 3

    files = pv.export_subject(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT,
        folder=tmp_path / "export",
    )  # fmt: skip
    document = json.loads(files[0].read_text())
    assert [e["case_id"] for e in document["datasets"]["intake"]["events"]] == ["c1", "c1"]
    assert (tmp_path / "export" / "intake.events.csv").read_text().count(SUBJECT) == 2

    pv.set_legal_hold(
        ctx, actor=dpo, workspace_id=ws.id, dataset_name="archive",
        reason="litigation hold, court case 2026/114",
    )  # fmt: skip
    result = pv.erase_subject(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT
    )
    outcome = {d.dataset: d for d in result.datasets}
    assert outcome["intake"].status == "erased"
    assert (outcome["intake"].events_removed, outcome["intake"].cases_removed) == (2, 1)
    assert outcome["intake"].baselines == ("before",)
    assert outcome["archive"].status == "held" and "litigation" in outcome["archive"].note
    assert result.verified_absent
    assert {h.name for h in result.remaining} == {"archive"}

    store = EventStore.open(Path(ws.path))
    intake = store.dataset("intake")
    assert intake.manifest.events == 3 and intake.manifest.cases == 2
    for path in intake.path.rglob("*"):
        if path.suffix == ".parquet":
            assert SUBJECT not in _values(path), path
        elif path.is_file():
            assert SUBJECT not in path.read_text(errors="ignore"), path
    assert SUBJECT in _values(store.dataset("archive").events_path)
    assert store.dataset("unrelated").manifest.events == 1

    with pytest.raises(InputError) as refuse:
        pv.close_request(
            ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, outcome="refused", reason=""
        )
    assert refuse.value.where is not None and refuse.value.where.field == "reason"
    closed = pv.close_request(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, outcome="completed"
    )
    assert closed.status == "completed" and not closed.overdue

    entries = audit.list_entries(ctx, actor=dpo, workspace_id=ws.id)
    actions = [e.action for e in entries]
    for step in ("add", "verify", "extend", "search", "export", "erase", "close"):
        assert f"privacy.request.{step}" in actions
    assert "privacy.legal_hold" in actions
    assert SUBJECT not in json.dumps([e.to_dict() for e in entries], default=str)


def test_pseudonymised_tokens_and_datasets(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ring = KeyRing.generate()
    keys = tmp_path / "outside" / "keys.json"
    keys.parent.mkdir()
    ring.write(keys)
    monkeypatch.setattr(ctx.settings, "privacy_key_file", keys)
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=_source(tmp_path), name="d", mapping=MAPPING
    )
    req = pv.add_request(ctx, actor=admin, workspace_id=ws.id, kind="access", identifiers=[SUBJECT])
    assert req.subject_tokens == (ring.pseudonym(SUBJECT),)
    pv.verify_request(
        ctx, actor=admin, workspace_id=ws.id, request_id=req.id, how="eID login level high"
    )
    found = pv.search_subject(
        ctx, actor=admin, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT
    )
    assert [(h.name, h.events) for h in found.hits if h.source == "dataset"] == [("d", 2)]
    result = pv.erase_subject(
        ctx, actor=admin, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT
    )
    assert result.verified_absent and result.vault_entries_removed == 1
    with pytest.raises(NotFoundError):
        pv.reidentify(
            ctx, actor=admin, workspace_id=ws.id, pseudonym=ring.pseudonym(SUBJECT),
            reason="check the erasure",
        )  # fmt: skip


def test_retention_plan_and_apply(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=_source(tmp_path), name="d", mapping=MAPPING
    )
    # c1 last event 2 March, c2 4 March, c3 3 March 2024; cut-off 3 March 2024 drops c1 only
    today = date(2024, 3, 13)
    with pytest.raises(InputError) as days:
        pv.retention_plan(ctx, actor=admin, workspace_id=ws.id, dataset_name="d", older_than_days=0)
    assert days.value.where is not None and days.value.where.field == "older_than_days"
    plan = pv.retention_plan(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="d", older_than_days=10, today=today
    )
    assert (plan.cases, plan.events, plan.cases_kept, plan.applied) == (1, 2, 2, False)
    store = EventStore.open(Path(ws.path))
    assert store.dataset("d").manifest.events == 5  # the dry run changed nothing
    done = pv.retention_apply(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="d", older_than_days=10, today=today
    )
    assert done.applied and done.after_fingerprint is not None
    kept = pq.read_table(store.dataset("d").events_path)
    assert sorted(set(kept.column("case_id").to_pylist())) == ["c2", "c3"]
    actions = [e.action for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id)]
    assert "privacy.retention" in actions


def test_rectification_is_applied_and_erasure_reaches_the_application_records(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> None:
    """Art. 16 applied, not only recorded: the subject's cases carry the corrected values in a
    new version (other cases unchanged; a dataset on legal hold untouched); the ledger names the
    columns, never the values. Erasure then reaches the stakeholders and consultations."""
    from datetime import date as day

    from civicflow.app import programme as pg

    dpo = make_member(ws.id, Role.DPO)
    for name in ("intake", "archive"):
        assessment.ingest_dataset(
            ctx, actor=admin, workspace_id=ws.id, source=_source(tmp_path), name=name,
            mapping=MAPPING,
        )  # fmt: skip
    pv.set_legal_hold(
        ctx, actor=dpo, workspace_id=ws.id, dataset_name="archive", reason="court case 2026/7"
    )
    holder = pg.STAKEHOLDERS.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=pg.StakeholderCreate(name=SUBJECT, kind=pg.StakeholderKind.CITIZEN, interest=4,
                                  influence=2, notes="asked about her permit"),
    )  # fmt: skip
    pg.CONSULTATIONS.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=pg.ConsultationCreate(stakeholder_id=holder.id, held_on=day(2026, 1, 20),
                                   summary=f"Spoke with {SUBJECT} about the intake form"),
    )  # fmt: skip
    req = pv.add_request(
        ctx, actor=dpo, workspace_id=ws.id, kind="rectification", identifiers=[SUBJECT]
    )
    pv.verify_request(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, how="eID login")
    with pytest.raises(InputError) as unknown:
        pv.rectify_subject(
            ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT,
            corrections={"postcode": "1011 AB"},
        )  # fmt: skip
    assert unknown.value.where is not None and unknown.value.where.field == "postcode"
    with pytest.raises(InputError, match="structure"):
        pv.rectify_subject(
            ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT,
            corrections={"activity": "Withdraw"},
        )  # fmt: skip
    fixed = pv.rectify_subject(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT,
        corrections={"resource": "Eva Smit-Vos"},
    )  # fmt: skip
    by = {d.dataset: d for d in fixed.datasets}
    assert by["intake"].status == "rectified" and by["intake"].events_changed == 2
    assert by["archive"].status == "held"
    store = EventStore.open(Path(ws.path))
    events = pq.read_table(store.dataset("intake").events_path).to_pylist()
    clerks = {(e["case_id"], e["resource"]) for e in events}
    assert ("c1", "Eva Smit-Vos") in clerks and ("c2", "Eva Smit") in clerks
    assert not any(e["case_id"] == "c1" and e["resource"] == "Ivo Bakker" for e in events)
    archive = pq.read_table(store.dataset("archive").events_path).to_pylist()
    assert "Eva Smit-Vos" not in {e["resource"] for e in archive}
    renamed = pv.rectify_subject(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=SUBJECT,
        corrections={"name": "Anna Jansen-Bos"},
    )  # fmt: skip
    assert renamed.stakeholders_renamed == 1
    assert (
        pg.STAKEHOLDERS.get(ctx, actor=admin, workspace_id=ws.id, item_id=holder.id).name
        == "Anna Jansen-Bos"
    )
    entries = audit.list_entries(ctx, actor=dpo, workspace_id=ws.id)
    assert "privacy.request.rectify" in [e.action for e in entries]
    text = json.dumps([e.to_dict() for e in entries], default=str)
    assert "Eva Smit-Vos" not in text and "Anna Jansen-Bos" not in text

    erase = pv.add_request(
        ctx, actor=dpo, workspace_id=ws.id, kind="erasure", identifiers=[SUBJECT]
    )
    pv.verify_request(ctx, actor=dpo, workspace_id=ws.id, request_id=erase.id, how="eID login")
    pg.STAKEHOLDERS.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=pg.StakeholderCreate(name=SUBJECT, kind=pg.StakeholderKind.CITIZEN, interest=1,
                                  influence=1, notes="second contact"),
    )  # fmt: skip
    gone = pv.erase_subject(
        ctx, actor=dpo, workspace_id=ws.id, request_id=erase.id, identifier=SUBJECT
    )
    assert gone.application_records_erased == {"stakeholders": 1, "consultations": 1}
    assert not [h for h in gone.remaining if h.source == "application"]
    talks = pg.CONSULTATIONS.list(ctx, actor=admin, workspace_id=ws.id)
    assert all(SUBJECT not in t.summary for t in talks)
    assert "[erased]" in talks[0].summary
