"""Maps as SVG and PNG and the report as PDF, drawn by Debian's headless Chromium: the PDF's text
holds the map's boxes and the charts' axis titles (drawn by the page's scripts, not only its
tables)."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.mining import CompareConfig, EventLogFilter, LogView, compare_views, process_map
from civicflow.report import (
    ReportConfig,
    build_comparison_report,
    build_report,
    dot_to_svg,
    find_browser,
    html_to_pdf,
    svg_to_png,
)

pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def browser() -> Path:
    if shutil.which("chromium") is None:
        pytest.skip("Debian's Chromium is not installed (chromium on the PATH)")
    return find_browser()


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_map_svg_and_png(small_view: LogView, browser: Path) -> None:
    dot = process_map(small_view).to_dot("frequency")
    svg = dot_to_svg(dot, browser=browser)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for name in ("Receive", "Check", "Decide"):
        assert f">{name}</text>" in svg
    png = svg_to_png(svg, browser=browser, scale=2.0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    # Graphviz sizes in points; the PNG has 2 device pixels per CSS pixel (4/3 per point)
    from civicflow.report._render import svg_size

    w, h = svg_size(svg)
    assert abs(width - 2 * round(w)) <= 4 and abs(height - 2 * round(h)) <= 4


def test_bad_dot_is_a_clear_error(browser: Path) -> None:
    with pytest.raises(InputError, match="could not be drawn"):
        dot_to_svg("digraph { a -> }", browser=browser)


def test_report_pdf_holds_the_map_and_the_charts(
    small_view: LogView, browser: Path, tmp_path: Path
) -> None:
    html = build_report(
        view=small_view,
        out=tmp_path / "r.html",
        config=ReportConfig(sections=("process-map", "throughput")),
    )
    pdf = html_to_pdf(html, tmp_path / "r.pdf", browser=browser)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = _pdf_text(pdf)
    # a map box is the activity and its count on two lines (tables put them in one row)
    assert "Receive\n5" in text
    # an axis title exists only in the drawn chart (the chart's data table is not printed)
    assert "throughput time (days)" in text.lower()


def test_comparison_report_pdf_holds_both_maps(
    small_view: LogView, browser: Path, tmp_path: Path
) -> None:
    from civicflow.mining import FilterOptions

    north = small_view.with_filter(FilterOptions(where=("district=north",)).to_filter())
    cmp = compare_views(north, small_view.with_filter(EventLogFilter()),
                        config=CompareConfig(label_a="north", label_b="all"))  # fmt: skip
    html = build_comparison_report(cmp, out=tmp_path / "c.html")
    text = _pdf_text(html_to_pdf(html, tmp_path / "c.pdf", browser=browser))
    assert "north: 2 cases" in text and "all: 5 cases" in text
    assert "Median throughput time" in text and "Mann-Whitney U" in text


def test_no_browser_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="need a headless Chromium") as info:
        find_browser()
    assert "apt-get install chromium" in (info.value.fix or "")
    with pytest.raises(ConfigurationError, match="cannot be run"):
        find_browser(tmp_path / "no-such-browser")
