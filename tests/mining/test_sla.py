"""SLA compliance: fixed targets (elapsed and working time), per-case deadlines, open cases, trend,
worst breaches — by hand — and the deadlines of the real receipt log recomputed with pandas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, DuckDBEngine, EventStore
from civicflow.mining import LogView, SlaConfig, WorkingCalendar, sla_compliance
from conftest import shared_file

H = 3600.0
D = 86400.0


def at(day: int, hour: float = 0.0, month: int = 1) -> datetime:
    return datetime(2024, month, day, tzinfo=UTC) + timedelta(hours=hour)


# Mon 2024-01-08 ... ; case: (activity, time) events and a deadline (text, as CSV logs carry it)
CASES = {
    # 1 day elapsed, 8.5 working hours (Mon 08:30 -> Tue 08:30 in UTC office hours)
    "c1": ([("a", at(8, 8.5)), ("z", at(9, 8.5))], "2024-01-09T12:00:00+01:00"),
    # 4 days elapsed over a weekend: Fri 16:00 -> Tue 16:00 = 1 + 8.5 + 7.5 = 17 working hours
    "c2": ([("a", at(12, 16)), ("z", at(16, 16))], "2024-01-15T00:00:00Z"),
    # February, 2 h, deadline missing
    "c3": ([("a", at(5, 10, month=2)), ("z", at(5, 12, month=2))], None),
    # still open (last activity is not 'z'), started Mon 2024-01-08 09:00
    "c4": ([("a", at(8, 9)), ("b", at(8, 10))], "2024-01-20T00:00:00Z"),
}


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    ws = EventStore.create(tmp_path_factory.mktemp("sla"))
    cols: dict[str, list] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    pos = 0
    for case, (events, _deadline) in CASES.items():
        for act, ts in events:
            for c in CORE_EVENT_SCHEMA.names:
                cols[c].append(None)
            cols["case_id"][-1], cols["activity"][-1] = case, act
            cols["timestamp"][-1], cols["position"][-1] = ts, pos
            pos += 1
    mapping = ColumnMapping(case_id="c", activity="a", timestamp="t")
    with ws.writer("sla", source="hand-written", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(cols, schema=CORE_EVENT_SCHEMA))
        w.write_cases(
            pa.table({"case_id": list(CASES), "deadline": [v[1] for v in CASES.values()]})
        )
    return LogView(engine=DuckDBEngine(), dataset=ws.dataset("sla"))


def test_fixed_target_in_elapsed_time(view: LogView) -> None:
    r = sla_compliance(view, config=SlaConfig(target_seconds=2 * D))
    # c1 1 d ok, c2 4 d late, c3 2 h ok, c4 2 h ok (no end activities: every case is closed)
    assert (r.compliant, r.breached, r.open, r.cases) == (3, 1, 0, 4)
    assert r.share == pytest.approx(3 / 4)
    assert [b.case_id for b in r.worst_breaches] == ["c2"]
    assert r.worst_breaches[0].overshoot_seconds == pytest.approx(2 * D)
    assert r.worst_breaches[0].due == "2024-01-14T16:00:00+00:00"
    # trend by month of the case end: January c1, c2, c4; February c3
    assert [(p.period, p.compliant, p.breached) for p in r.trend] == [
        ("2024-01-01", 2, 1),
        ("2024-02-01", 1, 0),
    ]


def test_fixed_target_in_working_time(view: LogView) -> None:
    office = WorkingCalendar.office_hours()  # Mon-Fri 08:30-17:00 UTC
    r = sla_compliance(view, config=SlaConfig(target_seconds=16 * H, calendar=office))
    out = r.case_outcomes.set_index("case_id")
    assert out.loc["c1", "duration_seconds"] == pytest.approx(8.5 * H)
    assert out.loc["c2", "duration_seconds"] == pytest.approx(17 * H)
    assert out.loc["c2", "status"] == "breached"
    assert r.worst_breaches[0].overshoot_seconds == pytest.approx(1 * H)
    assert r.worst_breaches[0].due is None  # a working-time target has no single due instant
    assert (r.compliant, r.breached) == (3, 1)


def test_open_cases_are_left_out_and_judged_at_as_of(view: LogView) -> None:
    cfg = SlaConfig(target_seconds=3 * D, end_activities=("z",), as_of=at(15))
    r = sla_compliance(view, config=cfg)
    # c4 started 2024-01-08 09:00 and is still open on 2024-01-15: 7 days, already late
    assert (r.compliant, r.breached, r.open, r.open_late) == (2, 1, 1, 1)
    assert r.share == pytest.approx(2 / 3)
    early = sla_compliance(
        view, config=SlaConfig(target_seconds=3 * D, end_activities=("z",), as_of=at(9))
    )
    assert (early.open, early.open_late) == (1, 0)


def test_per_case_deadline(view: LogView) -> None:
    r = sla_compliance(view, config=SlaConfig(deadline_attribute="deadline"))
    # c1 ends 08:30 UTC before 11:00 UTC; c2 ends Tue 16:00 after Mon 00:00; c3 has no deadline;
    # c4 ends 2024-01-08 10:00 before its deadline
    out = r.case_outcomes.set_index("case_id")["status"].to_dict()
    assert out == {"c1": "compliant", "c2": "breached", "c3": "no_deadline", "c4": "compliant"}
    assert (r.no_deadline, r.share) == (1, pytest.approx(2 / 3))
    assert r.worst_breaches[0].overshoot_seconds == pytest.approx(1 * D + 16 * H)
    assert r.worst_breaches[0].due == "2024-01-15T00:00:00+00:00"


def test_deadline_breach_in_working_time(view: LogView) -> None:
    office = WorkingCalendar.office_hours()
    r = sla_compliance(view, config=SlaConfig(deadline_attribute="deadline", calendar=office))
    # c2: from Mon 00:00 to Tue 16:00 -> 8.5 h + 7.5 h of working time late
    assert r.worst_breaches[0].overshoot_seconds == pytest.approx(16 * H)


def test_clear_errors(view: LogView) -> None:
    with pytest.raises(ConfigurationError, match="exactly one"):
        SlaConfig()
    with pytest.raises(ConfigurationError, match="exactly one"):
        SlaConfig(target_seconds=1.0, deadline_attribute="deadline")
    with pytest.raises(ConfigurationError, match="positive"):
        SlaConfig(target_seconds=0)
    with pytest.raises(InputError, match="not in the dataset") as err:
        sla_compliance(view, config=SlaConfig(deadline_attribute="dedline"))
    assert "deadline" in (err.value.expected or "")


def test_to_dict_is_json_ready(view: LogView) -> None:
    import json

    d = json.loads(json.dumps(sla_compliance(view, config=SlaConfig(target_seconds=D)).to_dict()))
    assert d["config"]["target_seconds"] == D
    assert "at most 1.0 d (86,400 s)" in d["definition"]


@pytest.fixture(scope="module")
def receipt(tmp_path_factory: pytest.TempPathFactory) -> tuple[LogView, pd.DataFrame]:
    from civicflow.eventlog import ingest

    path = shared_file("eventlogs", "receipt_with_deadlines.csv")
    ws = EventStore.create(tmp_path_factory.mktemp("receipt"))
    ds = ingest(workspace=ws, source=path, name="receipt")
    return LogView(engine=DuckDBEngine(), dataset=ds), pd.read_csv(path, dtype=str)


def test_receipt_deadlines_match_pandas(receipt: tuple[LogView, pd.DataFrame]) -> None:
    view, raw = receipt
    r = sla_compliance(view, config=SlaConfig(deadline_attribute="case:deadline"))
    ts = pd.to_datetime(raw["time:timestamp"], utc=True, format="ISO8601")
    last = ts.groupby(raw["case:concept:name"]).max()
    deadline = (
        pd.to_datetime(raw["case:deadline"], utc=True, format="ISO8601")
        .groupby(raw["case:concept:name"])
        .first()
    )
    on_time = (last <= deadline)[deadline.notna()]
    assert r.cases == raw["case:concept:name"].nunique()
    assert r.no_deadline == int(deadline.isna().sum())
    assert (r.compliant, r.breached) == (int(on_time.sum()), int((~on_time).sum()))
    worst = (last - deadline).dt.total_seconds().sort_values(ascending=False)
    assert r.worst_breaches[0].case_id == worst.index[0]
    assert r.worst_breaches[0].overshoot_seconds == pytest.approx(worst.iloc[0])
