"""The report's "Governance" section from plain dicts, and in the written report."""

from __future__ import annotations

from pathlib import Path

from civicflow.report import ReportConfig, build_report, governance_section


def test_the_section_from_plain_dicts() -> None:
    assert governance_section(systems=[]) is None
    live = {"id": "sys_1", "name": "Benefit checks", "status": "live", "oversight": "out-of-the-loop",
            "senior_responsible_owner": "SRO", "datasets": [], "published": True,
            "assessments": []}  # fmt: skip
    aia = {"id": "asm_1", "system_id": "sys_1", "kind": "canada-aia", "summary": "level III",
           "answers": {"q": 1},
           "result": {"level": 3, "level_roman": "III", "requirements": [
               {"name": "Peer review", "text": "Consult a qualified expert."}]}}  # fmt: skip
    section = governance_section(systems=[live], assessments=[aia], titles={"canada-aia": "AIA"})
    assert section is not None
    assert "Benefit checks is live without a linked impact assessment." in section.findings
    assert any("AIA impact level III, with 1 requirements" in f for f in section.findings)
    tables = {t.caption: t for t in section.tables}
    assert tables["Impact assessments"].rows[0][:3] == ("AIA", "Benefit checks", "impact level III")
    assert tables["Requirements and obligations the assessments bring"].rows == (
        ("Benefit checks", "AIA", "Peer review", "the department", "Consult a qualified expert."),
    )


def test_the_report_carries_the_section(small_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    readiness = {"overall": 0.35, "roadmap": ["Freeze a baseline"], "areas": [
        {"area": "objectives", "title": "Clear objectives", "score": 0.5, "basis": "evidence",
         "evidence": ["2 objectives"], "gaps": ["no KPI targets"]}]}  # fmt: skip
    section = governance_section(systems=[], readiness=readiness)
    assert section is not None and section.findings == ("Roadmap: Freeze a baseline",)
    out = build_report(
        view=small_view, out=tmp_path / "r.html",
        config=ReportConfig(sections=("key-figures",), extra_sections=(section,)),
    )  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert 'id="governance"' in html and "Clear objectives" in html and "no KPI targets" in html
