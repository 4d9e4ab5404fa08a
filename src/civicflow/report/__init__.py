"""The offline HTML assessment report and the vendored front-end assets it (and the web) uses."""

from civicflow.report._assets import VENDOR_ASSETS, VendorAsset, asset_path, asset_text
from civicflow.report._format import describe_filter
from civicflow.report._report import ReportConfig, ReportProgress, build_report, report_data
from civicflow.report._sections import REPORT_SECTIONS

__all__ = [
    "REPORT_SECTIONS",
    "VENDOR_ASSETS",
    "ReportConfig",
    "ReportProgress",
    "VendorAsset",
    "asset_path",
    "asset_text",
    "build_report",
    "describe_filter",
    "report_data",
]
