"""Variants on a hand-written log; expected values worked out by hand.

c1 a,b,c (3h)  c5 a,b,c (5h)  c2 a,c (4h+0.25s)  c6 a,c (100h)  c3 a,b,b,c (6h)  c4 b,a,d (1h; b and a
share a timestamp, b comes first in the file)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicflow.core import ConfigurationError
from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import EventLogFilter, LogView, VariantsConfig, variant_id, variants
from realdata import make_dataset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0


def at(hours: float, seconds: float = 0.0) -> datetime:
    return T0 + timedelta(hours=hours, seconds=seconds)


EVENTS = [
    ("c1", "a", at(0)),
    ("c1", "b", at(1)),
    ("c1", "c", at(3)),
    ("c2", "a", at(0)),
    ("c2", "c", at(4, 0.25)),
    ("c3", "a", at(10)),
    ("c3", "b", at(12)),
    ("c3", "b", at(13)),
    ("c3", "c", at(16)),
    ("c4", "b", at(20)),
    ("c4", "a", at(20)),
    ("c4", "d", at(21)),
    ("c5", "c", at(205)),  # written out of time order: the store sorts by timestamp
    ("c5", "a", at(200)),
    ("c5", "b", at(200.5)),
    ("c6", "a", at(30)),
    ("c6", "c", at(130)),
]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("variants"))
    return LogView(engine=DuckDBEngine(), dataset=make_dataset(ws, "small", EVENTS))


def test_all_variants_sorted_with_times(view: LogView) -> None:
    r = variants(view, top=None)
    assert [v.activities for v in r.variants] == [
        ("a", "b", "c"),
        ("a", "c"),  # ties with a,b,c on count; after it by sequence
        ("a", "b", "b", "c"),
        ("b", "a", "d"),
    ]
    assert [v.cases for v in r.variants] == [2, 2, 1, 1]
    abc, ac, abbc, bad = r.variants
    assert abc.median_throughput_seconds == pytest.approx(4 * H)
    assert abc.mean_throughput_seconds == pytest.approx(4 * H)
    assert ac.median_throughput_seconds == pytest.approx(52 * H + 0.125, abs=1e-9)
    assert abbc.median_throughput_seconds == 6 * H
    assert bad.median_throughput_seconds == 1 * H
    assert abc.share == pytest.approx(2 / 6)
    assert abc.id == variant_id(["a", "b", "c"])
    assert (r.total_variants, r.total_cases, r.tail_variants, r.tail_cases) == (4, 6, 0, 0)
    # 80 % of 6 cases is 4.8: the first three variants cover 5
    assert r.variants_for_coverage == 3


def test_long_tail(view: LogView) -> None:
    r = variants(view, top=2)
    assert [v.cases for v in r.variants] == [2, 2]
    assert (r.tail_variants, r.tail_cases) == (2, 2)
    assert r.listed_share == pytest.approx(4 / 6)
    assert r.variants_for_coverage == 3
    assert variants(view, config=VariantsConfig(coverage=0.5)).variants_for_coverage == 2
    d = r.to_dict()
    assert d["variants"][0]["activities"] == ["a", "b", "c"] and d["variants"][0]["length"] == 3
    assert list(r.frame["activities"]) == ["a → b → c", "a → c"]
    assert r.counts() == {("a", "b", "c"): 2, ("a", "c"): 2}


def test_filter_by_variant_id(view: LogView) -> None:
    f = EventLogFilter(variants=(variant_id(["a", "c"]),))
    r = variants(view.with_filter(f))
    assert r.counts() == {("a", "c"): 2}


@pytest.mark.parametrize("kwargs", [{"top": 0}, {"coverage": 0.0}, {"coverage": 1.2}])
def test_config_is_checked(kwargs: dict) -> None:
    with pytest.raises(ConfigurationError):
        VariantsConfig(**kwargs)
