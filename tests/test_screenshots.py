"""The user guide's screenshots: the script that makes them runs, and every image the guide
references exists."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "USER_GUIDE.md"
SCRIPT = ROOT / "scripts" / "screenshots.py"
IMAGE = re.compile(r"!\[[^\]]*\]\((img/[^)]+)\)")


def _load_script() -> object:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _referenced() -> list[str]:
    return IMAGE.findall(GUIDE.read_text(encoding="utf-8"))


def test_every_image_the_guide_references_exists() -> None:
    images = _referenced()
    assert len(images) >= 5, images
    missing = [i for i in images if not (GUIDE.parent / i).is_file()]
    assert not missing, f"docs/USER_GUIDE.md references missing images: {missing}"
    for i in images:  # real PNGs, kept small
        data = (GUIDE.parent / i).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", i
        assert len(data) < 250_000, f"{i} is {len(data)} bytes"


@pytest.mark.browser
def test_the_script_writes_every_page_the_guide_shows(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium"
        )
    script = _load_script()
    pages = {name for name, _, _ in script.PAGES}  # type: ignore[attr-defined]
    assert {Path(i).name for i in _referenced()} <= pages
    assert script.main(["--out", str(tmp_path), "--cases", "300"]) == 0  # type: ignore[attr-defined]
    for name in pages:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        from PIL import Image

        with Image.open(tmp_path / name) as img:
            assert img.width == 1280 and img.height >= 800
