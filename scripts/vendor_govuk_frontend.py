"""Vendor GOV.UK Frontend's precompiled CSS and JavaScript for a service that is not on GOV.UK.

    cd /tmp && npm pack govuk-frontend@6.6.0
    python scripts/vendor_govuk_frontend.py /tmp/govuk-frontend-6.6.0.tgz

writes ``src/civicflow/web/static/vendor/govuk-frontend-<version>.min.css`` and ``.min.js`` from the
package's ``dist/govuk/govuk-frontend.min.css`` and ``.min.js``. The JavaScript is copied as is
(less its source-map comment). The CSS is the published file with what is reserved to GOV.UK
services taken out, as the Design System asks of services outside GOV.UK (and as its Sass settings
``$govuk-font-family`` and ``$govuk-include-default-font-face: false`` would do):

- the GDS Transport ``@font-face`` rules and their copyright comment (the font is licensed for
  GOV.UK only); every ``font-family`` naming it uses the system font stack instead;
- the footer's Crown copyright crest (``govuk-footer__copyright-logo``, an image of the crest);
- the source-map comment (the map is not shipped).

The script fails when a step no longer finds what it removes, so an update cannot silently keep
the font or the crest. ``tests/web/test_design_system.py`` checks the vendored files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "civicflow" / "web" / "static" / "vendor"
SYSTEM_FONTS = 'system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif'

_STEPS: tuple[tuple[str, str, str], ...] = (
    # (what, pattern, replacement)
    (
        "the GDS Transport copyright comment",
        r"/\*! Copyright \(c\) 2011 by Margaret Calvert[^*]*\*/",
        "",
    ),
    ("the GDS Transport @font-face rules", r"@font-face\{font-family:GDS Transport;[^}]*\}", ""),
    (
        "GDS Transport in font stacks",
        r"font-family:GDS Transport,arial,sans-serif",
        "font-family:" + SYSTEM_FONTS,
    ),
    (
        "the Crown copyright crest",
        r"\.govuk-footer__copyright-logo:before\{[^}]*govuk-crest\.svg[^}]*\}",
        "",
    ),
    (
        "the crest's mask rules",
        r"@supports \(\(-webkit-mask-position:initial\) or \(mask-position:initial\)\)\{"
        r"@media screen and \(forced-colors:active\)\{\.govuk-footer__copyright-logo:before\{[^}]*\}\}\}",
        "",
    ),
    ("the source-map comment", r"\n?/\*# sourceMappingURL=[^*]*\*/\s*$", "\n"),
)


def strip_css(css: str) -> str:
    """The published CSS without the font, the crest and the source-map comment."""
    for what, pattern, replacement in _STEPS:
        css, n = re.subn(pattern, replacement, css)
        if n == 0:
            raise SystemExit(
                f"vendor_govuk_frontend: found no {what} to remove; check the new release"
            )
    for reserved in ("GDS Transport", "govuk-crest", "/assets/fonts/"):
        if reserved in css:
            raise SystemExit(f"vendor_govuk_frontend: '{reserved}' is still in the CSS")
    return css


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "tarball", type=Path, help="the govuk-frontend-<version>.tgz npm pack wrote"
    )
    parser.add_argument("--out", type=Path, default=VENDOR)
    args = parser.parse_args(argv)
    with tarfile.open(args.tarball) as tar:

        def read(name: str) -> str:
            member = tar.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"vendor_govuk_frontend: {name} is not in {args.tarball}")
            return member.read().decode("utf-8")

        version = json.loads(read("package.json"))["version"]
        css = strip_css(read("dist/govuk/govuk-frontend.min.css"))
        js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", read("dist/govuk/govuk-frontend.min.js"))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"govuk-frontend-{version}.min.css").write_text(css, encoding="utf-8")
    (args.out / f"govuk-frontend-{version}.min.js").write_text(js + "\n", encoding="utf-8")
    print(
        f"govuk-frontend {version}: wrote {args.out}/govuk-frontend-{version}.min.css and .min.js"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
