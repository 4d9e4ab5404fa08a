"""The report on a real log (the WABO receipt phase, 1,434 cases): its numbers are the data's, and
in a real browser the map and the charts draw with no network and no console error."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from lxml import html as lxml_html

from civicflow.eventlog import DuckDBEngine
from civicflow.mining import LogView, SlaConfig
from civicflow.report import ReportConfig, build_report
from realdata import real_dataset

from .test_report import assert_self_contained

LOG = "Receipt_phase_environmental_permit_WABO"
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[1] / "web" / "vendor" / "axe.min.js"
RECEIPT_BPMN = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "receipt.bpmn"
SLA_DAYS = 30


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LogView]:
    dataset = real_dataset(LOG)
    engine = DuckDBEngine()
    view = LogView(engine=engine, dataset=dataset)
    out = build_report(
        view=view,
        out=tmp_path_factory.mktemp("real") / "receipt.html",
        config=ReportConfig(
            title="Receipt phase",
            sla=SlaConfig(target_seconds=SLA_DAYS * 86400.0),
            model=RECEIPT_BPMN if RECEIPT_BPMN.exists() else None,
        ),
    )
    yield out, view
    engine.close()


def _top_activities(view: LogView, n: int) -> set[str]:
    # counted straight from the stored Parquet with plain SQL, not through the analyses
    rows = duckdb.sql(
        "SELECT activity, count(*) AS n FROM read_parquet(?) GROUP BY activity "
        "ORDER BY n DESC, activity LIMIT ?",
        params=[str(view.dataset.events_path), n],
    ).fetchall()
    return {r[0] for r in rows}


def test_real_report_numbers_equal_the_manifest(real_report: tuple[Path, LogView]) -> None:
    path, view = real_report
    m = view.dataset.manifest
    assert (m.cases, m.events) == (1434, 8577)  # as published for this log
    doc = lxml_html.fromstring(path.read_text(encoding="utf-8"))
    assert_self_contained(doc)
    header = doc.xpath("//header[contains(@class,'report-header')]")[0]
    figures = {
        dt.text_content().strip(): dt.getnext().text_content().strip()
        for dt in header.xpath(".//div[@class='figure']/dt")
    }
    assert figures["Cases"] == "1,434"
    assert figures["Events"] == "8,577"
    assert figures["Activities"] == str(m.activities)
    data = json.loads(doc.xpath("//script[@id='cf-data']")[0].text)
    # the slider's levels and the full map: every activity up to the configured 30
    assert data["map"]["levels"][-1] == min(m.activities, 30)
    # the default map hides no activity up to twenty
    assert data["map"]["nodes"][str(data["map"]["default"])] == min(m.activities, 20)
    # the variants table lists the configured 10, and the long-tail note adds up to all cases
    rows = doc.xpath("//section[@id='variants']//table/tbody/tr")
    assert len(rows) == 10
    listed = sum(int(r.xpath("./td[2]")[0].text_content().replace(",", "")) for r in rows)
    note = doc.xpath("//section[@id='variants']//p[@class='note']")[0].text_content()
    tail = int(note.split(" hold ")[1].split(" cases")[0].replace(",", ""))
    assert listed + tail == 1434
    # SLA: the share of cases whose first-to-last-event time is at most 30 days, by plain SQL
    on_time = duckdb.sql(
        "SELECT avg(CASE WHEN d <= ? * 86400000000 THEN 1.0 ELSE 0.0 END) FROM ("
        "SELECT epoch_us(max(timestamp)) - epoch_us(min(timestamp)) AS d FROM read_parquet(?) "
        "GROUP BY case_id)",
        params=[SLA_DAYS, str(view.dataset.events_path)],
    ).fetchall()[0][0]
    sla = doc.xpath("//section[@id='sla']//div[@class='figure'][1]/dd[@class='value']")[0]
    assert sla.text_content().strip() == f"{100 * on_time:.1f} %"
    if RECEIPT_BPMN.exists():
        assert doc.xpath("//section[@id='conformance']//div[@class='figure']")


@pytest.mark.browser
def test_report_renders_offline_in_chromium(
    real_report: tuple[Path, LogView], tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    path, view = real_report
    data = json.loads(
        lxml_html.fromstring(path.read_text(encoding="utf-8"))
        .xpath("//script[@id='cf-data']")[0]
        .text
    )
    default = data["map"]["default"]
    expected = _top_activities(view, default)
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda m: errors.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri())
            page.wait_for_selector("#map-view[data-rendered=true] svg", timeout=60_000)
            titles = page.eval_on_selector_all(
                "#map-view svg g.node > title", "els => els.map(e => e.textContent)"
            )
            # cases going on to activities the map hides lead into one "__hidden__" box
            markers = {"__start__", "__end__", "__hidden__"}
            activities = set(titles) - markers
            assert len(titles) == len(activities) + len(set(titles) & markers)
            assert activities == expected
            # the frequency map labels edges with counts; the performance map with durations
            page.check("input[name=map-mode][value=performance]")
            labels = page.eval_on_selector_all(
                "#map-view svg g.edge text", "els => els.map(e => e.textContent)"
            )
            assert any(label.endswith((" d", " h", " min", " s")) for label in labels)
            # the slider's first stop draws the five most frequent activities
            page.eval_on_selector(
                "#map-level",
                "el => { el.value = '0'; el.dispatchEvent(new Event('input')); }",
            )
            small = page.eval_on_selector_all(
                "#map-view svg g.node > title", "els => els.map(e => e.textContent)"
            )
            assert set(small) - markers == _top_activities(view, 5)
            assert "__hidden__" in small
            # every Vega chart rendered
            page.wait_for_function(
                "() => [...document.querySelectorAll('.chart')].every("
                "c => c.dataset.rendered === 'true' && c.querySelector('svg, canvas'))",
                timeout=60_000,
            )
            charts = page.eval_on_selector_all(".chart", "els => els.length")
            assert charts >= 5
            if AXE.exists():  # axe-core, vendored by the web tests
                page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
                violations = page.evaluate(
                    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', "
                    "'wcag21a', 'wcag21aa']})).violations"
                    ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                    ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
                )
                assert violations == []
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == [path.as_uri()]
