"""Add GOV.UK Frontend's classes to the plain HTML of workbench templates (the mechanical part of
converting a template to the design system).

    python scripts/govuk_classes.py src/civicflow/web/templates/some_page.html [...]

rewrites each file in place: headings, paragraphs, lists, links, tables, details, captions and the
old helper classes get the GOV.UK Frontend class of the same meaning (the mapping is the table
``RULES`` below, also in docs/USER_GUIDE.md's notes for template authors). Elements that already
carry a class are left alone, except for the old helper classes named in ``RULES``. Forms are not
converted: write them with the macros of ``templates/_forms.html`` (input, select, textarea,
radios, checkbox, button), which add labels, hints and error messages as GOV.UK Frontend does.
Run it, then read the diff: it is a start, not a judge of meaning.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

RULES: tuple[tuple[str, str], ...] = (
    # (pattern, replacement) — applied in order
    (r"<h1>", '<h1 class="govuk-heading-l">'),
    (r"<h1 id=", '<h1 class="govuk-heading-l" id='),
    (r"<h2>", '<h2 class="govuk-heading-m">'),
    (r"<h2 id=", '<h2 class="govuk-heading-m" id='),
    (r"<h3>", '<h3 class="govuk-heading-s">'),
    (r"<h3 id=", '<h3 class="govuk-heading-s" id='),
    (r'<p class="hint">', '<p class="govuk-hint">'),
    (r'<span class="hint">', '<span class="cf-secondary">'),
    (r"<p>", '<p class="govuk-body">'),
    (r"<ul>", '<ul class="govuk-list govuk-list--bullet">'),
    (r'<ul class="plain">', '<ul class="govuk-list">'),
    (r"<ol>", '<ol class="govuk-list govuk-list--number">'),
    (r"<a href=", '<a class="govuk-link" href='),
    (
        r'<a class="button secondary"',
        '<a class="govuk-button govuk-button--secondary" data-module="govuk-button" role="button" draggable="false"',
    ),
    (
        r'<a class="button"',
        '<a class="govuk-button" data-module="govuk-button" role="button" draggable="false"',
    ),
    (r"<table>", '<table class="govuk-table">'),
    (r"<thead>", '<thead class="govuk-table__head">'),
    (r"<tbody>", '<tbody class="govuk-table__body">'),
    (r"<tr>", '<tr class="govuk-table__row">'),
    (r"<tr id=", '<tr class="govuk-table__row" id='),
    (
        r'<th scope="(col|row)" class="num">',
        r'<th scope="\1" class="govuk-table__header govuk-table__header--numeric">',
    ),
    (r'<th scope="(col|row)">', r'<th scope="\1" class="govuk-table__header">'),
    (r'<td class="num">', '<td class="govuk-table__cell govuk-table__cell--numeric">'),
    (r"<td>", '<td class="govuk-table__cell">'),
    (r"<td colspan=", '<td class="govuk-table__cell" colspan='),
    (r'<caption class="visually-hidden">', '<caption class="govuk-visually-hidden">'),
    (r"<caption>", '<caption class="govuk-table__caption govuk-table__caption--s">'),
    (r'class="visually-hidden"', 'class="govuk-visually-hidden"'),
    (r'<p class="ok">', '<p class="govuk-body cf-ok">'),
    (r'<p class="bad">', '<p class="govuk-body cf-bad">'),
    (r'<span class="ok">', '<strong class="govuk-tag govuk-tag--green">'),
    (
        r"<details><summary>(.*?)</summary>",
        r'<details class="govuk-details"><summary class="govuk-details__summary"><span class="govuk-details__summary-text">\1</span></summary><div class="govuk-details__text">',
    ),
    (r"</details>", "</div></details>"),
    (r'class="panel"', 'class="cf-panel"'),
    (r'class="scroll-x"', 'class="cf-scroll-x"'),
)


def convert(text: str) -> str:
    for pattern, replacement in RULES:
        text = re.sub(pattern, replacement, text)
    # <details> bodies written on their own lines keep a plain close
    return text.replace("</div></div></details>", "</div></details>")


def main(argv: list[str]) -> int:
    for name in argv:
        path = Path(name)
        before = path.read_text(encoding="utf-8")
        after = convert(before)
        if after != before:
            path.write_text(after, encoding="utf-8")
            print(f"converted {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
