"""PDF documents in the knowledge base: the text layer (pypdf) split at heading lines, one section
a page when there are none; a file that is not a PDF is refused, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.core import InputError
from civicflow.services import Assistant, Calibration, import_source, load_knowledge, split_pdf


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A minimal PDF (Helvetica, one text line per entry) built by hand, with a correct xref."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    font = 3 + 2 * len(pages)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
        ops += [f"({_escape(line)}) Tj T*" for line in lines]
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def test_a_pdf_splits_at_its_headings_across_pages(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "waste.pdf", [
        ["Waste Collection Guide", "This guide explains the collection of household waste",
         "in the municipality.", "Green Waste Bins", "Green waste bins are collected every",
         "second Tuesday from March to November."],
        ["they must be at the kerb by 7:00.", "How do I order a new bin?",
         "Order a new bin online (free); it is delivered within ten working days."],
    ])  # fmt: skip
    pairs = split_pdf(pdf)
    titles = [t for t, body in pairs if body.strip()]
    assert titles == ["Waste Collection Guide", "Green Waste Bins", "How do I order a new bin?"]
    # the section on green waste continues on the second page
    assert "kerb by 7:00" in dict(pairs)["Green Waste Bins"]
    result = import_source(tmp_path / "ws", pdf, source="waste")
    assert result.source.kind == "pdf" and result.source.chunks == 3
    chunks = load_knowledge(tmp_path / "ws").chunks
    answer = Assistant(chunks, calibration=Calibration(threshold=0.0)).ask("order a new bin")
    assert answer.source is not None and answer.source.id == "waste#2"
    assert "ten working days" in answer.text


def test_a_pdf_without_headings_is_one_section_a_page(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "notes.pdf", [["the first page of notes."], ["the second."]])
    assert split_pdf(pdf) == [("Page 1", "the first page of notes."), ("Page 2", "the second.")]


def test_a_file_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"this is not a pdf")
    with pytest.raises(InputError, match="cannot read this PDF") as info:
        import_source(tmp_path / "ws", bad)
    assert "broken.pdf" in str(info.value.where)
    assert not (tmp_path / "ws" / "assistant").exists()
