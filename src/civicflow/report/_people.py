"""The report's "People and pilots" section, and the chart of handling hours per role, from plain
dicts (``PeopleHours.to_dict()`` and pilots with their stored evaluation), so this package needs
no planning import. Hours are working time to plan training and redeployment, not a headcount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from civicflow.mining import format_number, format_share
from civicflow.report._charts import bar_chart
from civicflow.report._model import Chart, Figure, Section, Table


def people_hours_table(groups: Sequence[Mapping[str, Any]], *, title: str = "Role") -> Table:
    """Hours a year, FTE and share per role (or team)."""
    return Table(
        caption=f"Handling hours a year per {title.lower()}",
        columns=(title, "Resources", "Hours a year", "FTE", "Share"),
        rows=tuple(
            (
                str(g["name"]),
                format_number(int(g["resources"])),
                format_number(round(float(g["hours_per_year"]))),
                f"{float(g['fte']):.2f}",
                format_share(float(g["share"])),
            )
            for g in groups
        ),
        numeric=frozenset({1, 2, 3, 4}),
    )


def people_hours_chart(
    groups: Sequence[Mapping[str, Any]], *, title: str = "Role", id_prefix: str = "people"
) -> Chart:
    """Bars of the handling hours a year per role (or team), largest first."""
    values = [{"name": str(g["name"]), "hours": round(float(g["hours_per_year"]))} for g in groups]
    heading = f"Handling hours a year per {title.lower()}"
    spec = bar_chart(
        title=heading, values=values, category="name", measure="hours",
        category_title=title, measure_title="Hours a year",
    )  # fmt: skip
    return Chart(
        id=f"{id_prefix}-{title.lower()}",
        label=f"{heading}: "
        + "; ".join(f"{v['name']} {format_number(v['hours'])} hours" for v in values),
        spec=spec,
        table=people_hours_table(groups, title=title),
    )


def people_section(
    hours: Mapping[str, Any] | None, pilots: Sequence[Mapping[str, Any]]
) -> Section | None:
    """The "People and pilots" section: ``hours`` is ``PeopleHours.to_dict()`` of the view (None
    when the log has no start times or resources), ``pilots`` the workspace's pilots as dicts with
    ``title`` and ``evaluation`` (the stored evaluation or None). None when there is neither."""
    evaluated = [p for p in pilots if p.get("evaluation")]
    if not hours and not evaluated:
        return None
    figures: list[Figure] = []
    findings: list[str] = []
    tables: list[Table] = []
    charts: list[Chart] = []
    notes: list[str] = []
    if hours:
        roles = hours.get("roles") or []
        total = sum(float(g["hours_per_year"]) for g in roles)
        per_fte = float(hours["hours_per_fte"])
        figures.append(
            Figure(
                label="Handling hours a year",
                value=format_number(round(total)),
                definition=f"{total / per_fte:.1f} FTE at {per_fte:g} hours a year; "
                f"{hours.get('basis', 'elapsed time')}",
            )
        )
        if roles:
            charts.append(people_hours_chart(roles))
            top = roles[0]
            findings.append(
                f"{top['name']} spends the most handling time: "
                f"{format_number(round(float(top['hours_per_year'])))} hours a year "
                f"({float(top['fte']):.2f} FTE, {format_share(float(top['share']))})."
            )
        if hours.get("teams"):
            tables.append(people_hours_table(hours["teams"], title="Team"))
        notes.append(str(hours.get("note", "")))
    if evaluated:
        rows = []
        for p in evaluated:
            ev = p["evaluation"]
            rows.append(
                (
                    str(p["title"]),
                    str(ev.get("verdict", "")),
                    "; ".join(str(c) for c in ev.get("caveats") or []) or "—",
                )
            )
            findings.append(f"Pilot {p['title']}: {ev.get('verdict', '')}")
        figures.append(
            Figure(
                label="Pilots evaluated",
                value=str(len(evaluated)),
                definition=f"of {len(pilots)} pilots in the workspace",
            )
        )
        tables.append(
            Table(
                caption="Evaluated pilots: verdicts and caveats",
                columns=("Pilot", "Verdict", "Caveats"),
                rows=tuple(rows),
            )
        )
    return Section(
        id="people-pilots",
        title="People and pilots",
        intro="Handling hours per role and team per year from the log's resources (start to end "
        "of each activity), with FTE equivalents, to plan training and redeployment, never as a "
        "headcount; and the workspace's evaluated pilots with their verdicts and caveats.",
        figures=tuple(figures),
        findings=tuple(findings),
        charts=tuple(charts),
        tables=tuple(tables),
        notes=tuple(n for n in notes if n),
    )
