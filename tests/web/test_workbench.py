"""The workbench end to end through HTTP (in-process): upload a real log, map it, assess it,
freeze a baseline, set an objective from it, find it all in the ledger; on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.conftest import shared_file

from .conftest import World, make_app, sign_in

RECEIPT = ("eventlogs", "Receipt_phase_environmental_permit_WABO.xes.gz")


def _stream(path, chunk: int = 64 * 1024):
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            yield block


def test_upload_map_assess_freeze_objective_ledger(world: World) -> None:
    source = shared_file(*RECEIPT)
    client = TestClient(make_app(world))
    token = sign_in(client, world.emails["analyst"])
    ws = f"/w/{world.workspace_id}"
    name = f"receipt-{world.ctx.engine.dialect.name}"

    r = client.post(
        f"{ws}/datasets/upload?filename={source.name}&name={name}",
        content=_stream(source),
        headers={"X-CSRF-Token": token, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text[:800]
    # the preview shows the XES keys and the guessed standard mapping
    assert "case:concept:name" in r.text and "Preview of the first" in r.text
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    assert re.search(r'<option value="concept:name" selected>', r.text)

    r = client.post(
        f"{ws}/datasets",
        data={
            "csrf_token": token,
            "upload_id": upload_id,
            "name": name,
            "case_id": "case:concept:name",
            "activity": "concept:name",
            "timestamp": "time:timestamp",
            "resource": "org:resource",
            "lifecycle": "lifecycle:transition",
            "on_error": "fail",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:800]
    assert r.headers["location"].endswith(f"dataset={name}")
    uploads = world.settings.home / "uploads" / world.workspace_id
    assert not (uploads / upload_id).exists(), "the upload is removed once stored as a dataset"

    # counts published with the log (../shared/README.md): 1,434 cases, 8,577 events
    page = client.get(f"{ws}/datasets").text
    assert "8,577" in page and "1,434" in page

    page = client.get(f"{ws}/assessment?dataset={name}&tab=map").text
    assert 'id="process-map"' in page and "data-dot-frequency=" in page
    assert "1,434 cases" in page

    # the page's form posts through htmx and shows the result in place (without JavaScript the
    # post redirects to the assessment, with a notice: tests/web/test_workbench_ux.py)
    r = client.post(
        f"{ws}/baselines?dataset={name}",
        data={"csrf_token": token, "baseline_name": f"{name}-b0"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "frozen on 1434 cases" in r.text, r.text[:800]
    link = re.search(r'href="([^"]*objectives/new\?kpi=throughput_median_days[^"]*)"', r.text)
    assert link is None  # an analyst may not write programme items: no link offered

    # a service owner sets the objective from the baseline's value
    owner = TestClient(make_app(world))
    owner_token = sign_in(owner, world.emails["service_owner"])
    from civicflow.mining import load_baseline

    baseline = load_baseline(_store(world), f"{name}-b0")
    median = baseline.value("throughput_median_days")
    assert median is not None and median > 0
    r = owner.get(
        f"{ws}/programme/objectives/new?kpi=throughput_median_days"
        f"&baseline_name={name}-b0&baseline_value={median}"
    )
    assert f'value="{median}"' in r.text
    r = owner.post(
        f"{ws}/programme/objectives",
        data={
            "csrf_token": owner_token,
            "title": f"Halve the wait ({name})",
            "kpi": "throughput_median_days",
            "baseline_name": f"{name}-b0",
            "baseline_value": str(median),
            "target_value": str(round(median / 2, 3)),
            "direction": "decrease",
            "due_date": "2027-12-31",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:800]
    assert f"Halve the wait ({name})" in owner.get(f"{ws}/programme/objectives").text

    ledger = TestClient(make_app(world))
    sign_in(ledger, world.emails["auditor"])
    text = ledger.get(f"{ws}/ledger").text
    for action in ("dataset.ingest", "baseline.freeze", "objective.create"):
        assert action in text, action
    verdict = ledger.get(f"{ws}/ledger/verify").text
    assert "The ledger is intact." in verdict
    # the oldest entry on the page (the workspace's creation) is covered by a checkpoint
    oldest = re.findall(r'href="(/w/[^"]+/ledger/\d+/proof)"', text)[-1]
    proof = ledger.get(oldest).text
    assert "The proof checks out" in proof and "workspace.create" in proof


def _store(world: World):
    from civicflow.app import SYSTEM, workspaces

    return workspaces.get_workspace(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id
    ).store()


def test_viewer_sees_but_cannot_change(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["viewer"])
    ws = f"/w/{sqlite_world.workspace_id}"
    page = client.get(f"{ws}/programme/objectives").text
    assert "New objective" not in page
    assert "Upload an event log" not in client.get(f"{ws}/datasets").text
    r = client.post(
        f"{ws}/programme/objectives",
        data={"csrf_token": token, "title": "x"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post(
        f"{ws}/datasets/upload?filename=a.csv",
        content=b"case,activity,time\n1,a,2024-01-01\n",
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 403


def test_mapping_error_is_shown_like_the_cli(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    body = b"case,activity,time\n1,a,2024-01-01T10:00:00\n1,b,not a date\n"
    r = client.post(
        f"{ws}/datasets/upload?filename=bad.csv&name=bad",
        content=body,
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    r = client.post(
        f"{ws}/datasets",
        data={
            "csrf_token": token,
            "upload_id": upload_id,
            "name": "bad",
            "case_id": "case",
            "activity": "activity",
            "timestamp": "time",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    # where / found / expected / fix, as `civicflow ingest` prints them
    assert ">Where</dt>" in r.text and "row" in r.text
    assert "not a date" in r.text
    assert ">Expected</dt>" in r.text
    assert "bad" not in [d for d in _dataset_names(sqlite_world)]


def _dataset_names(world: World) -> list[str]:
    return _store(world).dataset_names()


def _upload_and_ingest(client: TestClient, token: str, ws: str, name: str, body: bytes) -> None:
    """Upload a CSV with columns case, activity, time and ingest it as ``name``."""
    r = client.post(
        f"{ws}/datasets/upload?filename={name}.csv&name={name}",
        content=body,
        headers={"X-CSRF-Token": token},
    )
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    r = client.post(
        f"{ws}/datasets",
        data={
            "csrf_token": token,
            "upload_id": upload_id,
            "name": name,
            "case_id": "case",
            "activity": "activity",
            "timestamp": "time",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]


def test_api_process_map_and_variants_on_a_log_worked_by_hand(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    body = (
        b"case,activity,time\n"
        b"1,a,2024-01-01T00:00:00\n1,b,2024-01-01T01:00:00\n1,c,2024-01-01T03:00:00\n"
        b"2,a,2024-01-02T00:00:00\n2,c,2024-01-02T02:00:00\n"
        b"3,a,2024-01-03T00:00:00\n3,b,2024-01-03T03:00:00\n3,c,2024-01-03T04:00:00\n"
    )
    _upload_and_ingest(client, token, ws, "tiny", body)

    api = f"/api/v1/workspaces/{sqlite_world.workspace_id}"
    assert [d["name"] for d in client.get(f"{api}/datasets").json()] == ["tiny"]
    pm = client.get(f"{api}/datasets/tiny/process-map").json()
    edges = {(e["source"], e["target"]): e for e in pm["edges"]}
    # by hand: a->b in cases 1 and 3 (1 h, 3 h), b->c in 1 and 3 (2 h, 1 h), a->c in case 2 (2 h)
    assert {k: e["frequency"] for k, e in edges.items()} == {
        ("a", "b"): 2,
        ("b", "c"): 2,
        ("a", "c"): 1,
    }
    assert edges[("a", "b")]["median_seconds"] == 2 * 3600
    assert edges[("a", "c")]["median_seconds"] == 2 * 3600
    assert edges[("b", "c")]["mean_seconds"] == 1.5 * 3600
    variants = client.get(f"{api}/datasets/tiny/variants").json()
    assert [(v["activities"], v["cases"]) for v in variants["variants"]] == [
        (["a", "b", "c"], 2),
        (["a", "c"], 1),
    ]
    assert client.get(f"{api}/datasets/nope/variants").status_code == 404


def test_csv_exports_neutralise_formulas(sqlite_world: World) -> None:
    """Activity names from an uploaded log reach the CSV exports as text, never as formulas."""
    import csv
    import io

    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    evil = '=HYPERLINK(""http://evil.example"",""x"")'
    calc = "-2+3+cmd|' /C calc'!A0"
    body = (
        "case,activity,time\n"
        f'1,"{evil}",2024-01-01T00:00:00\n1,"{calc}",2024-01-01T01:00:00\n'
        f'2,"{evil}",2024-01-02T00:00:00\n2,@SUM(A1),2024-01-02T02:00:00\n'
    ).encode()
    _upload_and_ingest(client, token, ws, "evil", body)
    for tab in ("map", "variants", "bottlenecks"):
        r = client.get(f"{ws}/assessment/export/{tab}.csv?dataset=evil")
        assert r.status_code == 200, (tab, r.text[:300])
        cells = [c for row in csv.reader(io.StringIO(r.text)) for c in row]
        assert cells, tab
        dangerous = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
        dangerous += [c for c in cells if c.startswith("-") and not _is_number(c)]
        assert dangerous == [], (tab, dangerous)
        if tab != "bottlenecks":
            assert any(c.startswith("'=HYPERLINK") for c in cells), (tab, cells)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_working_hours_sla_frozen_on_the_command_line_is_shown_on_the_web(
    sqlite_world: World, monkeypatch, tmp_path
) -> None:
    """One SLA, calendar included, through every door: frozen by `civicflow baseline freeze`,
    stored in the baseline, read back, and computed the same way by the workbench's SLA tab."""
    import json

    from typer.testing import CliRunner

    from civicflow.cli import app as cli
    from civicflow.mining import load_baseline
    from report.smalllog import write_small_log

    store = _store(sqlite_world)
    write_small_log(store, name="office")
    monkeypatch.setenv("CIVICFLOW_HOME", str(tmp_path / "cli-home"))
    monkeypatch.setenv("CIVICFLOW_DATABASE_URL", "")
    # Mon-Fri 08:30-17:00 UTC: only p5 (17 h of working time) is within 17 h; elapsed, none is
    result = CliRunner().invoke(
        cli,
        ["baseline", "freeze", "-w", str(store.path), "-d", "office", "--name", "office-hours",
         "--sla-target", "17h", "--working-hours", "08:30-17:00", "--timezone", "UTC",
         "--kpi", "sla_compliance_share", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    frozen = json.loads(result.stdout)
    assert frozen["sla"]["calendar"]["hours"]["mon"] == ["08:30:00", "17:00:00"]
    assert frozen["sla"]["calendar"]["hours"]["sat"] is None
    assert frozen["kpis"][0]["value"] == pytest.approx(0.2)
    config = load_baseline(store, "office-hours").sla_config()
    assert config is not None and config.calendar is not None

    client = TestClient(make_app(sqlite_world))
    sign_in(client, sqlite_world.emails["viewer"])
    ws = f"/w/{sqlite_world.workspace_id}"
    query = "dataset=office&target=17h&working_hours=08:30-17:00&timezone=UTC"
    page = client.get(f"{ws}/assessment/view/sla?{query}")
    assert page.status_code == 200, page.text[:800]
    assert "<strong>20.0 %</strong>" in page.text and "1 on time, 4 late" in page.text
    assert "working time" in page.text
    assert 'value="08:30-17:00"' in page.text  # the form keeps the calendar
    from civicflow.web import _assessment as A

    params = {"target": ["17h"], "working_hours": ["08:30-17:00"], "timezone": ["UTC"]}
    assert A.sla_config(lambda k: params.get(k, []))[1] == config
    elapsed = client.get(f"{ws}/assessment/view/sla?dataset=office&target=17h").text
    assert "0 on time, 5 late" in elapsed
    bad = client.get(f"{ws}/assessment/view/sla?dataset=office&target=17h&working_hours=8")
    assert bad.status_code == 422 and "working_hours" in bad.text


def test_the_web_opens_views_through_the_application_on_its_one_engine_and_lock(
    sqlite_world: World,
) -> None:
    from civicflow.app import SYSTEM, Actor, Role, assessment
    from civicflow.core import NotFoundError, PermissionDeniedError
    from civicflow.web import _assessment as A

    analyst = make_app(sqlite_world).state.analyst
    ctx, wid = sqlite_world.ctx, sqlite_world.workspace_id
    # one engine, one lock: the application's
    assert analyst.cache.engine_lock is assessment.engine_lock(ctx)
    query = A.Query(dataset="nope", filter=A.EventLogFilter(), params=())
    # the application checks the role before anything is read ...
    stranger = Actor(user_id="x", pseudonym="x", roles={"elsewhere": Role.VIEWER})
    with pytest.raises(PermissionDeniedError):
        analyst.view(stranger, wid, query)
    # ... and names a missing dataset without the server's folder
    with pytest.raises(NotFoundError) as missing:
        analyst.view(SYSTEM, wid, query)
    assert missing.value.where is not None and missing.value.where.field == "dataset"
    assert str(sqlite_world.home) not in str(missing.value)
