"""KPI values on a hand-built log, each expected value worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from civicflow.core import InputError
from civicflow.eventlog import (
    CORE_EVENT_SCHEMA,
    TIMESTAMP_TYPE,
    ColumnMapping,
    DuckDBEngine,
    EventStore,
)
from civicflow.mining import KPI_DEFINITIONS, EventLogFilter, LogView, SlaConfig, compute_kpis

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def d(days: float) -> datetime:
    return T0 + timedelta(days=days)


# case -> [(activity, start day or None, completion day, cost or None)]
LOG = {
    "c1": [("a", 0, 0, 10.0), ("b", 2, 3, 20.0), ("c", 3, 4, None)],
    "c2": [("a", None, 1, None), ("a", None, 2, None), ("c", None, 4, None)],
    "c3": [("a", None, 10, 5.0), ("c", 11, 12, None)],
    "c4": [("a", None, 14, None), ("b", 14.5, 15, None), ("c", 20, 21, None)],
}
DEADLINES = {"c1": d(5), "c2": d(3), "c3": None, "c4": d(21)}
DISTRICT = {"c1": "north", "c2": "south", "c3": "north", "c4": "south"}


def _write(ws: EventStore, name: str, log: dict, cases: pa.Table | None = None) -> None:
    rows: dict[str, list] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    pos = 0
    for case, events in log.items():
        for act, start, end, cost in events:
            rows["case_id"].append(case)
            rows["activity"].append(act)
            rows["timestamp"].append(d(end))
            rows["start_timestamp"].append(None if start is None else d(start))
            rows["resource"].append(None)
            rows["lifecycle"].append("complete")
            rows["cost"].append(cost)
            rows["position"].append(pos)
            pos += 1
    mapping = ColumnMapping(case_id="case", activity="act", timestamp="ts")
    with ws.writer(name, source="hand-built", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(rows, schema=CORE_EVENT_SCHEMA))
        if cases is not None:
            w.write_cases(cases)


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("kpis"))
    cases = pa.table(
        {
            "case_id": list(LOG),
            "deadline": pa.array([DEADLINES[c] for c in LOG], TIMESTAMP_TYPE),
            "district": [DISTRICT[c] for c in LOG],
        }
    )
    _write(ws, "hand", LOG, cases)
    return LogView(engine=DuckDBEngine(), dataset=ws.dataset("hand"))


EXPECTED = {
    "case_count": 4,
    "events_per_case": 11 / 4,
    # throughput (first to last completion): c1 4, c2 3, c3 2, c4 7 days
    "throughput_median_days": 3.5,
    "throughput_mean_days": 4.0,
    "throughput_p90_days": 4 + 0.7 * (7 - 4),  # sorted 2,3,4,7; position 0.9*3 = 2.7
    "rework_share": 1 / 4,  # c2 repeats 'a'
    "variant_count": 3,  # abc (c1, c4), aac, ac
    "top10_variant_share": 1.0,
    # waiting: c1 (2-0)+(3-3)=2; c2 (2-1)+(4-2)=3 (no starts: completion gaps); c3 11-10=1;
    # c4 (14.5-14)+(20-15)=5.5 -> sorted 1, 2, 3, 5.5
    "median_waiting_days": 2.5,
    "arrivals_per_week": 4 / 2,  # first events on days 0, 1, 10, 14: two weeks
    "cost_per_case": (10 + 20 + 5) / 4,
}


def test_kpis_equal_hand_computed_values(view: LogView) -> None:
    snap = compute_kpis(view)
    for name, expected in EXPECTED.items():
        assert snap.value(name) == pytest.approx(expected), name
    assert snap.value("sla_compliance_share") is None
    assert "SLA" in (snap["sla_compliance_share"].note or "")
    assert snap.cases == 4
    assert snap.events == 11


def test_every_value_carries_its_definition_and_the_data_fingerprint(view: LogView) -> None:
    snap = compute_kpis(view, names=["rework_share", "case_count"])
    assert [v.name for v in snap] == ["rework_share", "case_count"]
    for v in snap:
        assert v.fingerprint == view.dataset.manifest.fingerprint
        assert v.dataset == "hand"
        assert v.definition == KPI_DEFINITIONS[v.name].definition
    as_json = snap.to_dict()
    assert as_json["kpis"][0]["definition"].startswith("The share of cases")
    assert list(snap.frame["name"]) == ["rework_share", "case_count"]


def test_sla_compliance_with_deadline_and_with_target(view: LogView) -> None:
    # deadlines: c1 ends day 4 <= 5 ok; c2 ends 4 > 3 late; c3 has none; c4 ends 21 <= 21 ok
    by_deadline = compute_kpis(
        view, names=["sla_compliance_share"], sla=SlaConfig(deadline_attribute="deadline")
    )
    assert by_deadline.value("sla_compliance_share") == pytest.approx(2 / 3)
    assert "deadline" in by_deadline["sla_compliance_share"].definition
    # target 3.5 days: throughputs 4, 3, 2, 7 -> two of four within
    by_target = compute_kpis(
        view, names=["sla_compliance_share"], sla=SlaConfig(target_seconds=3.5 * 86400)
    )
    assert by_target.value("sla_compliance_share") == pytest.approx(0.5)


def test_filters_apply_to_kpis(view: LogView) -> None:
    north = view.with_filter(EventLogFilter(case_attributes=(("district", ("north",)),)))
    snap = compute_kpis(north, names=["case_count", "throughput_mean_days", "rework_share"])
    assert snap.value("case_count") == 2  # c1, c3
    assert snap.value("throughput_mean_days") == pytest.approx((4 + 2) / 2)
    assert snap.value("rework_share") == 0.0
    assert snap.filter["case_attributes"] == {"district": ["north"]}


def test_top10_share_with_more_than_ten_variants(tmp_path) -> None:
    # variant 0 has three cases, variants 1..11 one each: 14 cases, top ten = 3 + 9
    log: dict = {}
    for v in range(12):
        for k in range(3 if v == 0 else 1):
            log[f"v{v}-{k}"] = [("start", None, 0, None), (f"x{v}", None, 1, None)]
    ws = EventStore.create(tmp_path / "ws")
    _write(ws, "many", log)
    snap = compute_kpis(LogView(engine=DuckDBEngine(), dataset=ws.dataset("many")))
    assert snap.value("variant_count") == 12
    assert snap.value("top10_variant_share") == pytest.approx(12 / 14)
    assert snap.value("cost_per_case") is None  # no cost recorded at all


def test_unknown_kpi_is_a_clear_error(view: LogView) -> None:
    with pytest.raises(InputError, match="unknown KPI") as err:
        compute_kpis(view, names=["throughput"])
    assert "throughput_median_days" in (err.value.expected or "")


def test_definitions_are_complete() -> None:
    required = {
        "case_count",
        "events_per_case",
        "throughput_median_days",
        "throughput_mean_days",
        "throughput_p90_days",
        "rework_share",
        "variant_count",
        "top10_variant_share",
        "median_waiting_days",
        "sla_compliance_share",
        "arrivals_per_week",
    }
    assert required <= set(KPI_DEFINITIONS)
    for d_ in KPI_DEFINITIONS.values():
        assert d_.direction in ("lower_is_better", "higher_is_better", "neutral")
        assert len(d_.definition) > 30 and d_.label and d_.unit


def test_lifecycle_start_events_are_not_rework(tmp_path) -> None:
    # one case: 'a' started day 0 and completed day 1 (two events, one instance), then 'b' on day 3
    rows = {
        "case_id": ["x", "x", "x"],
        "activity": ["a", "a", "b"],
        "timestamp": [d(0), d(1), d(3)],
        "start_timestamp": [None, None, None],
        "resource": [None, None, None],
        "lifecycle": ["start", "complete", "complete"],
        "cost": [None, None, None],
        "position": [0, 1, 2],
    }
    ws = EventStore.create(tmp_path / "ws")
    mapping = ColumnMapping(case_id="case", activity="act", timestamp="ts")
    with ws.writer("life", source="hand-built", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(rows, schema=CORE_EVENT_SCHEMA))
    snap = compute_kpis(LogView(engine=DuckDBEngine(), dataset=ws.dataset("life")))
    assert snap.value("rework_share") == 0.0
    assert snap.value("events_per_case") == 3.0
    # 'b' has no start: it waits from a's completion (day 1) to its own timestamp (day 3)
    assert snap.value("median_waiting_days") == pytest.approx(2.0)
    assert snap.value("throughput_median_days") == pytest.approx(3.0)


@pytest.mark.parametrize(
    "log", ["Receipt_phase_environmental_permit_WABO", "Sepsis_Cases-Event_Log"]
)
def test_kpis_on_real_logs_equal_pm4py_and_pandas(log: str) -> None:
    import numpy as np
    import pm4py

    from realdata import pm4py_frame, real_dataset

    ds = real_dataset(log)
    df = pm4py_frame(log)
    snap = compute_kpis(LogView(engine=DuckDBEngine(), dataset=ds))
    cases = df["case:concept:name"].nunique()
    assert snap.value("case_count") == cases
    assert snap.value("events_per_case") == pytest.approx(len(df) / cases)

    durations = np.array(pm4py.get_all_case_durations(df)) / 86400
    assert snap.value("throughput_median_days") == pytest.approx(np.median(durations))
    assert snap.value("throughput_mean_days") == pytest.approx(durations.mean())
    assert snap.value("throughput_p90_days") == pytest.approx(np.percentile(durations, 90))

    counts = sorted(
        (len(c) if isinstance(c, list) else c for c in pm4py.get_variants(df).values()),
        reverse=True,
    )
    assert snap.value("variant_count") == len(counts)
    assert snap.value("top10_variant_share") == pytest.approx(sum(counts[:10]) / cases)

    finished = df
    if "lifecycle:transition" in df.columns:
        finished = df[
            ~df["lifecycle:transition"]
            .str.lower()
            .isin(["start", "schedule", "assign", "reassign", "suspend", "resume"])
        ]
    repeats = finished.groupby(["case:concept:name", "concept:name"]).size()
    with_rework = repeats[repeats > 1].reset_index()["case:concept:name"].nunique()
    assert snap.value("rework_share") == pytest.approx(with_rework / cases)
