"""The assistant's knowledge base: FAQ tables, Markdown and HTML pages cut into chunks, each with
its source, title, URL or path, version (content hash) and effective date; stored as JSON in
``<workspace>/assistant/``, written atomically. Re-importing a changed source makes a new version."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from civicflow.core import InputError, Location, sha256_hex, utcnow

SourceKind = Literal["faq", "markdown", "html", "pdf"]
FOLDER = "assistant"
FILE = "knowledge.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class FaqColumns:
    """Which columns of a FAQ table hold what (``None``: absent)."""

    question: str = "question"
    answer: str = "answer"
    url: str | None = None
    title: str | None = None
    effective_date: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunk:
    """One unit of knowledge: an FAQ entry, or a page's section under one heading.
    ``id`` is ``<source>#<n>`` (``n``: the FAQ row, 0-based, or the section's number)."""

    id: str
    source: str
    kind: SourceKind
    title: str
    question: str
    answer: str
    url: str
    version: str
    effective_date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceVersion:
    """One imported version of a source: its content hash and when it was imported."""

    source: str
    kind: SourceKind
    path: str
    version: str
    number: int
    imported_at: str
    effective_date: str | None
    chunks: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    """What an import did: the version now current, and whether the content changed."""

    source: SourceVersion
    changed: bool

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self.source), "changed": self.changed}


@dataclass(slots=True, kw_only=True)
class KnowledgeBase:
    """The current chunks of every source, and every version ever imported."""

    chunks: list[Chunk] = field(default_factory=list)
    history: list[SourceVersion] = field(default_factory=list)

    def current(self, source: str) -> SourceVersion | None:
        versions = [v for v in self.history if v.source == source]
        return versions[-1] if versions else None

    def sources(self) -> list[SourceVersion]:
        names = dict.fromkeys(v.source for v in self.history)
        return [v for n in names if (v := self.current(n)) is not None]

    @property
    def fingerprint(self) -> str:
        """The knowledge base's version: a digest of every source's current version (it changes
        when any source changes); ``""`` while empty."""
        current = sorted(f"{v.source}:{v.version}" for v in self.sources())
        return sha256_hex("\n".join(current).encode())[:16] if current else ""


def kb_path(workspace: Path) -> Path:
    return Path(workspace) / FOLDER / FILE


def load_knowledge(workspace: Path) -> KnowledgeBase:
    """The knowledge base stored in ``workspace`` (empty when none was imported yet)."""
    path = kb_path(workspace)
    if not path.exists():
        return KnowledgeBase()
    doc = json.loads(path.read_text(encoding="utf-8"))
    return KnowledgeBase(
        chunks=[Chunk(**c) for c in doc["chunks"]],
        history=[SourceVersion(**v) for v in doc["history"]],
    )


def save_knowledge(workspace: Path, kb: KnowledgeBase) -> Path:
    """Write the knowledge base atomically (a temporary file replaced in one step)."""
    path = kb_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"chunks": [c.to_dict() for c in kb.chunks], "history": [asdict(v) for v in kb.history]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.?\s+[A-Z]")
_SMALL_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or",
                          "the", "to", "with"})  # fmt: skip


def _is_heading(line: str) -> bool:
    """A PDF line that reads as a heading: short, not ending a sentence, and numbered ("2.1
    Fees"), a question, a label ("Fees:") or in title case ("Opening Hours of the Town Hall")."""
    line = line.strip()
    words = line.split()
    if not words or len(words) > 12 or len(line) > 90 or line[-1] in ".,;!":
        return False
    if _NUMBERED.match(line) or line.endswith(("?", ":")):
        return line[0].isupper() or line[0].isdigit()
    significant = [w for w in words if w.lower() not in _SMALL_WORDS]
    return bool(significant) and all(w[0].isupper() or w[0].isdigit() for w in significant)


def split_pdf(path: Path) -> list[tuple[str, str]]:
    """(heading, body) per section of a PDF's text (pypdf, BSD-3-Clause, optional: the
    ``assistant`` extra): a line that reads as a heading (:func:`_is_heading`) starts a section;
    a page without one continues the section before it, a document without any is one section a
    page.
    Scanned PDFs (images, no text layer) give nothing and are refused by the import."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - the extra is installed with the tests
        raise InputError(
            "importing PDF documents needs pypdf",
            where=Location(file=str(path)),
            expected="the assistant extra installed",
            fix="pip install 'civicflow[assistant]', or export the document as HTML or Markdown",
        ) from None
    try:
        pages = [page.extract_text() or "" for page in PdfReader(str(path)).pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputError(
            "cannot read this PDF",
            where=Location(file=str(path)),
            found=str(exc)[:200],
            expected="a PDF document with a text layer",
            fix="export the document again as PDF, or as HTML or Markdown",
        ) from None
    page_lines = [[ln.strip() for ln in text.splitlines() if ln.strip()] for text in pages]
    if not any(_is_heading(ln) for lines in page_lines for ln in lines):
        return [(f"Page {n}", "\n".join(lines)) for n, lines in enumerate(page_lines, start=1)]
    pairs: list[tuple[str, str]] = [("", "")]
    for lines in page_lines:
        for line in lines:
            if _is_heading(line):
                pairs.append((line, ""))
            else:
                title, body = pairs[-1]
                pairs[-1] = (title, body + line + "\n")
    return pairs


def _kind(path: Path) -> SourceKind:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "faq"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".pdf":
        return "pdf"
    raise InputError(
        "cannot import this file into the knowledge base",
        where=Location(file=str(path)),
        found=suffix or "(no suffix)",
        expected=".csv, .tsv, .md, .html or .pdf",
        fix="export the FAQ as CSV/TSV or the page as Markdown/HTML/PDF",
    )


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read_faq(
    path: Path, *, source: str, version: str, columns: FaqColumns, effective_date: str | None
) -> list[Chunk]:
    """An FAQ table's entries: one chunk per row with a question and an answer."""
    raw = path.read_text(encoding="utf-8-sig")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(raw), delimiter=delimiter)
    header = reader.fieldnames or []
    for role, name in (
        ("question", columns.question),
        ("answer", columns.answer),
        ("url", columns.url),
        ("title", columns.title),
        ("effective_date", columns.effective_date),
    ):
        if name is not None and name not in header:
            raise InputError(
                f"the FAQ table has no {role} column '{name}'",
                where=Location(file=str(path), field=name),
                found=", ".join(h for h in header if h) or "(no header)",
                expected=f"a column '{name}' holding the {role}",
                fix=f"name the {role} column with --{role.replace('_', '-')}-column",
            )
    chunks = []
    for n, row in enumerate(reader):
        question = _clean(row.get(columns.question) or "")
        answer = _clean(row.get(columns.answer) or "")
        if not question or not answer:
            continue
        url = _clean(row.get(columns.url) or "") if columns.url else ""
        title = _clean(row.get(columns.title) or "") if columns.title else ""
        when = _clean(row.get(columns.effective_date) or "") if columns.effective_date else ""
        chunks.append(
            Chunk(
                id=f"{source}#{n}",
                source=source,
                kind="faq",
                title=title or question,
                question=question,
                answer=answer,
                url=url or str(path),
                version=version,
                effective_date=when or effective_date,
            )
        )
    return chunks


def _sections(pairs: list[tuple[str, str]], *, path: Path, source: str, kind: SourceKind,
              version: str, effective_date: str | None) -> list[Chunk]:  # fmt: skip
    out = []
    for n, (title, body) in enumerate(p for p in pairs if _clean(p[1])):
        out.append(
            Chunk(
                id=f"{source}#{n}",
                source=source,
                kind=kind,
                title=title or path.stem,
                question=title,
                answer=_clean(body),
                url=str(path),
                version=version,
                effective_date=effective_date,
            )
        )
    return out


def split_markdown(text: str) -> list[tuple[str, str]]:
    """(heading, body) per section of a Markdown page, split at every ``#`` heading."""
    pairs: list[tuple[str, str]] = [("", "")]
    for line in text.splitlines():
        m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            pairs.append((m.group(1), ""))
        else:
            title, body = pairs[-1]
            pairs[-1] = (title, body + line + "\n")
    return pairs


class _HtmlSections(HTMLParser):
    HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
    SKIP = frozenset({"script", "style", "nav", "footer"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[list[str]] = [["", ""]]
        self.in_heading = False
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.HEADINGS:
            self.pairs.append(["", ""])
            self.in_heading = True

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.HEADINGS:
            self.in_heading = False
        elif tag in ("p", "li", "div", "br", "tr"):
            self.pairs[-1][1] += "\n"

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self.pairs[-1][0 if self.in_heading else 1] += data


def split_html(text: str) -> list[tuple[str, str]]:
    """(heading, body) per section of an HTML page, split at every ``h1``–``h6``."""
    parser = _HtmlSections()
    parser.feed(text)
    return [(_clean(html.unescape(t)), b) for t, b in parser.pairs]


def import_source(
    workspace: Path,
    path: Path,
    *,
    source: str | None = None,
    columns: FaqColumns | None = None,
    effective_date: date | None = None,
) -> ImportResult:
    """Import (or re-import) one source into ``workspace``'s knowledge base: a new version when its
    content changed, nothing written when it did not. Bad input raises and stores nothing."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "the source to import does not exist",
            where=Location(file=str(path)),
            fix="give the path of a CSV/TSV FAQ table, a Markdown or an HTML page",
        )
    kind = _kind(path)
    name = source or path.stem
    data = path.read_bytes()
    version = sha256_hex(data)[:16]
    when = effective_date.isoformat() if effective_date else None
    if kind == "faq":
        chunks = read_faq(
            path, source=name, version=version, columns=columns or FaqColumns(), effective_date=when
        )
    elif kind == "pdf":
        chunks = _sections(split_pdf(path), path=path, source=name, kind=kind, version=version,
                           effective_date=when)  # fmt: skip
    else:
        text = data.decode("utf-8", errors="replace")
        pairs = split_markdown(text) if kind == "markdown" else split_html(text)
        chunks = _sections(pairs, path=path, source=name, kind=kind, version=version,
                           effective_date=when)  # fmt: skip
    if not chunks:
        raise InputError(
            "the source holds no question/answer or section to import",
            where=Location(file=str(path)),
            fix="check the file's columns or headings",
        )
    kb = load_knowledge(workspace)
    previous = kb.current(name)
    if previous is not None and previous.version == version:
        return ImportResult(source=previous, changed=False)
    entry = SourceVersion(
        source=name, kind=kind, path=str(path.resolve()), version=version,
        number=1 if previous is None else previous.number + 1,
        imported_at=utcnow().isoformat(), effective_date=when, chunks=len(chunks),
    )  # fmt: skip
    kb.chunks = [c for c in kb.chunks if c.source != name] + chunks
    kb.history.append(entry)
    save_knowledge(workspace, kb)
    return ImportResult(source=entry, changed=True)
