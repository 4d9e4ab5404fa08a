"""Evidence files attached to an assessment's answer or to a compliance control: the checks a file
passes before it is kept (size, type by extension and content), its SHA-256, and the names of
what it is attached to. ``civicflow.app`` stores the content by its SHA-256 under the workspace
and puts the digest in the ledger entry."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from civicflow.core import InputError, Location, Record

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
"""The largest evidence file kept (20 MiB): a signed DPIA, a scanned letter, a spreadsheet."""

ATTACHMENT_TYPES: Mapping[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
"""The file types accepted, by extension, with the media type they are served as."""

_MAGIC: Mapping[str, bytes] = {
    ".pdf": b"%PDF-",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".docx": b"PK\x03\x04",
    ".xlsx": b"PK\x03\x04",
    ".odt": b"PK\x03\x04",
    ".ods": b"PK\x03\x04",
}
_TEXT = frozenset({".txt", ".md", ".csv", ".json"})
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]")


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file that passed the checks: its clean name, media type, size and SHA-256 (hex)."""

    filename: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment(Record):
    """A kept evidence file: what it is attached to (``target``), its name, type, size, SHA-256
    and who attached it when."""

    id: str
    target: str
    filename: str
    media_type: str
    size: int
    sha256: str
    created_by: str
    created_at: datetime
    _json = True


def answer_target(assessment_id: str, question: str) -> str:
    """What a file attached to an answer is attached to: ``assessment:<id>:<question>``."""
    return f"assessment:{assessment_id}:{question}"


def control_target(catalogue: str, control: str) -> str:
    """What a file attached to a control is attached to: ``control:<catalogue>:<control>``."""
    return f"control:{catalogue}:{control}"


def _refuse(what: str, found: str, expected: str, fix: str, field: str = "file") -> InputError:
    return InputError(what, where=Location(field=field), found=found, expected=expected, fix=fix)


def clean_filename(name: str) -> str:
    """The file's own name without folders or characters a download header or a file system
    would misread; at most 200 characters, keeping the extension."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .")
    if len(base) > 200:
        suffix = PurePosixPath(base).suffix[:16]
        base = base[: 200 - len(suffix)] + suffix
    if not base:
        raise _refuse(
            "the file has no name", repr(name), "a file name such as dpia.pdf",
            "choose the file again",
        )  # fmt: skip
    return base


def check_file(filename: str, data: bytes, *, max_bytes: int = MAX_ATTACHMENT_BYTES) -> CheckedFile:
    """Check an evidence file: not empty, at most ``max_bytes``, an accepted type whose content
    matches its extension (a PDF starts ``%PDF-``, a text file is UTF-8 without NUL bytes);
    every refusal is an :class:`InputError` saying what is accepted."""
    name = clean_filename(filename)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in ATTACHMENT_TYPES:
        raise _refuse(
            f"'{name}' is not a type of file kept as evidence",
            suffix or "(no extension)",
            ", ".join(sorted(ATTACHMENT_TYPES)),
            "save the evidence as PDF, an image, text, CSV, JSON or an office document",
        )
    if not data:
        raise _refuse(
            f"'{name}' is empty", "0 bytes", "a file with content", "choose the file again"
        )
    if len(data) > max_bytes:
        raise _refuse(
            f"'{name}' is too large",
            f"{len(data):,} bytes",
            f"at most {max_bytes:,} bytes",
            "attach a smaller file, or link the document by its address instead",
        )
    magic = _MAGIC.get(suffix)
    if magic is not None and not data.startswith(magic):
        raise _refuse(
            f"'{name}' is not what its extension says",
            repr(data[:8]),
            f"a {suffix[1:].upper()} file (starting {magic!r})",
            "attach the file itself, not a renamed one",
        )
    if suffix in _TEXT:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _refuse(
                f"'{name}' is not UTF-8 text",
                f"byte {exc.start}",
                "UTF-8 text",
                "save it as UTF-8",
            ) from exc
        if "\x00" in text:
            raise _refuse(f"'{name}' holds NUL bytes", "NUL", "text", "attach the file as it is")
    return CheckedFile(name, ATTACHMENT_TYPES[suffix], len(data), hashlib.sha256(data).hexdigest())
