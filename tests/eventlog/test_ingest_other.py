"""OCEL 2.0 flattening, Parquet typing and streaming, format detection, and the CLI commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicflow.core import ConfigurationError, InputError, NotFoundError
from civicflow.eventlog import EventStore, IngestOptions, IngestProgress, detect_importer, ingest

OCEL = {
    "objectTypes": [
        {"name": "order", "attributes": [{"name": "total", "type": "float"}]},
        {"name": "item", "attributes": []},
    ],
    "eventTypes": [{"name": "place", "attributes": []}, {"name": "pick", "attributes": []}],
    "objects": [
        {
            "id": "o1",
            "type": "order",
            "attributes": [
                {"name": "total", "time": "2024-01-01T00:00:00Z", "value": 10},
                {"name": "total", "time": "2024-01-05T00:00:00Z", "value": 12},
            ],
        },
        {"id": "o2", "type": "order", "attributes": []},
        {"id": "i1", "type": "item"},
        {"id": "i2", "type": "item"},
    ],
    "events": [
        {
            "id": "e1",
            "type": "place",
            "time": "2024-01-02T09:00:00Z",
            "attributes": [{"name": "channel", "value": "web"}],
            "relationships": [
                {"objectId": "o1", "qualifier": "order"},
                {"objectId": "i1", "qualifier": "part"},
                {"objectId": "i2", "qualifier": "part"},
            ],
        },
        {
            "id": "e2",
            "type": "pick",
            "time": "2024-01-03T09:00:00Z",
            "relationships": [{"objectId": "i1", "qualifier": "picked"}],
        },
        {
            "id": "e3",
            "type": "place",
            "time": "2024-01-02T10:00:00Z",
            "relationships": [{"objectId": "o2", "qualifier": "order"}],
        },
    ],
}


def _ocel(tmp_path: Path) -> Path:
    path = tmp_path / "log.jsonocel"
    path.write_text(json.dumps(OCEL))
    return path


def test_ocel_flattened_per_object_type(tmp_path: Path, workspace: EventStore) -> None:
    src = _ocel(tmp_path)
    orders = ingest(
        workspace=workspace,
        source=src,
        name="orders",
        options=IngestOptions(ocel_object_type="order"),
    )
    rows = sorted(pq.read_table(orders.events_path).to_pylist(), key=lambda r: r["position"])
    assert [(r["case_id"], r["activity"], r["position"]) for r in rows] == [
        ("o1", "place", 0),
        ("o2", "place", 2),
    ]
    assert rows[0]["channel"] == "web"
    cases = {r["case_id"]: r for r in pq.read_table(orders.cases_path).to_pylist()}
    assert cases["o1"]["case:total"] == 12  # the latest value
    assert orders.manifest.options["ocel_events_without_object_of_type"] == 1
    items = ingest(
        workspace=workspace,
        source=src,
        name="items",
        options=IngestOptions(ocel_object_type="item"),
    )
    rows = sorted(
        pq.read_table(items.events_path).to_pylist(), key=lambda r: (r["position"], r["case_id"])
    )
    # e1 concerns both items: it is an event of each case, with the same position
    assert [(r["case_id"], r["activity"], r["position"]) for r in rows] == [
        ("i1", "place", 0),
        ("i2", "place", 0),
        ("i1", "pick", 1),
    ]


def test_ocel_with_several_types_needs_a_choice(tmp_path: Path, workspace: EventStore) -> None:
    with pytest.raises(ConfigurationError) as err:
        ingest(workspace=workspace, source=_ocel(tmp_path), name="d")
    assert "'order'" in (err.value.found or "") and "'item'" in (err.value.found or "")
    assert "--object-type" in (err.value.fix or "")
    with pytest.raises(ConfigurationError, match="no object type 'person'"):
        ingest(
            workspace=workspace,
            source=_ocel(tmp_path),
            name="d",
            options=IngestOptions(ocel_object_type="person"),
        )


def test_invalid_ocel_json_names_the_line(tmp_path: Path, workspace: EventStore) -> None:
    path = tmp_path / "bad.jsonocel"
    path.write_text('{"objectTypes": [],\n "events": [,]}')
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=path, name="d")
    assert err.value.where is not None and err.value.where.line == 2


def test_parquet_keeps_types_and_streams_with_progress(
    tmp_path: Path, workspace: EventStore
) -> None:
    n = 10_000
    table = pa.table(
        {
            "case": pa.array([i // 4 for i in range(n)], pa.int64()),  # integer ids become text
            "activity": pa.array([f"a{i % 4}" for i in range(n)]).dictionary_encode(),
            "timestamp": pa.array([i * 1_000_000 for i in range(n)], pa.timestamp("us")),
            "cost": pa.array([float(i) for i in range(n)]),
            "weight": pa.array([i % 7 for i in range(n)], pa.int32()),
        }
    )
    path = tmp_path / "log.parquet"
    pq.write_table(table, path, row_group_size=3_000)
    seen: list[IngestProgress] = []
    ds = ingest(
        workspace=workspace,
        source=path,
        name="d",
        options=IngestOptions(batch_size=2_500, timezone="Europe/Amsterdam"),
        progress=seen.append,
    )
    assert (ds.manifest.events, ds.manifest.cases) == (n, n // 4)
    assert [p.done for p in seen if p.unit == "events"][-1] == n
    t = pq.read_table(ds.events_path)
    assert t.schema.field("weight").type == pa.int32()
    first = sorted(t.to_pylist(), key=lambda r: r["position"])[0]
    assert first["case_id"] == "0" and first["cost"] == 0.0
    # naive 1970-01-01 00:00 in Amsterdam (UTC+1 in winter) is 1969-12-31 23:00 UTC
    assert first["timestamp"].isoformat() == "1969-12-31T23:00:00+00:00"


def test_format_detection_by_content_when_the_suffix_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_text(json.dumps(OCEL))
    assert detect_importer(path).name == "ocel-json"
    path.write_text("case,activity,timestamp\na,b,2024-01-01\n")
    assert detect_importer(path).name == "csv"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="format"):
        detect_importer(path)


def test_missing_source_and_unknown_format(tmp_path: Path, workspace: EventStore) -> None:
    with pytest.raises(NotFoundError):
        ingest(workspace=workspace, source=tmp_path / "nope.csv", name="d")
    path = tmp_path / "log.csv"
    path.write_text("case,activity,timestamp\na,b,2024-01-01\n")
    with pytest.raises(NotFoundError, match="importer"):
        ingest(workspace=workspace, source=path, name="d", options=IngestOptions(format="excel"))


class _Run:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``civicflow`` in-process through its real entry point (clear errors, exit codes)."""
    from civicflow.cli import main

    def run(*args: str) -> _Run:
        monkeypatch.setattr(sys, "argv", ["civicflow", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return _Run(code, out.out, out.err)

    return run


def test_cli_ingest_datasets_and_errors(tmp_path: Path, cli) -> None:
    src = tmp_path / "permits.csv"
    src.write_text(
        "Case ID;Activity;Complete Timestamp;who\n1;Submit;05-03-2024 10:00;ann\n1;Check;05-03-2024 11:30;bob\n"
    )
    ws = str(tmp_path / "ws")
    out = cli("ingest", str(src), "--workspace", ws, "--resource", "who", "--json")
    assert out.returncode == 0, out.stderr
    manifest = json.loads(out.stdout)
    assert (manifest["name"], manifest["events"], manifest["cases"]) == ("permits", 2, 1)
    assert manifest["mapping"]["resource"] == "who"
    assert manifest["options"]["timestamp_formats"] == {"Complete Timestamp": "%d-%m-%Y %H:%M"}
    listed = json.loads(cli("datasets", "list", "--workspace", ws, "--json").stdout)
    assert [d["name"] for d in listed] == ["permits"]
    again = cli("ingest", str(src), "--workspace", ws)
    assert again.returncode == 2 and "--replace" in again.stderr
    bad = cli("ingest", str(src), "--workspace", ws, "--name", "x", "--case-id", "Case")
    assert bad.returncode == 2
    assert "did you mean 'Case ID'" in bad.stderr
    shown = json.loads(cli("datasets", "show", "permits", "--workspace", ws, "--json").stdout)
    assert shown["fingerprint"] == manifest["fingerprint"]
    assert cli("datasets", "delete", "permits", "--workspace", ws, "--yes").returncode == 0
    assert json.loads(cli("datasets", "list", "--workspace", ws, "--json").stdout) == []
    missing = cli("datasets", "show", "permits", "--workspace", ws)
    assert missing.returncode == 2 and "no dataset 'permits'" in missing.stderr
