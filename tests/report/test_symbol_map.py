"""The proportional-symbol maps (server-drawn SVG): one circle per area that has a point, sizes
ordered like the values (area ∝ value), gains filled and losses hollow, a legend, the table
beside it; and the Allocation section carries them when a scenario has coordinates."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from tests.conftest import shared_file

from civicflow.report import allocation_maps, allocation_section, map_points, symbol_map

SVG = "{http://www.w3.org/2000/svg}"


def _circles(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [c for c in root.iter(f"{SVG}circle") if c.get("class") == "cf-map-symbol"]


def test_one_symbol_per_area_with_a_point_and_sizes_in_value_order() -> None:
    values = {"a": 100.0, "b": 25.0, "c": 4.0, "no-point": 50.0, "no-value": None}
    coordinates = {"a": (40.75, -73.99), "b": (40.71, -73.98), "c": (40.80, -73.95),
                   "no-value": (40.7, -74.0)}  # fmt: skip
    drawn = symbol_map(map_points(values, coordinates), id="m", label="Demand", unit="cases")
    assert drawn is not None
    circles = _circles(drawn.svg)
    assert sorted(c.get("data-area") for c in circles) == ["a", "b", "c"]
    radius = {c.get("data-area"): float(c.get("r", "0")) for c in circles}
    assert radius["a"] > radius["b"] > radius["c"] > 0
    # the circle's area, not its radius, is proportional to the value
    assert radius["a"] ** 2 / radius["b"] ** 2 == pytest.approx(4.0, rel=1e-3)
    # the largest drawn first, so the small ones stay on top
    assert [c.get("data-area") for c in circles] == ["a", "b", "c"]
    # north is up, east is right (web Mercator)
    x = {c.get("data-area"): float(c.get("cx", "0")) for c in circles}
    y = {c.get("data-area"): float(c.get("cy", "0")) for c in circles}
    assert y["c"] < y["a"] < y["b"] and x["a"] < x["b"] < x["c"]
    legend = re.findall(r'class="cf-map-legend-symbol"[^>]*r="([0-9.]+)"', drawn.svg)
    assert [float(r) for r in legend] == sorted((float(r) for r in legend), reverse=True)
    assert 'role="img"' in drawn.svg and "<title" in drawn.svg
    table = drawn.table()
    assert [r[0] for r in table.rows] == ["a", "b", "c"] and len(table.columns) == 4
    assert symbol_map([], id="x", label="empty") is None


def test_a_change_draws_gains_filled_and_losses_hollow() -> None:
    drawn = symbol_map(
        map_points({"up": 3.0, "down": -2.0}, {"up": (51.5, -0.1), "down": (51.6, -0.2)}),
        id="chg", label="Change", signed=True,
    )  # fmt: skip
    assert drawn is not None
    fills = {c.get("data-area"): c.get("fill") for c in _circles(drawn.svg)}
    assert fills["down"] == "none" and fills["up"] != "none"
    assert ">gain<" in drawn.svg and ">loss<" in drawn.svg


def test_the_allocation_section_carries_the_maps_of_a_scenario_with_coordinates() -> None:
    outcomes = [
        {"area": "CASES_10001", "demand": 60.0, "units_efficient": 4.0, "units_fair": 3.0},
        {"area": "CASES_10002", "demand": 120.0, "units_efficient": 8.0, "units_fair": 8.0},
        {"area": "CASES_10003", "demand": 30.0, "units_efficient": 0.0, "units_fair": 1.0},
    ]
    plan = {"unmet_share": 0.1, "equity": {"lowest_level": 0.5}, "p90_unmet": 3.0}
    result = {
        "unit": "staff", "areas": [o["area"] for o in outcomes], "outcomes": outcomes,
        "efficient": plan, "fair": plan, "price_of_fairness": None,
        "coordinates": {"CASES_10001": [40.75, -73.99], "CASES_10002": [40.71, -73.98]},
    }  # fmt: skip
    maps = allocation_maps(result)
    assert [m.id.rsplit("-", 1)[-1] for m in maps] == ["demand", "units", "change"]
    assert all(len(_circles(m.svg)) == 2 for m in maps)  # CASES_10003 has no point
    section = allocation_section([{"name": "s", "version": 1, "source": "f", "result": result}])
    assert section is not None and len(section.maps) == 3
    assert allocation_maps({**result, "coordinates": {}}) == []


def test_the_report_draws_the_maps_with_their_tables(small_view, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from civicflow.report import ReportConfig, build_report

    outcomes = [
        {"area": "A", "demand": 60.0, "units_efficient": 4.0, "units_fair": 3.0},
        {"area": "B", "demand": 120.0, "units_efficient": 8.0, "units_fair": 9.0},
    ]
    plan = {"unmet_share": 0.1, "equity": {"lowest_level": 0.5}, "p90_unmet": 3.0}
    result = {"unit": "staff", "areas": ["A", "B"], "outcomes": outcomes, "efficient": plan,
              "fair": plan, "coordinates": {"A": [52.37, 4.89], "B": [51.92, 4.48]}}  # fmt: skip
    section = allocation_section([{"name": "s", "version": 1, "source": "f", "result": result}])
    assert section is not None
    out = build_report(
        view=small_view, out=tmp_path / "r.html",
        config=ReportConfig(sections=("key-figures",), extra_sections=(section,)),
    )  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert html.count('class="cf-symbol-map"') == 3
    assert html.count('class="cf-map-symbol"') == 6
    assert "Data of this map" in html and "<svg" in html


def test_the_nyc_population_file_has_a_point_per_area() -> None:
    from civicflow.forecasting import read_coordinates

    path = shared_file("forecasting", "nyc_modzcta_population.csv")
    points = read_coordinates(path)
    assert len(points) >= 170
    lat, lon = points["10001"]
    assert 40.4 < lat < 41 and -74.3 < lon < -73.6
