"""Planted identifiers: citizen numbers and e-mail addresses go into an ingest through the
workbench (with the key ring configured), pages, a report, the API and error pages are requested;
afterwards the identifiers are in no captured log line, no response, and no file of the
workspace's home — the datasets, the application database (ledger and vault included) and the
logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicflow.privacy import KeyRing

from .conftest import make_app, make_world, sign_in
from .test_privacy_pages import _log


def test_planted_identifiers_leak_nowhere(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world = make_world(tmp_path / "w", None)
    keys = tmp_path / "outside" / "keys.json"
    keys.parent.mkdir()
    KeyRing.generate().write(keys)
    world.ctx.settings.privacy_key_file = keys
    body, bsns, emails = _log(25)
    planted = bsns + emails
    responses: list[str] = []
    try:
        client = TestClient(make_app(world), raise_server_exceptions=False)
        token = sign_in(client, world.emails["admin"])
        ws = f"/w/{world.workspace_id}"
        r = client.post(
            f"{ws}/datasets/upload?filename=planted.csv&name=planted",
            content=body,
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200
        upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
        # a mapping error first (its page is scanned too), then the ingest
        form = {"csrf_token": token, "upload_id": upload_id, "name": "planted", "case_id": "case",
                "activity": "activity", "timestamp": "", "resource": "clerk"}  # fmt: skip
        bad = client.post(f"{ws}/datasets", data=form)
        assert bad.status_code == 422
        responses.append(bad.text)
        done = client.post(
            f"{ws}/datasets", data={**form, "timestamp": "time"}, follow_redirects=False
        )
        assert done.status_code == 303, done.text[:500]
        for path in (
            f"{ws}/datasets",
            f"{ws}/assessment?dataset=planted",
            f"{ws}/assessment/cases?dataset=planted",
            f"{ws}/assessment/cases/c3?dataset=planted",
            f"{ws}/assessment/report.html?dataset=planted",
            f"{ws}/assessment/export/variants.csv?dataset=planted",
            f"{ws}/privacy",
            f"{ws}/ledger",
            f"/api/v1/workspaces/{world.workspace_id}/datasets",
            f"/api/v1/workspaces/{world.workspace_id}/datasets/planted/variants",
            f"/api/v1/workspaces/{world.workspace_id}/datasets/{bsns[0]}/variants",
            f"{ws}/assessment/cases/{bsns[1]}?dataset=planted",
        ):
            r = client.get(path)
            assert r.status_code < 500, (path, r.status_code)
            responses.append(r.text)
    finally:
        world.ctx.close()
    # the two requests that named an identifier in their URL echo it back in their own error
    # (the caller typed it); everything else must not hold any
    leaked_pages = [(i, p) for i, text in enumerate(responses[:-2]) for p in planted if p in text]
    assert leaked_pages == []
    logs = "\n".join(r.getMessage() for r in caplog.records)
    # (the test client logs each URL it requests: the two typed into a URL are left out)
    assert caplog.records and [p for p in planted[2:] if p in logs] == []
    files = [f for f in world.home.rglob("*") if f.is_file()]
    assert any(f.suffix == ".parquet" for f in files), "the dataset is stored"
    leaked_files = [
        (str(f.relative_to(world.home)), p)
        for f in files
        for p in planted
        if p.encode() in f.read_bytes()
    ]
    assert leaked_files == []


def test_a_planted_stakeholder_name_is_in_no_log_error_page_or_database_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A citizen's name typed into the stakeholder register (an encrypted field): a form refused
    for another field, a page that fails because the key ring went missing, and the ledger page
    leave it in no log line and no error page; the database holds it only encrypted."""
    import sqlalchemy as sa

    caplog.set_level(logging.DEBUG)
    world = make_world(tmp_path / "w", None)
    keys = tmp_path / "outside" / "keys.json"
    keys.parent.mkdir()
    KeyRing.generate().write(keys)
    world.ctx.settings.privacy_key_file = keys
    name, org = "Planted Stakeholderia", "Planted Lane 7"
    try:
        client = TestClient(make_app(world), raise_server_exceptions=False)
        token = sign_in(client, world.emails["admin"])
        base = f"/w/{world.workspace_id}/programme/stakeholders"
        form = {"csrf_token": token, "name": name, "kind": "citizen", "organisation": org,
                "interest": "4", "influence": "2", "notes": f"phone {name} on Monday"}  # fmt: skip
        refused = client.post(base, data={**form, "interest": "9"})
        assert refused.status_code == 422 and "interest" in refused.text
        r = client.post(base, data=form, follow_redirects=False)
        assert r.status_code == 303, r.text[-1500:]
        assert name in client.get(base).text  # the register shows its own entries
        ledger = client.get(f"/w/{world.workspace_id}/ledger")
        assert ledger.status_code == 200 and name not in ledger.text
        with world.ctx.engine.connect() as conn:
            raw = conn.execute(sa.text("SELECT name, organisation, notes FROM stakeholders")).one()
        assert all(v.startswith("enc1:") for v in raw) and name not in repr(raw)
        # the key ring goes missing: the page fails with the setting named, not the value
        world.ctx.settings.privacy_key_file = tmp_path / "outside" / "gone.json"
        broken = client.get(base)
        assert broken.status_code >= 400
        assert "privacy_key_file" in broken.text or "key ring" in broken.text
        assert name not in broken.text and org not in broken.text
    finally:
        world.ctx.close()
    logs = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records and name not in logs and org not in logs
