"""The append-only, tamper-evident audit ledger: a Merkle tree log with signed checkpoints."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from civicflow.core import ConflictError, InputError, Location, NotFoundError, Record, utcnow
from civicflow.ledger import _tables as t
from civicflow.ledger._canonical import canonical_json
from civicflow.ledger._merkle import (
    Frontier,
    TreeCache,
    inclusion_path,
    leaf_hash,
    verify_inclusion,
)
from civicflow.ledger._signing import Signer, key_fingerprint, verify_signature
from civicflow.ledger._treehead import (
    TreeHead,
    checkpoint_statement,
    publish_tree_head,
    read_tree_head,
)

ENTRY_VERSION = 1
# Pseudonymous ids only: a name or e-mail address in an entry could never be erased.
_ACTOR = re.compile(r"^[a-z][a-z0-9:_.-]{0,79}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_PENDING_HEAD = "civicflow.ledger.pending_head"
_JSON_KEY = {"before_digest": "before", "after_digest": "after"}


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry(Record):
    """One entry: who (pseudonym, role) did what (action) to which object, when, and why."""

    index: int
    time: str
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    workspace_id: str | None
    before_digest: str | None
    after_digest: str | None
    reason: str | None
    leaf_hash: str

    def record(self) -> dict[str, Any]:
        """The JSON object whose canonical bytes are the entry's leaf."""
        return {"v": ENTRY_VERSION, "index": self.index} | {
            _JSON_KEY.get(f, f): getattr(self, f) for f in _FIELDS
        }


# The entry's fields, named once: the table's columns, the hashed JSON and the checks follow them.
_FIELDS = tuple(f.name for f in fields(LedgerEntry) if f.name not in ("index", "leaf_hash"))
_COLUMNS = ("idx", *_FIELDS, "leaf_hash")


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint(TreeHead):
    """A tree head stored in the database (``ledger_checkpoints``) under an ``id``."""

    id: int


@dataclass(frozen=True, slots=True)
class Problem(Record):
    """One finding of :meth:`Ledger.verify`, naming the entries (by index) it implicates."""

    _json = True

    kind: str
    message: str
    entries: tuple[int, ...] = ()
    checkpoint: int | None = None

    def entry_ranges(self) -> str:
        """The implicated entries as ranges: '3, 7-9'."""
        return _ranges(list(self.entries))


@dataclass(slots=True, kw_only=True)
class VerificationReport(Record):
    """What :meth:`Ledger.verify` found. ``ok`` is true only when nothing is wrong."""

    _json = True
    _extra = ("ok", "implicated_entries")

    entries: int
    checkpoints: int
    signed_checkpoints: int
    root_hash: str
    covered_entries: int
    trusted_key_fingerprint: str | None
    tree_head_size: int | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def implicated_entries(self) -> list[int]:
        return sorted({i for p in self.problems for i in p.entries})

    @property
    def unsigned(self) -> bool:
        return self.signed_checkpoints == 0

    def headline(self) -> str:
        """One line: intact (with its size and root) or failed (with the implicated entries)."""
        if self.ok:
            return (
                f"ledger OK: {self.entries} entries, {self.checkpoints} checkpoints "
                f"({self.signed_checkpoints} signed), root {self.root_hash}"
            )
        return (
            f"ledger FAILED verification: {len(self.problems)} problem(s); implicated "
            f"entries: {_ranges(self.implicated_entries) or 'none (checkpoints only)'}"
        )

    def summary(self) -> str:
        """The headline, then each problem and each note once."""
        lines = [self.headline()]
        lines += [f"  - [{p.kind}] {p.message}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class InclusionProof:
    """An audit path proving that entry ``entry_index`` is in the tree a checkpoint signed."""

    entry_index: int
    entry_bytes: bytes
    leaf_hash: str
    tree_size: int
    path: tuple[str, ...]
    checkpoint: Checkpoint

    def verify(self, *, trusted_public_key: bytes | None = None) -> bool:
        return verify_inclusion_proof(self, trusted_public_key=trusted_public_key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_index": self.entry_index,
            "entry": json.loads(self.entry_bytes),
            "entry_bytes_hex": self.entry_bytes.hex(),
            "leaf_hash": self.leaf_hash,
            "tree_size": self.tree_size,
            "path": list(self.path),
            "checkpoint": self.checkpoint.to_dict(),
        }


def verify_inclusion_proof(
    proof: InclusionProof, *, trusted_public_key: bytes | None = None
) -> bool:
    """Check a proof with nothing but hashes: the entry bytes hash to the leaf, the audit path
    leads to the checkpoint's root, and (when signed) the checkpoint's signature holds — with
    ``trusted_public_key`` when given, so a forger cannot swap in their own key."""
    cp = proof.checkpoint
    leaf = leaf_hash(proof.entry_bytes)
    if leaf.hex() != proof.leaf_hash or cp.tree_size != proof.tree_size:
        return False
    try:
        root = bytes.fromhex(cp.root_hash)
        path = [bytes.fromhex(p) for p in proof.path]
    except ValueError:
        return False
    if not verify_inclusion(
        leaf=leaf, index=proof.entry_index, tree_size=proof.tree_size, path=path, root=root
    ):
        return False
    if trusted_public_key is not None and not cp.signed:
        return False
    if cp.signed:
        assert cp.signature is not None and cp.public_key is not None
        key = bytes.fromhex(cp.public_key)
        if trusted_public_key is not None and key != trusted_public_key:
            return False
        return verify_signature(key, bytes.fromhex(cp.signature), cp.statement())
    return True


class Ledger:
    """Appends entries and checkpoints to the ledger tables, verifies them, proves inclusion.

    Every method takes the caller's ``Connection`` so an entry is written in the same transaction
    as the change it records: if the transaction rolls back, neither remains.

    Every append signs the new tree head (when a key is configured) and keeps it for
    :meth:`publish`, which the caller runs once the transaction has committed: the head in
    ``tree_head_file`` is what verification compares the database with, so rewriting the
    database — even entries and checkpoints together — no longer goes unnoticed.
    """

    def __init__(
        self,
        *,
        signer: Signer | None = None,
        checkpoint_every: int = 1,
        tree_head_file: Path | None = None,
    ) -> None:
        if checkpoint_every < 1:
            raise InputError(
                "checkpoint_every must be at least 1",
                where=Location(field="checkpoint_every"),
                found=str(checkpoint_every),
                expected="an integer >= 1",
            )
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.tree_head_file = tree_head_file

    # -- writing ---------------------------------------------------------------------------

    def append(
        self,
        conn: Connection,
        *,
        actor: str,
        role: str,
        action: str,
        object_type: str,
        object_id: str,
        workspace_id: str | None = None,
        before_digest: str | None = None,
        after_digest: str | None = None,
        reason: str | None = None,
    ) -> LedgerEntry:
        """Append one entry (and a checkpoint every ``checkpoint_every`` entries); the signed
        head of the new tree waits in the connection for :meth:`take_head` and :meth:`publish`."""
        _check_actor(actor)
        for name, value in (("before_digest", before_digest), ("after_digest", after_digest)):
            if value is not None and not _DIGEST.match(value):
                raise InputError(
                    f"{name} is not a SHA-256 hex digest",
                    where=Location(field=name),
                    found=value,
                    expected="64 lowercase hex characters",
                    fix="pass civicflow.ledger.state_digest(state)",
                )
        for name, value in (("action", action), ("object_type", object_type), ("role", role)):
            if not value:
                raise InputError(f"a ledger entry needs a {name}", where=Location(field=name))
        index, frontier = self._lock_head(conn)
        draft = LedgerEntry(
            index=index,
            time=utcnow().isoformat(),
            actor=actor,
            role=role,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            workspace_id=workspace_id,
            before_digest=before_digest,
            after_digest=after_digest,
            reason=reason,
            leaf_hash="",
        )
        data = canonical_json(draft.record())
        leaf = leaf_hash(data)
        entry = replace(draft, leaf_hash=leaf.hex())
        values = {f: getattr(entry, f) for f in (*_FIELDS, "leaf_hash")}
        conn.execute(insert(t.entries).values(idx=index, entry_bytes=data, **values))
        frontier.append(leaf)
        conn.execute(
            update(t.head).where(t.head.c.id == 1).values(frontier=json.dumps(frontier.to_state()))
        )
        if frontier.size % self.checkpoint_every == 0:
            head: TreeHead = self._write_checkpoint(conn, frontier)
        else:
            head = self._sign_head(frontier)
        conn.info[_PENDING_HEAD] = head
        return entry

    def checkpoint(self, conn: Connection) -> Checkpoint:
        """Write a checkpoint of the whole ledger now (signed when a key is configured)."""
        _, frontier = self._lock_head(conn, reserve=False)
        cp = self._write_checkpoint(conn, frontier)
        conn.info[_PENDING_HEAD] = cp
        return cp

    def take_head(self, conn: Connection) -> TreeHead | None:
        """The signed head of the latest append or checkpoint on ``conn`` (once; then None).
        Pass it to :meth:`publish` after the transaction has committed."""
        return conn.info.pop(_PENDING_HEAD, None)

    def publish(self, head: TreeHead | None) -> bool:
        """Write ``head`` to ``tree_head_file`` (atomically) unless the file already holds a
        larger tree — commits can finish out of order. True when written."""
        if head is None or self.tree_head_file is None:
            return False
        return publish_tree_head(self.tree_head_file, head)

    def _lock_head(self, conn: Connection, *, reserve: bool = True) -> tuple[int, Frontier]:
        # Update first: that takes the row lock (PostgreSQL) or the write lock (SQLite) before
        # anything is read, so two appenders can never read the same size.
        bump = 1 if reserve else 0
        result = conn.execute(
            update(t.head).where(t.head.c.id == 1).values(size=t.head.c.size + bump)
        )
        if result.rowcount == 0:
            conn.execute(insert(t.head).values(id=1, size=bump, frontier="[]"))
        row = conn.execute(select(t.head.c.size, t.head.c.frontier).where(t.head.c.id == 1)).one()
        frontier = Frontier.from_state(json.loads(row.frontier))
        index = int(row.size) - bump
        if frontier.size != index:
            raise ConflictError(
                "the ledger head does not match its entries",
                found=f"head size {index}, frontier of {frontier.size} leaves",
                expected="equal sizes",
                fix="run `civicflow ledger verify` and restore the database from a backup",
            )
        return index, frontier

    def _sign_head(self, frontier: Frontier) -> TreeHead:
        created = utcnow().isoformat()
        root = frontier.root().hex()
        public = fingerprint = signature = None
        if self.signer is not None:
            statement = checkpoint_statement(
                tree_size=frontier.size, root_hash=root, created_at=created
            )
            public = self.signer.public_key.hex()
            fingerprint = self.signer.fingerprint
            signature = self.signer.sign(statement).hex()
        return TreeHead(
            tree_size=frontier.size,
            root_hash=root,
            created_at=created,
            public_key=public,
            key_fingerprint=fingerprint,
            signature=signature,
        )

    def _write_checkpoint(self, conn: Connection, frontier: Frontier) -> Checkpoint:
        head = self._sign_head(frontier)
        values = _head_values(head)
        result = conn.execute(insert(t.checkpoints).values(**values).returning(t.checkpoints.c.id))
        return Checkpoint(id=int(result.scalar_one()), **values)

    # -- reading ---------------------------------------------------------------------------

    def size(self, conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(t.entries)).scalar_one())

    def entries(
        self,
        conn: Connection,
        *,
        limit: int = 50,
        offset: int = 0,
        workspace_ids: Iterable[str] | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        newest_first: bool = True,
    ) -> list[LedgerEntry]:
        query = select(*[t.entries.c[c] for c in _COLUMNS])
        if workspace_ids is not None:
            query = query.where(t.entries.c.workspace_id.in_(list(workspace_ids)))
        if object_type is not None:
            query = query.where(t.entries.c.object_type == object_type)
        if object_id is not None:
            query = query.where(t.entries.c.object_id == object_id)
        order = t.entries.c.idx.desc() if newest_first else t.entries.c.idx.asc()
        rows = conn.execute(query.order_by(order).limit(limit).offset(offset)).all()
        return [_entry(row) for row in rows]

    def iter_entries(self, conn: Connection) -> Iterator[LedgerEntry]:
        """Every entry, oldest first, streamed (for checks over the whole ledger)."""
        query = select(*[t.entries.c[c] for c in _COLUMNS]).order_by(t.entries.c.idx)
        for row in conn.execution_options(yield_per=1000).execute(query):
            yield _entry(row)

    def entry(self, conn: Connection, index: int) -> LedgerEntry:
        row = conn.execute(
            select(*[t.entries.c[c] for c in _COLUMNS]).where(t.entries.c.idx == index)
        ).one_or_none()
        if row is None:
            raise NotFoundError(
                f"no ledger entry {index}",
                where=Location(field="entry_index"),
                found=str(index),
                expected=f"an index in 0..{self.size(conn) - 1}",
            )
        return _entry(row)

    def checkpoints(self, conn: Connection) -> list[Checkpoint]:
        rows = conn.execute(select(t.checkpoints).order_by(t.checkpoints.c.id)).all()
        return [_checkpoint(r) for r in rows]

    def latest_checkpoint(self, conn: Connection) -> Checkpoint | None:
        row = conn.execute(
            select(t.checkpoints).order_by(t.checkpoints.c.id.desc()).limit(1)
        ).one_or_none()
        return None if row is None else _checkpoint(row)

    # -- proving ---------------------------------------------------------------------------

    def inclusion_proof(
        self, conn: Connection, entry_index: int, *, checkpoint_id: int | None = None
    ) -> InclusionProof:
        """The audit path of an entry against a checkpoint (default: the latest covering it)."""
        # one row, not every checkpoint: there is one per append
        query = select(t.checkpoints).order_by(t.checkpoints.c.id.desc()).limit(1)
        if checkpoint_id is not None:
            row = conn.execute(query.where(t.checkpoints.c.id == checkpoint_id)).one_or_none()
            if row is None:
                raise NotFoundError(
                    f"no ledger checkpoint {checkpoint_id}",
                    where=Location(field="checkpoint_id"),
                    found=str(checkpoint_id),
                    fix="list the checkpoints (`civicflow ledger show`, the Ledger page)",
                )
        else:
            row = conn.execute(query.where(t.checkpoints.c.tree_size > entry_index)).one_or_none()
            if row is None:
                latest = self.latest_checkpoint(conn)
                raise NotFoundError(
                    f"ledger entry {entry_index} is not covered by a checkpoint yet",
                    where=Location(field="entry_index"),
                    found=str(entry_index),
                    expected="an entry below the latest checkpoint's tree size "
                    f"({latest.tree_size if latest else 0})",
                    fix="write a checkpoint with `civicflow ledger checkpoint`",
                )
        cp = _checkpoint(row)
        if not 0 <= entry_index < cp.tree_size:
            raise InputError(
                f"entry {entry_index} is outside checkpoint {cp.id} (size {cp.tree_size})",
                where=Location(field="entry_index"),
                found=str(entry_index),
                expected=f"0..{cp.tree_size - 1}",
            )
        rows = conn.execute(
            select(t.entries.c.idx, t.entries.c.entry_bytes)
            .where(t.entries.c.idx < cp.tree_size)
            .order_by(t.entries.c.idx)
        ).all()
        leaves = [leaf_hash(_as_bytes(r.entry_bytes)) for r in rows]
        intact = len(rows) == cp.tree_size and all(int(r.idx) == i for i, r in enumerate(rows))
        if not intact or _root(leaves) != cp.root_hash:
            raise ConflictError(
                f"the stored entries do not match checkpoint {cp.id}",
                found=f"{len(rows)} entries below index {cp.tree_size}",
                expected=f"entries whose tree root is {cp.root_hash}",
                fix="run `civicflow ledger verify` to see which entries were changed",
            )
        path = inclusion_path(entry_index, leaves)
        return InclusionProof(
            entry_index=entry_index,
            entry_bytes=_as_bytes(rows[entry_index].entry_bytes),
            leaf_hash=leaves[entry_index].hex(),
            tree_size=cp.tree_size,
            path=tuple(p.hex() for p in path),
            checkpoint=cp,
        )

    # -- verifying -------------------------------------------------------------------------

    def verify(
        self,
        conn: Connection,
        *,
        trusted_public_key: bytes | None = None,
        tree_head: TreeHead | None = None,
        tree_head_source: str | None = None,
    ) -> VerificationReport:
        """Recompute everything from the stored entry bytes and compare with every checkpoint
        and with the published tree head.

        Detects changed, removed, inserted and reordered entries and changed or forged
        checkpoints, and names the implicated entries. ``trusted_public_key`` (default: the
        configured signer's) is the key checkpoints must be signed with. ``tree_head`` (default:
        the one in ``tree_head_file``) is a head published outside the database: the database
        must hold at least its entries, with its root — whatever happened to the checkpoints.
        """
        if trusted_public_key is None and self.signer is not None:
            trusted_public_key = self.signer.public_key
        problems: list[Problem] = []
        notes: list[str] = []
        leaves: list[bytes] = []
        expected = 0
        for row in conn.execute(select(t.entries).order_by(t.entries.c.idx)):
            idx = int(row.idx)
            if idx != expected:
                missing = tuple(range(expected, idx))
                problems.append(
                    Problem(
                        "missing",
                        f"entries {_ranges(list(missing))} are missing (indices jump from "
                        f"{expected - 1} to {idx})",
                        missing,
                    )
                )
            expected = idx + 1
            leaves.append(leaf_hash(_as_bytes(row.entry_bytes)))
            problems.extend(_check_row(row, leaves[-1]))
        n = len(leaves)
        head_row = conn.execute(select(t.head).where(t.head.c.id == 1)).one_or_none()
        head_size = 0 if head_row is None else int(head_row.size)
        if head_size > expected:
            gone = tuple(range(expected, head_size))
            problems.append(
                Problem(
                    "head",
                    f"the ledger head records {head_size} entries but the table ends at index "
                    f"{expected - 1}: entries {_ranges(list(gone))} were removed",
                    gone,
                )
            )
        elif head_size < expected:
            extra = tuple(range(head_size, expected))
            problems.append(
                Problem(
                    "head",
                    f"the ledger head records {head_size} entries but the table ends at index "
                    f"{expected - 1}: entries {_ranges(list(extra))} were inserted behind it",
                    extra,
                )
            )
        cps = self.checkpoints(conn)
        tree = TreeCache(leaves)
        roots = {c.tree_size: tree.root(0, c.tree_size) for c in cps if 0 < c.tree_size <= n}
        signed = 0
        good_sizes: list[int] = [0]
        failed: set[int] = set()  # checkpoints whose root is already reported
        previous: Checkpoint | None = None
        # Signing migration: unsigned checkpoints written before the first signed one are
        # vouched for by it (their roots are checked against the same entries, so they are
        # prefixes of the tree it signs). An unsigned one after it is a finding.
        first_signed = next((c.id for c in cps if c.signed), None)
        for cp in cps:
            # (with none signed at all, one finding below says so, not one per checkpoint)
            vouched = first_signed is None or cp.id < first_signed
            if cp.signed or not vouched:
                problems.extend(_check_signature(cp, trusted_public_key))
            signed += cp.signed
            if cp.tree_size > n:
                failed.add(cp.id)
                problems.append(
                    Problem(
                        "truncated",
                        f"checkpoint {cp.id} covers {cp.tree_size} entries but only {n} are "
                        f"stored: entries {_ranges(list(range(n, cp.tree_size)))} were removed",
                        tuple(range(n, cp.tree_size)),
                        cp.id,
                    )
                )
            elif cp.tree_size > 0 and roots[cp.tree_size].hex() != cp.root_hash:
                failed.add(cp.id)
                start = max(s for s in good_sizes if s <= cp.tree_size)
                problems.append(
                    Problem(
                        "root",
                        f"checkpoint {cp.id} (size {cp.tree_size}) has root {cp.root_hash} "
                        f"but the stored entries give {roots[cp.tree_size].hex()}: an entry in "
                        f"{_ranges(list(range(start, cp.tree_size)))} was changed, inserted, "
                        "removed or moved, or the checkpoint was altered",
                        tuple(range(start, cp.tree_size)),
                        cp.id,
                    )
                )
            else:
                good_sizes.append(cp.tree_size)
            # a checkpoint whose root already failed is reported once, not again as inconsistent
            if previous is not None and previous.id not in failed and cp.id not in failed:
                problems.extend(_check_consistency(previous, cp))
            previous = cp
        if first_signed is not None and any(c.id < first_signed and not c.signed for c in cps):
            notes.append(
                f"unsigned checkpoints before checkpoint {first_signed} (the first signed one) "
                "are vouched for by it: their roots match the entries it signs"
            )
        if trusted_public_key is not None and signed == 0 and (cps or n >= self.checkpoint_every):
            problems.append(
                Problem(
                    "signature",
                    f"a signing key is configured but no checkpoint of the {n} entries is "
                    "signed (were the signed checkpoints deleted?); after turning signing on, "
                    "run `civicflow ledger sign` once to vouch for the history so far",
                )
            )
        if tree_head is None and tree_head_source is None and self.tree_head_file is not None:
            tree_head_source = str(self.tree_head_file)
            try:
                tree_head = read_tree_head(self.tree_head_file)
            except InputError as exc:
                problems.append(Problem("tree-head", str(exc).splitlines()[0]))
                tree_head_source = None
        if tree_head is not None:
            head_problems = _check_tree_head(tree_head, tree, n, trusted_public_key)
            problems.extend(head_problems)
            if not head_problems:
                notes.append(
                    f"the first {tree_head.tree_size} entries match the tree head published at "
                    f"{tree_head_source or 'the given file'} ({tree_head.created_at})"
                )
            if tree_head.tree_size < n:
                notes.append(
                    f"the published tree head ({tree_head_source or 'given'}) covers "
                    f"{tree_head.tree_size} of {n} entries"
                )
        elif tree_head_source is not None and n > 0:
            notes.append(
                f"WARNING: no published tree head at {tree_head_source}: only the database "
                "vouches for itself, so a rewrite of entries together with their checkpoints "
                "would go unnoticed; the next change (or `civicflow ledger checkpoint`) "
                "publishes one"
            )
        elif self.tree_head_file is None and tree_head_source is None and n > 0:
            notes.append("no tree-head file is configured: the database vouches for itself")
        covered = max((c.tree_size for c in cps), default=0)
        if not cps:
            notes.append("there are no checkpoints: only the entries' own hashes were checked")
        elif signed == 0 and trusted_public_key is None:
            notes.append(
                "checkpoints are UNSIGNED (no ledger signing key configured): someone with "
                "write access to the database could rewrite entries and checkpoints together"
            )
        elif trusted_public_key is None:
            notes.append(
                "no trusted public key given: signatures were checked against the key stored "
                "with each checkpoint, which a forger could replace"
            )
        if covered < n:
            notes.append(
                f"entries {_ranges(list(range(covered, n)))} are not yet covered by a checkpoint"
            )
        return VerificationReport(
            entries=n,
            checkpoints=len(cps),
            signed_checkpoints=signed,
            root_hash=tree.root(0, n).hex(),
            covered_entries=min(covered, n),
            trusted_key_fingerprint=None
            if trusted_public_key is None
            else key_fingerprint(trusted_public_key),
            tree_head_size=None if tree_head is None else tree_head.tree_size,
            problems=problems,
            notes=notes,
        )


def _check_actor(actor: str) -> None:
    if not _ACTOR.match(actor):
        raise InputError(
            "a ledger actor must be a pseudonymous id",
            where=Location(field="actor"),
            found=actor,
            expected="a pseudonym such as 'u-3f2a…' or 'system:cli' (lowercase, no names or "
            "e-mail addresses)",
            fix="pass the actor's pseudonym, never a name or e-mail address",
        )


def _check_row(row: Any, leaf: bytes) -> list[Problem]:
    idx = int(row.idx)
    data = _as_bytes(row.entry_bytes)
    if not isinstance(row.entry_bytes, bytes | bytearray | memoryview):
        return [
            Problem(
                "changed",
                f"entry {idx}'s bytes are stored as {type(row.entry_bytes).__name__}, not as "
                "bytes: the entry was rewritten in the database",
                (idx,),
            )
        ]
    try:
        record = json.loads(data)
    except ValueError:
        return [Problem("unreadable", f"entry {idx} is not valid JSON", (idx,))]
    found: list[Problem] = []
    if not isinstance(record, dict):
        return [Problem("unreadable", f"entry {idx} is not a JSON object", (idx,))]
    if record.get("index") != idx:
        found.append(
            Problem(
                "moved",
                f"the row at index {idx} holds entry {record.get('index')}: entries were "
                "reordered or renumbered",
                (idx,),
            )
        )
    if canonical_json(record) != data:
        found.append(Problem("changed", f"entry {idx}'s bytes are not canonical JSON", (idx,)))
    if leaf.hex() != row.leaf_hash:
        found.append(
            Problem(
                "changed",
                f"entry {idx}'s stored leaf hash does not match its bytes: the entry was changed",
                (idx,),
            )
        )
    differing = [f for f in _FIELDS if getattr(row, f) != record.get(_JSON_KEY.get(f, f))]
    if differing:
        found.append(
            Problem(
                "changed",
                f"entry {idx}'s columns {', '.join(differing)} differ from its hashed bytes",
                (idx,),
            )
        )
    return found


def _check_signature(cp: Checkpoint, trusted: bytes | None) -> list[Problem]:
    if not cp.signed:
        if trusted is not None:
            return [
                Problem(
                    "signature",
                    f"checkpoint {cp.id} is unsigned although a signing key is configured",
                    checkpoint=cp.id,
                )
            ]
        return []
    assert cp.signature is not None
    try:
        key = bytes.fromhex(cp.public_key or "")
        sig = bytes.fromhex(cp.signature)
    except ValueError:
        return [
            Problem("signature", f"checkpoint {cp.id}'s key or signature is not hex", (), cp.id)
        ]
    out: list[Problem] = []
    if cp.key_fingerprint != key_fingerprint(key):
        out.append(
            Problem(
                "signature",
                f"checkpoint {cp.id}'s key fingerprint does not match its key",
                checkpoint=cp.id,
            )
        )
    if trusted is not None and key != trusted:
        out.append(
            Problem(
                "signature",
                f"checkpoint {cp.id} is signed by an untrusted key "
                f"(fingerprint {key_fingerprint(key)[:16]}…)",
                checkpoint=cp.id,
            )
        )
    if not verify_signature(key, sig, cp.statement()):
        out.append(
            Problem(
                "signature",
                f"checkpoint {cp.id}'s signature does not match its size, root and time",
                checkpoint=cp.id,
            )
        )
    return out


def _check_consistency(old: Checkpoint, new: Checkpoint) -> list[Problem]:
    """Two checkpoints whose roots both match the stored entries are prefixes of one tree, so
    they are consistent (an RFC 9162 consistency proof between them always verifies); what is
    left to check is that the log never shrank."""
    if new.tree_size < old.tree_size:
        return [
            Problem(
                "consistency",
                f"checkpoint {new.id} (size {new.tree_size}) is smaller than the earlier "
                f"checkpoint {old.id} (size {old.tree_size}): the log shrank",
                tuple(range(new.tree_size, old.tree_size)),
                new.id,
            )
        ]
    return []


def _as_bytes(value: Any) -> bytes:
    """The stored entry bytes; a TEXT value (what SQLite keeps after an UPDATE with replace())
    is hashed as its UTF-8 encoding, and reported by :func:`_check_row`."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if value is None:
        return b""
    return bytes(value)


def _check_tree_head(
    head: TreeHead, tree: TreeCache, n: int, trusted: bytes | None
) -> list[Problem]:
    """The database against a tree head published outside it."""
    found: list[Problem] = []
    if head.signed:
        found += [
            Problem("tree-head", p.message.replace("checkpoint 0", "the published tree head"))
            for p in _check_signature(Checkpoint(id=0, **_head_values(head)), trusted)
        ]
    elif trusted is not None:
        found.append(
            Problem(
                "tree-head",
                "the published tree head is unsigned although a signing key is configured: "
                "run `civicflow ledger sign` to publish a signed one",
            )
        )
    if head.tree_size > n:
        gone = tuple(range(n, head.tree_size))
        found.append(
            Problem(
                "tree-head",
                f"the published tree head covers {head.tree_size} entries but the database "
                f"holds {n}: entries {_ranges(list(gone))} were removed",
                gone,
            )
        )
    elif head.tree_size > 0 and tree.root(0, head.tree_size).hex() != head.root_hash:
        found.append(
            Problem(
                "tree-head",
                f"the published tree head (size {head.tree_size}, {head.created_at}) has root "
                f"{head.root_hash} but the database's first {head.tree_size} entries give "
                f"{tree.root(0, head.tree_size).hex()}: history was rewritten (if the database "
                "was restored from a backup on purpose, see docs/SECURITY.md)",
                tuple(range(head.tree_size)),
            )
        )
    return found


def _head_values(head: TreeHead) -> dict[str, Any]:
    return {f.name: getattr(head, f.name) for f in fields(TreeHead)}


def _root(leaves: Sequence[bytes]) -> str:
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root().hex()


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        index=int(row.idx), leaf_hash=row.leaf_hash, **{f: row._mapping[f] for f in _FIELDS}
    )


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(id=int(row.id), **{f.name: row._mapping[f.name] for f in fields(TreeHead)})


def _ranges(values: list[int]) -> str:
    """'3, 7-9, 12' for [3, 7, 8, 9, 12]."""
    if not values:
        return ""
    out: list[str] = []
    start = prev = values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(out)


def create_tables(conn: Connection) -> None:
    """Create the ledger tables directly (tests, tools); applications use the migrations."""
    t.metadata.create_all(conn)
    if conn.execute(select(t.head.c.id)).first() is None:
        conn.execute(insert(t.head).values(id=1, size=0, frontier="[]"))
