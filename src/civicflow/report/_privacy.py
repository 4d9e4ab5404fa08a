"""The report's "Data protection" section: where personal data is in the workspace's datasets
and how it is protected, the retention policies, the differentially private releases and the
data-subject requests with their deadlines.

Like the fairness section, it reads stored JSON (``PrivacyOverview.to_dict()``): the report
layer does not import the privacy domain. It names columns, categories and counts — never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicflow.report._model import Figure, Section, Table


def privacy_section(overview: Mapping[str, Any]) -> Section | None:
    """The section from ``PrivacyOverview.to_dict()``; None when the workspace has no dataset,
    decision, release, retention policy or request."""
    datasets = list(overview.get("datasets") or [])
    requests = overview.get("requests")
    releases = list(overview.get("releases") or [])
    policies = list(overview.get("retention") or [])
    decisions = list(overview.get("decisions") or [])
    if not (datasets or requests or releases or policies or decisions):
        return None
    rows = []
    findings: list[str] = []
    for d in datasets:
        personal = [f"{c['column']} ({c['category'].replace('_', ' ')})" for c in d["columns"]]
        replaced = [c["column"] for c in d["columns"] if c["pseudonymised"]]
        if not d["classified"]:
            protection = "stored as imported"
            findings.append(
                f"{d['dataset']}: not classified at ingest (no key ring was configured); "
                "scan it with `civicflow privacy scan`."
            )
        else:
            protection = ", ".join(f"{c} pseudonymised" for c in replaced) or "nothing replaced"
            redacted = [c["column"] for c in d["columns"] if c.get("redacted") is not None]
            if redacted:
                protection += "; " + ", ".join(f"{c} redacted (free text)" for c in redacted)
            for column, reason in (d.get("kept_clear") or {}).items():
                protection += f"; {column} kept clear ({reason})"
        for column in d.get("unprotected_identifiers") or []:
            findings.append(f"{d['dataset']}: the direct identifier {column} is stored in clear.")
        if d.get("legal_hold"):
            protection += f"; legal hold: {d['legal_hold']}"
        rows.append(
            (d["dataset"], f"{d['cases']:,}", ", ".join(personal) or "none found", protection)
        )
    tables = [
        Table(
            caption="Personal data and its protection per dataset",
            columns=("Dataset", "Cases", "Personal data found", "Protection"),
            rows=tuple(rows),
            numeric=frozenset({1}),
        )
    ]
    if policies:
        tables.append(
            Table(
                caption="Retention policies in force",
                columns=("Policy", "Datasets", "Data", "Action", "Period", "Reason"),
                rows=tuple(
                    (
                        f"{p.get('name', p['dataset'])} v{p['version']}",
                        "every dataset without its own" if p["dataset"] == "*" else p["dataset"],
                        str(p.get("scope", "cases")).replace("_", " "),
                        str(p.get("action", "delete")),
                        str(p.get("period") or f"{p['older_than_days']} days"),
                        p["reason"],
                    )
                    for p in policies
                ),
            )
        )
        plan = overview.get("retention_plan") or {}
        for step in plan.get("steps") or []:
            effect = step.get("effect") or {}
            if effect.get("changed") and not step["plan"]["held"]:
                findings.append(
                    f"{step['dataset']}: {step['plan']['cases']} cases are past their retention "
                    f"period (policy {step.get('policy_name', '')}: {step.get('action', 'delete')}"
                    "; `civicflow privacy retention apply --yes`)."
                )
    if releases:
        tables.append(
            Table(
                caption="Differentially private releases",
                columns=("Dataset", "Kind", "Epsilon", "Budget spent"),
                rows=tuple(
                    (
                        r["dataset"],
                        r["kind"].replace("_", " "),
                        f"{r['epsilon']:g}",
                        f"{r['spent']:g} of {r['budget']:g}",
                    )
                    for r in releases
                ),
                numeric=frozenset({2}),
            )
        )
    figures = [
        Figure(
            label="Datasets protected",
            value=f"{sum(1 for d in datasets if d['classified'])} of {len(datasets)}",
            definition="classified and pseudonymised at ingest",
        ),
        Figure(
            label="Column decisions",
            value=str(len(decisions)),
            definition="a data steward's keep-clear or pseudonymise decisions in force",
        ),
    ]
    if requests is not None:
        open_ = [r for r in requests if r["status"] not in ("completed", "refused")]
        overdue = [r for r in open_ if r.get("overdue")]
        figures.append(
            Figure(
                label="Open requests",
                value=f"{len(open_)} ({len(overdue)} overdue)",
                definition="data-subject requests not yet completed or refused",
            )
        )
        if requests:
            tables.append(
                Table(
                    caption="Data-subject requests",
                    columns=("Request", "Kind", "Received", "Due", "Status"),
                    rows=tuple(
                        (
                            r["id"],
                            r["kind"],
                            str(r["received_on"]),
                            str(r["due_on"]) + (" (overdue)" if r.get("overdue") else ""),
                            r["status"],
                        )
                        for r in requests
                    ),
                )
            )
        for r in overdue:
            findings.append(f"Request {r['id']} ({r['kind']}) is overdue since {r['due_on']}.")
    return Section(
        id="privacy",
        title="Data protection",
        intro="Where personal data is in the workspace's datasets and how it is protected: the "
        "columns ingest classified (kind of personal data), those it replaced by keyed "
        "pseudonyms and those a data steward kept clear; the retention policies, the "
        "differentially private releases with the privacy budget spent, and the data-subject "
        "requests with their deadlines. Column names and counts only, never a value.",
        figures=tuple(figures),
        findings=tuple(findings),
        tables=tuple(tables),
    )
