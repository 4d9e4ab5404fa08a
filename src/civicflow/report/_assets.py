"""The vendored front-end assets: one place that knows their files, versions and licences, so the
report inlines them and the web app can serve the very same bytes."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from civicflow.core import NotFoundError

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
VENDOR_DIR = ASSETS_DIR / "vendor"


@dataclass(frozen=True, slots=True, kw_only=True)
class VendorAsset:
    """A front-end file copied unmodified from an npm package (see docs/THIRD_PARTY.md)."""

    name: str
    file: str
    package: str
    version: str
    licence: str
    source: str
    """The file's path inside the npm package."""
    sha256: str

    @property
    def path(self) -> Path:
        return VENDOR_DIR / self.file

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


_VENDOR: tuple[VendorAsset, ...] = (
    VendorAsset(
        name="viz",
        file="viz-global-3.31.0.js",
        package="@viz-js/viz",
        version="3.31.0",
        licence="MIT (embeds Graphviz 16.1.0 under EPL-1.0 and Expat under MIT as WebAssembly)",
        source="dist/viz-global.js",
        sha256="c9e0b310f9883910e01c66054b48b7ff4be3d8695141116635e72b0af152692e",
    ),
    VendorAsset(
        name="vega",
        file="vega-6.4.0.min.js",
        package="vega",
        version="6.4.0",
        licence="BSD-3-Clause",
        source="build/vega.min.js",
        sha256="8f6a3587cf8d4f42c7e08120e3eb05d067e746d554e39d2dcf52acc0bd5ba28f",
    ),
    VendorAsset(
        name="vega-lite",
        file="vega-lite-6.5.0.min.js",
        package="vega-lite",
        version="6.5.0",
        licence="BSD-3-Clause",
        source="build/vega-lite.min.js",
        sha256="83e215e84e308ee8688fa6503ba0f1cf8a3c05c0d61df2841a0b92bf86809e00",
    ),
    VendorAsset(
        name="vega-embed",
        file="vega-embed-7.3.0.min.js",
        package="vega-embed",
        version="7.3.0",
        licence="BSD-3-Clause",
        source="build/vega-embed.min.js",
        sha256="b1455caba2fb1a72fb46025ba0ba1316e2dbc7f0dd40a3f6040172bf9c08ba91",
    ),
)

VENDOR_ASSETS: dict[str, VendorAsset] = {a.name: a for a in _VENDOR}
"""Vendored assets by name, in the order a page must load them (vega before vega-lite/-embed)."""

_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


def asset_path(name: str) -> Path:
    """The file of a vendored asset (``"viz"``, ``"vega"``, ``"vega-lite"``, ``"vega-embed"``) or of
    the report's own ``"report.js"`` / ``"report.css"``."""
    if name in VENDOR_ASSETS:
        return VENDOR_ASSETS[name].path
    own = ASSETS_DIR / name
    if "/" not in name and own.is_file():
        return own
    raise NotFoundError(
        f"no front-end asset called '{name}'",
        found=name,
        expected="one of: " + ", ".join([*VENDOR_ASSETS, "report.js", "report.css"]),
        fix="use a name from civicflow.report.VENDOR_ASSETS",
    )


@cache
def asset_text(name: str) -> str:
    """An asset's text, ready to inline into a page: no source-map comment (it would make browser
    tools try a network fetch) and no ``</script`` that would close the inline element early."""
    text = asset_path(name).read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text)
    return text.replace("</script", "<\\/script")
