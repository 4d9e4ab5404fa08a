"""Drafting and approval in the workbench, and batches: a policy officer drafts a DMN model with
its tests on the page (a bad rule set comes back with the error summary naming its line and
field), submits it; the author is refused approval on the page, another officer approves and
publishes on confirmation pages (plain forms); a version whose test fails cannot be published;
a caseworker uploads a table, follows the batch's progress, sees its counts and review items and
downloads the results."""

from __future__ import annotations

import json
import re
import time

from fastapi.testclient import TestClient
from tests.conftest import shared_file

from civicflow.app import decisions as rd
from civicflow.decisions import EXAMPLES

from .conftest import World, make_app, sign_in

BAD_YAML = (
    (EXAMPLES / "social_support.yaml")
    .read_text()
    .replace("household_income <= applicable_limit", "household_income <= no_such_rule", 1)
)


def _loan() -> tuple[str, str]:
    text = shared_file("decisions", "camunda", "personLoanCompliance.dmn").read_text()
    expected = json.loads(
        shared_file("decisions", "camunda", "personLoanCompliance.expected.json").read_text()
    )
    cases = [
        {"name": f"camunda case {c['id']}", "date": "2026-03-01", "inputs": c["inputs"],
         "expected": {"Person Loan Compliance": c["expected"]}}
        for c in expected["cases"]
    ]  # fmt: skip
    return text, json.dumps({"ruleset": "web_loan", "cases": cases})


def _version_id(response: object) -> str:
    location = response.headers["location"]  # type: ignore[attr-defined]
    match = re.search(r"/rules/versions/(rsv_\w+)$", location)
    assert match, location
    return match.group(1)


def test_draft_submit_approve_and_publish_on_the_pages(world: World) -> None:
    ws = f"/w/{world.workspace_id}"
    author, approver = TestClient(make_app(world)), TestClient(make_app(world))
    token = sign_in(author, world.emails["service_owner"])
    other = sign_in(approver, world.emails["admin"])
    viewer = TestClient(make_app(world))
    sign_in(viewer, world.emails["viewer"])
    assert viewer.get(f"{ws}/rules/versions/new").status_code == 403

    form = author.get(f"{ws}/rules/versions/new")
    assert form.status_code == 200 and "Draft a rule set" in form.text
    tests = (EXAMPLES / "social_support.tests.yaml").read_text()
    bad = author.post(
        f"{ws}/rules/versions",
        data={"text": BAD_YAML, "tests_text": tests, "csrf_token": token},
    )
    assert bad.status_code == 422 and "govuk-error-summary" in bad.text
    assert "no_such_rule" in bad.text and re.search(r"line \d+", bad.text)
    assert 'href="#draft-text"' in bad.text and "govuk-textarea--error" in bad.text

    text, loan_tests = _loan()
    r = author.post(
        f"{ws}/rules/versions",
        data={"tests_text": loan_tests, "name": "web_loan", "positive": "Compliant",
              "automation": "review", "csrf_token": token},
        files={"text_file": ("loan.dmn", text.encode(), "application/xml")},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    vid = _version_id(r)
    page = author.get(f"{ws}/rules/versions/{vid}")
    assert "DMN model deciding 'Person Loan Compliance', positive when Compliant" in page.text
    assert "2 of 2 pass" in page.text and "Submit for review" in page.text
    author.post(f"{ws}/rules/versions/{vid}/submit", data={"csrf_token": token})

    refused = author.get(f"{ws}/rules/versions/{vid}/approve")
    assert "you cannot approve it" in refused.text and "Approve version 1" not in refused.text
    forced = author.post(f"{ws}/rules/versions/{vid}/approve", data={"csrf_token": token})
    assert forced.status_code == 422 and "cannot approve it" in forced.text
    confirm = approver.get(f"{ws}/rules/versions/{vid}/approve")
    assert "Approve version 1" in confirm.text
    done = approver.post(
        f"{ws}/rules/versions/{vid}/approve", data={"reason": "read it", "csrf_token": other},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    publish = approver.get(f"{ws}/rules/versions/{vid}/publish")
    assert "2 of 2 pass" in publish.text and "Publish version 1" in publish.text
    approver.post(f"{ws}/rules/versions/{vid}/publish", data={"csrf_token": other})
    version = rd.get_version(world.ctx, actor=rd_actor(world), workspace_id=world.workspace_id,
                             version_id=vid)  # fmt: skip
    assert (version.status, version.kind) == ("published", "dmn")
    assert version.approved_by not in (None, version.created_by)

    # the next version, edited from this one, with a test that fails: not publishable
    prefilled = author.get(f"{ws}/rules/versions/new?from={vid}")
    assert "Draft the next version of web_loan" in prefilled.text and "Compliant" in prefilled.text
    r = author.post(
        f"{ws}/rules/versions",
        data={"text": text, "tests_text": loan_tests.replace('"Compliant"', '"Refused"'),
              "name": "web_loan", "positive": "Compliant", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    second = _version_id(r)
    author.post(f"{ws}/rules/versions/{second}/submit", data={"csrf_token": token})
    approver.post(f"{ws}/rules/versions/{second}/approve", data={"csrf_token": other})
    blocked = approver.get(f"{ws}/rules/versions/{second}/publish")
    assert "cannot be published: a test fails" in blocked.text
    assert "Publish version 2" not in blocked.text and "expected Refused" in blocked.text
    forced = approver.post(f"{ws}/rules/versions/{second}/publish", data={"csrf_token": other})
    assert forced.status_code == 422 and "1 of 2 tests fail" in forced.text


def rd_actor(world: World):  # type: ignore[no-untyped-def]
    from civicflow.app import SYSTEM, accounts

    user = accounts.find_user(world.ctx, actor=SYSTEM, email=world.emails["global_admin"])
    return accounts.get_actor(world.ctx, user.id)


def test_a_batch_uploaded_decided_with_progress_and_downloaded(world: World) -> None:
    ctx, wid = world.ctx, world.workspace_id
    ws = f"/w/{wid}"
    root = rd_actor(world)
    if not any(v.name == "social_support" and v.status == "published"
               for v in rd.list_versions(ctx, actor=root, workspace_id=wid)):  # fmt: skip
        officer = TestClient(make_app(world))
        sign_in(officer, world.emails["service_owner"])
        v = rd.draft_ruleset(
            ctx, actor=rd_actor_of(world, "service_owner"), workspace_id=wid,
            text=(EXAMPLES / "social_support.yaml").read_text(),
            tests_text=(EXAMPLES / "social_support.tests.yaml").read_text(),
            automation="automatic", review_negative=True,
        )  # fmt: skip
        rd.submit_ruleset(ctx, actor=rd_actor_of(world, "service_owner"), workspace_id=wid,
                          version_id=v.id)  # fmt: skip
        rd.approve_ruleset(ctx, actor=root, workspace_id=wid, version_id=v.id)
        rd.publish_ruleset(ctx, actor=root, workspace_id=wid, version_id=v.id)
    worker = TestClient(make_app(world))
    token = sign_in(worker, world.emails["caseworker"])
    assert "Decide a batch" in worker.get(f"{ws}/rules").text
    missing = worker.post(f"{ws}/rules/batches", data={"ruleset": "social_support",
                                                         "csrf_token": token})  # fmt: skip
    assert missing.status_code == 422 and "choose the table of cases" in missing.text
    csv = "case_ref,resident,age,household_size,household_income\n" + "".join(
        f"W-{i},yes,40,2,{income}\n" for i, income in enumerate((900, 2310, 1500, 2600))
    )
    r = worker.post(
        f"{ws}/rules/batches",
        data={"ruleset": "social_support", "date": "2026-03-01", "csrf_token": token},
        files={"cases": ("web.csv", csv.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "/rules/batches/jobs/" in r.headers["location"]
    job_url = r.headers["location"]
    for _ in range(200):  # the batch runs in a thread; follow it as the page does
        step = worker.get(job_url, follow_redirects=False)
        if step.status_code == 303:
            break
        assert step.status_code == 200 and ("progress" in step.text or "Done" in step.text)
        time.sleep(0.05)
    batch_url = step.headers["location"]
    shown = worker.get(batch_url)
    assert shown.status_code == 200 and "Batch of 4 decisions" in shown.text
    assert "its digest matches the stored decisions" in shown.text
    assert "Review items (2)" in shown.text and "W-1" in shown.text and "W-3" in shown.text
    results = worker.get(f"{batch_url}/results.csv")
    assert results.headers["content-type"].startswith("text/csv")
    header, *rows = results.text.strip().splitlines()
    assert header.startswith("decision_id,case_ref,date,outcome") and len(rows) == 4
    assert "web.csv" in worker.get(f"{ws}/rules").text  # among the recent batches


def rd_actor_of(world: World, role: str):  # type: ignore[no-untyped-def]
    from civicflow.app import SYSTEM, accounts

    user = accounts.find_user(world.ctx, actor=SYSTEM, email=world.emails[role])
    return accounts.get_actor(world.ctx, user.id)
