"""XES ingest on hand-written logs: attribute types, nesting, lists, entities, classifiers, broken
XML, truncation, a 10 MB value, and the fast and lxml paths agreeing."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from civicflow.core import InputError
from civicflow.eventlog import ColumnMapping, EventStore, IngestOptions, ingest, xes_classifiers
from civicflow.eventlog._xes import _attrs_fast, _attrs_from_tokens, _table, _tokens_lxml

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<global scope="event">
\t\t<string key="concept:name" value="UNKNOWN"/>
\t</global>
\t<classifier name="Activity classifier" keys="concept:name lifecycle:transition"/>
\t<classifier name="Quoted" keys="'activity name' lifecycle:transition"/>
\t<string key="meta" value="log level"/>
"""

TYPED = (
    HEAD
    + """\t<trace>
\t\t<string key="concept:name" value="case 1"/>
\t\t<int key="priority" value="3"/>
\t\t<event>
\t\t\t<string key="concept:name" value="Submit &amp; pay"/>
\t\t\t<string key="lifecycle:transition" value="complete"/>
\t\t\t<date key="time:timestamp" value="2024-03-01T10:00:00.000+01:00"/>
\t\t\t<int key="count" value="7"/>
\t\t\t<float key="amount" value="12.5"/>
\t\t\t<boolean key="urgent" value="true"/>
\t\t\t<id key="ref" value="a1b2"/>
\t\t\t<string key="text" value="line one&#10;line two"/>
\t\t</event>
\t\t<event>
\t\t\t<string key="concept:name" value="Check"/>
\t\t\t<string key="lifecycle:transition" value="start"/>
\t\t\t<date key="time:timestamp" value="2024-03-01T10:00:00Z"/>
\t\t\t<boolean key="urgent" value="false"/>
\t\t</event>
\t</trace>
</log>
"""
)


def _xes(tmp_path: Path, text: str, name: str = "log.xes", gz: bool = False) -> Path:
    path = tmp_path / (name + (".gz" if gz else ""))
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _rows(ds) -> list[dict[str, object]]:
    return sorted(pq.read_table(ds.events_path).to_pylist(), key=lambda r: r["position"])


@pytest.mark.parametrize("gz", [False, True])
def test_attribute_types_entities_and_lifecycle(
    gz: bool, tmp_path: Path, workspace: EventStore
) -> None:
    ds = ingest(workspace=workspace, source=_xes(tmp_path, TYPED, gz=gz), name="d")
    first, second = _rows(ds)
    assert first["activity"] == "Submit & pay"
    assert first["timestamp"] == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert second["timestamp"] == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert (first["lifecycle"], second["lifecycle"]) == ("complete", "start")
    assert (first["count"], first["amount"], first["urgent"], first["ref"]) == (
        7,
        12.5,
        True,
        "a1b2",
    )
    assert second["urgent"] is False and second["count"] is None
    assert first["text"] == "line one\nline two"  # a character reference keeps its newline
    cases = pq.read_table(ds.cases_path).to_pylist()
    assert cases == [{"case_id": "case 1", "case:priority": 3}]
    assert ds.manifest.options["classifiers"] == {
        "Activity classifier": ["concept:name", "lifecycle:transition"],
        "Quoted": ["activity name", "lifecycle:transition"],
    }


def test_classifier_as_activity(tmp_path: Path, workspace: EventStore) -> None:
    path = _xes(tmp_path, TYPED)
    keys = xes_classifiers(path)["Activity classifier"]
    mapping = ColumnMapping(case_id="case:concept:name", activity=keys, timestamp="time:timestamp")
    ds = ingest(workspace=workspace, source=path, name="d", mapping=mapping)
    assert [r["activity"] for r in _rows(ds)] == ["Submit & pay+complete", "Check+start"]


NESTED = (
    HEAD
    + """<trace><string key="concept:name" value="c"/>
<event>
  <string key="concept:name" value="A"/>
  <date key="time:timestamp" value="2024-01-01T00:00:00+00:00"/>
  <string key="question" value="q1">
    <string key="answer" value="yes"/>
    <int key="score" value="4">
      <string key="unit" value="pt"/>
    </int>
  </string>
  <container key="address">
    <string key="city" value="Utrecht"/>
  </container>
  <list key="tags">
    <values>
      <string key="tag" value="red"/>
      <string key="tag" value="blue"/>
    </values>
  </list>
</event>
</trace>
</log>
"""
)


def test_nested_container_and_list_attributes(tmp_path: Path, workspace: EventStore) -> None:
    ds = ingest(workspace=workspace, source=_xes(tmp_path, NESTED), name="d")
    (row,) = _rows(ds)
    assert row["question"] == "q1"
    assert row["question:answer"] == "yes"
    assert row["question:score"] == 4
    assert row["question:score:unit"] == "pt"
    assert row["address:city"] == "Utrecht"
    assert row["tags"] == '["red", "blue"]'
    assert ds.manifest.options["chunks_lxml"] == 1  # lists and containers take the lxml path


def test_fast_path_and_lxml_agree_on_nesting_entities_and_whitespace() -> None:
    body = TYPED[TYPED.index("\t<trace>") : TYPED.index("</log>")].encode()
    body += b'<trace><string key="concept:name" value="c2"/><event><string key="concept:name" value="B"/>'
    body += b'<date key="time:timestamp" value="2024-01-01T00:00:00Z"/>'
    body += b'<string key="q" value="a\tb &lt;c&gt; &quot;d&quot;"><string key="sub" value="s"/></string>'
    body += b"</event></trace>"
    fast = _attrs_fast(body, "t")
    assert fast is not None
    slow = _attrs_from_tokens(_tokens_lxml(body, "t", 1), "t")
    assert slow is not None
    a, b = _table(fast), _table(slow)
    assert a.equals(b.select(a.column_names))
    assert a.column("q").to_pylist()[-1] == 'a b <c> "d"'
    assert a.column("q:sub").to_pylist()[-1] == "s"


def test_broken_xml_names_line_and_column(tmp_path: Path, workspace: EventStore) -> None:
    broken = TYPED.replace('<int key="count" value="7"/>', '<int key="count" value="7">')
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=_xes(tmp_path, broken), name="d")
    assert err.value.where is not None
    # the unclosed <int> is reported where the parser notices it: the closing </event>
    assert err.value.where.line == broken.splitlines().index("\t\t</event>") + 1
    assert "column" in (err.value.found or "")
    assert workspace.dataset_names() == []


def test_broken_header_and_truncated_file(tmp_path: Path, workspace: EventStore) -> None:
    with pytest.raises(InputError) as err:
        ingest(
            workspace=workspace,
            source=_xes(tmp_path, TYPED.replace("<global", "<global <")),
            name="d",
        )
    assert err.value.where is not None and err.value.where.line == 4
    truncated = TYPED[: TYPED.index("\t\t<event>", TYPED.index("Check") - 200)]
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=_xes(tmp_path, truncated, "t.xes"), name="d")
    assert "well-formed" in err.value.what or "truncated" in err.value.what
    assert workspace.dataset_names() == []


def test_ten_megabyte_attribute_value(tmp_path: Path, workspace: EventStore) -> None:
    big = "y" * 10_000_000
    text = TYPED.replace('value="a1b2"', f'value="{big}"')
    ds = ingest(workspace=workspace, source=_xes(tmp_path, text), name="d")
    assert len(str(_rows(ds)[0]["ref"])) == 10_000_000
    nested = NESTED.replace('value="Utrecht"', f'value="{big}"')  # through lxml (huge_tree)
    ds = ingest(workspace=workspace, source=_xes(tmp_path, nested, "n.xes"), name="n")
    assert len(str(_rows(ds)[0]["address:city"])) == 10_000_000


def test_event_without_timestamp_fails_or_is_skipped(tmp_path: Path, workspace: EventStore) -> None:
    text = TYPED.replace('\t\t\t<date key="time:timestamp" value="2024-03-01T10:00:00Z"/>\n', "")
    src = _xes(tmp_path, text)
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=src, name="d")
    assert err.value.where is not None and err.value.where.row == 2
    ds = ingest(workspace=workspace, source=src, name="d", options=IngestOptions(on_error="skip"))
    assert (ds.manifest.events, ds.manifest.rejected) == (1, 1)


def test_parallel_and_serial_parsing_store_the_same_events(
    tmp_path: Path, workspace: EventStore
) -> None:
    trace = TYPED[TYPED.index("\t<trace>") : TYPED.index("</log>")]
    many = HEAD + "".join(trace.replace("case 1", f"case {i}") for i in range(40_000)) + "</log>\n"
    src = _xes(tmp_path, many, gz=True)
    one = ingest(workspace=workspace, source=src, name="one", options=IngestOptions(workers=1))
    two = ingest(workspace=workspace, source=src, name="two", options=IngestOptions(workers=2))
    assert one.manifest.events == 80_000 and one.manifest.cases == 40_000
    assert one.manifest.fingerprint == two.manifest.fingerprint
    assert (
        one.manifest.options["chunks_fast_path"] > 1
    )  # several chunks: the chunk seams are exercised


def test_missing_activity_takes_the_global_default_or_is_a_bad_row(
    tmp_path: Path, workspace: EventStore
) -> None:
    no_name = TYPED.replace('\t\t\t<string key="concept:name" value="Check"/>\n', "")
    ds = ingest(workspace=workspace, source=_xes(tmp_path, no_name), name="d")
    assert [r["activity"] for r in _rows(ds)] == ["Submit & pay", "UNKNOWN"]  # declared in <global>
    assert ds.manifest.options["activity_filled_from_global_default"] == {"concept:name": 1}
    undeclared = no_name.replace('<string key="concept:name" value="UNKNOWN"/>', "")
    with pytest.raises(InputError, match="without an activity") as err:
        ingest(workspace=workspace, source=_xes(tmp_path, undeclared, "u.xes"), name="u")
    assert err.value.where is not None and err.value.where.row == 2


def test_declared_latin1_is_decoded_and_bad_utf8_names_its_line(
    tmp_path: Path, workspace: EventStore
) -> None:
    latin = TYPED.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("Check", "Prüfung")
    path = tmp_path / "latin.xes"
    path.write_bytes(latin.encode("latin-1"))
    ds = ingest(workspace=workspace, source=path, name="d")
    assert [r["activity"] for r in _rows(ds)] == ["Submit & pay", "Prüfung"]
    bad = tmp_path / "bad.xes"
    bad.write_bytes(TYPED.replace("Check", "Prüfung").encode("latin-1"))  # declared UTF-8, is not
    with pytest.raises(InputError, match="not valid UTF-8") as err:
        ingest(workspace=workspace, source=bad, name="b")
    assert err.value.where is not None
    assert (
        err.value.where.line
        == TYPED.splitlines().index('\t\t\t<string key="concept:name" value="Check"/>') + 1
    )
    assert "declaration" in (err.value.fix or "")
