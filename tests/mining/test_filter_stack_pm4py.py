"""Each filter step keeps the same cases as PM4Py's equivalent filter on real logs (PM4Py is a test
oracle only). PM4Py gets the log sorted by case, timestamp and file order — the order civicflow
stores — since its follows and between filters read the frame's row order."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pytest

from civicflow.eventlog import DuckDBEngine
from civicflow.mining import (
    AttributeStep,
    BetweenStep,
    DurationStep,
    EndpointStep,
    EventLogFilter,
    FilterStep,
    FollowsStep,
    LogView,
    TimeFrameStep,
    VariantStep,
    filter_funnel,
    variant_id,
)
from realdata import pm4py_frame, real_dataset

pm4py = pytest.importorskip("pm4py", reason="PM4Py (test extra) is the oracle for these tests")
pytestmark = pytest.mark.filterwarnings("ignore")

CASE = "case:concept:name"
LOGS = ("Receipt_phase_environmental_permit_WABO", "Sepsis_Cases-Event_Log")


@pytest.fixture(scope="module")
def engine() -> Any:
    e = DuckDBEngine()
    yield e
    e.close()


@pytest.fixture(scope="module", params=LOGS)
def log(request: pytest.FixtureRequest, engine: DuckDBEngine) -> tuple[LogView, pd.DataFrame]:
    df = pm4py_frame(request.param)
    df = df[df["concept:name"].notna()]
    df = df.sort_values([CASE, "time:timestamp"], kind="stable").reset_index(drop=True)
    return LogView(engine=engine, dataset=real_dataset(request.param)), df


def ours(view: LogView, *steps: FilterStep) -> set[str]:
    filtered = view.with_filter(EventLogFilter(steps=steps))
    return set(view.execute(filtered.case_summary.select("case_id"))["case_id"])


def theirs(df: pd.DataFrame) -> set[str]:
    return set(df[CASE].astype(str))


def _popular_pairs(df: pd.DataFrame) -> tuple[tuple[str, str], tuple[str, str]]:
    """The most frequent directly-follows pair and an eventually-follows pair that is not always
    direct (so each filter is tested on a relation that keeps some cases and drops others)."""
    nxt = df.groupby(CASE, sort=False)["concept:name"].shift(-1)
    pairs = Counter(zip(df["concept:name"], nxt, strict=True))
    direct = next(p for p, _ in pairs.most_common() if isinstance(p[1], str) and p[0] != p[1])
    acts = [a for a, _ in Counter(df["concept:name"]).most_common(6)]
    eventual = next((a, b) for a in acts for b in acts if a != b and (a, b) != direct)
    return direct, eventual


def test_time_frame_contained_and_intersecting(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    ts = df["time:timestamp"]
    lo = ts.quantile(0.3).floor("D") + pd.Timedelta(seconds=1)
    hi = ts.quantile(0.6).floor("D") + pd.Timedelta(seconds=1)
    # PM4Py's bounds are inclusive, ours end-exclusive: no event sits exactly on a bound
    assert not ts.isin([lo, hi]).any()
    for mode, theirs_mode in (
        ("contained", "traces_contained"),
        ("intersecting", "traces_intersecting"),
    ):
        kept = pm4py.filter_time_range(
            df, lo.strftime("%Y-%m-%d %H:%M:%S"), hi.strftime("%Y-%m-%d %H:%M:%S"), mode=theirs_mode
        )
        step = TimeFrameStep(start=lo.to_pydatetime(), end=hi.to_pydatetime(), mode=mode)  # type: ignore[arg-type]
        got = ours(view, step)
        assert got == theirs(kept), mode
        assert 0 < len(got) < df[CASE].nunique()


def test_time_frame_started_and_completed(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    spans = df.groupby(CASE)["time:timestamp"].agg(["min", "max"])
    lo = spans["min"].quantile(0.25).to_pydatetime()
    hi = spans["min"].quantile(0.75).to_pydatetime()
    started = set(spans.index[(spans["min"] >= lo) & (spans["min"] < hi)].astype(str))
    completed = set(spans.index[(spans["max"] >= lo) & (spans["max"] < hi)].astype(str))
    assert ours(view, TimeFrameStep(start=lo, end=hi, mode="started")) == started
    assert ours(view, TimeFrameStep(start=lo, end=hi, mode="completed")) == completed


def test_event_attribute_values_include_and_exclude(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    column, ours_name = (
        ("org:resource", "resource") if "org:resource" in df.columns else ("org:group", "org:group")
    )
    # two values that together touch some of the cases, not all of them
    reach = df.dropna(subset=[column]).groupby(column)[CASE].nunique() / df[CASE].nunique()
    values = [str(v) for v in (reach - 0.2).abs().sort_values().index[:2]]
    for exclude in (False, True):
        kept = pm4py.filter_event_attribute_values(
            df, column, values, level="case", retain=not exclude
        )
        step = AttributeStep(
            attribute=ours_name, values=tuple(values), level="event", exclude=exclude
        )
        assert ours(view, step) == theirs(kept)


def test_case_attribute_values(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    columns = [c for c in df.columns if c.startswith("case:") and c != CASE]
    if not columns:
        pytest.skip("this log has no case attributes")
    column = min(columns, key=lambda c: (df[c].nunique() < 2, df[c].nunique()))
    value = str(df.groupby(CASE)[column].first().value_counts().index[0])
    for exclude in (False, True):
        kept = pm4py.filter_event_attribute_values(
            df, column, [value], level="case", retain=not exclude
        )
        step = AttributeStep(attribute=column, values=(value,), level="case", exclude=exclude)
        assert ours(view, step) == theirs(kept)


def test_follows_relations(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    direct, eventual = _popular_pairs(df)
    for pair in (direct, eventual):
        for exclude in (False, True):
            kept = pm4py.filter_directly_follows_relation(df, [pair], retain=not exclude)
            step = FollowsStep(source=pair[0], target=pair[1], directly=True, exclude=exclude)
            assert ours(view, step) == theirs(kept), ("directly", pair, exclude)
            kept = pm4py.filter_eventually_follows_relation(df, [pair], retain=not exclude)
            step = FollowsStep(source=pair[0], target=pair[1], directly=False, exclude=exclude)
            assert ours(view, step) == theirs(kept), ("eventually", pair, exclude)


def test_start_and_end_activities(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    starts = list(pm4py.get_start_activities(df))[:2]
    ends = list(pm4py.get_end_activities(df))[:2]
    assert ours(view, EndpointStep(at="start", activities=tuple(starts))) == theirs(
        pm4py.filter_start_activities(df, starts)
    )
    assert ours(view, EndpointStep(at="end", activities=tuple(ends))) == theirs(
        pm4py.filter_end_activities(df, ends)
    )
    assert ours(view, EndpointStep(at="end", activities=tuple(ends), exclude=True)) == theirs(
        pm4py.filter_end_activities(df, ends, retain=False)
    )


def test_variants_by_id_rank_and_top_k(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    counts = pm4py.get_variants(df)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    chosen = [ranked[1][0], ranked[3][0]]
    kept = theirs(pm4py.filter_variants(df, chosen))
    by_id = VariantStep(ids=tuple(variant_id(list(v)) for v in chosen))
    assert ours(view, by_id) == kept
    assert ours(view, VariantStep(ranks=(2, 4))) == kept
    k = next(k for k in range(3, len(ranked)) if ranked[k - 1][1] > ranked[k][1])
    assert ours(view, VariantStep(top=k)) == theirs(pm4py.filter_variants_top_k(df, k))


def test_case_performance(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    spans = df.groupby(CASE)["time:timestamp"].agg(["min", "max"])
    seconds = (spans["max"] - spans["min"]).dt.total_seconds()
    lo, hi = float(seconds.quantile(0.2)), float(seconds.quantile(0.7))
    kept = pm4py.filter_case_performance(df, lo, hi)
    assert ours(view, DurationStep(min_seconds=lo, max_seconds=hi)) == theirs(kept)


def test_between_two_activities(log: tuple[LogView, pd.DataFrame]) -> None:
    view, df = log
    _, (a, b) = _popular_pairs(df)
    sub = pm4py.filter_between(df, a, b)
    first = sub[sub[CASE].str.endswith("##@@0")]
    spans = first.groupby(CASE)["time:timestamp"].agg(["min", "max"])
    seconds = (spans["max"] - spans["min"]).dt.total_seconds()
    seconds.index = seconds.index.str.removesuffix("##@@0")
    assert ours(view, BetweenStep(source=a, target=b)) == set(seconds.index)
    cut = float(seconds.median())
    assert ours(view, BetweenStep(source=a, target=b, max_seconds=cut)) == set(
        seconds.index[seconds <= cut]
    )
    assert ours(view, BetweenStep(source=a, target=b, min_seconds=cut)) == set(
        seconds.index[seconds >= cut]
    )


def test_steps_compose_in_order_and_the_funnel_counts_each(
    log: tuple[LogView, pd.DataFrame],
) -> None:
    view, df = log
    direct, _ = _popular_pairs(df)
    steps: tuple[FilterStep, ...] = (
        FollowsStep(source=direct[0], target=direct[1], directly=True),
        VariantStep(top=3),
    )
    after_follow = pm4py.filter_directly_follows_relation(df, [direct])
    expected = theirs(pm4py.filter_variants_top_k(after_follow, 3))
    assert ours(view, *steps) == expected
    # the other order ranks the variants of the whole log first
    assert ours(view, *reversed(steps)) == theirs(
        pm4py.filter_directly_follows_relation(pm4py.filter_variants_top_k(df, 3), [direct])
    )
    funnel = filter_funnel(view.with_filter(EventLogFilter(steps=steps)))
    assert [r.cases for r in funnel.rows] == [
        df[CASE].nunique(),
        after_follow[CASE].nunique(),
        len(expected),
    ]
    assert funnel.rows[0].events == len(df)
    assert funnel.rows[1].events == len(df[df[CASE].isin(theirs(after_follow))])
