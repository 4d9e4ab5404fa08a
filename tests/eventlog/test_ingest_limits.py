"""Hostile inputs cannot exhaust memory: compression bombs, an unclosed XES trace padded with
gigabytes, a log of millions of tiny events, Parquet and OCEL files that declare more than the
budget. Bombs run in a child process under an address-space limit (a safety net for the machine)
and report their peak RSS; each is refused with a clear error in bounded memory, or ingested
within the budget."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.eventlog import (
    EventStore,
    IngestLimits,
    IngestOptions,
    UnreadableSourceError,
    ingest,
)

SRC = Path(__file__).resolve().parents[2] / "src"
AS_LIMIT = 4 << 30
"""The child's address space: DuckDB and Arrow reserve far more than they touch, so this is a
net that stops a runaway ingest from taking the shared machine down, not the measure."""
RSS_BOUND_MB = 700
"""Peak RSS a refused bomb may reach (an interpreter with Arrow and DuckDB loaded is ~250 MB;
before the limits, the padded trace took 1.7 GB and then MemoryError, or 4 GB+ without a net)."""

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
from pathlib import Path
from civicflow.core import CivicflowError
from civicflow.eventlog import EventStore, ingest
out = {}
try:
    ds = ingest(workspace=EventStore.create(Path(sys.argv[2])), source=Path(sys.argv[1]), name="d")
    out["events"] = ds.manifest.events
    out["options"] = ds.manifest.options
except CivicflowError as exc:
    out["error"] = exc.to_dict()
    out["type"] = type(exc).__name__
except BaseException as exc:
    out["crash"] = repr(exc)[:500]
# VmHWM is this process's own peak: getrusage's ru_maxrss survives exec on Linux, so it would
# report the (large) pytest worker that started us whenever that one peaked higher
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
out["maxrss_mb"] = int(hwm[0].split()[1]) // 1024
print(json.dumps(out))
"""


def _ingest_in_child(source: Path, tmp_path: Path, **env: str) -> dict:
    environ = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "CIVICFLOW_HOME": str(tmp_path / "home"),
        **env,
    }
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(source), str(tmp_path / "ws"), str(AS_LIMIT)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )
    assert proc.stdout.strip(), proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "crash" not in result, result
    # nothing half-written is left in the workspace
    datasets = tmp_path / "ws" / "datasets"
    if "error" in result and datasets.exists():
        assert list(datasets.iterdir()) == []
    return result


def _members(path: Path, head: bytes, block: bytes, repeat: int, tail: bytes = b"") -> Path:
    """A multi-member gzip file: ``block`` compressed once and written ``repeat`` times (a few MB
    on disk that expand to gigabytes, made in milliseconds)."""
    packed = gzip.compress(block, 9)
    with path.open("wb") as fh:
        fh.write(gzip.compress(head))
        for _ in range(repeat):
            fh.write(packed)
        if tail:
            fh.write(gzip.compress(tail))
    return path


HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'


@pytest.mark.parametrize("filler", [b" ", b"\0"], ids=["spaces", "zeros"])
def test_an_unclosed_trace_padded_with_gigabytes_is_refused_in_bounded_memory(
    tmp_path: Path, filler: bytes
) -> None:
    # 2 GiB once decompressed, from a file of 2 MB
    bomb = _members(
        tmp_path / "bomb.xes.gz",
        HEAD + b'<trace><string key="concept:name" value="c1"/>\n',
        filler * (16 << 20),
        128,
    )
    assert bomb.stat().st_size < 3 << 20
    result = _ingest_in_child(bomb, tmp_path)
    error = result["error"]
    assert result["type"] == "UnreadableSourceError"
    assert "a trace in the XES file is larger" in error["what"]
    assert (error["file"], error["line"]) == ("bomb.xes.gz", 3)
    assert "CIVICFLOW_INGEST_MAX_ELEMENT_BYTES" in error["expected"]
    assert result["maxrss_mb"] < RSS_BOUND_MB, result


def test_a_header_padded_with_gigabytes_is_refused(tmp_path: Path) -> None:
    bomb = _members(tmp_path / "head.xes.gz", HEAD, b" " * (16 << 20), 128)
    result = _ingest_in_child(bomb, tmp_path)
    assert "the log header" in result["error"]["what"]
    assert result["maxrss_mb"] < RSS_BOUND_MB, result


def _events(case: str, n: int) -> bytes:
    event = (
        b'<event><string key="concept:name" value="a"/>'
        b'<date key="time:timestamp" value="2024-01-01T00:00:00"/></event>'
    )
    return (
        b'<trace><string key="concept:name" value="%s"/>' % case.encode()
        + event * n
        + b"</trace>\n"
    )


def test_an_expansion_beyond_the_ratio_is_refused(tmp_path: Path) -> None:
    # 2 GiB from 2 MB (gzip's ratio nears 1000:1); the trace cap is raised out of the way
    bomb = _members(
        tmp_path / "ratio.xes.gz", HEAD + _events("c", 10), b" " * (16 << 20), 128, b"</log>"
    )
    result = _ingest_in_child(bomb, tmp_path, CIVICFLOW_INGEST_MAX_ELEMENT_BYTES=str(1 << 30))
    error = result["error"]
    assert "expands far more than an event log" in error["what"]
    assert "CIVICFLOW_INGEST_MAX_EXPANSION_RATIO" in error["expected"]
    assert result["maxrss_mb"] < RSS_BOUND_MB, result


def test_a_decompressed_size_beyond_the_cap_is_refused(tmp_path: Path) -> None:
    bomb = _members(tmp_path / "size.xes.gz", HEAD, _events("c", 20_000), 40, b"</log>")
    result = _ingest_in_child(
        bomb,
        tmp_path,
        CIVICFLOW_INGEST_MAX_DECOMPRESSED_BYTES=str(16 << 20),
        CIVICFLOW_INGEST_MAX_EXPANSION_RATIO="100000",
    )
    error = result["error"]
    assert "expands to more than this server accepts" in error["what"]
    assert "16,777,216" in error["expected"]


def _many_tiny_events(path: Path, blocks: int, cases: int = 1000, per_case: int = 25) -> int:
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(HEAD)
        for b in range(blocks):
            parts = []
            for c in range(cases):
                parts.append(b'<trace><string key="concept:name" value="c%d-%d"/>' % (b, c))
                for e in range(per_case):
                    parts.append(
                        b'<event><string key="concept:name" value="a%d"/><date key="time:'
                        b'timestamp" value="2024-01-%02dT%02d:%02d:00"/></event>'
                        % (e % 7, 1 + c % 28, e % 24, e)
                    )
                parts.append(b"</trace>\n")
            fh.write(b"".join(parts))
        fh.write(b"</log>\n")
    return blocks * cases * per_case


def test_many_tiny_events_ingest_within_the_memory_budget(tmp_path: Path) -> None:
    source = tmp_path / "tiny.xes.gz"
    n = _many_tiny_events(source, blocks=8)
    result = _ingest_in_child(source, tmp_path, CIVICFLOW_INGEST_MEMORY_BUDGET=str(16 << 20))
    assert result.get("events") == n, result
    # the parsed chunks did not all wait in memory: beyond the budget's share they went to disk
    assert result["options"]["chunks_spilled"] > 0
    assert result["maxrss_mb"] < 1024, result


def test_a_truncated_xes_gz_is_a_clear_error_and_leaves_nothing(
    tmp_path: Path, workspace: EventStore
) -> None:
    whole = gzip.compress(HEAD + _events("c1", 2000) * 50 + b"</log>\n")
    source = tmp_path / "cut.xes.gz"
    source.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableSourceError) as info:
        ingest(workspace=workspace, source=source, name="cut")
    assert "truncated" in info.value.what
    assert info.value.where is not None and info.value.where.file == "cut.xes.gz"
    assert "again" in (info.value.fix or "")
    assert list(workspace.datasets_dir.iterdir()) == []


def test_a_parquet_file_that_declares_more_than_it_holds_is_refused(
    tmp_path: Path, workspace: EventStore
) -> None:
    # one 80 MiB value compresses to a few kilobytes
    table = pa.table(
        {
            "case": ["1"],
            "activity": ["x" * (80 << 20)],
            "time": ["2024-01-01T00:00:00"],
        }
    )
    source = tmp_path / "bomb.parquet"
    pq.write_table(table, source, compression="zstd")
    del table
    assert source.stat().st_size < 1 << 20
    with pytest.raises(UnreadableSourceError, match="expands far more"):
        ingest(workspace=workspace, source=source, name="bomb")
    assert list(workspace.datasets_dir.iterdir()) == []


def _ocel_sqlite_without_its_columns(path: Path) -> None:
    import sqlite3

    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE event (id TEXT); CREATE TABLE object (id TEXT);"
        "CREATE TABLE event_object (e TEXT);"
    )
    con.close()


@pytest.mark.parametrize(
    ("file", "format", "what"),
    [
        ("broken.parquet", "parquet", "not a readable Parquet"),
        ("broken.jsonocel", "ocel-json", "not valid JSON"),
        ("broken.sqlite", "ocel-sqlite", "could not be read"),
    ],
)
def test_a_corrupt_source_is_unreadable_whatever_its_format(
    tmp_path: Path, workspace: EventStore, file: str, format: str, what: str
) -> None:
    # no column mapping fixes a corrupt file: the workbench discards such an upload
    source = tmp_path / file
    if format == "ocel-sqlite":
        _ocel_sqlite_without_its_columns(source)
    else:
        source.write_bytes(b"PAR1 not parquet PAR1" if format == "parquet" else b'{"objects": [')
    with pytest.raises(UnreadableSourceError, match=what) as info:
        ingest(
            workspace=workspace, source=source, name="broken", options=IngestOptions(format=format)
        )
    assert info.value.where is not None and info.value.where.file == file
    assert info.value.found
    assert list(workspace.datasets_dir.iterdir()) == []


def test_ocel_logs_beyond_the_budget_are_refused(tmp_path: Path, workspace: EventStore) -> None:
    source = tmp_path / "log.jsonocel"
    source.write_text(
        json.dumps(
            {
                "objectTypes": [{"name": "permit", "attributes": []}],
                "eventTypes": [{"name": "submit", "attributes": []}],
                "objects": [{"id": "p1", "type": "permit"}],
                "events": [
                    {
                        "id": f"e{i}",
                        "type": "submit",
                        "time": "2024-01-01T00:00:00Z",
                        "relationships": [{"objectId": "p1", "qualifier": ""}],
                    }
                    for i in range(200)
                ],
            }
        )
    )
    small = IngestOptions(limits=IngestLimits(memory_budget=100_000))
    with pytest.raises(UnreadableSourceError, match="memory budget") as info:
        ingest(workspace=workspace, source=source, name="o", options=small)
    assert "CIVICFLOW_INGEST_MEMORY_BUDGET" in (info.value.expected or "")
    # the same log within the default budget imports
    assert ingest(workspace=workspace, source=source, name="o").manifest.events == 200


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICFLOW_INGEST_MEMORY_BUDGET", str(512 << 20))
    monkeypatch.setenv("CIVICFLOW_INGEST_MAX_ELEMENT_BYTES", str(8 << 20))
    limits = IngestLimits.from_settings()
    assert (limits.memory_budget, limits.max_element_bytes) == (512 << 20, 8 << 20)
    assert limits.held_bytes == 128 << 20 and limits.sort_bytes == 256 << 20
    monkeypatch.setenv("CIVICFLOW_INGEST_MEMORY_BUDGET", "1000")
    with pytest.raises(ConfigurationError, match="not valid") as info:
        IngestLimits.from_settings()
    assert "ingest_memory_budget" in (info.value.found or "")


def test_the_element_cap_is_an_input_error_in_process(
    tmp_path: Path, workspace: EventStore
) -> None:
    source = tmp_path / "big.xes"
    source.write_bytes(HEAD + _events("c1", 100_000) + b"</log>\n")  # 11 MB in one trace
    tight = IngestOptions(limits=IngestLimits(max_element_bytes=1 << 20))
    with pytest.raises(InputError, match="a trace in the XES file is larger"):
        ingest(workspace=workspace, source=source, name="big", options=tight)
    assert ingest(workspace=workspace, source=source, name="big").manifest.events == 100_000


def test_millions_of_bad_rows_skipped_do_not_wait_in_memory(
    tmp_path: Path, workspace: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv

    from civicflow.eventlog import _store

    monkeypatch.setattr(_store, "REJECTS_HELD", 5)
    source = tmp_path / "bad.csv"
    rows = ["case,activity,time", "1,a,2024-01-01T00:00:00"]
    rows += [f"{i},b,not a date {i}" for i in range(40)]
    source.write_text("\n".join(rows) + "\n")
    ds = ingest(
        workspace=workspace, source=source, name="bad", options=IngestOptions(on_error="skip")
    )
    assert ds.manifest.rejected == 40
    with ds.rejects_path.open() as fh:
        reasons = [r["reason"] for r in csv.DictReader(fh)]
    # all of them, in order, though only 5 were held in memory
    assert len(reasons) == 40 and "not a date 39" in reasons[-1]
    assert sorted(p.name for p in ds.path.iterdir()) == [
        "cases.parquet",
        "events.parquet",
        "manifest.json",
        "rejects.csv",
    ]
