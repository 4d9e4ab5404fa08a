"""Free text redacted at ingest as the upload preview and Data protection show it, and the
retention part of Data protection without JavaScript: the DPO stores a policy through the
form (a bad period comes back with the field marked), the page shows the policies with the dry run
per policy, applying asks first on a confirmation page listing exactly the dry run, and only the
confirmed post writes the new version; a viewer can neither store nor apply."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, assessment
from civicflow.eventlog import ColumnMapping, EventStore
from civicflow.privacy import KeyRing

from .conftest import World, make_app, make_world, sign_in

LOG = "case,activity,time,email,note\n" + "".join(
    f"c{i},{a},{2014 if i < 6 else 2024}-02-0{d}T09:00:00Z,p{i}@example.org,"
    f"Please call p{i}@example.org back about the permit\n"
    for i in range(12)
    for a, d in (("Submit", 3), ("Decide", 9))
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("retention"), None)
    keys = tmp_path_factory.mktemp("outside") / "keys.json"
    KeyRing.generate().write(keys)
    w.ctx.settings.privacy_key_file = keys
    source = tmp_path_factory.mktemp("src") / "log.csv"
    source.write_text(LOG)
    assessment.ingest_dataset(
        w.ctx, actor=SYSTEM, workspace_id=w.workspace_id, source=source, name="permits",
        mapping=ColumnMapping(case_id="case", activity="activity", timestamp="time"),
    )  # fmt: skip
    try:
        yield w
    finally:
        w.ctx.close()


def _events(world: World) -> Path:
    from civicflow.app import workspaces

    ws = workspaces.get_workspace(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)
    return Path(EventStore.open(Path(ws.path)).dataset("permits").events_path)


def test_store_a_policy_see_the_dry_run_and_apply_after_confirming(world: World) -> None:
    ws = f"/w/{world.workspace_id}"
    viewer = TestClient(make_app(world))
    viewer_token = sign_in(viewer, world.emails["viewer"])
    assert viewer.get(f"{ws}/privacy/retention/new").status_code == 403
    r = viewer.post(f"{ws}/privacy/retention/apply", data={"csrf_token": viewer_token})
    assert r.status_code == 403

    dpo = TestClient(make_app(world))
    token = sign_in(dpo, world.emails["dpo"])
    form = dpo.get(f"{ws}/privacy/retention/new")
    assert form.status_code == 200 and 'name="older_than"' in form.text
    fields = {"csrf_token": token, "name": "anonymise-7y", "dataset": "permits",
              "action": "anonymise", "category": "personal", "columns": "", "older_than": "-7",
              "unit": "years", "measured_from": "last_event", "k": "2", "position": "10",
              "reason": "archive law: anonymise after seven years"}  # fmt: skip
    bad = dpo.post(f"{ws}/privacy/retention", data=fields)
    assert bad.status_code == 422
    assert 'id="rt-older-than"' in bad.text and "govuk-input--error" in bad.text
    assert 'href="#rt-older-than"' in bad.text
    r = dpo.post(f"{ws}/privacy/retention", data={**fields, "older_than": "7"},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303

    page = dpo.get(f"{ws}/privacy").text
    row = re.search(r'data-policy="anonymise-7y".*?</tr>', page, re.S).group(0)
    assert "7 years" in row and "Due now" in page
    assert "permits: 6 cases past the period" in row and "email 12 suppressed" in row
    before = pq.read_table(_events(world))

    confirm = dpo.post(f"{ws}/privacy/retention/apply", data={"csrf_token": token})
    assert confirm.status_code == 200 and "Apply these changes" in confirm.text
    assert "email 12 suppressed" in confirm.text
    assert pq.read_table(_events(world)).equals(before), "the confirmation page changes nothing"
    done = dpo.post(f"{ws}/privacy/retention/apply", data={"csrf_token": token, "confirm": "yes"},
                    follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    after = pq.read_table(_events(world))
    assert after.column("email").null_count == 12
    assert "new version of permits" in dpo.get(f"{ws}/privacy").text
    again = dpo.post(f"{ws}/privacy/retention/apply", data={"csrf_token": token})
    assert "Nothing is due" in again.text


def test_the_preview_and_the_page_show_the_redaction_of_free_text(world: World) -> None:
    ws = f"/w/{world.workspace_id}"
    admin = TestClient(make_app(world))
    token = sign_in(admin, world.emails["admin"])
    r = admin.post(
        f"{ws}/datasets/upload?filename=notes.csv&name=notes", content=LOG.encode(),
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert r.status_code == 200, r.text[:300]
    row = re.search(r'<tr class="govuk-table__row" data-field="note".*?</tr>', r.text, re.S)
    assert row is not None and 'data-category="free_text"' in row.group(0)
    assert '<option value="redact" selected>' in row.group(0)
    assert "default for free text" in row.group(0)
    assert "p0@example.org back" not in r.text, "the preview masks the notes too"

    page = admin.get(f"{ws}/privacy").text
    dataset = re.search(r'data-dataset="permits".*?</tr>', page, re.S).group(0)
    assert "note: free text redacted (24 EMAIL_ADDRESS)" in dataset
