"""XES 1.0/2.0 importer (``.xes``, ``.xes.gz``): streaming, chunked, parallel.

The decompressed text is cut into chunks of whole traces. Each chunk is tokenised by one compiled
regular expression on the regular XES shape (``<string key=".." value=".."/>`` one after another,
as OpenXES, ProM and PM4Py write it); a chunk with anything else — nested or list attributes,
comments, single quotes, broken markup — goes through lxml instead, which also names the line and
column of broken XML. Both paths produce the same token stream, pivoted column by column with
Arrow, so they give identical tables. Chunks are parsed in a process pool (the tree of the whole
file is never built).

Trace attributes become case attributes named ``case:<key>`` (``case:concept:name`` is the case
id); nested attributes are flattened as ``parent:child``; a list attribute is stored as a JSON
array of its values.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import multiprocessing
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from civicflow.core import InputError, Location
from civicflow.eventlog._canonical import EventSink
from civicflow.eventlog._limits import (
    IngestLimits,
    LimitedStream,
    TableSpool,
    UnreadableSourceError,
    open_source,
)
from civicflow.eventlog._schema import TIMESTAMP_TYPE, XES_DEFAULT_MAPPING, ColumnMapping

if TYPE_CHECKING:
    from civicflow.eventlog._importer import IngestOptions

_KEY = re.compile(rb'<(?:string|date|int|float|boolean|id)\s+key="([^"<]*)"')
_CHUNK_BYTES = 8 << 20
_PARALLEL_ABOVE = 24 << 20
_ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id"}
_TYPE_NAMES = ("", "string", "date", "int", "float", "boolean", "id")
_TYPE_CODE = {name.encode(): i for i, name in enumerate(_TYPE_NAMES)}
_Token = tuple[bytes, bytes, bytes, bytes, bytes]


class XesHeader:
    """What the log declares before its first trace."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.encoding: str = "utf-8"
        """The encoding the XML declaration names (chunks are transcoded to UTF-8 if it is another)."""
        self.classifiers: dict[str, tuple[str, ...]] = {}
        self.globals: dict[str, dict[str, str]] = {"trace": {}, "event": {}}
        """Declared global attributes per scope: key -> default value."""
        self.extensions: list[str] = []


def _open(path: Path, limits: IngestLimits | None = None) -> BinaryIO:
    return open_source(path, limits or IngestLimits.from_settings())


def _syntax_error(exc: etree.XMLSyntaxError, file: str, line0: int, what: str) -> InputError:
    line = (exc.lineno or 1) + line0 - 1
    col = exc.position[1] if exc.position else None
    return UnreadableSourceError(
        what,
        where=Location(file=file, line=line),
        found=f"{exc.msg} (line {line}, column {col})",
        expected="well-formed XES (XML)",
        fix="repair the file (was it truncated or edited by hand?) and import it again",
    )


_DECLARED_ENCODING = re.compile(rb"""\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def _utf8_error(chunk: bytes, file: str, line0: int, encoding: str = "UTF-8") -> InputError:
    try:
        chunk.decode(encoding)
        start = 0
    except UnicodeDecodeError as exc:
        start = exc.start
    return InputError(
        f"the XES file is not valid {encoding} text",
        where=Location(file=file, line=line0 + chunk[:start].count(b"\n")),
        found=f"bytes {chunk[start : start + 4]!r}",
        expected=f"{encoding} text, as the XML declaration says (UTF-8 when it says nothing)",
        fix="re-export the log as UTF-8, or correct the encoding in its <?xml ...?> declaration",
    )


def _parse_header(data: bytes, file: str, *, complete: bool) -> XesHeader:
    doctype = data.find(b"<!DOCTYPE")
    if doctype >= 0:
        # XES has no DTD; one can only define entities (expansion bombs, external files)
        raise UnreadableSourceError(
            "the XES file declares a document type (DTD)",
            where=Location(file=file, line=data[:doctype].count(b"\n") + 1),
            found=repr(data[doctype : doctype + 80].decode("utf-8", "replace")),
            expected="an XES log without <!DOCTYPE ...> (the XES standard defines none)",
            fix="remove the <!DOCTYPE ...> declaration (and any entity it defines) and import "
            "the file again",
        )
    header = XesHeader()
    doc = data if complete else data + b"</log>"
    try:
        root = etree.fromstring(doc, parser=etree.XMLParser(huge_tree=True, resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, file, 1, "the XES file is not well-formed XML") from None
    if etree.QName(root).localname != "log":
        raise InputError(
            "the XML file is not an XES log",
            where=Location(file=file, line=1),
            found=f"root element <{etree.QName(root).localname}>",
            expected="root element <log>",
            fix="pass --format with the file's real format",
        )
    header.version = root.get("xes.version")
    for child in root:
        if not isinstance(child.tag, str):
            continue
        tag = etree.QName(child).localname
        if tag == "classifier":
            keys = child.get("keys") or ""
            header.classifiers[child.get("name") or keys] = tuple(_split_keys(keys))
        elif tag == "global":
            scope = header.globals.setdefault(child.get("scope") or "event", {})
            for g in child:
                if isinstance(g.tag, str):
                    scope[g.get("key") or ""] = g.get("value") or ""
        elif tag == "extension":
            header.extensions.append(child.get("prefix") or "")
    return header


def _split_keys(keys: str) -> list[str]:
    # XES classifier keys are space-separated; a key containing spaces is quoted with '
    return [a or b for a, b in re.findall(r"'([^']*)'|(\S+)", keys)]


def _too_large(file: str, line: int, what: str, limit: int, head: bytes) -> InputError:
    return UnreadableSourceError(
        f"{what} in the XES file is larger than this server accepts (or is never closed)",
        where=Location(file=file, line=line),
        found=f"more than {limit:,} bytes from {head[:60].decode('utf-8', 'replace')!r}",
        expected=f"at most {limit:,} bytes per trace (CIVICFLOW_INGEST_MAX_ELEMENT_BYTES)",
        fix="check that the file is a complete XES log (a truncated or padded file?); if a trace "
        "really is that large, ask IT to raise the limit",
    )


def _chunks(
    stream: BinaryIO, file: str, on_read: Any, *, max_element: int = 32 << 20
) -> tuple[XesHeader, Iterator[tuple[bytes, int]]]:
    """The header, then chunks of whole traces with the line number each starts on.

    Memory stays bounded: a chunk holds about ``_CHUNK_BYTES`` of whole traces plus at most one
    unfinished trace, which may not grow past ``max_element`` bytes (nor may the header before the
    first trace): an unclosed trace padded with gigabytes is refused, not accumulated.
    """
    buf = b""
    while True:
        block = stream.read(_CHUNK_BYTES)
        searched = max(0, len(buf) - len(b"<trace"))
        buf += block
        on_read()
        start = buf.find(b"<trace", searched)
        if start >= 0 or not block:
            break
        if len(buf) > max_element:
            raise _too_large(file, 1, "the log header (before the first <trace>)", max_element, buf)
    if start < 0:
        return _parse_header(buf, file, complete=True), iter(())
    header = _parse_header(buf[:start], file, complete=False)
    declared = _DECLARED_ENCODING.match(buf[:200])
    if declared:
        header.encoding = declared.group(1).decode("ascii").lower()

    def body() -> Iterator[tuple[bytes, int]]:
        nonlocal buf
        line = buf[:start].count(b"\n") + 1
        buf = buf[start:]
        eof = False
        cut = buf.rfind(b"</trace>")
        while True:
            if cut >= 0 and (len(buf) >= _CHUNK_BYTES or eof):
                cut += len(b"</trace>")
                chunk, buf = buf[:cut], buf[cut:]
                yield chunk, line
                line += chunk.count(b"\n")
                cut = buf.rfind(b"</trace>")
                continue
            if eof:
                break
            if cut < 0 and len(buf) > max_element:
                head = buf[:4096]
                skipped = len(head) - len(head.lstrip())
                raise _too_large(
                    file, line + head[:skipped].count(b"\n"), "a trace", max_element, buf[skipped:]
                )
            block = stream.read(_CHUNK_BYTES)
            on_read()
            if block:
                # only the new bytes (and a tag cut at the seam) need searching
                seam = max(0, len(buf) - len(b"</trace>"))
                buf += block
                found = buf.rfind(b"</trace>", seam)
                cut = found if found >= 0 else cut
            else:
                eof = True
        rest = buf.strip()
        if b"<trace" in rest or not rest.endswith(b"</log>"):
            if b"<trace" in rest:
                _tokens_lxml(
                    rest[: rest.rfind(b"</log>")] if rest.endswith(b"</log>") else rest, file, line
                )
            raise UnreadableSourceError(
                "the XES file ends before the log is closed (truncated?)",
                where=Location(file=file, line=line + buf.count(b"\n")),
                found=repr(rest[-80:].decode("utf-8", "replace")) if rest else "end of file",
                expected="</log> after the last </trace>",
                fix="export or download the file again",
            )

    return header, body()


# -- tokenising ----------------------------------------------------------------------------------
def _tokens_lxml(chunk: bytes, file: str, line0: int) -> list[_Token]:
    """The general path: any valid XES, including nested, container and list attributes."""
    tokens: list[_Token] = []
    append = tokens.append
    keys: list[str] = [""]  # full key of the enclosing attribute ("" at event/trace level)
    lists: list[tuple[int, list[Any]]] = []  # (depth in keys, values) of open list attributes
    local: dict[str, str] = {}
    wrapped = io.BytesIO(b"<log>" + chunk + b"</log>")
    try:
        for action, el in etree.iterparse(
            wrapped, events=("start", "end"), huge_tree=True, resolve_entities=False
        ):
            tag = el.tag
            if not isinstance(tag, str):
                continue
            name = local.get(tag)
            if name is None:
                name = local[tag] = tag.rpartition("}")[2]
            if action == "start":
                if name in _ATTRIBUTE_TAGS:
                    key = el.get("key") or ""
                    value = el.get("value") or ""
                    if lists and lists[-1][0] == len(keys):
                        lists[-1][1].append(value)
                        keys.append(keys[-1])
                        continue
                    parent = keys[-1]
                    full = f"{parent}:{key}" if parent else key
                    append((b"", b"", name.encode(), full.encode(), value.encode()))
                    keys.append(full)
                elif name == "event" or name == "trace":
                    append((name.encode(), b"", b"", b"", b""))
                elif name == "container" or name == "list":
                    parent = keys[-1]
                    key = el.get("key") or ""
                    full = f"{parent}:{key}" if parent else key
                    keys.append(full)
                    if name == "list":
                        lists.append((len(keys), []))
            else:
                if name in _ATTRIBUTE_TAGS or name == "container":
                    keys.pop()
                elif name == "event" or name == "trace":
                    append((b"", name.encode(), b"", b"", b""))
                elif name == "list":
                    full = keys.pop()
                    _depth, values = lists.pop()
                    append((b"", b"", b"string", full.encode(), json.dumps(values).encode()))
                if name != "log":
                    el.clear()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, file, line0, "the XES file is not well-formed XML") from None
    return tokens


def _xml_text(arr: pa.Array) -> pa.Array:
    """What an XML parser makes of raw attribute text: entities resolved, whitespace normalised."""
    flagged = pc.match_substring_regex(arr, r"[&\t\n\r]")
    if not pc.any(flagged).as_py():
        return arr
    values = arr.to_pylist()
    for i in pc.indices_nonzero(flagged).to_pylist():
        v = values[i].replace("\r\n", "\n")
        v = re.sub(r"[\t\n\r]", " ", v)
        values[i] = html.unescape(v) if "&" in v else v
    return pa.array(values, pa.string())


class _Attrs:
    """Attributes of one chunk in file order, and whom each belongs to."""

    def __init__(
        self,
        *,
        keys: pa.Array,
        values: pa.Array,
        types: np.ndarray,
        event_no: np.ndarray,
        in_event: np.ndarray,
        trace_no: np.ndarray,
        in_trace: np.ndarray,
        event_trace: np.ndarray,
        n_traces: int,
    ) -> None:
        self.keys = keys
        self.values = values
        self.types = types
        self.event_no = event_no
        self.in_event = in_event
        self.trace_no = trace_no
        self.in_trace = in_trace
        self.event_trace = event_trace
        self.n_events = len(event_trace)
        self.n_traces = n_traces


def _strings(items: list[bytes], file: str) -> pa.Array:
    try:
        return pa.array(items, pa.string())
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise InputError(
            "the XES file is not valid UTF-8 text",
            where=Location(file=file),
            expected="UTF-8 encoded XML",
            fix="re-export the log as UTF-8",
        ) from None


_TYPES = rb"(?:string|date|int|float|boolean|id)"
_BETWEEN = re.compile(
    rb"(\s*/?>)?((?:\s*</"
    + _TYPES
    + rb">)*)((?:\s*</?(?:event|trace)>)*)\s*(?:<("
    + _TYPES[3:-1]
    + rb")\s+key=)?"
)
_STRUCTURE = re.compile(rb"<(/?)(event|trace)>")
_ORDER = [(b"/", b"event"), (b"/", b"trace"), (b"", b"trace"), (b"", b"event")]


def _split_quotes(
    chunk: bytes, file: str, line0: int = 1
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """``chunk.split(b'"')`` as an Arrow string array, without a Python object per piece; also
    the pieces' offsets into the quote-free text, and that text as bytes."""
    quotes = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x22)
    data = chunk.replace(b'"', b"")
    # with the quotes removed, piece i ends where quote i was, shifted by the i quotes before it
    offsets = np.empty(len(quotes) + 2, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = quotes - np.arange(len(quotes), dtype=np.int64)
    offsets[-1] = len(data)
    small = len(data) < 2**31
    arr = pa.Array.from_buffers(
        pa.string() if small else pa.large_string(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets.astype(np.int32) if small else offsets), pa.py_buffer(data)],
    )
    try:
        arr.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        raise _utf8_error(chunk, file, line0) from None
    return (arr if small else arr.cast(pa.string())), offsets, np.frombuffer(data, dtype=np.uint8)


_VALUE_EQ = np.frombuffer(b" value=", dtype=np.uint8)


def _attrs_fast(chunk: bytes, file: str, line0: int = 1) -> _Attrs | None:
    """Tokenise the regular XES shape by splitting on '"'; None when the chunk is not that shape.

    ``<string key="K" value="V"/>`` split on the quote gives: text before, K, ' value=', V, text
    after. The texts between attributes take a handful of distinct forms (indentation is regular),
    so each distinct form is parsed once and the rest is array arithmetic. Nested attributes
    (``<string key="K" value="V">`` children ``</string>``) are followed by their depth.
    """
    pieces, offsets, text = _split_quotes(chunk, file, line0)
    if len(pieces) % 4 != 1:
        return None
    n = len(pieces) // 4
    every4 = np.arange(0, 4 * n + 1, 4, dtype=np.int64)
    if n:
        # every third piece must be exactly ' value=': checked on the bytes, without copying
        starts = offsets[every4[:-1] + 2]
        if not (offsets[every4[:-1] + 3] - starts == 7).all():
            return None
        if not (text[starts[:, None] + np.arange(7)] == _VALUE_EQ).all():
            return None
    between = pieces.take(pa.array(every4))
    encoded = between.dictionary_encode()
    forms = {f.encode(): i for i, f in enumerate(encoded.dictionary.to_pylist())}
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    # per form: closes previous attribute, opened it with children, attribute closes, ce, ct, ot,
    # oe, type index
    info = np.zeros((len(forms), 8), dtype=np.int64)
    type_names: list[bytes] = [b""]
    for form, code in forms.items():
        m = _BETWEEN.fullmatch(form)
        if m is None:
            return None
        tags = [(a, b) for a, b in _STRUCTURE.findall(m.group(3))]
        flags = [t in tags for t in _ORDER]
        if [t for t in _ORDER if t in tags] != tags:
            return None  # tags out of the one legal order, or repeated
        tname = m.group(4) or b""
        if tname not in type_names:
            type_names.append(tname)
        opener = (m.group(1) or b"").strip()
        info[code] = [
            opener != b"",
            opener == b">",
            m.group(2).count(b"</"),
            *flags,
            type_names.index(tname),
        ]
    closes, gt, aclose, ce, ct, ot, oe, tcode = (
        np.ascontiguousarray(info[:, i])[codes] for i in range(8)
    )
    if closes[0] or (n and not closes[1:].all()) or (tcode[:n] == 0).any() or tcode[n] != 0:
        return None
    depth = np.cumsum(gt - aclose)  # open parent attributes after each form
    structural = (ce + ct + ot + oe) > 0
    if (depth < 0).any() or (structural & (depth != 0)).any():
        return None
    e_after = np.cumsum(oe - ce)
    t_after = np.cumsum(ot - ct)
    e_before = e_after - oe + ce
    t_before = t_after - ot + ct
    e_mid = e_before - ce
    if (
        ((ce == 1) & (e_before != 1)).any()
        or ((ct == 1) & ((e_mid != 0) | (t_before != 1))).any()
        or ((ot == 1) & ((t_before - ct) != 0)).any()
        or ((oe == 1) & ((t_after != 1) | (e_mid != 0))).any()
        or e_after[-1] != 0
        or t_after[-1] != 0
        or depth[-1] != 0
    ):
        return None
    in_event = e_after[:n] == 1
    in_trace = (~in_event) & (t_after[:n] == 1)
    if not (in_event | in_trace).all():
        return None
    # few distinct keys: decode entities on the dictionary, not on every key
    encoded_keys = pieces.take(pa.array(every4[:-1] + 1)).dictionary_encode()
    keys = pa.DictionaryArray.from_arrays(
        encoded_keys.indices, _xml_text(encoded_keys.dictionary)
    ).cast(pa.string())
    level = depth[:n]
    if level.max(initial=0) > 0:
        keys = _nest(keys, level)
    ev_cum = np.cumsum(oe) - 1
    tr_cum = np.cumsum(ot) - 1
    names = np.array([_TYPE_CODE[t] for t in type_names], dtype=np.int8)
    return _Attrs(
        keys=keys,
        values=_xml_text(pieces.take(pa.array(every4[:-1] + 3))),
        types=names[tcode[:n]],
        event_no=ev_cum[:n],
        in_event=in_event,
        trace_no=tr_cum[:n],
        in_trace=in_trace,
        event_trace=tr_cum[oe == 1],
        n_traces=int(ot.sum()),
    )


def _nest(keys: pa.Array, level: np.ndarray) -> pa.Array:
    """Prefix nested attributes' keys with their parent's: ``parent:child``."""
    full = keys
    for depth in range(1, int(level.max()) + 1):
        children = np.flatnonzero(level == depth)
        parents = np.flatnonzero(level == depth - 1)
        if len(children) == 0:
            continue
        parent = parents[np.searchsorted(parents, children) - 1]
        joined = pc.binary_join_element_wise(
            full.take(pa.array(parent)), keys.take(pa.array(children)), ":"
        )
        mask = np.zeros(len(keys), dtype=bool)
        mask[children] = True
        full = pc.replace_with_mask(full, pa.array(mask), joined)
    return full


def _attrs_from_tokens(tokens: list[_Token], file: str) -> _Attrs | None:
    if not tokens:
        return None
    opens, closes, types, keys, values = zip(*tokens, strict=True)
    o = np.array(opens, dtype="S5")
    c = np.array(closes, dtype="S5")
    t = np.fromiter(map(_TYPE_CODE.__getitem__, types), dtype=np.int8, count=len(types))
    ev_open, ev_close = o == b"event", c == b"event"
    tr_open, tr_close = o == b"trace", c == b"trace"
    ev_depth = np.cumsum(ev_open, dtype=np.int64) - np.cumsum(ev_close, dtype=np.int64)
    tr_depth = np.cumsum(tr_open, dtype=np.int64) - np.cumsum(tr_close, dtype=np.int64)
    if (
        ev_depth.min() < 0
        or ev_depth.max() > 1
        or tr_depth.min() < 0
        or tr_depth.max() > 1
        or ev_depth[-1] != 0
        or tr_depth[-1] != 0
        or (ev_open & (tr_depth != 1)).any()
        or (tr_close & (ev_depth != 0)).any()
    ):
        return None
    is_attr = t != 0
    idx = np.flatnonzero(is_attr)
    take = pa.array(idx, pa.int64())
    event_no = np.cumsum(ev_open, dtype=np.int64) - 1
    trace_no = np.cumsum(tr_open, dtype=np.int64) - 1
    return _Attrs(
        keys=_strings(list(keys), file).take(take),
        values=_strings(list(values), file).take(take),
        types=t[idx],
        event_no=event_no[idx],
        in_event=(ev_depth == 1)[idx],
        trace_no=trace_no[idx],
        in_trace=((ev_depth == 0) & (tr_depth == 1))[idx],
        event_trace=trace_no[ev_open],
        n_traces=int(tr_open.sum()),
    )


def _table(a: _Attrs) -> pa.Table:
    """One row per event: event attributes, then ``case:`` trace attributes, as typed columns."""
    columns: dict[str, pa.Array] = {}
    ev = np.flatnonzero(a.in_event)
    _spread(columns, ev, a.event_no[ev], a.n_events, a, "")
    tr = np.flatnonzero(a.in_trace)
    case_cols: dict[str, pa.Array] = {}
    _spread(case_cols, tr, a.trace_no[tr], a.n_traces, a, "case:")
    take = pa.array(a.event_trace, pa.int64())
    for name, col in case_cols.items():
        columns[name] = col.take(take)
    if "case:concept:name" not in columns:
        columns["case:concept:name"] = pa.nulls(a.n_events, pa.string())
    return pa.table(columns)


def _spread(
    out: dict[str, pa.Array],
    token_idx: np.ndarray,
    owner: np.ndarray,
    n_rows: int,
    a: _Attrs,
    prefix: str,
) -> None:
    if len(token_idx) == 0:
        return
    idx = pa.array(token_idx, pa.int64())
    keys = a.keys.take(idx).dictionary_encode()
    vals = a.values.take(idx)
    codes = keys.indices.to_numpy(zero_copy_only=False)
    tsel = a.types[token_idx]
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for group in np.split(order, bounds):
        name = keys.dictionary[int(codes[group[0]])].as_py()
        pos = np.full(n_rows, -1, dtype=np.int64)
        pos[owner[group]] = group  # a key repeated in one element: the last one wins, as in lxml
        column = vals.take(pa.array(pos, mask=pos < 0))
        kinds = tsel[group]
        low, high = int(kinds.min()), int(kinds.max())
        out[prefix + name] = _typed(column, _TYPE_NAMES[low] if low == high else "string")


def _typed(col: pa.Array, kind: str) -> pa.Array:
    try:
        if kind == "date":
            return col.cast(TIMESTAMP_TYPE)
        if kind == "int":
            return col.cast(pa.int64())
        if kind == "float":
            return col.cast(pa.float64())
        if kind == "boolean":
            lower = pc.utf8_lower(pc.utf8_trim_whitespace(col))
            if (
                pc.all(pc.is_in(pc.drop_null(lower), pa.array(["true", "false"]))).as_py()
                is not False
            ):
                return pc.equal(lower, "true")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return col


def parse_chunk(
    chunk: bytes, file: str, line0: int, encoding: str = "utf-8"
) -> tuple[pa.Table, bool]:
    """One chunk of whole traces -> (events table, parsed by the fast path?)."""
    if encoding not in ("utf-8", "utf8", "us-ascii", "ascii"):
        try:
            chunk = chunk.decode(encoding).encode("utf-8")
        except (UnicodeDecodeError, LookupError):
            raise _utf8_error(chunk, file, line0, encoding) from None
    attrs = _attrs_fast(chunk, file, line0)
    if attrs is not None:
        return _table(attrs), True
    attrs = _attrs_from_tokens(_tokens_lxml(chunk, file, line0), file)
    if attrs is None:
        raise InputError(
            "the XES file nests its elements wrongly",
            where=Location(file=file, line=line0),
            expected="<trace> elements holding <event> elements",
            fix="repair the file",
        )
    return _table(attrs), False


def _unified_schema(schemas: list[pa.Schema]) -> dict[str, pa.DataType]:
    """The columns and types every chunk takes: missing columns are nulls; conflicting types
    become float (int+float) or text."""
    types: dict[str, set[pa.DataType]] = {}
    for schema in schemas:
        for f in schema:
            types.setdefault(f.name, set()).add(f.type)
    target: dict[str, pa.DataType] = {}
    for name, found in types.items():
        found.discard(pa.null())
        if len(found) == 1:
            target[name] = next(iter(found))
        elif found and all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in found):
            target[name] = pa.float64()
        else:
            target[name] = pa.string()
    return target


def _conform(tbl: pa.Table, target: dict[str, pa.DataType]) -> pa.Table:
    cols = {}
    for name, typ in target.items():
        if name in tbl.column_names:
            col = tbl.column(name)
            cols[name] = col if col.type == typ else col.cast(typ)
        else:
            cols[name] = pa.nulls(tbl.num_rows, typ)
    return pa.table(cols)


def _fill_activity_defaults(
    table: pa.Table, mapping: ColumnMapping, header: XesHeader, filled: dict[str, int]
) -> pa.Table:
    """An event without its activity label takes the log's declared global default.

    XES ``<global scope="event">`` attributes are by definition on every event, with the declared
    value as default (real logs use "UNKNOWN"); the event is kept and the count reported. Other
    attributes are left missing: a default timestamp such as 1970-01-01 would be a false fact.
    """
    for name in mapping.activity_fields:
        default = header.globals.get("event", {}).get(name)
        if default is None or name not in table.column_names:
            continue
        col = table.column(name)
        if col.null_count and pa.types.is_string(col.type):
            filled[name] = filled.get(name, 0) + col.null_count
            table = table.set_column(
                table.column_names.index(name), name, pc.fill_null(col, default)
            )
    return table


class XesImporter:
    """eXtensible Event Stream (IEEE 1849) logs, plain or gzip-compressed."""

    name = "xes"
    suffixes: tuple[str, ...] = (".xes", ".xes.gz")

    def sniff(self, path: Path) -> bool:
        try:
            with _open(path) as fh:
                head = fh.read(4096)
        except (OSError, EOFError, InputError):
            return False
        return b"<log" in head and (b"xes" in head.lower() or b"<trace" in head)

    def header(self, path: Path) -> XesHeader:
        limits = IngestLimits.from_settings()
        with _open(path, limits) as fh:
            header, _ = _chunks(fh, path.name, lambda: None, max_element=limits.max_element_bytes)
        return header

    def guess_mapping(self, path: Path, options: IngestOptions) -> ColumnMapping:
        with _open(path) as fh:
            head = fh.read(4 << 20)
        seen = {k.decode("utf-8", "replace") for k in _KEY.findall(head)}
        mapping = XES_DEFAULT_MAPPING
        return ColumnMapping(
            case_id=mapping.case_id,
            activity=mapping.activity,
            timestamp=mapping.timestamp,
            # civicflow's own XES export writes an activity's start under this key
            start_timestamp="start_timestamp" if "start_timestamp" in seen else None,
            resource=mapping.resource if mapping.resource in seen else None,
            lifecycle=mapping.lifecycle if mapping.lifecycle in seen else None,
            cost=mapping.cost if mapping.cost in seen else None,
            timezone=options.timezone or "UTC",
        )

    def read(
        self, path: Path, *, mapping: ColumnMapping, options: IngestOptions, sink: EventSink
    ) -> dict[str, object]:
        limits = options.limits or IngestLimits()
        total = path.stat().st_size
        raw = path.open("rb")
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: BinaryIO = (
            LimitedStream(raw, gzip.GzipFile(fileobj=raw, mode="rb"), file=path.name, limits=limits)  # type: ignore[arg-type, assignment]
            if gz
            else raw
        )
        workers = options.workers
        if workers is None:
            estimate = total * (12 if gz else 1)
            workers = min(2, os.cpu_count() or 1) if estimate > _PARALLEL_ABOVE else 1
        # parsed chunks wait here until every chunk's columns are known (types are unified
        # across chunks); beyond the budget they wait on disk, not in memory
        spool = TableSpool(sink.scratch, budget=limits.held_bytes)
        fast = slow = 0
        try:
            try:
                header, body = _chunks(
                    stream,
                    path.name,
                    lambda: sink.progress(raw.tell(), total),
                    max_element=limits.max_element_bytes,
                )
                if workers > 1:
                    results = self._parallel(body, path.name, workers, header.encoding)
                else:
                    results = (
                        parse_chunk(chunk, path.name, line, header.encoding) for chunk, line in body
                    )
                for table, was_fast in results:
                    if table.num_rows:
                        spool.append(table)
                    fast += was_fast
                    slow += not was_fast
            finally:
                stream.close()
                raw.close()
            filled: dict[str, int] = {}
            target = _unified_schema(spool.schemas)
            for table in spool.drain():
                sink.write(
                    _fill_activity_defaults(_conform(table, target), mapping, header, filled)
                )
        finally:
            spool.close()
        sink.progress(total, total)
        return {
            "xes_version": header.version,
            "classifiers": {k: list(v) for k, v in header.classifiers.items()},
            "chunks_fast_path": fast,
            "chunks_lxml": slow,
            "chunks_spilled": spool.spilled,
            "activity_filled_from_global_default": filled,
        }

    @staticmethod
    def _parallel(
        body: Iterator[tuple[bytes, int]], file: str, workers: int, encoding: str
    ) -> Iterator[tuple[pa.Table, bool]]:
        method = "fork" if threading.current_thread() is threading.main_thread() else "spawn"
        if method not in multiprocessing.get_all_start_methods():
            method = "spawn"
        ctx = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pending: list[Future[tuple[pa.Table, bool]]] = []
            for chunk, line in body:
                pending.append(pool.submit(parse_chunk, chunk, file, line, encoding))
                while len(pending) > 2 * workers:
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()


def xes_classifiers(path: Path) -> dict[str, tuple[str, ...]]:
    """The classifiers a log declares, e.g. ``{"Activity classifier": ("concept:name",
    "lifecycle:transition")}`` — pass one as the mapping's ``activity`` tuple."""
    return XesImporter().header(Path(path)).classifiers
