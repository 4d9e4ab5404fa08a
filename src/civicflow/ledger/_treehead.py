"""Signed tree heads, and the file outside the database where the latest one is published.

A tree head says "the first ``tree_size`` entries have this root hash", at a time, signed with
the ledger's Ed25519 key. Stored only in the database, it can be deleted or rewritten together
with the entries by whoever controls the database; published in a file the operator chooses (and
copied elsewhere: a witness, a mailing list, a print-out), it pins the history up to that size.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicflow.core import ConfigurationError, InputError, Location, Record
from civicflow.ledger._canonical import canonical_json

CHECKPOINT_ORIGIN = "civicflow-ledger/v1"
TREE_HEAD_FORMAT = "civicflow-tree-head/v1"
_HEX64 = frozenset("0123456789abcdef")


def checkpoint_statement(*, tree_size: int, root_hash: str, created_at: str) -> bytes:
    """The bytes a tree head's signature covers."""
    return canonical_json(
        {
            "origin": CHECKPOINT_ORIGIN,
            "tree_size": tree_size,
            "root_hash": root_hash,
            "timestamp": created_at,
        }
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeHead(Record):
    """A signed tree head: the root hash of the first ``tree_size`` entries at a time."""

    _extra = ("signed",)

    tree_size: int
    root_hash: str
    created_at: str
    public_key: str | None
    key_fingerprint: str | None
    signature: str | None

    @property
    def signed(self) -> bool:
        return self.signature is not None

    def statement(self) -> bytes:
        """The bytes that are signed."""
        return checkpoint_statement(
            tree_size=self.tree_size, root_hash=self.root_hash, created_at=self.created_at
        )

    def to_published(self) -> dict[str, Any]:
        """The JSON document written to the tree-head file and printed for publication."""
        return {
            "format": TREE_HEAD_FORMAT,
            "origin": CHECKPOINT_ORIGIN,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.created_at,
            "signature": self.signature,
            "public_key": self.public_key,
            "key_fingerprint": self.key_fingerprint,
        }


def tree_head_from_json(data: Any, *, source: str) -> TreeHead:
    """A :class:`TreeHead` from a published document; InputError naming what is wrong."""

    def bad(what: str, found: Any) -> InputError:
        return InputError(
            f"{source} is not a civicflow tree head: {what}",
            where=Location(file=source),
            found=str(found)[:200],
            expected=f"the JSON written by civicflow ({TREE_HEAD_FORMAT})",
            fix="copy the file again from the server (`civicflow ledger head --json`)",
        )

    if not isinstance(data, dict):
        raise bad("not a JSON object", type(data).__name__)
    if data.get("format") != TREE_HEAD_FORMAT:
        raise bad("unknown format", data.get("format"))
    size, root, when = data.get("tree_size"), data.get("root_hash"), data.get("timestamp")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise bad("tree_size is not a count", size)
    if not isinstance(root, str) or len(root) != 64 or not set(root) <= _HEX64:
        raise bad("root_hash is not a SHA-256 hex digest", root)
    if not isinstance(when, str):
        raise bad("timestamp is missing", when)
    optional = {}
    for name in ("signature", "public_key", "key_fingerprint"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise bad(f"{name} is not a string", value)
        optional[name] = value
    return TreeHead(tree_size=size, root_hash=root, created_at=when, **optional)


def read_tree_head(path: Path) -> TreeHead | None:
    """The tree head published in ``path``, or None when there is no such file yet."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise _not_a_file(path) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(
            f"{path} is not a civicflow tree head: not JSON",
            where=Location(file=str(path)),
            found=str(exc),
            expected="the JSON written by civicflow",
            fix="copy the file again from the server (`civicflow ledger head --json`)",
        ) from exc
    return tree_head_from_json(data, source=str(path))


def check_tree_head_file(path: Path) -> None:
    """ConfigurationError unless ``path`` can be a tree-head file (not a folder)."""
    if Path(path).is_dir():
        raise _not_a_file(path)


def _not_a_file(path: Path) -> ConfigurationError:
    return ConfigurationError(
        f"the ledger tree-head file {path} is a folder",
        where=Location(file=str(path), field="ledger_tree_head_file"),
        found="a folder",
        expected="the path of a JSON file civicflow may create and replace",
        fix=f"set CIVICFLOW_LEDGER_TREE_HEAD_FILE to a file name, e.g. {Path(path) / 'tree-head.json'}",
    )


def publish_tree_head(path: Path, head: TreeHead) -> bool:
    """Write ``head`` to ``path`` atomically (temporary file, fsync, rename) unless the file
    already holds a larger tree (commits may finish out of order). True when written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        with contextlib.suppress(InputError):
            current = read_tree_head(path)
            if current is not None and current.tree_size > head.tree_size:
                return False
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        data = json.dumps(head.to_published(), indent=2, sort_keys=True) + "\n"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Any:
    """An advisory lock beside ``path`` so concurrent publishers do not interleave."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: rename is still atomic
        yield
        return
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
