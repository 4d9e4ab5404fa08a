"""Privacy in the workbench: the upload's mapping preview shows each field's detected kind,
confidence, masked examples and the protection ingest applies; a data steward's change there is
recorded with its reason before the ingest that uses it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, assessment
from civicflow.app import privacy as pv
from civicflow.privacy import KeyRing

from .conftest import World, make_app, make_world, sign_in

FIRST = ("Anna", "Bram", "Cem", "Daan", "Eva", "Fenna", "Gijs", "Hanna", "Ivo", "Joke", "Kees")
LAST = ("Jansen", "de Vries", "Kaya", "Bakker", "Smit", "Visser", "Mulder", "Bos", "Dekker")


def _bsn(n: int) -> str:
    """The n-th valid Dutch BSN from 100000000 on (the eleven test)."""
    value = 100_000_000 + n * 7
    while True:
        digits = [int(d) for d in f"{value:09d}"]
        total = sum(w * d for w, d in zip(range(9, 1, -1), digits[:8], strict=True)) - digits[8]
        if total % 11 == 0:
            return f"{value:09d}"
        value += 1


def _log(cases: int = 30) -> tuple[bytes, list[str], list[str]]:
    bsns = [_bsn(i * 13) for i in range(cases)]
    emails = [f"{FIRST[i % 11].lower()}.{i}@example.org" for i in range(cases)]
    lines = ["case,activity,time,clerk,bsn,email,amount"]
    for i in range(cases):
        for j, act in enumerate(("Submit", "Review", "Decide")):
            clerk = f"{FIRST[(i + j) % 11]} {LAST[(i * 3 + j) % 9]}"
            lines.append(
                f"c{i},{act},2024-03-{1 + i % 28:02d}T{9 + j:02d}:00:00Z,{clerk},"
                f"{bsns[i]},{emails[i]},{100 + i}"
            )
    return ("\n".join(lines) + "\n").encode(), bsns, emails


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("privacy"), None)
    keys = tmp_path_factory.mktemp("outside") / "keys.json"
    KeyRing.generate().write(keys)
    w.ctx.settings.privacy_key_file = keys
    try:
        yield w
    finally:
        w.ctx.close()


def _upload(client: TestClient, token: str, world: World, name: str, body: bytes) -> str:
    r = client.post(
        f"/w/{world.workspace_id}/datasets/upload?filename={name}.csv&name={name}",
        content=body,
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200, r.text[:500]
    return r.text


def _rows(html: str) -> dict[str, str]:
    table = html[html.index('id="privacy-table"') :]
    table = table[: table.index("</table>")]
    return {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<tr class="govuk-table__row" data-field="([^"]+)".*?</tr>', table, re.S
        )
    }


def test_the_mapping_preview_shows_the_classification_and_the_default_protection(
    world: World,
) -> None:
    body, bsns, emails = _log()
    client = TestClient(make_app(world))
    token = sign_in(client, world.emails["analyst"])
    html = _upload(client, token, world, "permits", body)
    rows = _rows(html)
    assert set(rows) == {"case", "clerk", "bsn", "email", "amount"}, (
        "activity and time are not classified"
    )
    assert 'data-category="nl_bsn"' in rows["bsn"] and "direct identifier" in rows["bsn"]
    assert 'data-category="email"' in rows["email"]
    assert 'data-category="none"' in rows["amount"] and "not personal" in rows["amount"]
    assert re.search(r"\d+%", rows["bsn"])
    # masked examples, never a value from the file
    assert "#" in rows["bsn"]
    for value in bsns + emails:
        assert value not in html[html.index('id="privacy-table"') :]
    # the analyst sees the protection but cannot change it
    assert "pseudonymise" in rows["bsn"] and "default for a direct identifier" in rows["bsn"]
    assert 'name="privacy_action"' not in html
    assert "A data steward can change" in html
    assert "the data will be stored as it is" not in html


def test_a_stewards_change_is_recorded_with_its_reason_before_the_ingest(world: World) -> None:
    body, bsns, emails = _log()
    client = TestClient(make_app(world))
    token = sign_in(client, world.emails["admin"])  # a workspace admin may decide and upload
    html = _upload(client, token, world, "steward", body)
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', html).group(1)
    fields = re.findall(r'name="privacy_column" value="([^"]+)"', html)
    shown = re.findall(r'name="privacy_shown" value="([^"]+)"', html)
    assert dict(zip(fields, shown, strict=True))["bsn"] == "pseudonymise"
    actions = dict(zip(fields, shown, strict=True))
    actions["email"] = "keep"
    form = {
        "csrf_token": token, "upload_id": upload_id, "name": "steward", "case_id": "case",
        "activity": "activity", "timestamp": "time", "resource": "clerk",
        "privacy_column": fields, "privacy_shown": shown,
        "privacy_action": [actions[f] for f in fields],
    }  # fmt: skip
    # a change without its reason: refused, nothing recorded, nothing imported
    r = client.post(
        f"/w/{world.workspace_id}/datasets",
        data={**form, "privacy_reason": ["" for _ in fields]},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "needs its reason" in r.text
    assert re.search(r'<option value="keep" selected>', _rows(r.text)["email"]), "choice kept"
    assert [
        d.column
        for d in pv.list_decisions(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)
    ] == []
    reasons = [
        "contact for the applicant: needed by the service" if f == "email" else "" for f in fields
    ]
    r = client.post(
        f"/w/{world.workspace_id}/datasets",
        data={**form, "privacy_reason": reasons},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:800]
    decisions = pv.list_decisions(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)
    assert [(d.column, d.action) for d in decisions] == [("email", "keep")]
    assert decisions[0].reason.startswith("contact for the applicant")
    dataset = {
        d.name: d
        for d in assessment.list_datasets(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)
    }["steward"]
    events = pq.read_table(dataset.events_path).to_pydict()
    assert set(events["email"]) <= set(emails), "kept clear as decided"
    assert not set(events["bsn"]) & set(bsns), "pseudonymised by default"
    # the next upload shows the decision as the email column's protection
    rows = _rows(_upload(client, token, world, "again", body))
    assert (
        "data steward&#39;s decision" in rows["email"] or "data steward's decision" in rows["email"]
    )
    assert '<option value="keep" selected>' in rows["email"]


def test_without_a_key_ring_the_preview_says_the_data_is_stored_as_it_is(
    tmp_path: Path,
) -> None:
    plain = make_world(tmp_path, None)
    try:
        client = TestClient(make_app(plain))
        token = sign_in(client, plain.emails["analyst"])
        html = _upload(client, token, plain, "plain", _log(12)[0])
        assert "the data will be stored as it is" in html
    finally:
        plain.ctx.close()


def _ingest(client: TestClient, token: str, world: World, name: str, body: bytes) -> None:
    html = _upload(client, token, world, name, body)
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', html).group(1)
    r = client.post(
        f"/w/{world.workspace_id}/datasets",
        data={
            "csrf_token": token,
            "upload_id": upload_id,
            "name": name,
            "case_id": "case",
            "activity": "activity",
            "timestamp": "time",
            "resource": "clerk",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]


def test_the_data_protection_page_and_a_request_from_registration_to_erasure(
    world: World,
) -> None:
    body, bsns, _ = _log()
    analyst = TestClient(make_app(world))
    analyst_token = sign_in(analyst, world.emails["analyst"])
    # two datasets of its own: the test does not lean on another test's (xdist splits a module)
    for name in ("dpo_view", "dpo_second"):
        _ingest(analyst, analyst_token, world, name, body)
    ws = f"/w/{world.workspace_id}"

    pv.set_retention_policy(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, dataset="*",
        older_than_days=30, reason="selection list: thirty days",
    )  # fmt: skip
    # a viewer sees the datasets' protection and the retention policies, not the requests
    viewer = TestClient(make_app(world))
    sign_in(viewer, world.emails["viewer"])
    page = viewer.get(f"{ws}/privacy")
    assert page.status_code == 200
    row = re.search(r'data-dataset="dpo_view".*?</tr>', page.text, re.S).group(0)
    assert "bsn: nl bsn" in row and "bsn: pseudonymised" in row
    assert "Data-subject requests" not in page.text and "Register a request" not in page.text
    assert "Decide on a column" not in page.text
    retention = page.text[page.text.index('id="privacy-retention"') :]
    assert "every dataset without its own" in retention and "Due now" not in retention

    # the data steward records a decision on the page
    steward = TestClient(make_app(world))
    token = sign_in(steward, world.emails["data_steward"])
    r = steward.post(
        f"{ws}/privacy/decisions",
        data={"csrf_token": token, "column": "amount", "action": "pseudonymise", "reason": ""},
    )
    assert r.status_code == 422 and "needs its reason" in r.text
    r = steward.post(
        f"{ws}/privacy/decisions",
        data={"csrf_token": token, "column": "amount", "action": "pseudonymise",
              "reason": "amounts identify a claimant in small towns"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    assert "amounts identify a claimant" in steward.get(f"{ws}/privacy").text

    # the DPO registers an erasure request, verifies, searches, erases and closes it
    dpo = TestClient(make_app(world))
    token = sign_in(dpo, world.emails["dpo"])
    subject = bsns[4]
    r = dpo.post(
        f"{ws}/privacy/requests",
        data={"csrf_token": token, "kind": "erasure", "identifiers": f"{subject}\n",
              "received_on": "2026-11-20"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    target = r.headers["location"]
    request_id = target.rsplit("/", 1)[1]
    detail = dpo.get(target).text
    assert "2026-12-20" in detail, "due one calendar month after it was received"
    assert subject not in detail
    overview = dpo.get(f"{ws}/privacy").text
    for heading in ("datasets", "decisions", "releases", "retention", "requests"):
        assert overview.count(f'id="{heading}-heading"') == 1, heading  # each section drawn once
    assert f'data-request="{request_id}"' in overview
    retention = overview[overview.index('id="privacy-retention"') :]
    assert "Due now (dry run)" in retention and "dpo_view: 30 cases past the period" in retention
    r = dpo.post(f"{target}/search", data={"csrf_token": token, "identifier": subject})
    assert r.status_code == 422 and "verified" in r.text, "not before the identity is verified"
    r = dpo.post(
        f"{target}/verify",
        data={"csrf_token": token, "how": "passport seen at the counter"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = dpo.post(f"{target}/search", data={"csrf_token": token, "identifier": subject})
    assert r.status_code == 200
    hits = r.text[r.text.index('id="search-hits"') :]
    assert "dpo_view" in hits and "dpo_second" in hits
    assert subject not in r.text, "the identifier is not echoed into the page"
    r = dpo.post(f"{target}/erase", data={"csrf_token": token, "identifier": subject})
    assert r.status_code == 200
    result = r.text[r.text.index('id="erasure-result"') :]
    assert "dpo_view" in result and "erased" in result
    assert "the identifier is in no dataset" in r.text
    # the verification scan of every store, on the request's page
    assert 'id="verify-erasure-heading"' in dpo.get(target).text
    r = dpo.post(f"{target}/verify-erasure", data={"csrf_token": token, "identifier": subject})
    assert r.status_code == 200
    cell = '<td class="govuk-table__cell">'
    stores = "event store|files|application database|logs"
    remnants = re.findall(rf"<tr [^>]*>{cell}({stores})</td>{cell}([^<]+)</td>", r.text)
    # the only copies left may be uploads other tests of this module staged and never ingested
    # (the scan reaches the files under home, not only the datasets); nothing else
    assert all(store == "files" and where.startswith("uploads/") for store, where in remnants), (
        remnants
    )
    clean = "The identifier and its pseudonyms are gone from every store"
    assert (clean in r.text) == (not remnants)
    assert subject not in r.text
    r = dpo.post(
        f"{target}/close",
        data={"csrf_token": token, "outcome": "completed", "reason": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "completed" in dpo.get(target).text
    # the ledger names the request's steps and never the identifier
    from civicflow.app import audit

    entries = audit.list_entries(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, limit=1000
    )
    actions = [e.action for e in entries]
    for step in ("add", "verify", "search", "erase", "verify_erasure", "close"):
        assert f"privacy.request.{step}" in actions
    assert subject not in repr([e.to_dict() for e in entries])
    # the workbench's report has the Data protection section, and no planted identifier
    report = dpo.get(f"{ws}/assessment/report.html?dataset=dpo_second")
    assert report.status_code == 200
    assert 'id="privacy"' in report.text and "Personal data and its protection" in report.text
    assert not [b for b in bsns if b in report.text]
    # an unknown step is refused with a clear error
    r = dpo.post(f"{target}/delete", data={"csrf_token": token})
    assert r.status_code == 422 and "no such step" in r.text
