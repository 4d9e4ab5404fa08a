"""The offline HTML assessment report and the vendored front-end assets it (and the web) uses."""

from civicflow.report._assets import VENDOR_ASSETS, VendorAsset, asset_path, asset_text
from civicflow.report._report import ReportConfig, ReportProgress, build_report

__all__ = [
    "VENDOR_ASSETS",
    "ReportConfig",
    "ReportProgress",
    "VendorAsset",
    "asset_path",
    "asset_text",
    "build_report",
]
