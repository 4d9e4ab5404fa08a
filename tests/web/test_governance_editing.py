"""Editing governance in the browser: a system registered, changed and moved along its lifecycle,
a control's status and evidence, the infrastructure inventory — role-checked, every change in the
ledger, a refused form shown again with its error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, audit, governance
from civicflow.governance import builtin_catalogue

from .conftest import World, make_app, make_world, sign_in

SYSTEM_FORM = {
    "name": "Blue badge triage",
    "purpose": "Orders blue-badge applications by likely eligibility.",
    "legal_basis": "Disabled Persons Act 1970 s.21",
    "owner": "Parking services",
    "senior_responsible_owner": "Head of Parking",
    "affected_people": "About 9,000 applicants a year",
    "oversight": "on-the-loop",
    "other_data": "applications-2025\nGP letters",
    "detail__benefit": "Faster decisions for clear-cut cases.",
    "detail__retention": "Seven years after the decision.",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("govedit"), None)
    try:
        yield w
    finally:
        w.ctx.close()


def _actions(world: World) -> list[str]:
    entries = audit.list_entries(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)
    return [e.action for e in entries]


def test_a_system_registered_changed_and_moved_in_the_browser(world: World) -> None:
    ws = world.workspace_id
    client = TestClient(make_app(world))
    csrf = sign_in(client, world.emails["service_owner"])
    form = client.get(f"/w/{ws}/governance/systems/new")
    assert form.status_code == 200 and 'name="senior_responsible_owner"' in form.text
    assert 'name="detail__benefit"' in form.text and 'name="detail__retention"' in form.text

    # a required field left empty: the form comes back with the error on that field
    refused = client.post(
        f"/w/{ws}/governance/systems", data=SYSTEM_FORM | {"legal_basis": "", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert 'href="#f-legal_basis"' in refused.text and "Blue badge triage" in refused.text
    assert governance.list_systems(world.ctx, actor=SYSTEM, workspace_id=ws) == []

    created = client.post(
        f"/w/{ws}/governance/systems", data=SYSTEM_FORM | {"csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303
    url = created.headers["location"]
    entry = governance.get_system(world.ctx, actor=SYSTEM, workspace_id=ws, ref="Blue badge triage")
    assert url.endswith(f"/governance/systems/{entry.id}")
    assert entry.datasets == ("applications-2025", "GP letters")
    assert entry.oversight.value == "on-the-loop" and not entry.published
    assert entry.details == {
        "benefit": "Faster decisions for clear-cut cases.",
        "retention": "Seven years after the decision.",
    }
    assert _actions(world).count("governance_system.create") == 1

    # change it: publish, drop a detail, keep the others
    changed = client.post(
        url,
        data=SYSTEM_FORM | {"csrf_token": csrf, "published": "yes", "detail__retention": "",
                            "reason": "ready for the public register"},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303
    entry = governance.get_system(world.ctx, actor=SYSTEM, workspace_id=ws, ref=entry.id)
    assert entry.published and entry.details == {"benefit": "Faster decisions for clear-cut cases."}
    update = next(
        e
        for e in audit.list_entries(world.ctx, actor=SYSTEM, workspace_id=ws)
        if e.action == "governance_system.update"
    )
    assert update.reason == "ready for the public register"
    assert client.get(f"/register/{entry.id}").status_code == 200

    # a move without a reason is refused; proposed -> assessed needs an assessment first
    page = client.get(url)
    assert page.status_code == 200 and 'name="to"' in page.text
    check = page.text.split('id="record-check"', 1)[1].split("</dd>", 1)[0]
    assert "required fields not provided" in check and "2.2.3 - Benefit" not in check
    assert "1.4 - Contact email" in check  # the benefit is given, the contact is not
    no_reason = client.post(f"{url}/move", data={"csrf_token": csrf, "to": "retired"})
    assert no_reason.status_code == 422 and 'href="#f-move_reason"' in no_reason.text
    unassessed = client.post(
        f"{url}/move", data={"csrf_token": csrf, "to": "assessed", "move_reason": "DPIA done"}
    )
    assert unassessed.status_code == 422 and "no linked assessment" in unassessed.text
    run = governance.start_assessment(
        world.ctx, actor=SYSTEM, workspace_id=ws, kind="gdpr-dpia", system=entry.id
    )
    governance.answer_assessment(
        world.ctx, actor=SYSTEM, workspace_id=ws, assessment_id=run.id,
        answers={"criteria": ["evaluation", "automated_decision"]},
    )  # fmt: skip
    moved = client.post(
        f"{url}/move",
        data={"csrf_token": csrf, "to": "assessed", "move_reason": "DPIA done"},
        follow_redirects=True,
    )
    assert moved.status_code == 200 and "is now assessed" in moved.text
    assert "proposed → assessed by" in moved.text and "(DPIA done)" in moved.text
    move = next(
        e
        for e in audit.list_entries(world.ctx, actor=SYSTEM, workspace_id=ws)
        if e.action == "governance_system.move"
    )
    assert move.reason == "DPIA done"

    # a viewer reads the system but gets no form, and is refused a change
    viewer = TestClient(make_app(world))
    viewer_csrf = sign_in(viewer, world.emails["viewer"])
    read = viewer.get(url)
    assert read.status_code == 200 and "Blue badge triage" in read.text
    assert 'name="to"' not in read.text and "Save changes" not in read.text
    denied = viewer.post(
        url, data=SYSTEM_FORM | {"csrf_token": viewer_csrf, "name": "Renamed"},
        follow_redirects=False,
    )  # fmt: skip
    assert denied.status_code == 403
    assert governance.get_system(world.ctx, actor=SYSTEM, workspace_id=ws, ref=entry.id).name == (
        "Blue badge triage"
    )


def test_a_control_and_its_evidence_in_the_browser(world: World) -> None:
    ws = world.workspace_id
    client = TestClient(make_app(world))
    csrf = sign_in(client, world.emails["dpo"])
    listing = client.get(f"/w/{ws}/governance/controls?catalogue=gdpr")
    assert listing.status_code == 200
    control = builtin_catalogue("gdpr").controls[0]
    url = f"/w/{ws}/governance/controls/gdpr/{control.id}"
    assert url in listing.text
    # evidence that names no assessment of the workspace is refused, nothing stored
    bad = client.post(
        url,
        data={"csrf_token": csrf, "status": "implemented", "owner": "DPO office",
              "evidence_kind": "assessment", "evidence_ref": "asm_nothere"},
    )  # fmt: skip
    assert bad.status_code == 422 and 'href="#f-evidence_ref"' in bad.text
    assert (
        governance.control_states(world.ctx, actor=SYSTEM, workspace_id=ws, catalogue="gdpr") == []
    )
    bad_date = client.post(url, data={"csrf_token": csrf, "status": "implemented", "due": "soon"})
    assert bad_date.status_code == 422 and 'href="#f-due"' in bad_date.text

    saved = client.post(
        url,
        data={"csrf_token": csrf, "status": "implemented", "owner": "DPO office",
              "due": "2027-03-31", "evidence_kind": "document",
              "evidence_ref": "https://intranet.example/dpia.pdf", "reason": "DPIA signed off"},
        follow_redirects=True,
    )  # fmt: skip
    assert saved.status_code == 200 and "Saved" in saved.text
    assert "https://intranet.example/dpia.pdf" in saved.text
    (state,) = governance.control_states(world.ctx, actor=SYSTEM, workspace_id=ws, catalogue="gdpr")
    assert state.status.value == "implemented" and state.owner == "DPO office"
    assert state.due is not None and state.due.isoformat() == "2027-03-31"
    assert [(e.kind, e.ref) for e in state.evidence] == [
        ("document", "https://intranet.example/dpia.pdf")
    ]
    listing = client.get(f"/w/{ws}/governance/controls?catalogue=gdpr")
    assert ">1 of " in listing.text
    # take the evidence off: the control is a gap again (implemented without evidence)
    client.post(
        url,
        data={"csrf_token": csrf, "status": "implemented", "owner": "DPO office",
              "remove": "document:https://intranet.example/dpia.pdf"},
    )  # fmt: skip
    (state,) = governance.control_states(world.ctx, actor=SYSTEM, workspace_id=ws, catalogue="gdpr")
    assert state.evidence == ()
    assert (
        "implemented but no evidence linked"
        in client.get(f"/w/{ws}/governance/controls?catalogue=gdpr").text
    )
    assert _actions(world).count("control.update") == 2
    # an analyst (no governance role) reads it, gets no form, and is refused
    analyst = TestClient(make_app(world))
    analyst_csrf = sign_in(analyst, world.emails["analyst"])
    assert "Save the control" not in analyst.get(url).text
    assert analyst.post(url, data={"csrf_token": analyst_csrf, "status": "in-progress"},
                        follow_redirects=False).status_code == 403  # fmt: skip


def test_the_inventory_in_the_browser(world: World) -> None:
    ws = world.workspace_id
    client = TestClient(make_app(world))
    csrf = sign_in(client, world.emails["admin"])
    base = {"csrf_token": csrf, "name": "Northgate", "type": "case management",
            "data_held": "claims", "interfaces": "nightly CSV", "hosting": "on premises",
            "support": "end-of-life", "compatibility": "unknown", "notes": ""}  # fmt: skip
    bad = client.post(f"/w/{ws}/governance/inventory", data=base | {"type": ""})
    assert bad.status_code == 422 and 'href="#f-type"' in bad.text
    assert governance.list_inventory(world.ctx, actor=SYSTEM, workspace_id=ws) == []
    client.post(f"/w/{ws}/governance/inventory", data=base)
    page = client.get(f"/w/{ws}/governance/inventory?item=Northgate")
    assert page.status_code == 200 and 'value="nightly CSV"' in page.text
    client.post(f"/w/{ws}/governance/inventory", data=base | {"compatibility": "needs-work"})
    (item,) = governance.list_inventory(world.ctx, actor=SYSTEM, workspace_id=ws)
    assert item.compatibility.value == "needs-work" and item.support.value == "end-of-life"
    actions = _actions(world)
    assert actions.count("infrastructure.create") == 1
    assert actions.count("infrastructure.update") == 1
    card = governance.readiness(world.ctx, actor=SYSTEM, workspace_id=ws)
    infra = next(a for a in card.areas if a.area == "infrastructure")
    assert any("Northgate" in g for g in infra.gaps)


PDF = b"%PDF-1.7\nsigned DPIA\n%%EOF\n"


def test_evidence_files_attached_in_the_browser(world: World) -> None:
    import hashlib

    ws = world.workspace_id
    client = TestClient(make_app(world))
    csrf = sign_in(client, world.emails["dpo"])
    run = governance.start_assessment(world.ctx, actor=SYSTEM, workspace_id=ws, kind="gdpr-dpia")
    url = f"/w/{ws}/governance/assessments/{run.id}"
    page = client.get(url)
    assert 'enctype="multipart/form-data"' in page.text and 'name="question"' in page.text
    refused = client.post(
        f"{url}/attachments", data={"csrf_token": csrf, "question": "criteria"},
        files={"file": ("dpia.pdf", b"MZ not a pdf", "application/pdf")},
    )  # fmt: skip
    assert refused.status_code == 422 and 'href="#q-file"' in refused.text
    attached = client.post(
        f"{url}/attachments", data={"csrf_token": csrf, "question": "criteria"},
        files={"file": ("dpia.pdf", PDF, "application/pdf")}, follow_redirects=True,
    )  # fmt: skip
    assert attached.status_code == 200 and "Attached dpia.pdf" in attached.text
    (att,) = governance.list_attachments(world.ctx, actor=SYSTEM, workspace_id=ws)
    assert f"/governance/attachments/{att.id}" in attached.text
    # a viewer downloads it; its SHA-256 is the one in the ledger
    viewer = TestClient(make_app(world))
    viewer_csrf = sign_in(viewer, world.emails["viewer"])
    assert f"/governance/attachments/{att.id}" in viewer.get(url).text
    download = viewer.get(f"/w/{ws}/governance/attachments/{att.id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment;" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    entry = next(
        e
        for e in audit.list_entries(world.ctx, actor=SYSTEM, workspace_id=ws)
        if e.action == "governance_attachment.create"
    )
    assert entry.after_digest == hashlib.sha256(download.content).hexdigest()
    denied = viewer.post(
        f"{url}/attachments", data={"csrf_token": viewer_csrf, "question": "criteria"},
        files={"file": ("x.pdf", PDF, "application/pdf")}, follow_redirects=False,
    )  # fmt: skip
    assert denied.status_code == 403
    # on a control, the file becomes its evidence
    control = builtin_catalogue("gdpr").controls[1]
    curl = f"/w/{ws}/governance/controls/gdpr/{control.id}"
    empty = client.post(f"{curl}/attachments", data={"csrf_token": csrf})
    assert empty.status_code == 422 and 'href="#f-file"' in empty.text
    done = client.post(
        f"{curl}/attachments", data={"csrf_token": csrf, "reason": "signed"},
        files={"file": ("minutes.txt", b"Approved by the board.\n", "text/plain")},
        follow_redirects=True,
    )  # fmt: skip
    assert done.status_code == 200 and "minutes.txt" in done.text
    state = next(
        s
        for s in governance.control_states(
            world.ctx, actor=SYSTEM, workspace_id=ws, catalogue="gdpr"
        )
        if s.control == control.id
    )
    assert [e.kind for e in state.evidence] == ["attachment"]
    assert client.get(f"/w/{ws}/governance/attachments/att_missing").status_code == 404
