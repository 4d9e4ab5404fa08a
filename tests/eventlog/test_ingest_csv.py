"""CSV ingest: detection (delimiter, quoting, encoding, timestamp format), overrides, and a clear
outcome for every kind of bad input. Expected values are worked out by hand in each test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.eventlog import ColumnMapping, EventStore, IngestOptions, IngestProgress, ingest

HEADER = "case,activity,timestamp,resource\n"


def _write(tmp_path: Path, text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _events(ds) -> list[dict[str, object]]:
    return pq.read_table(ds.events_path).to_pylist()


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_semicolon_quotes_and_embedded_newlines_are_detected(
    tmp_path: Path, workspace: EventStore
) -> None:
    text = (
        "Case ID;Activity;Complete Timestamp;note\n"
        '1;"Submit; online";2024-01-05 10:00:00;"two\nlines"\n'
        '1;Check;2024-01-05 11:00:00;"say ""hi"""\n'
    )
    ds = ingest(workspace=workspace, source=_write(tmp_path, text), name="d")
    rows = _events(ds)
    assert [r["activity"] for r in rows] == ["Submit; online", "Check"]
    assert [r["note"] for r in rows] == ["two\nlines", 'say "hi"']
    assert ds.manifest.options["delimiter"] == ";"
    assert ds.mapping.case_id == "Case ID"  # guessed from common names


def test_offsets_are_converted_to_utc_and_naive_values_use_the_timezone(
    tmp_path: Path, workspace: EventStore
) -> None:
    text = (
        HEADER
        + "a,x,2024-07-01T12:00:00+02:00,r\na,y,2024-07-01T12:00:00-05:00,r\na,z,2024-07-01T12:00:00Z,r\n"
    )
    ds = ingest(workspace=workspace, source=_write(tmp_path, text), name="aware")
    assert [r["timestamp"] for r in sorted(_events(ds), key=lambda r: r["position"])] == [
        _utc(2024, 7, 1, 10),
        _utc(2024, 7, 1, 17),
        _utc(2024, 7, 1, 12),
    ]
    naive = HEADER + "a,x,2024-01-15 09:00:00,r\na,y,2024-07-15 09:00:00,r\n"
    ds = ingest(
        workspace=workspace,
        source=_write(tmp_path, naive, "naive.csv"),
        name="naive",
        options=IngestOptions(timezone="Europe/Amsterdam"),
    )
    # Amsterdam is UTC+1 in January and UTC+2 (summer time) in July
    assert [r["timestamp"] for r in _events(ds)] == [_utc(2024, 1, 15, 8), _utc(2024, 7, 15, 7)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["05-03-2024 14:30", "28-02-2024 08:05"],
            [_utc(2024, 3, 5, 14, 30), _utc(2024, 2, 28, 8, 5)],
        ),
        (["05-03-2024 14:30:15"], [_utc(2024, 3, 5, 14, 30, 15)]),
        (["03/05/2024", "12/31/2024"], [_utc(2024, 3, 5), _utc(2024, 12, 31)]),
        (["31/03/2024 10:00"], [_utc(2024, 3, 31, 10)]),
        (["1709647200"], [_utc(2024, 3, 5, 14)]),
        (["1709647200500"], [_utc(2024, 3, 5, 14, 0, 0, 500_000)]),
    ],
)
def test_timestamp_formats_are_detected(
    values: list[str], expected: list[datetime], tmp_path: Path, workspace: EventStore
) -> None:
    text = HEADER + "".join(f"c{i},x,{v},r\n" for i, v in enumerate(values))
    ds = ingest(workspace=workspace, source=_write(tmp_path, text), name="d")
    got = [r["timestamp"] for r in sorted(_events(ds), key=lambda r: r["position"])]
    assert got == expected


def test_explicit_timestamp_format_overrides_detection(
    tmp_path: Path, workspace: EventStore
) -> None:
    # 03/05 is month-first by detection; the override reads it day-first
    text = HEADER + "a,x,03/05/2024 10:00,r\n"
    ds = ingest(
        workspace=workspace,
        source=_write(tmp_path, text),
        name="d",
        options=IngestOptions(timestamp_format="%d/%m/%Y %H:%M"),
    )
    assert _events(ds)[0]["timestamp"] == _utc(2024, 5, 3, 10)


def test_mixed_naive_and_offset_timestamps_are_an_error(
    tmp_path: Path, workspace: EventStore
) -> None:
    text = HEADER + "a,x,2024-01-01T10:00:00+01:00,r\na,y,2024-01-01T11:00:00,r\n"
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=_write(tmp_path, text), name="d")
    assert "mix" in err.value.what
    assert err.value.where is not None and err.value.where.row == 2
    assert err.value.found == "2024-01-01T11:00:00"
    assert "--timezone" in (err.value.fix or "")


def test_unparseable_timestamp_fails_with_row_field_value_or_is_skipped(
    tmp_path: Path, workspace: EventStore
) -> None:
    text = (
        HEADER + "a,x,2024-01-01 10:00:00,r\na,y,2024-13-45 10:00:00,r\nb,z,2024-01-02 10:00:00,r\n"
    )
    src = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=src, name="d")
    e = err.value
    assert (e.where.file, e.where.row, e.where.field, e.found) == (  # type: ignore[union-attr]
        "log.csv",
        2,
        "timestamp",
        "2024-13-45 10:00:00",
    )
    assert workspace.dataset_names() == []
    ds = ingest(workspace=workspace, source=src, name="d", options=IngestOptions(on_error="skip"))
    assert (ds.manifest.events, ds.manifest.rejected) == (2, 1)
    assert "2024-13-45" in ds.rejects_path.read_text()


def test_missing_mapped_column_lists_columns_and_suggests_the_closest(
    tmp_path: Path, workspace: EventStore
) -> None:
    text = "case_id,activty,timestamp\na,x,2024-01-01 10:00:00\n"
    mapping = ColumnMapping(case_id="case_id", activity="activity", timestamp="timestamp")
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=_write(tmp_path, text), name="d", mapping=mapping)
    assert "'activty'" in (err.value.found or "")
    assert "did you mean 'activty'" in (err.value.fix or "")


def test_cp1252_text_is_detected_and_decoded(tmp_path: Path, workspace: EventStore) -> None:
    text = HEADER + "a,Prüfung,2024-01-01 10:00:00,José\n"
    ds = ingest(workspace=workspace, source=_write(tmp_path, text, encoding="cp1252"), name="d")
    row = _events(ds)[0]
    assert (row["activity"], row["resource"]) == ("Prüfung", "José")
    assert ds.manifest.options["encoding"] == "cp1252"


def test_utf8_bom_does_not_leak_into_the_first_column(
    tmp_path: Path, workspace: EventStore
) -> None:
    ds = ingest(
        workspace=workspace,
        source=_write(tmp_path, HEADER + "a,x,2024-01-01 10:00:00,r\n", encoding="utf-8-sig"),
        name="d",
    )
    assert ds.mapping.case_id == "case"


def test_non_utf8_byte_after_the_sample_names_offset_line_and_override(
    tmp_path: Path, workspace: EventStore
) -> None:
    good = "".join(f"c{i},x,2024-01-01 10:00:00,r\n" for i in range(4000))  # > 64 KiB of UTF-8
    path = tmp_path / "log.csv"
    path.write_bytes((HEADER + good).encode() + b"z,caf\xe9,2024-01-01 10:00:00,r\n")
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=path, name="d")
    e = err.value
    assert e.where is not None and e.where.line == 4002  # header + 4000 rows, then the bad one
    offset = len((HEADER + good).encode()) + len("z,caf")
    assert f"offset {offset:,}" in (e.found or "")
    assert "--encoding" in (e.fix or "")
    ds = ingest(
        workspace=workspace, source=path, name="d", options=IngestOptions(encoding="cp1252")
    )
    assert ds.manifest.events == 4001


def test_empty_file_and_header_only_file(tmp_path: Path, workspace: EventStore) -> None:
    with pytest.raises(InputError, match="empty"):
        ingest(workspace=workspace, source=_write(tmp_path, ""), name="d")
    with pytest.raises(InputError, match="no events"):
        ingest(workspace=workspace, source=_write(tmp_path, HEADER, "h.csv"), name="d")
    assert workspace.dataset_names() == []


def test_malformed_row_fails_or_is_skipped(tmp_path: Path, workspace: EventStore) -> None:
    text = HEADER + "a,x,2024-01-01 10:00:00,r\na,y,2024-01-01 11:00:00,r,extra,fields\n"
    src = _write(tmp_path, text)
    with pytest.raises(InputError, match="malformed"):
        ingest(workspace=workspace, source=src, name="d")
    ds = ingest(workspace=workspace, source=src, name="d", options=IngestOptions(on_error="skip"))
    assert (ds.manifest.events, ds.manifest.rejected) == (1, 1)


def test_empty_case_id_is_a_bad_row(tmp_path: Path, workspace: EventStore) -> None:
    text = HEADER + "a,x,2024-01-01 10:00:00,r\n,y,2024-01-01 11:00:00,r\n"
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=_write(tmp_path, text), name="d")
    assert err.value.where is not None and (err.value.where.row, err.value.where.field) == (
        2,
        "case",
    )


def test_duplicates_are_counted_and_kept_unless_dedupe(
    tmp_path: Path, workspace: EventStore
) -> None:
    rows = [
        "a,x,2024-01-01 10:00:00,r",
        "a,x,2024-01-01 10:00:00,r",  # identical to the first
        "a,x,2024-01-01 10:00:00,s",  # other resource: not a duplicate
        "b,x,2024-01-01 10:00:00,r",  # other case: not a duplicate
        "a,x,2024-01-01 10:00:00,r",  # identical again
    ]
    src = _write(tmp_path, HEADER + "\n".join(rows) + "\n")
    kept = ingest(workspace=workspace, source=src, name="kept")
    assert kept.manifest.events == 5
    assert kept.manifest.options["duplicates"] == 2
    dropped = ingest(
        workspace=workspace, source=src, name="dropped", options=IngestOptions(dedupe=True)
    )
    assert dropped.manifest.events == 3
    assert dropped.manifest.options["duplicates_dropped"] == 2
    assert sorted(r["position"] for r in _events(dropped)) == [0, 2, 3]  # the first of each kept


def test_ten_megabyte_value(tmp_path: Path, workspace: EventStore) -> None:
    big = "x" * 10_000_000
    src = _write(tmp_path, HEADER.strip() + ",note\n" + f"a,x,2024-01-01 10:00:00,r,{big}\n")
    ds = ingest(workspace=workspace, source=src, name="d")
    assert len(str(_events(ds)[0]["note"])) == 10_000_000


def test_unknown_timezone_and_encoding_are_configuration_errors(
    tmp_path: Path, workspace: EventStore
) -> None:
    src = _write(tmp_path, HEADER + "a,x,2024-01-01 10:00:00,r\n")
    with pytest.raises(ConfigurationError, match="timezone"):
        ingest(
            workspace=workspace,
            source=src,
            name="d",
            options=IngestOptions(timezone="Mars/Olympus"),
        )
    with pytest.raises(ConfigurationError, match="encoding"):
        ingest(workspace=workspace, source=src, name="d", options=IngestOptions(encoding="klingon"))


def test_progress_reaches_the_file_size(tmp_path: Path, workspace: EventStore) -> None:
    src = _write(tmp_path, HEADER + "a,x,2024-01-01 10:00:00,r\n")
    seen: list[IngestProgress] = []
    ingest(workspace=workspace, source=src, name="d", progress=seen.append)
    assert seen and seen[-1].done == src.stat().st_size == seen[-1].total


def test_impossible_date_with_explicit_format_is_a_bad_row_not_a_rolled_over_date(
    tmp_path: Path, workspace: EventStore
) -> None:
    # Arrow's strptime alone turns 31-02-2024 into 2 March; civicflow rejects it and still
    # accepts values that merely lack zero padding
    text = HEADER + "a,x,28-02-2024 10:00,r\na,y,31-02-2024 10:00,r\nb,z,1-3-2024 9:05,r\n"
    src = _write(tmp_path, text)
    options = IngestOptions(timestamp_format="%d-%m-%Y %H:%M")
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=src, name="d", options=options)
    assert err.value.where is not None and err.value.where.row == 2
    assert err.value.found == "31-02-2024 10:00"
    skip = IngestOptions(timestamp_format="%d-%m-%Y %H:%M", on_error="skip")
    ds = ingest(workspace=workspace, source=src, name="d", options=skip)
    assert [e["timestamp"] for e in _events(ds)] == [_utc(2024, 2, 28, 10), _utc(2024, 3, 1, 9, 5)]
    assert ds.manifest.rejected == 1


def test_rejects_csv_neutralises_formulas(tmp_path: Path, workspace: EventStore) -> None:
    """rejects.csv carries names and values from the uploaded file: none is read as a formula."""
    import csv

    text = HEADER + "a,x,2024-01-01 10:00:00,r\na,y,=1+2,r\n"
    src = _write(tmp_path, text, name="=HYPERLINK(1).csv")
    ds = ingest(workspace=workspace, source=src, name="d", options=IngestOptions(on_error="skip"))
    assert ds.manifest.rejected == 1
    with ds.rejects_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][0] == "'=HYPERLINK(1).csv"
    assert not [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
