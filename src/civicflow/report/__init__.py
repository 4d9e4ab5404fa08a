"""The offline HTML assessment report and the vendored front-end assets it (and the web) uses."""

from civicflow.report._allocation import allocation_section
from civicflow.report._assets import VENDOR_ASSETS, VendorAsset, asset_path, asset_text
from civicflow.report._business_case import business_case_charts, business_case_section, money
from civicflow.report._charts import grouped_bars
from civicflow.report._comparison import (
    ComparisonRow,
    build_comparison_report,
    comparison_context,
    comparison_rows,
    wait_rows,
)
from civicflow.report._fairness import fairness_history_chart, fairness_section
from civicflow.report._forecast import forecast_section
from civicflow.report._format import describe_filter
from civicflow.report._governance import governance_section
from civicflow.report._model import Chart, Figure, Section, Table
from civicflow.report._opportunities import opportunities_chart, opportunities_section
from civicflow.report._people import people_hours_chart, people_section
from civicflow.report._privacy import privacy_section
from civicflow.report._render import dot_to_svg, find_browser, html_to_pdf, svg_to_png
from civicflow.report._report import ReportConfig, ReportProgress, build_report, report_data
from civicflow.report._sections import REPORT_SECTIONS, build_section
from civicflow.report._simulation import (
    build_simulation_report,
    comparison_charts,
    simulation_sections,
    validation_charts,
)
from civicflow.report._simulation import comparison_rows as simulation_comparison_rows
from civicflow.report._symbol_map import (
    MapPoint,
    SymbolMap,
    allocation_maps,
    map_points,
    symbol_map,
)

__all__ = [
    "REPORT_SECTIONS",
    "VENDOR_ASSETS",
    "Chart",
    "ComparisonRow",
    "Figure",
    "MapPoint",
    "ReportConfig",
    "ReportProgress",
    "Section",
    "SymbolMap",
    "Table",
    "VendorAsset",
    "allocation_maps",
    "allocation_section",
    "asset_path",
    "asset_text",
    "build_comparison_report",
    "build_report",
    "build_section",
    "build_simulation_report",
    "business_case_charts",
    "business_case_section",
    "comparison_charts",
    "comparison_context",
    "comparison_rows",
    "describe_filter",
    "dot_to_svg",
    "fairness_history_chart",
    "fairness_section",
    "find_browser",
    "forecast_section",
    "governance_section",
    "grouped_bars",
    "html_to_pdf",
    "map_points",
    "money",
    "opportunities_chart",
    "opportunities_section",
    "people_hours_chart",
    "people_section",
    "privacy_section",
    "report_data",
    "simulation_comparison_rows",
    "simulation_sections",
    "svg_to_png",
    "symbol_map",
    "validation_charts",
    "wait_rows",
]
