"""CSV importer: detects encoding, delimiter and quoting on a sample, then streams with pyarrow.

Every column is read as text (types of attributes are not guessed: ``00123`` stays ``00123``);
the mapped timestamp and cost columns are parsed by the shared mapping rules.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.eventlog._canonical import EventSink, check_mapping, guess_mapping_from_columns
from civicflow.eventlog._limits import IngestLimits
from civicflow.eventlog._schema import ColumnMapping

if TYPE_CHECKING:
    from civicflow.eventlog._importer import IngestOptions

_SAMPLE_BYTES = 1 << 16
_DELIMITERS = ",;\t|"


class _CountingFile(io.RawIOBase):
    """A read-only file that reports how many bytes were read (for the progress bar)."""

    def __init__(self, path: Path, on_read: Any) -> None:
        self._fh = path.open("rb")
        self._on_read = on_read
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._fh.readinto(buffer)
        self.done += n or 0
        self._on_read(self.done)
        return n or 0

    def close(self) -> None:
        self._fh.close()
        super().close()


class CsvDialect:
    """What detection found (or the caller fixed): encoding, delimiter, quote char, header."""

    def __init__(self, encoding: str, delimiter: str, quotechar: str, header: list[str]) -> None:
        self.encoding = encoding
        self.delimiter = delimiter
        self.quotechar = quotechar
        self.header = header


def detect_encoding(head: bytes, explicit: str | None) -> str:
    """UTF-8 (with or without BOM) when the sample decodes as UTF-8, else cp1252 (or latin-1)."""
    if explicit:
        try:
            codecs.lookup(explicit)
        except LookupError as exc:
            raise ConfigurationError(
                f"unknown encoding '{explicit}'",
                found=explicit,
                expected="a Python codec name such as utf-8, cp1252, latin-1, utf-16",
                fix="pass --encoding with a known codec",
            ) from exc
        return explicit
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_dialect(path: Path, options: IngestOptions) -> CsvDialect:
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
    encoding = detect_encoding(head, options.encoding)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    if len(head) == _SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    delimiter = options.delimiter
    quotechar = options.quotechar
    if delimiter is None or quotechar is None:
        try:
            sniffed = csv.Sniffer().sniff(text[:20_000], delimiters=_DELIMITERS)
            delimiter = delimiter or sniffed.delimiter
            quotechar = quotechar or sniffed.quotechar or '"'
        except csv.Error:
            first = text.split("\n", 1)[0]
            counts = {d: first.count(d) for d in _DELIMITERS}
            delimiter = delimiter or max(counts, key=lambda d: counts[d])
            quotechar = quotechar or '"'
    delimiter = delimiter.replace("\\t", "\t")
    rows = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar)
    try:
        header = next(rows)
    except StopIteration:
        header = []
    header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    if not header:
        raise InputError(
            "the CSV file has no header row",
            where=Location(file=path.name, line=1),
            expected="a first row naming the columns",
            fix="add a header row",
        )
    seen: set[str] = set()
    dupes = [h for h in header if h in seen or seen.add(h)]  # type: ignore[func-returns-value]
    if dupes:
        raise InputError(
            "the CSV header names a column twice",
            where=Location(file=path.name, line=1, field=dupes[0]),
            found=", ".join(header),
            expected="unique column names",
            fix="rename the repeated column",
        )
    return CsvDialect(encoding, delimiter, quotechar, header)


def locate_bad_utf8(path: Path, encoding: str) -> InputError:
    """Find the first byte that does not decode: its offset and line, and the override to use."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = offset + exc.start
                line += chunk[: exc.start].count(b"\n")
                bad = chunk[exc.start : exc.start + 4]
                return InputError(
                    f"the file is not valid {encoding} text",
                    where=Location(file=path.name, line=line),
                    found=f"byte 0x{bad[0]:02x} at offset {where:,} (bytes {bad!r})",
                    expected=f"{encoding} text (detected from the first {_SAMPLE_BYTES // 1024} KiB)",
                    fix="pass --encoding with the file's real encoding, e.g. --encoding cp1252",
                )
            # keep counting lines across decoded chunks
            offset += len(chunk)
            line += chunk.count(b"\n")
    return InputError(
        f"the file could not be decoded as {encoding}",
        where=Location(file=path.name),
        fix="pass --encoding with the file's real encoding",
    )


class CsvImporter:
    """Delimited text: comma, semicolon, tab or pipe separated, with a header row."""

    name = "csv"
    suffixes: tuple[str, ...] = (".csv", ".tsv", ".txt")

    def sniff(self, path: Path) -> bool:
        with path.open("rb") as fh:
            head = fh.read(4096)
        if not head or (
            b"\x00" in head.replace(b"\x00\x00", b"")[:100]
            and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        ):
            return False
        if head.lstrip().startswith((b"<", b"{", b"[", b"PAR1", b"SQLite")):
            return False
        first = head.split(b"\n", 1)[0]
        return any(d.encode() in first for d in _DELIMITERS)

    def guess_mapping(self, path: Path, options: IngestOptions) -> ColumnMapping:
        dialect = detect_dialect(path, options)
        return guess_mapping_from_columns(
            dialect.header, file=path.name, timezone=options.timezone or "UTC"
        )

    def read(
        self, path: Path, *, mapping: ColumnMapping, options: IngestOptions, sink: EventSink
    ) -> dict[str, object]:
        dialect = detect_dialect(path, options)
        check_mapping(mapping, dialect.header, path.name)
        total = path.stat().st_size
        invalid: list[Any] = []

        def on_invalid(row: Any) -> str:
            invalid.append(row)
            return "skip"

        counting = _CountingFile(path, lambda done: sink.progress(done, total, "bytes"))
        reader_input: Any = io.BufferedReader(counting, buffer_size=1 << 20)
        encoding = dialect.encoding
        # Arrow decodes UTF-8 itself (and skips a BOM); anything else goes through Python's codec
        arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig", "utf8") else encoding
        try:
            reader = pacsv.open_csv(
                reader_input,
                read_options=pacsv.ReadOptions(
                    column_names=dialect.header,
                    skip_rows=1,
                    # a block is parsed whole, several copies at once: a share of the budget
                    block_size=max(
                        1 << 20,
                        min(
                            options.batch_size * 200,
                            64 << 20,
                            (options.limits or IngestLimits()).memory_budget // 32,
                        ),
                    ),
                    encoding=arrow_encoding,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=dialect.delimiter,
                    quote_char=dialect.quotechar or False,
                    newlines_in_values=True,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in dialect.header},
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
            row = 0
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                self._flush_invalid(invalid, sink, dialect)
                n = batch.num_rows
                rows = np.arange(row + 1, row + n + 1, dtype=np.int64)
                row += n
                sink.write(pa.Table.from_batches([batch]), rows=rows)
            self._flush_invalid(invalid, sink, dialect)
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "UTF8" in message or "UTF-8" in message or "decode" in message.lower():
                raise locate_bad_utf8(path, encoding) from None
            raise InputError(
                "the CSV file could not be parsed",
                where=Location(file=path.name),
                found=message,
                expected=f"delimiter {dialect.delimiter!r}, quote {dialect.quotechar!r}",
                fix="pass --delimiter (and --encoding) explicitly",
            ) from None
        except UnicodeDecodeError:
            raise locate_bad_utf8(path, encoding) from None
        finally:
            counting.close()
        return {
            "encoding": encoding,
            "delimiter": dialect.delimiter,
            "quotechar": dialect.quotechar,
            "columns": dialect.header,
        }

    @staticmethod
    def _flush_invalid(invalid: list[Any], sink: EventSink, dialect: CsvDialect) -> None:
        while invalid:
            bad = invalid.pop(0)
            sink.reject(
                row=None,
                line=bad.number,
                reason=f"{bad.actual_columns} fields where the header has {bad.expected_columns}",
                raw={"text": str(bad.text)[:10_000]},
            )
