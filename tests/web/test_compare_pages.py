"""The comparison page and the workbench's downloads through HTTP: a viewer compares two segments,
downloads the event log (a ledger entry names the export), tables as formula-safe CSV, the
comparison report, and the report as PDF."""

from __future__ import annotations

import io
import shutil

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from civicflow.app import SYSTEM, assessment
from civicflow.ledger import tables

from .conftest import World, make_app, sign_in

LOG = (
    "case_id,activity,timestamp,case:channel\n"
    "c1,Submit,2024-01-01 09:00:00,web\nc1,=Check,2024-01-02 09:00:00,web\n"
    "c1,Decide,2024-01-04 09:00:00,web\n"
    "c2,Submit,2024-01-05 09:00:00,paper\nc2,=Check,2024-01-09 09:00:00,paper\n"
    "c2,Decide,2024-01-15 09:00:00,paper\n"
    "c3,Submit,2024-02-01 09:00:00,web\nc3,Decide,2024-02-02 09:00:00,web\n"
)


@pytest.fixture(scope="module")
def seeded(sqlite_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    src = tmp_path_factory.mktemp("src") / "log.csv"
    src.write_text(LOG, encoding="utf-8")
    assessment.ingest_dataset(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id, source=src,
        name="permits",
    )  # fmt: skip
    return sqlite_world


SIDES = (
    "dataset=permits&a_label=web&a_attr=case:channel&a_attr_value=web&a_time_mode=started"
    "&b_label=paper&b_attr=case:channel&b_attr_value=paper&b_time_mode=started"
)


def test_viewer_compares_two_segments(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    ws = f"/w/{seeded.workspace_id}"
    page = client.get(f"{ws}/compare?{SIDES}")
    assert page.status_code == 200, page.text[:800]
    text = page.text
    assert "Key figures: web against paper" in text
    assert 'data-dot="digraph comparison' in text and "data-download-png" in text
    assert "Mann-Whitney U" in text
    csv_text = client.get(f"{ws}/compare/export/edges.csv?{SIDES}").text
    # activity names from the data are formula-safe in every CSV
    assert "'=Check" in csv_text and "\n=Check" not in csv_text and ",=Check" not in csv_text
    kpis = client.get(f"{ws}/compare/export/kpis.csv?{SIDES}").text
    assert kpis.startswith("name,label,unit,direction,a,b,")
    report = client.get(f"{ws}/compare/report.html?{SIDES}")
    assert report.status_code == 200 and "civicflow comparison report" in report.text


def test_a_bad_side_shows_the_field(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    r = client.get(f"/w/{seeded.workspace_id}/compare?dataset=permits&a_start=not-a-date")
    assert r.status_code == 422 and "a_start" in r.text


def _exports(world: World) -> int:
    with world.ctx.engine.connect() as conn:
        q = sa.select(sa.func.count()).where(tables.entries.c.action == "dataset.export")
        return int(conn.execute(q).scalar_one())


def test_log_download_is_ledgered(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    ws = f"/w/{seeded.workspace_id}"
    before = _exports(seeded)
    r = client.get(f"{ws}/assessment/log.parquet?dataset=permits&attr=case:channel&attr_value=web")
    assert r.status_code == 200, r.text[:500]
    table = pq.read_table(io.BytesIO(r.content))
    assert sorted(set(table.column("case:concept:name").to_pylist())) == ["c1", "c3"]
    assert _exports(seeded) == before + 1
    xes = client.get(f"{ws}/assessment/log.xes?dataset=permits")
    assert xes.status_code == 200 and "<trace>" in xes.text
    assert client.get(f"{ws}/assessment/log.json?dataset=permits").status_code == 404
    assert _exports(seeded) == before + 2


def test_report_pdf_download(seeded: World) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("Debian's Chromium is not installed (chromium on the PATH)")
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    r = client.get(f"/w/{seeded.workspace_id}/assessment/report.pdf?dataset=permits")
    assert r.status_code == 200, r.text[:500]
    assert r.content[:5] == b"%PDF-" and r.headers["content-type"] == "application/pdf"


def test_assessment_page_links_the_downloads(seeded: World) -> None:
    client = TestClient(make_app(seeded))
    sign_in(client, seeded.emails["viewer"])
    page = client.get(f"/w/{seeded.workspace_id}/assessment?dataset=permits&tab=map").text
    for link in ("assessment/log.csv", "assessment/log.xes", "assessment/report.pdf",
                 "data-download-svg", f"/w/{seeded.workspace_id}/compare"):  # fmt: skip
        assert link in page, link
