"""Governance in the report: the register of automated systems, the impact assessments' results
with their levels and the requirements or obligations they bring, the state of the compliance
controls, and the readiness scorecard.

Like the fairness section, this reads stored JSON (``RegisterEntry.to_dict()``,
``StoredAssessment.to_dict()``, ``GapsReport.to_dict()``, ``Scorecard.to_dict()``): the report
layer does not import the governance domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from civicflow.mining import format_share
from civicflow.report._model import Figure, Section, Table


def _level(kind: str, result: Mapping[str, Any]) -> str:
    """The assessment's level or category in a few words."""
    if "level_roman" in result:
        return f"impact level {result['level_roman']}"
    if "category" in result:
        return str(result["category"])
    if "required" in result:
        return "DPIA required" if result["required"] else "DPIA not required"
    if "functions" in result:
        return ", ".join(f"{f['title']} {format_share(f['share'])}" for f in result["functions"])
    return kind


def _requirements(result: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(requirement, who, what it asks) of an AIA level or an AI Act classification."""
    out = []
    for r in result.get("requirements", []):
        out.append((str(r["name"]), "the department", str(r["text"])))
    for o in result.get("obligations", []):
        detail = str(o["detail"])
        if o.get("elements"):
            detail += " (" + "; ".join(str(e) for e in o["elements"]) + ")"
        out.append((f"{o['article']} {o['title']}", str(o["party"]), detail))
    return out


def governance_section(
    *,
    systems: Sequence[Mapping[str, Any]],
    assessments: Sequence[Mapping[str, Any]] = (),
    titles: Mapping[str, str] | None = None,
    controls: Sequence[Mapping[str, Any]] = (),
    readiness: Mapping[str, Any] | None = None,
) -> Section | None:
    """The report's "Governance" section: ``systems`` (register entries), ``assessments`` (with
    ``titles`` by kind), ``controls`` (one gaps report per catalogue the workspace keeps) and
    ``readiness`` (the scorecard). None when the workspace keeps none of them."""
    if not systems and not assessments and not controls and readiness is None:
        return None
    titles = titles or {}
    names = {s["id"]: s["name"] for s in systems}
    tables: list[Table] = []
    findings: list[str] = []
    figures = [
        Figure(
            label="Systems",
            value=str(len(systems)),
            definition="automated and AI systems in the register",
        ),
        Figure(
            label="Live",
            value=str(sum(s["status"] == "live" for s in systems)),
            definition="systems in use",
        ),
        Figure(
            label="Published",
            value=str(sum(bool(s.get("published")) for s in systems)),
            definition="transparency records on the public register",
        ),
    ]
    if systems:
        tables.append(
            Table(
                caption="Register of automated systems",
                columns=(
                    "System",
                    "Status",
                    "Human oversight",
                    "Senior responsible owner",
                    "Data used",
                    "Published",
                ),
                rows=tuple(
                    (
                        str(s["name"]),
                        str(s["status"]),
                        str(s["oversight"]).replace("-", " "),
                        str(s["senior_responsible_owner"]),
                        ", ".join(s.get("datasets", [])) or "—",
                        "yes" if s.get("published") else "no",
                    )
                    for s in systems
                ),
            )
        )
        for s in systems:
            if s["status"] == "live" and not s.get("assessments"):
                findings.append(f"{s['name']} is live without a linked impact assessment.")
    answered = [a for a in assessments if a.get("answers")]
    if answered:
        tables.append(
            Table(
                caption="Impact assessments",
                columns=("Assessment", "System", "Level or category", "Result", "Answers"),
                rows=tuple(
                    (
                        titles.get(a["kind"], a["kind"]),
                        names.get(a.get("system_id") or "", "—"),
                        _level(a["kind"], a["result"]),
                        str(a["summary"]),
                        str(len(a["answers"])),
                    )
                    for a in answered
                ),
                numeric=frozenset({4}),
            )
        )
        rows = [
            (names.get(a.get("system_id") or "", "—"), titles.get(a["kind"], a["kind"]), *r)
            for a in answered
            for r in _requirements(a["result"])
        ]
        if rows:
            tables.append(
                Table(
                    caption="Requirements and obligations the assessments bring",
                    columns=("System", "Assessment", "Requirement", "Who", "What it asks"),
                    rows=tuple(rows),
                )
            )
        for a in answered:
            result = a["result"]
            if result.get("category") == "prohibited":
                findings.append(
                    f"{names.get(a.get('system_id') or '', 'A system')}: a prohibited practice "
                    "under the EU AI Act (Art. 5)."
                )
            if result.get("level", 0) >= 3:
                findings.append(
                    f"{names.get(a.get('system_id') or '', 'A system')}: AIA impact level "
                    f"{result['level_roman']}, with {len(result.get('requirements', []))} "
                    "requirements of the Directive."
                )
    if controls:
        tables.append(
            Table(
                caption="Compliance controls",
                columns=(
                    "Catalogue",
                    "Version",
                    "Implemented with evidence",
                    "Applicable",
                    "Share",
                    "Gaps",
                ),
                rows=tuple(
                    (
                        str(c["catalogue"]),
                        str(c["version"]),
                        str(c["implemented"]),
                        str(c["total"] - c["not_applicable"]),
                        format_share(c["share_implemented"]),
                        str(len(c["gaps"])),
                    )
                    for c in controls
                ),
                numeric=frozenset({2, 3, 4, 5}),
            )
        )
        gap_rows = tuple(
            (
                str(g["catalogue"]),
                f"{g['reference']} {g['title']}",
                "; ".join(g["problems"]),
                str(g["owner"] or "—"),
                str(g["due"] or "—"),
            )
            for c in controls
            for g in c["gaps"]
            if not (len(g["problems"]) == 2 and g["problems"][0] == "status not-started")
        )
        if gap_rows:
            tables.append(
                Table(
                    caption="Controls in progress or implemented with a gap",
                    columns=("Catalogue", "Control", "Gap", "Owner", "Due"),
                    rows=gap_rows,
                    note="Controls not started and without an owner are counted above only.",
                )
            )
    if readiness is not None:
        figures.append(
            Figure(
                label="Readiness",
                value=format_share(readiness["overall"]),
                definition="mean of the ten preparations' scores",
            )
        )
        tables.append(
            Table(
                caption="Readiness scorecard",
                columns=("Preparation", "Score", "Basis", "Evidence", "Gaps"),
                rows=tuple(
                    (
                        str(a["title"]),
                        format_share(a["score"]),
                        str(a["basis"]),
                        "; ".join(a["evidence"]) or "—",
                        "; ".join(a["gaps"]) or "—",
                    )
                    for a in readiness["areas"]
                ),
                numeric=frozenset({1}),
            )
        )
        findings.extend(f"Roadmap: {step}" for step in readiness.get("roadmap", [])[:5])
    return Section(
        id="governance",
        title="Governance",
        intro="The register of the workspace's automated and AI systems with their lifecycle and "
        "human oversight; the impact assessments' results with the requirements (Canada's "
        "Directive on Automated Decision-Making) and obligations (EU AI Act) they bring; the "
        "compliance controls implemented with evidence; and the readiness scorecard of the ten "
        "preparations of an automation journey, each scored from the evidence in the workspace "
        "or, where none can exist, from a declared answer marked as such.",
        figures=tuple(figures),
        findings=tuple(findings),
        tables=tuple(tables),
    )
