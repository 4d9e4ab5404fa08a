"""Vendored assets: present, unmodified (checksums recorded in docs/THIRD_PARTY.md), licensed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from civicflow.core import NotFoundError
from civicflow.report import VENDOR_ASSETS, asset_path, asset_text

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = ROOT / "docs" / "THIRD_PARTY.md"
PERMISSIVE = ("MIT", "BSD-3-Clause", "BSD-2-Clause", "Apache-2.0", "ISC")


def _third_party_rows() -> dict[str, list[str]]:
    rows = {}
    for line in THIRD_PARTY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in VENDOR_ASSETS:
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("name", sorted(VENDOR_ASSETS))
def test_asset_matches_the_recorded_checksum(name: str) -> None:
    asset = VENDOR_ASSETS[name]
    digest = hashlib.sha256(asset.path.read_bytes()).hexdigest()
    assert digest == asset.sha256
    row = _third_party_rows()[name]
    # the documentation table and the code agree on file, package, version and checksum
    assert row[1] == asset.file
    assert row[2] == asset.package
    assert row[3] == asset.version
    assert row[6] == digest


@pytest.mark.parametrize("name", sorted(VENDOR_ASSETS))
def test_asset_licence_is_permissive_and_its_text_ships(name: str) -> None:
    asset = VENDOR_ASSETS[name]
    assert asset.licence.split(" ")[0] in PERMISSIVE
    licences = (asset.path.parent / "LICENSES").read_text(encoding="utf-8")
    assert f"{asset.file} — " in licences


def test_inlined_text_has_no_source_map_and_cannot_close_a_script() -> None:
    for name in VENDOR_ASSETS:
        text = asset_text(name)
        assert not re.search(r"sourceMappingURL=", text)
        assert "</script" not in text.lower()
    # the raw vega-lite file does carry a source-map comment: the stripping is doing the work
    assert "sourceMappingURL=" in asset_path("vega-lite").read_text(encoding="utf-8")


def test_own_assets_and_unknown_names() -> None:
    assert asset_path("report.js").name == "report.js"
    assert asset_path("viz").name.startswith("viz-global-")
    with pytest.raises(NotFoundError) as info:
        asset_path("../../etc/passwd")
    assert "vega-lite" in (info.value.expected or "")
