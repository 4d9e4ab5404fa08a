"""Evidence files attached to answers and controls: kept by their SHA-256 under the workspace,
the digest in the ledger entry, read back only while the content matches it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from civicflow.app import Actor, AppContext, Role, audit, governance, workspaces
from civicflow.app._governance import attachment_path
from civicflow.core import ConflictError, InputError, NotFoundError, PermissionDeniedError
from civicflow.governance import builtin_catalogue, control_target

PDF = b"%PDF-1.7\nsigned DPIA\n%%EOF\n"


@pytest.fixture
def ctx(sqlite_ctx: AppContext) -> AppContext:
    return sqlite_ctx


def test_a_file_attached_to_an_answer(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member
) -> None:
    run = governance.start_assessment(ctx, actor=admin, workspace_id=ws.id, kind="gdpr-dpia")
    att = governance.attach_to_answer(
        ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id, question="criteria",
        filename="dpia.pdf", data=PDF,
    )  # fmt: skip
    sha = hashlib.sha256(PDF).hexdigest()
    assert att.sha256 == sha and att.size == len(PDF) and att.media_type == "application/pdf"
    stored = attachment_path(ws.path, sha)
    assert stored == Path(ws.path) / "governance" / "attachments" / sha[:2] / sha
    assert stored.read_bytes() == PDF
    entry = next(
        e
        for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id)
        if e.action == "governance_attachment.create"
    )
    assert entry.after_digest == sha and entry.object_id == att.id
    assert "dpia.pdf" in (entry.reason or "")
    # the same content twice is kept once
    again = governance.attach_to_answer(
        ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id, question="purposes",
        filename="copy.pdf", data=PDF,
    )  # fmt: skip
    assert again.id != att.id and len(list(stored.parent.iterdir())) == 1
    listed = governance.list_attachments(
        ctx, actor=admin, workspace_id=ws.id, target=f"assessment:{run.id}:"
    )
    assert [a.filename for a in listed] == ["dpia.pdf", "copy.pdf"]
    # a viewer reads it back
    viewer = make_member(ws.id, Role.VIEWER)
    meta, data = governance.read_attachment(
        ctx, actor=viewer, workspace_id=ws.id, attachment_id=att.id
    )
    assert data == PDF and meta.filename == "dpia.pdf"
    with pytest.raises(PermissionDeniedError):
        governance.attach_to_answer(
            ctx, actor=viewer, workspace_id=ws.id, assessment_id=run.id, question="criteria",
            filename="x.pdf", data=PDF,
        )  # fmt: skip
    assert audit.verify(ctx, actor=admin).ok


def test_refusals_leave_nothing_behind(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    run = governance.start_assessment(ctx, actor=admin, workspace_id=ws.id, kind="gdpr-dpia")
    with pytest.raises(InputError, match="no question"):
        governance.attach_to_answer(
            ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id, question="nope",
            filename="dpia.pdf", data=PDF,
        )  # fmt: skip
    with pytest.raises(InputError, match="not what its extension says"):
        governance.attach_to_answer(
            ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id, question="criteria",
            filename="dpia.pdf", data=b"<html>",
        )  # fmt: skip
    with pytest.raises(NotFoundError):
        governance.attach_to_answer(
            ctx, actor=admin, workspace_id=ws.id, assessment_id="asm_nothere",
            question="criteria", filename="dpia.pdf", data=PDF,
        )  # fmt: skip
    assert governance.list_attachments(ctx, actor=admin, workspace_id=ws.id) == []
    assert not (Path(ws.path) / "governance" / "attachments").exists() or not any(
        (Path(ws.path) / "governance" / "attachments").rglob("*")
    )
    with pytest.raises(NotFoundError):
        governance.read_attachment(ctx, actor=admin, workspace_id=ws.id, attachment_id="att_x")


def test_a_file_attached_to_a_control_is_its_evidence(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    gdpr = builtin_catalogue("gdpr")
    governance.set_control(
        ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-35",
        owner="DPO", status="implemented",
    )  # fmt: skip
    before = governance.gaps(ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr)
    assert "GDPR-35" in {g.control for g in before.gaps}
    att = governance.attach_to_control(
        ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-35",
        filename="dpia-signed.pdf", data=PDF, reason="signed by the DPO",
    )  # fmt: skip
    (state,) = governance.control_states(ctx, actor=admin, workspace_id=ws.id, catalogue="gdpr")
    assert [(e.kind, e.ref, e.note) for e in state.evidence] == [
        ("attachment", att.id, "dpia-signed.pdf")
    ]
    after = governance.gaps(ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr)
    assert "GDPR-35" not in {g.control for g in after.gaps}
    assert after.implemented == before.implemented + 1
    assert [
        a.id
        for a in governance.list_attachments(
            ctx, actor=admin, workspace_id=ws.id, target=control_target("gdpr", "GDPR-35")
        )
    ] == [att.id]
    actions = [e.action for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id)]
    assert "governance_attachment.create" in actions and actions.count("control.update") == 2
    assert audit.verify(ctx, actor=admin).ok
    with pytest.raises(InputError):
        governance.attach_to_control(
            ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-999",
            filename="x.pdf", data=PDF,
        )  # fmt: skip


def test_changed_content_is_refused_and_found_by_the_ledger_check(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    gdpr = builtin_catalogue("gdpr")
    att = governance.attach_to_control(
        ctx, actor=admin, workspace_id=ws.id, catalogue=gdpr, control="GDPR-30",
        filename="record.csv", data=b"activity,purpose\nbenefits,claims\n",
    )  # fmt: skip
    path = attachment_path(ws.path, att.sha256)
    path.write_bytes(b"activity,purpose\nbenefits,something else\n")
    with pytest.raises(ConflictError, match="changed after it was attached"):
        governance.read_attachment(ctx, actor=admin, workspace_id=ws.id, attachment_id=att.id)
    report = audit.verify(ctx, actor=admin)
    assert not report.ok
    assert f"governance attachment {att.id}" in " ".join(p.message for p in report.problems)
    path.unlink()
    with pytest.raises(ConflictError, match="missing"):
        governance.read_attachment(ctx, actor=admin, workspace_id=ws.id, attachment_id=att.id)


def test_a_failed_transaction_takes_the_new_content_away(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicflow.app import _governance

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the ledger is unavailable")

    run = governance.start_assessment(ctx, actor=admin, workspace_id=ws.id, kind="gdpr-dpia")
    monkeypatch.setattr(_governance, "record", broken)
    with pytest.raises(RuntimeError):
        governance.attach_to_answer(
            ctx, actor=admin, workspace_id=ws.id, assessment_id=run.id, question="criteria",
            filename="dpia.pdf", data=PDF,
        )  # fmt: skip
    assert not attachment_path(ws.path, hashlib.sha256(PDF).hexdigest()).exists()
    monkeypatch.undo()
    assert governance.list_attachments(ctx, actor=admin, workspace_id=ws.id) == []
