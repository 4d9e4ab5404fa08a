"""Every real log in ../shared/data/eventlogs: published counts, PM4Py's reading, and the two XES
parsing paths (fast split tokeniser, lxml) agreeing chunk by chunk."""

from __future__ import annotations

import gzip

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicflow.eventlog import EventStore, IngestOptions, ingest
from conftest import shared_file
from realdata import LARGE_LOGS, REAL_LOGS, log_path, pm4py_frame, real_dataset, real_log_params

# published in ../shared/README.md (from the 4TU.ResearchData descriptions)
PUBLISHED: dict[str, tuple[int, int]] = {
    "BPIC15_1": (52_217, 1_199),
    "BPIC15_2": (44_354, 832),
    "BPIC15_3": (59_681, 1_409),
    "Road_Traffic_Fine_Management_Process": (561_470, 150_370),
    "Receipt_phase_environmental_permit_WABO": (8_577, 1_434),
    "CoSeLoG_WABO_1": (38_944, 937),
    "Sepsis_Cases-Event_Log": (15_214, 1_050),
}
SMALL_LOGS = [n for n in REAL_LOGS if n not in LARGE_LOGS]


def test_every_shared_log_has_a_published_count() -> None:
    assert set(PUBLISHED) == set(REAL_LOGS)


@pytest.mark.parametrize("name", real_log_params())
def test_counts_equal_published_and_pm4py(name: str) -> None:
    ds = real_dataset(name)
    assert (ds.manifest.events, ds.manifest.cases) == PUBLISHED[name]
    df = pm4py_frame(name)
    assert ds.manifest.events == len(df)
    assert ds.manifest.cases == df["case:concept:name"].nunique()
    assert ds.manifest.options["importer"] == "xes"


def _missing(v: object) -> bool:
    return v is None or (not isinstance(v, (list, dict, str)) and bool(pd.isna(v)))


def _same(ours: pd.Series, theirs: pd.Series) -> bool:
    for a, b in zip(ours.tolist(), theirs.tolist(), strict=True):
        if _missing(a) or _missing(b):
            if _missing(a) != _missing(b):
                return False
            continue
        if isinstance(b, pd.Timestamp):
            b = b.tz_convert("UTC").to_pydatetime()
            a = pd.Timestamp(a).tz_convert("UTC").to_pydatetime()
        if a != b:
            return False
    return True


@pytest.mark.parametrize("name", SMALL_LOGS)
def test_events_and_attributes_equal_pm4py(name: str) -> None:
    ds = real_dataset(name)
    df = pm4py_frame(name).reset_index(drop=True)
    ours = pq.read_table(ds.events_path).to_pandas().sort_values("position").reset_index(drop=True)
    assert ours["position"].tolist() == list(range(len(df)))
    assert ours["case_id"].tolist() == df["case:concept:name"].astype(str).tolist()
    # an event without concept:name takes the log's <global> default (XES semantics; PM4Py leaves NaN)
    default = ds.manifest.options["activity_filled_from_global_default"]
    theirs_activity = df["concept:name"].fillna("UNKNOWN") if default else df["concept:name"]
    assert sum(default.values()) == int(df["concept:name"].isna().sum())
    assert ours["activity"].tolist() == theirs_activity.tolist()
    theirs_ts = pd.to_datetime(df["time:timestamp"], utc=True)
    assert ours["timestamp"].dt.tz_convert("UTC").tolist() == theirs_ts.tolist()
    if "org:resource" in df.columns:
        assert _same(ours["resource"], df["org:resource"])
    if "lifecycle:transition" in df.columns:
        assert _same(ours["lifecycle"], df["lifecycle:transition"])
    compared = 0
    for col in ds.manifest.event_attributes:
        if col not in df.columns or df[col].map(lambda v: isinstance(v, dict)).any():
            continue  # PM4Py keeps nested attributes as dicts; we flatten them (checked below)
        assert _same(ours[col], df[col]), col
        compared += 1
    assert compared >= 1 or not ds.manifest.event_attributes
    cases = pq.read_table(ds.cases_path).to_pandas().set_index("case_id")
    first = df.groupby(df["case:concept:name"].astype(str), sort=True).first()
    for col in ds.manifest.case_attributes:
        if col in first.columns:
            assert _same(cases[col].loc[first.index], first[col]), col


def _chunks(name: str) -> list[bytes]:
    from civicflow.eventlog._xes import _chunks as split

    with gzip.open(log_path(name)) as fh:
        _header, body = split(fh, name, lambda: None)  # type: ignore[arg-type]
        return [chunk for chunk, _line in body]


@pytest.mark.parametrize("name", ["CoSeLoG_WABO_1", "Sepsis_Cases-Event_Log"])
def test_fast_tokeniser_equals_lxml_on_real_chunks(name: str) -> None:
    from civicflow.eventlog._xes import _attrs_fast, _attrs_from_tokens, _table, _tokens_lxml

    chunks = _chunks(name)
    assert chunks
    for chunk in chunks[:2]:
        fast = _attrs_fast(chunk, name)
        assert fast is not None, "the regular shape should take the fast path"
        slow = _attrs_from_tokens(_tokens_lxml(chunk, name, 1), name)
        assert slow is not None
        a, b = _table(fast), _table(slow)
        assert sorted(a.column_names) == sorted(b.column_names)
        assert a.equals(b.select(a.column_names))


def test_nested_attributes_are_flattened_with_their_parent_key() -> None:
    ds = real_dataset("CoSeLoG_WABO_1")
    assert {"question", "question:question_answer", "question:question_code"} <= set(
        ds.manifest.event_attributes
    )
    t = pq.read_table(ds.events_path, columns=["question", "question:question_code"])
    nested = t.filter(pa.compute.is_valid(t.column("question:question_code")))
    assert nested.num_rows > 1000


def test_receipt_csv_export_equals_the_xes_original(tmp_path) -> None:
    csv_path = shared_file("eventlogs", "receipt_with_deadlines.csv")
    ws = EventStore.create(tmp_path / "ws")
    from_csv = ingest(workspace=ws, source=csv_path, name="csv")
    from_xes = real_dataset("Receipt_phase_environmental_permit_WABO")
    cols = ["case_id", "activity", "timestamp", "resource", "lifecycle"]
    a = pq.read_table(from_csv.events_path, columns=cols).to_pylist()
    b = pq.read_table(from_xes.events_path, columns=cols).to_pylist()
    assert len(a) == 8_577
    assert sorted(a, key=repr) == sorted(b, key=repr)
    assert from_csv.manifest.options["timestamp_formats"]["time:timestamp"].startswith(
        "ISO 8601 with"
    )
    assert "case:deadline" in from_csv.manifest.case_attributes


def test_activity_name_en_and_classifier_mappings_on_bpic15(tmp_path) -> None:
    from civicflow.eventlog import ColumnMapping, xes_classifiers

    path = log_path("BPIC15_1")
    classifiers = xes_classifiers(path)
    assert classifiers["Activity classifier activityNameEN"] == (
        "activityNameEN",
        "lifecycle:transition",
    )
    ws = EventStore.create(tmp_path / "ws")
    mapping = ColumnMapping(
        case_id="case:concept:name",
        activity=classifiers["Activity classifier activityNameEN"],
        timestamp="time:timestamp",
    )
    ds = ingest(
        workspace=ws, source=path, name="b", mapping=mapping, options=IngestOptions(workers=1)
    )
    df = pm4py_frame("BPIC15_1")
    expected = set(df["activityNameEN"].astype(str) + "+" + df["lifecycle:transition"].astype(str))
    got = set(pq.read_table(ds.events_path, columns=["activity"]).column(0).to_pylist())
    assert got == expected
