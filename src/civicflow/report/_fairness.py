"""Fairness in the report and the workbench: the report's "Fairness" section (the workspace's
latest audits, their top findings, the monitored streams and their alerts) and the chart of a
group metric over a stream's audits.

Like the business case, this reads stored JSON (``StoredAudit.to_dict()``, ``Stream.to_dict()``,
``stream_history``): the report layer does not import the fairness domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from civicflow.mining import format_share
from civicflow.report._charts import time_series
from civicflow.report._model import Chart, Figure, Section, Table

SEVERE = ("high", "medium")


def fairness_history_chart(history: Mapping[str, Any], *, id_prefix: str = "fair") -> Chart:
    """Each group's value of a metric over a stream's audits (``stream_history``'s dict), or over
    a system's audits (``"of": "system"``, with ``"labels"`` naming each audit)."""
    labels = list(history.get("labels") or [f"v{v}" for v in history["versions"]])
    of = str(history.get("of", "stream"))
    values = [
        {"audit": labels[i], "group": group, "value": x}
        for group, series in history["groups"].items()
        for i, x in enumerate(series)
        if x is not None
    ]
    metric, attribute = history["metric"], history["attribute"]
    spec = time_series(
        title=f"{history['stream']}: {metric} by {attribute} over the {of}'s audits",
        values=values, time="audit", measure="value", measure_title=metric, series="group",
    )  # fmt: skip
    spec["encoding"]["y"]["axis"] = {"format": ".0%"}
    spec["encoding"]["x"]["sort"] = labels
    groups = list(history["groups"])
    rows = tuple(
        (label, *(_share(history["groups"][g][i]) for g in groups))
        for i, label in enumerate(labels)
    )
    return Chart(
        id=f"{id_prefix}-history",
        label=f"The {metric} of each {attribute} group at each audit of the {of} "
        f"{history['stream']}, oldest first",
        spec=spec,
        table=Table(
            caption=f"{metric} by {attribute}, per audit",
            columns=("Audit", *groups),
            rows=rows,
            numeric=frozenset(range(1, len(groups) + 1)),
        ),
    )


def _share(x: float | None) -> str:
    return "—" if x is None else format_share(x)


def fairness_section(
    audits: Sequence[Mapping[str, Any]],
    streams: Sequence[Mapping[str, Any]] = (),
    *,
    top: int = 3,
) -> Section | None:
    """The report's "Fairness" section. ``audits`` are the latest version of each named audit
    (``StoredAudit.to_dict()``), ``streams`` the monitored streams (``Stream.to_dict()``); the
    ``top`` findings of each audit are listed after the streams' alerts. None without either."""
    if not audits and not streams:
        return None
    findings: list[str] = []
    alerts = 0
    for s in streams:
        check = s.get("last_check") or {}
        for a in check.get("alerts", []):
            alerts += 1
            findings.append(
                f"Alert, stream {s['name']} (audit version {check['version']}): {a['text']}."
            )
    rows = []
    for a in audits:
        result = a.get("result") or {}
        found = result.get("findings", [])
        severe = sum(1 for f in found if f.get("severity") in SEVERE)
        system = a.get("system") or {}
        of = " ".join(str(x) for x in (system.get("name"), system.get("version")) if x) or "—"
        rows.append((
            a["name"], str(a["version"]), a["kind"], of, str(a["source"]),
            str(a["created_at"])[:16].replace("T", " "), str(severe),
        ))  # fmt: skip
        for f in found[:top]:
            findings.append(f"{a['name']} (version {a['version']}, {f['severity']}): {f['text']}")
    tables = [
        Table(
            caption="Fairness audits (latest versions)",
            columns=(
                "Audit",
                "Version",
                "Kind",
                "System audited",
                "Source",
                "Run",
                "High/medium findings",
            ),
            rows=tuple(rows),
            numeric=frozenset({1, 6}),
        )
    ]
    if streams:
        tables.append(
            Table(
                caption="Monitored decision streams",
                columns=("Stream", "Parity band", "Last run", "Audit version", "Alerts"),
                rows=tuple(
                    (
                        s["name"],
                        f"{s['band'][0]:g}–{s['band'][1]:g}",
                        str(s.get("last_run_at") or "never")[:16].replace("T", " "),
                        str((s.get("last_check") or {}).get("version", "—")),
                        str(len((s.get("last_check") or {}).get("alerts", []))),
                    )
                    for s in streams
                ),
                numeric=frozenset({3, 4}),
            )
        )
    return Section(
        id="fairness",
        title="Fairness",
        intro="The workspace's fairness audits, each at its latest version, with their main "
        "findings (a finding is a disparity outside the parity band whose difference is "
        "significant after Holm's correction), and the monitored decision streams: an alert is "
        "a disparity that was inside its stream's parity band at the previous audit and is now "
        "outside it with its whole bootstrap interval.",
        figures=(
            Figure(
                label="Audits", value=str(len(audits)), definition="named audits, latest versions"
            ),
            Figure(
                label="Streams", value=str(len(streams)), definition="monitored decision streams"
            ),
            Figure(label="Alerts", value=str(alerts), definition="at the streams' last runs"),
        ),
        findings=tuple(findings),
        tables=tuple(tables),
    )
