"""The comparison report: two views of one dataset side by side in one self-contained HTML file
(both maps coloured by their change, key figures and waits with their tests), offline like the
assessment report; ``comparison_rows`` gives the formatted rows the workbench shows too."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicflow import __version__
from civicflow.core import InputError, Location, utcnow
from civicflow.mining import CHANGE_COLOURS, Comparison, format_compared, format_duration
from civicflow.report._assets import asset_text
from civicflow.report._format import describe_filter


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparisonRow:
    """One compared figure as people read it."""

    label: str
    a: str
    b: str
    change: str
    test: str
    p_value: str
    verdict: str


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _change(rel: float | None, absolute: float | None, unit: str) -> str:
    if unit == "share" and absolute is not None:
        return f"{absolute * 100:+.1f} points"
    if rel is None:
        return "—"
    return f"{rel * 100:+.1f} %"


def comparison_rows(cmp: Comparison) -> list[ComparisonRow]:
    """The key figures: A, B, the change, the test, its p-value and the verdict."""
    return [
        ComparisonRow(
            label=k.label, a=format_compared(k.a, k.unit), b=format_compared(k.b, k.unit),
            change=_change(k.relative_change, k.absolute_change, k.unit),
            test=k.test.test if k.test else "—", p_value=_p(k.p_value), verdict=k.verdict,
        )
        for k in cmp.kpis
    ]  # fmt: skip


def wait_rows(cmp: Comparison) -> list[ComparisonRow]:
    """Median waiting time before each activity (per instance), A and B, with its test."""
    return [
        ComparisonRow(
            label=w.name,
            a=f"{format_duration(w.median_wait_a)} ({w.instances_a:,})",
            b=f"{format_duration(w.median_wait_b)} ({w.instances_b:,})",
            change=_change(w.relative_change, None, "seconds"),
            test=w.test.test if w.test else "—",
            p_value=_p(w.test.p_value if w.test else None),
            verdict=w.verdict,
        )
        for w in cmp.waits
    ]


def comparison_context(cmp: Comparison) -> dict[str, Any]:
    """What a page showing the comparison needs (the report's template and the workbench's)."""
    return {
        "cmp": cmp,
        "label_a": cmp.config.label_a,
        "label_b": cmp.config.label_b,
        "filter_a": describe_filter(cmp.filter_a),
        "filter_b": describe_filter(cmp.filter_b),
        "kpi_rows": comparison_rows(cmp),
        "wait_rows": wait_rows(cmp),
        "colours": CHANGE_COLOURS,
        "threshold": f"{cmp.config.min_change * 100:.0f} %",
        "alpha": cmp.config.alpha,
        "dots": {
            metric: {"a": cmp.to_dot("a", metric), "b": cmp.to_dot("b", metric)}  # type: ignore[arg-type]
            for metric in ("frequency", "performance")
        },
    }


def build_comparison_report(cmp: Comparison, *, out: Path, title: str | None = None) -> Path:
    """Write the comparison as one self-contained HTML file (opens offline); return its path."""
    from civicflow.report._report import _env, _json_for_script

    out = Path(out)
    if out.is_dir():
        raise InputError(
            f"cannot write the report to {out}: it is a folder",
            where=Location(file=str(out)),
            expected="a file path such as comparison.html",
            fix="pass --out with a file name",
        )
    context = comparison_context(cmp)
    html = (
        _env()
        .get_template("comparison.html.j2")
        .render(
            title=title or f"{cmp.config.label_a} against {cmp.config.label_b}",
            dataset=cmp.dataset,
            fingerprint=cmp.fingerprint,
            generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
            css=asset_text("report.css"),
            viz=asset_text("viz"),
            dots_json=_json_for_script(context["dots"]),
            duration=format_duration,
            **context,
        )
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return out
