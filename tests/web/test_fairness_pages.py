"""The Fairness pages through HTTP: an analyst audits a process (a bad attribute comes back with
the field named in the error summary), reads its findings; a decision audit run elsewhere shows
its groups with bars; a viewer reads but cannot run."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, assessment
from civicflow.app import fairness as af
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import Dataset, EventStore
from civicflow.fairness import AuditConfig

from .conftest import World, make_app, sign_in


@pytest.fixture(scope="module")
def seeded(sqlite_world: World) -> World:
    def generate(store: EventStore) -> Dataset:
        return build_demo_workspace(path=store.path, config=DemoConfig(cases=400, seed=2))[1]

    assessment.store_dataset(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, name="demo",
        write=generate,
    )  # fmt: skip
    return sqlite_world


def test_analyst_audits_a_process(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    token = sign_in(client, seeded.emails["analyst"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/fairness")
    assert page.status_code == 200 and "Audit a process" in page.text and ">Fairness<" in page.text

    bad = client.post(
        f"{ws}/fairness/process",
        data={"dataset": "demo", "group": "colour", "control": "", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "govuk-error-summary" in bad.text and "colour" in bad.text

    r = client.post(
        f"{ws}/fairness/process",
        data={"dataset": "demo", "group": "permit_type", "control": "channel",
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:1000]
    detail = client.get(r.headers["location"])
    assert detail.status_code == 200
    assert "Findings" in detail.text and "monument" in detail.text
    assert "after accounting for channel" in detail.text
    listing = client.get(f"{ws}/fairness")
    assert "demo-permit_type" in listing.text


def test_decision_audit_page_and_viewer(seeded: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "decisions.csv"
    rows = ["group,granted,eligible"] + [
        f"{g},{int(i % 3 != 0) if g == 'north' else int(i % 3 == 0)},{int(i % 2 == 0)}"
        for g in ("north", "south")
        for i in range(60)
    ]
    path.write_text("\n".join(rows) + "\n")
    stored, _ = af.audit_file(
        seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, path=path,
        config=AuditConfig(outcome="granted", label="eligible", groups=("group",), bootstrap=50),
    )  # fmt: skip
    client = TestClient(make_app(seeded))
    token = sign_in(client, seeded.emails["viewer"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/fairness/{stored.id}")
    assert page.status_code == 200
    assert "cf-fair-bar__fill" in page.text and "Four-fifths rule" in page.text
    assert "Audit a process" not in client.get(f"{ws}/fairness").text
    denied = client.post(
        f"{ws}/fairness/process",
        data={"dataset": "demo", "group": "district", "csrf_token": token},
    )
    assert denied.status_code == 403
    missing = client.get(f"{ws}/fairness/fair_nope")
    assert missing.status_code == 404


def test_streams_with_alerts_and_history_chart(seeded: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "stream.csv"

    def write(south_rule) -> None:  # type: ignore[no-untyped-def]
        rows = ["group,granted,eligible"] + [
            f"{g},{int(i % 3 != 0) if g == 'north' else south_rule(i)},{int(i % 2 == 0)}"
            for g in ("north", "south")
            for i in range(300)
        ]
        path.write_text("\n".join(rows) + "\n")

    write(lambda i: int(i % 3 != 0))
    config = AuditConfig(outcome="granted", label="eligible", groups=("group",), bootstrap=100)
    af.add_stream(
        seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, name="grants", path=path,
        config=config,
    )  # fmt: skip
    af.run_stream(seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, name="grants")
    write(lambda i: int(i % 3 == 0))
    run = af.run_stream(seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id, name="grants")
    assert any(a.metric == "selection_rate" for a in run.check.alerts)
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    page = client.get(f"/w/{seeded.workspace_id}/fairness?metric=fpr")
    assert page.status_code == 200
    assert "Monitored decision streams" in page.text and "grants" in page.text
    assert "Stream grants: group = south: the selection_rate ratio" in page.text
    assert page.text.count('class="chart"') == 1 and "fpr by group" in page.text
    assert '<option value="fpr" selected>' in page.text


def test_a_systems_audits_over_time(seeded: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from civicflow.app import governance

    ctx, ws_id = seeded.ctx, seeded.workspace_id
    entry = governance.add_system(
        ctx, actor=SYSTEM, workspace_id=ws_id,
        fields={"name": "Grant scoring", "purpose": "Scores grant requests", "legal_basis": "s. 3",
                "owner": "Grants", "senior_responsible_owner": "Head of Grants",
                "model_version": "1.0"},
    )  # fmt: skip
    path = tmp_path / "system.csv"
    config = AuditConfig(outcome="granted", label="eligible", groups=("group",), bootstrap=100)
    for south, version in ((lambda i: int(i % 3 != 0), "1.0"), (lambda i: int(i % 3 == 0), "2.0")):
        rows = ["group,granted,eligible"] + [
            f"{g},{int(i % 3 != 0) if g == 'north' else south(i)},{int(i % 2 == 0)}"
            for g in ("north", "south")
            for i in range(300)
        ]
        path.write_text("\n".join(rows) + "\n")
        stored, _ = af.audit_file(
            ctx, actor=SYSTEM, workspace_id=ws_id, path=path, config=config, name="scoring",
            system=entry.id, system_version=version,
        )  # fmt: skip
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    ws = f"/w/{ws_id}"
    overview = client.get(f"{ws}/fairness")
    assert f'href="{ws}/fairness/systems/{entry.id}">Grant scoring<' in overview.text
    detail = client.get(f"{ws}/fairness/{stored.id}")
    assert "Audits the system" in detail.text and "model version 2.0" in detail.text
    page = client.get(f"{ws}/fairness/systems/{entry.id}?metric=selection_rate")
    assert page.status_code == 200
    assert "scoring v1" in page.text and "scoring v2" in page.text and "new version" in page.text
    assert "(model 2.0): group = south: the selection_rate ratio" in page.text
    assert (
        page.text.count('class="chart"') == 1
        and "each audit of the system Grant scoring" in page.text
    )
    assert client.get(f"{ws}/fairness/systems/sys_nope").status_code == 404


def test_a_stored_explanation_and_the_page_for_the_person(seeded: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import joblib
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from civicflow.fairness import ExplainConfig

    rng = np.random.default_rng(0)
    people = pd.DataFrame({"income": rng.uniform(500, 4000, 300), "age": rng.integers(18, 80, 300)})
    granted = (people.income + rng.normal(0, 300, 300)) > 2000
    joblib.dump(LogisticRegression(max_iter=1000).fit(people, granted), tmp_path / "m.joblib")
    people.to_csv(tmp_path / "people.csv", index=False)
    stored, result = af.explain_file(
        seeded.ctx, actor=SYSTEM, workspace_id=seeded.workspace_id,
        model_path=tmp_path / "m.joblib", data_path=tmp_path / "people.csv",
        config=ExplainConfig(changeable=("income",), positive_class=True,
                             positive_words="granted", negative_words="refused",
                             labels={"income": "declared income"}),
        rows=[0, 1],
    )  # fmt: skip
    assert stored.decision(1) == result.to_dict()["decisions"][1]
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    ws = f"/w/{seeded.workspace_id}"
    assert f"{ws}/fairness/explanations/{stored.id}" in client.get(f"{ws}/fairness").text
    overview = client.get(f"{ws}/fairness/explanations/{stored.id}")
    assert overview.status_code == 200 and "declared income" in overview.text
    decision = result.decisions[0]
    person = client.get(f"{ws}/fairness/explanations/{stored.id}/decisions/0")
    assert person.status_code == 200
    assert f"The decision was: <strong>{decision.decision}</strong>" in person.text
    assert "Your rights" in person.text and "Article 22(3)" in person.text
    assert "declared income" in person.text
    for c in decision.counterfactuals:
        assert c.text.replace("'", "&#39;") in person.text
    assert client.get(f"{ws}/fairness/explanations/{stored.id}/decisions/7").status_code == 404
