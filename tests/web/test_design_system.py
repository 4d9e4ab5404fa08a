"""GOV.UK Frontend as vendored: pinned, without what is reserved to GOV.UK, recorded; and the
layout loads it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "civicflow" / "web" / "static" / "vendor"
CSS = VENDOR / "govuk-frontend-6.6.0.min.css"
JS = VENDOR / "govuk-frontend-6.6.0.min.js"
BASE = ROOT / "src" / "civicflow" / "web" / "templates" / "base.html"


def test_the_vendored_css_has_no_gov_uk_font_or_crest() -> None:
    css = CSS.read_text(encoding="utf-8")
    for reserved in ("GDS Transport", "govuk-crest", "/assets/fonts/", "sourceMappingURL"):
        assert reserved not in css, reserved
    assert "font-family:system-ui" in css
    assert '--govuk-frontend-version:"6.6.0"' in css


def test_the_vendored_files_match_the_third_party_table() -> None:
    table = (ROOT / "docs" / "THIRD_PARTY.md").read_text(encoding="utf-8")
    licences = (VENDOR / "LICENSES.md").read_text(encoding="utf-8")
    for path in (CSS, JS):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        row = next(line for line in table.splitlines() if line.startswith(f"| `{path.name}`"))
        assert digest in row, f"{path.name}: sha256 {digest} is not in docs/THIRD_PARTY.md"
        assert "MIT" in row
        assert path.name in licences
    assert "export{" in JS.read_text(encoding="utf-8").replace(" ", "")  # an ES module


def test_the_layout_loads_the_design_system_without_the_gov_uk_brand() -> None:
    base = BASE.read_text(encoding="utf-8")
    assert f'href="/static/vendor/{CSS.name}"' in base
    assert 'type="module" src="/static/govuk-init.mjs"' in base
    init = (ROOT / "src" / "civicflow" / "web" / "static" / "govuk-init.mjs").read_text()
    assert f'from "/static/vendor/{JS.name}"' in init
    assert "govuk-frontend-supported" in init
    assert not re.search(r"govuk-header__logo|govuk-logo|crown", base, re.IGNORECASE)
