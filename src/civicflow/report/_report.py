"""``build_report``: one self-contained HTML file with the assessment of a log view.

Everything is inlined (scripts, styles, data), so the file opens from disk with no network at all;
a Content-Security-Policy in the page forbids every fetch as a second line of defence.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import jinja2

from civicflow import __version__
from civicflow.core import ConfigurationError, InputError, Location, check_choice, utcnow
from civicflow.mining import Freq, LogView, SlaConfig, format_number, sla_or_default
from civicflow.report._assets import VENDOR_ASSETS, asset_text
from civicflow.report._format import describe_filter
from civicflow.report._model import Section
from civicflow.report._sections import REPORT_SECTIONS, SECTION_BUILDERS, evidence

ReportProgress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` while the report is built (the CLI draws a bar)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportConfig:
    """What the report shows."""

    title: str = "Process assessment"
    top_variants: int = 10
    """Variants listed and charted one by one; the rest are summarised as the long tail."""
    max_activities: int = 30
    """Largest number of activities the process map draws (the most frequent ones)."""
    path_share: float = 0.9
    """The map draws the most frequent paths covering this share of transitions (plus those that
    keep every activity connected); 1.0 draws every path."""
    map_levels: tuple[int, ...] = (5, 10, 20)
    """Smaller activity limits pre-rendered for the map's slider (clipped to ``max_activities``)."""
    top_resources: int = 20
    dotted_max_cases: int = 500
    """The dotted chart draws at most this many cases (an even sample by start beyond)."""
    spectrum_activities: tuple[str, ...] = ()
    """The sequence of the performance spectrum; empty: the transition with the largest total
    waiting time."""
    spectrum_max_lines: int = 2000
    """The performance spectrum draws at most this many lines (an even sample beyond)."""
    time_freq: Freq = "week"
    """Bucket of the arrivals and work-in-progress charts: "day", "week" or "month"."""
    breakdown_attributes: tuple[str, ...] = ()
    """Case attributes to break the key figures down by; empty means the dataset's first few
    with 2 to 25 distinct values."""
    sla: SlaConfig | None = None
    """The service level to check; None uses the dataset's default SLA (each case's deadline
    attribute, see ``mining.DEADLINE_ATTRIBUTES``), and without one there is no SLA section."""
    model: Path | None = None
    """A BPMN 2.0 reference model; no conformance section without it."""
    sections: tuple[str, ...] | None = None
    """Ids of the sections to include (see ``REPORT_SECTIONS``); None includes every one."""
    extra_sections: tuple[Section, ...] = ()
    """Sections the caller built from the workspace (e.g. the business cases), added last."""

    def check(self) -> None:
        if not 0.0 < self.path_share <= 1.0:
            raise ConfigurationError(
                "the map's path share must be above 0 and at most 1",
                where=Location(field="path_share"),
                found=str(self.path_share),
                expected="0 < path_share <= 1",
                fix="use ReportConfig(path_share=0.9), or 1.0 to draw every path",
            )
        if self.top_variants < 1 or self.max_activities < 2 or self.top_resources < 1:
            raise ConfigurationError(
                "report limits must be positive",
                found=f"top_variants={self.top_variants}, max_activities={self.max_activities}, "
                f"top_resources={self.top_resources}",
                expected="top_variants ≥ 1, max_activities ≥ 2, top_resources ≥ 1",
                fix="pass positive limits in ReportConfig",
            )
        unknown = sorted(set(self.sections or ()) - set(REPORT_SECTIONS))
        if unknown:
            raise ConfigurationError(
                f"unknown report section{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
                where=Location(field="sections"),
                found=", ".join(unknown),
                expected="some of: " + ", ".join(REPORT_SECTIONS),
                fix="pick section ids from civicflow.report.REPORT_SECTIONS",
            )
        check_choice(
            self.time_freq,
            get_args(Freq),
            what="time bucket",
            field="time_freq",
            fix="use ReportConfig(time_freq='week')",
        )


def build_report(
    *,
    view: LogView,
    out: Path,
    config: ReportConfig | None = None,
    progress: ReportProgress | None = None,
) -> Path:
    """Write the assessment of ``view`` to ``out`` as one self-contained HTML file; return its path.

    Sections appear for the analyses this installation has; each one states what it measured and on
    which data, and the header names the dataset, its fingerprint and the filter.
    """
    config = config or ReportConfig()
    config.check()
    out = Path(out)
    if out.exists() and out.is_dir():
        raise InputError(
            f"cannot write the report to {out}: it is a folder",
            where=Location(file=str(out)),
            expected="a file path such as report.html",
            fix="pass --out with a file name",
        )
    total = len(config.sections if config.sections is not None else SECTION_BUILDERS) + 2
    header, sections = _collect(view, config, progress, total)
    html = render_html(view=view, config=config, header=header, sections=sections)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)  # a half-written report never replaces a good one
    if progress is not None:
        progress("written", total, total)
    return out


def _collect(
    view: LogView, config: ReportConfig, progress: ReportProgress | None, total: int
) -> tuple[Section, list[Section]]:
    # the SLA given, or the dataset's default (each case's deadline): the definition every door uses
    config = dataclasses.replace(config, sla=sla_or_default(view, config.sla))
    wanted = set(config.sections) if config.sections is not None else set(REPORT_SECTIONS)
    steps = [("evidence", evidence), *((n, b) for n, b in SECTION_BUILDERS if n in wanted)]
    sections: list[Section] = []
    header = evidence(view, config)
    for done, (name, builder) in enumerate(steps):
        if progress is not None:
            progress(name, done, total)
        if name == "evidence":
            continue
        section = builder(view, config)
        if section is not None:
            sections.append(section)
    sections.extend(config.extra_sections)
    return header, sections


def report_data(view: LogView, *, config: ReportConfig | None = None) -> dict[str, Any]:
    """The report's content without the page: header figures and every section's figures,
    findings, tables, chart specs and map DOT, as JSON-ready data (no timestamps, so two runs on
    equal data — on any engine — give equal results)."""
    config = config or ReportConfig()
    config.check()
    header, sections = _collect(view, config, None, 0)

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, frozenset | set):
            return sorted(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {
        "header": plain(dataclasses.asdict(header)),
        "sections": [plain(dataclasses.asdict(s)) for s in sections],
    }


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("civicflow.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    return env


def _json_for_script(data: Any) -> str:
    # inside <script type="application/json"> only "</" could end the element; escaping <, > and &
    # keeps any text from the data (activity names, attribute values) inert
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(
    *, view: LogView, config: ReportConfig, header: Section, sections: list[Section]
) -> str:
    return render_sections(
        title=config.title, header=header, sections=sections, dataset=view.dataset.manifest,
        filter_lines=describe_filter(view),
    )  # fmt: skip


def render_sections(
    *,
    title: str,
    header: Section,
    sections: list[Section],
    dataset: Any,
    filter_lines: list[str],
    brand: str = "civicflow assessment report",
) -> str:
    """The report page for ``sections`` of a dataset (its manifest: name, source, format,
    counts, period, fingerprint), everything inlined."""
    data: dict[str, Any] = {"charts": {}, "map": None, "graphs": {}}
    for s in sections:
        for c in s.charts:
            data["charts"][c.id] = c.spec
        for g in s.graphs:
            data["graphs"][g.id] = g.dot
        if s.map is not None:
            data["map"] = {
                "levels": list(s.map.levels),
                "default": s.map.default_level,
                "nodes": {str(k): v for k, v in s.map.nodes.items()},
                "dots": {m: {str(k): d for k, d in v.items()} for m, v in s.map.dots.items()},
            }
    scripts = [asset_text(name) for name in VENDOR_ASSETS] + [asset_text("report.js")]
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            title=title,
            brand=brand,
            header=header,
            sections=sections,
            dataset=dataset,
            filter_lines=filter_lines,
            generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
            css=asset_text("report.css"),
            scripts=scripts,
            data_json=_json_for_script(data),
        )
    )
