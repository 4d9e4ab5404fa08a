"""Meta-tests: every door (command line, web query string, stored JSON) accepts the same filter and
SLA/calendar options, and every registered analysis is reachable from the command line, the
workbench and the report — or says why not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from civicflow.mining import ANALYSES, FILTER_OPTIONS, SLA_OPTIONS, WEB_TABS, SlaConfig
from civicflow.report import REPORT_SECTIONS

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "civicflow" / "web" / "templates"


def _command(path: tuple[str, ...]) -> Any:
    from civicflow.cli import app

    cmd: Any = typer.main.get_command(app)
    for name in path:
        if not hasattr(cmd, "get_command"):  # typer may vendor its own click: no isinstance
            return None
        cmd = cmd.get_command(_context(cmd), name)
        if cmd is None:
            return None
    return cmd


def _context(cmd: Any) -> Any:
    return cmd.make_context(cmd.name, [], resilient_parsing=True)


def _flags(cmd: Any) -> set[str]:
    return {o for p in cmd.params for o in (*p.opts, *getattr(p, "secondary_opts", ()))}


FILTER_FLAGS = {f for o in FILTER_OPTIONS for f in o.flags}
SLA_FLAGS = {f for o in SLA_OPTIONS for f in o.flags}


@pytest.mark.parametrize(
    "path",
    [("analyze", "sla"), ("analyze", "breakdown"), ("report",), ("baseline", "freeze")],
    ids=" ".join,
)
def test_every_sla_door_on_the_command_line_takes_every_option(path: tuple[str, ...]) -> None:
    cmd = _command(path)
    assert cmd is not None
    flags = _flags(cmd)
    assert flags >= SLA_FLAGS, f"civicflow {' '.join(path)} lacks {sorted(SLA_FLAGS - flags)}"
    assert flags >= FILTER_FLAGS, f"civicflow {' '.join(path)} lacks {sorted(FILTER_FLAGS - flags)}"


def test_every_view_command_takes_the_filter_options() -> None:
    from civicflow.cli._filters import STACK_FLAGS

    explorer = [("cases", "list"), ("cases", "show"), ("filters", "funnel"), ("filters", "save")]
    for path in [entry.cli for entry in ANALYSES] + explorer:
        cmd = _command(path)
        assert cmd is not None, path
        assert _flags(cmd) >= FILTER_FLAGS | set(STACK_FLAGS), path


def test_the_web_reads_every_option_by_its_name() -> None:
    from civicflow.web import _assessment as A

    # the SLA tab's cache key and form carry every SLA option; the filter every filter option
    assert set(A.SLA_KEYS) == {o.name for o in SLA_OPTIONS}
    assert {o.name for o in FILTER_OPTIONS} <= set(A.FILTER_KEYS)
    query = {
        "dataset": ["d"],
        "start": ["2024-01-01"],
        "end": ["2024-02-01"],
        "time_mode": ["completed"],
        "where": ["district=north"],
        "variant": ["abc"],
        "with_activity": ["Check"],
        "without_activity": ["Appeal"],
        "min_throughput": ["1d"],
        "max_throughput": ["9d"],
        "where_not": ["channel=mail"],
        "event_where": ["org:group=A"],
        "event_where_not": ["org:group=B"],
        "resource": ["clerk-1"],
        "starts_with": ["Submit"],
        "ends_with": ["Decide"],
        "directly_follows": ["Submit->Check"],
        "not_directly_follows": ["Check->Check"],
        "eventually_follows": ["Submit->Decide"],
        "not_eventually_follows": ["Decide->Check"],
        "between": ["Submit->Decide"],
        "min_between": ["1h"],
        "max_between": ["30d"],
        "variant_rank": ["2"],
        "variant_top": ["5"],
        "step": ['{"kind":"duration","min_seconds":60}'],
    }
    assert set(query) - {"dataset"} == {o.name for o in FILTER_OPTIONS}
    parsed = A.parse_query({k: v[0] for k, v in query.items()}, lambda k: query.get(k, []))
    f = parsed.filter
    assert f.time_mode == "completed" and f.case_attributes == (("district", ("north",)),)
    assert f.variants == ("abc",) and f.activities_present == ("Check",)
    assert f.activities_absent == ("Appeal",)
    assert (f.min_throughput_seconds, f.max_throughput_seconds) == (86400.0, 9 * 86400.0)
    # the options beyond the named conditions are steps, in the documented order
    assert [type(s).__name__ for s in f.steps] == [
        "AttributeStep", "AttributeStep", "AttributeStep", "AttributeStep", "EndpointStep",
        "EndpointStep", "FollowsStep", "FollowsStep", "FollowsStep", "FollowsStep", "BetweenStep",
        "VariantStep", "DurationStep",
    ]  # fmt: skip
    assert f.steps[-3].to_dict()["max_seconds"] == 30 * 86400.0
    assert f.steps[-2].to_dict() == {"kind": "variant", "ids": [], "ranks": [2], "top": 5,
                                     "exclude": False}  # fmt: skip
    # a stack from the query string survives the round trip to JSON
    from civicflow.mining import EventLogFilter

    assert EventLogFilter.from_dict(f.to_dict()) == f
    # every option survives into the links the page builds
    assert {k for k, _ in parsed.params} == set(query)
    sla = {
        "target": ["36h"],
        "end_activity": ["Decide"],
        "working_hours": ["08:30-17:00"],
        "timezone": ["Europe/Amsterdam"],
        "holidays": ["DE"],
        "subdivision": ["BY"],
    }
    config = A.sla_config(lambda k: sla.get(k, [])).config
    assert (
        config is not None
        and config.target_seconds == 36 * 3600
        and config.end_activities == ("Decide",)
    )
    assert config.calendar is not None and config.calendar.subdivision == "BY"
    assert config.calendar.timezone == "Europe/Amsterdam" and config.calendar.country == "DE"
    # the form sends its number of days with a deadline attribute: the attribute wins
    by_deadline = A.sla_config(
        lambda k: {"sla_days": ["30"], "deadline_attribute": ["due"]}.get(k, [])
    ).config
    assert by_deadline is not None
    assert by_deadline.deadline_attribute == "due" and by_deadline.target_seconds is None
    # no option: the default of every door, each case's deadline attribute (never a silent
    # 30-day target); a dataset without one has no SLA until one is named
    default = A.sla_config(lambda k: [], attributes=["district", "Deadline"])
    assert default.default and default.config == SlaConfig(deadline_attribute="Deadline")
    assert A.sla_config(lambda k: [], attributes=["district"]).config is None
    calendar = A.sla_config(lambda k: {"working_hours": ["08:00-16:00"]}.get(k, []),
                            attributes=["deadline"]).config  # fmt: skip
    assert calendar is not None and calendar.deadline_attribute == "deadline"
    assert calendar.calendar is not None


# -- the registry of analyses -------------------------------------------------------------------


@pytest.mark.parametrize("entry", ANALYSES, ids=lambda a: a.name)
def test_every_analysis_is_reachable_from_all_three_doors_or_says_why_not(entry: Any) -> None:
    assert _command(entry.cli) is not None, f"no command civicflow {' '.join(entry.cli)}"
    if entry.web_tab is None:
        assert entry.web_reason, f"{entry.name}: no web tab and no reason"
    else:
        assert entry.web_tab in WEB_TABS
        assert (TEMPLATES / f"_tab_{entry.web_tab}.html").is_file()
    if entry.report_section is None:
        assert entry.report_reason, f"{entry.name}: no report section and no reason"
    else:
        assert entry.report_section in REPORT_SECTIONS, entry.report_section


def test_the_doors_offer_nothing_the_registry_does_not_know() -> None:
    from civicflow.web import _assessment as A

    analyze = _command(("analyze",))
    assert analyze is not None
    registered = {a.cli for a in ANALYSES}
    for name in analyze.list_commands(_context(analyze)):
        assert ("analyze", name) in registered, f"analyze {name} is not in the registry"
    assert {a.report_section for a in ANALYSES} >= set(REPORT_SECTIONS)
    assert tuple(A.ANALYSES) == WEB_TABS
    names = [a.name for a in ANALYSES]
    assert len(names) == len(set(names))
