"""Filter stacks: every step survives JSON and the query string, bad input says where, saved sets
read back, and a hand-made log gives the counts worked out by hand.

    c1: a (d1 00:00) b (01:00) c (03:00)
    c2: a (d2 00:00) c (02:00)
    c3: a (d3 00:00) b (03:00) b (03:30) c (04:00)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from civicflow.core import InputError, NotFoundError
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import (
    STEP_TYPES,
    AttributeStep,
    BetweenStep,
    CaseQuery,
    DurationStep,
    EndpointStep,
    EventLogFilter,
    FilterStack,
    FollowsStep,
    LogView,
    TimeFrameStep,
    VariantStep,
    case_list,
    filter_funnel,
    list_filter_sets,
    load_filter_set,
    read_stack_file,
    step_from_dict,
)
from realdata import make_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0

EVERY_KIND = FilterStack(
    (
        TimeFrameStep(start=T0, end=datetime(2024, 1, 3, tzinfo=UTC), mode="started"),
        AttributeStep(attribute="district", values=("north", "east"), level="case", exclude=True),
        FollowsStep(source="a", target="b", directly=True),
        EndpointStep(at="end", activities=("c",)),
        VariantStep(ids=("abc",), ranks=(1, 3), top=2, exclude=True),
        DurationStep(min_seconds=60.0),
        BetweenStep(source="a", target="c", max_seconds=3 * H),
    )
)


def _at(day: int, hours: float) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC).replace(hour=int(hours), minute=int(hours % 1 * 60))


@pytest.fixture
def view(workspace) -> LogView:
    events = [
        ("c1", "a", _at(1, 0)), ("c1", "b", _at(1, 1)), ("c1", "c", _at(1, 3)),
        ("c2", "a", _at(2, 0)), ("c2", "c", _at(2, 2)),
        ("c3", "a", _at(3, 0)), ("c3", "b", _at(3, 3)), ("c3", "b", _at(3, 3.5)),
        ("c3", "c", _at(3, 4)),
    ]  # fmt: skip
    dataset = make_dataset(
        workspace,
        "hand",
        events,
        case_attributes={"c1": {"d": "north"}, "c2": {"d": "south"}, "c3": {"d": "north"}},
    )
    engine = DuckDBEngine()
    yield LogView(engine=engine, dataset=dataset)
    engine.close()


def test_every_kind_of_step_survives_json_and_the_query_string() -> None:
    assert {type(s).kind for s in EVERY_KIND.steps} == set(STEP_TYPES)
    assert FilterStack.from_dict(json.loads(EVERY_KIND.to_json())) == EVERY_KIND
    assert FilterStack.from_query([v for _, v in EVERY_KIND.to_query()]) == EVERY_KIND
    f = EventLogFilter(variants=("x",), steps=EVERY_KIND.steps)
    assert EventLogFilter.from_dict(f.to_dict()) == f
    # a filter without steps keeps its stored form (the keys of earlier baselines stay equal)
    assert "steps" not in EventLogFilter(variants=("x",)).to_dict()


def test_bad_steps_say_where_and_what() -> None:
    with pytest.raises(InputError) as e:
        FilterStack.from_dict({"steps": [{"kind": "follows", "source": "a"}]})
    assert e.value.where.field == "steps[0]" and "'target' is missing" in str(e.value)
    with pytest.raises(InputError) as e:
        step_from_dict({"kind": "nope"})
    assert "follows" in str(e.value.expected)
    with pytest.raises(InputError) as e:
        FilterStack.from_query(["{not json"])
    assert e.value.where.field == "step[0]"


def test_steps_run_in_order_with_hand_counted_funnel(view: LogView) -> None:
    stack = FilterStack(
        (
            FollowsStep(source="a", target="b", directly=True),  # c1, c3
            BetweenStep(source="a", target="b", max_seconds=2 * H),  # c1 (1 h); c3 took 3 h
        )
    )
    funnel = filter_funnel(view.with_filter(EventLogFilter.from_stack(stack)))
    assert [(r.label, r.cases, r.events) for r in funnel.rows] == [
        ("all cases", 3, 9),
        ("cases where a is directly followed by b", 2, 7),
        ("cases taking … to 2.0 h from a to b", 1, 3),
    ]

    # eventually: b later than a in c1 and c3; not b -> a anywhere; b -> b only in c3
    def ids(*steps):
        f = view.with_filter(EventLogFilter(steps=steps))
        return sorted(view.execute(f.case_summary.select("case_id"))["case_id"])

    assert ids(FollowsStep(source="b", target="a")) == []
    assert ids(FollowsStep(source="b", target="b")) == ["c3"]
    assert ids(FollowsStep(source="a", target="b", exclude=True)) == ["c2"]
    assert ids(EndpointStep(at="start", activities=("a",))) == ["c1", "c2", "c3"]
    assert ids(AttributeStep(attribute="d", values=("north",))) == ["c1", "c3"]
    # three variants of one case each: the tie goes by activity sequence, a,b,b,c (c3) first
    assert ids(VariantStep(top=1)) == ["c3"]
    assert ids(VariantStep(ranks=(3,))) == ["c2"]
    assert ids(
        AttributeStep(attribute="d", values=("north",), exclude=True), VariantStep(top=1)
    ) == ["c2"]
    with pytest.raises(InputError) as e:
        ids(AttributeStep(attribute="colour", values=("red",)))
    assert "no such attribute" in str(e.value)


def test_case_list_pages_and_sorts(view: LogView) -> None:
    by_duration = case_list(view, query=CaseQuery(sort="duration", descending=True, page_size=2))
    assert [r.case_id for r in by_duration.rows] == ["c3", "c1"] and by_duration.pages == 2
    assert [r.throughput_seconds for r in by_duration.rows] == [4 * H, 3 * H]
    second = case_list(view, query=CaseQuery(sort="duration", descending=True, page=2, page_size=2))
    assert [r.case_id for r in second.rows] == ["c2"]
    waits = case_list(view, query=CaseQuery(edge=("b", "b")))
    assert [(r.case_id, r.wait_seconds) for r in waits.rows] == [("c3", 0.5 * H)]
    with pytest.raises(InputError):
        CaseQuery(sort="colour")  # type: ignore[arg-type]


def test_saved_sets_and_files(workspace, tmp_path) -> None:
    assert list_filter_sets(workspace) == []
    with pytest.raises(NotFoundError):
        load_filter_set(workspace, "none")
    with pytest.raises(InputError):
        load_filter_set(workspace, "../escape")
    file = tmp_path / "stack.json"
    file.write_text(EVERY_KIND.to_json(), encoding="utf-8")
    assert read_stack_file(file) == EVERY_KIND
    file.write_text("{", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_stack_file(file)
    assert e.value.where.line == 1
