"""The ledger on SQLite and PostgreSQL: appends, checkpoints, and every kind of tampering."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.core import InputError, NotFoundError
from civicflow.ledger import (
    InclusionProof,
    Ledger,
    Signer,
    canonical_json,
    checkpoint_statement,
    leaf_hash,
    tables,
    verify_inclusion_proof,
    write_new_key,
)

E = tables.entries
C = tables.checkpoints


def fill(engine: sa.Engine, ledger: Ledger, n: int) -> None:
    for i in range(n):
        with engine.begin() as conn:
            ledger.append(
                conn,
                actor=f"u-{i % 3:04x}",
                role="analyst",
                action="objective.update",
                object_type="objective",
                object_id=f"obj_{i}",
                workspace_id="ws_1",
                before_digest=hashlib.sha256(f"before {i}".encode()).hexdigest(),
                after_digest=hashlib.sha256(f"after {i}".encode()).hexdigest(),
                reason=None if i % 2 else f"reason {i}",
            )


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def ledger(signer: Signer) -> Ledger:
    return Ledger(signer=signer, checkpoint_every=4)


def verify(engine: sa.Engine, ledger: Ledger, **kw):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return ledger.verify(conn, **kw)


def rewrite_entry(conn: sa.Connection, idx: int, **changes: object) -> None:
    """What a careful attacker does: change the JSON and keep bytes, leaf hash and columns
    mutually consistent, so only the tree root can tell."""
    row = conn.execute(sa.select(E).where(E.c.idx == idx)).one()
    record = json.loads(row.entry_bytes)
    record.update(changes)
    data = canonical_json(record)
    conn.execute(
        sa.update(E)
        .where(E.c.idx == idx)
        .values(
            entry_bytes=data,
            leaf_hash=leaf_hash(data).hex(),
            **{k: v for k, v in changes.items() if k in E.c and k != "index"},
        )
    )


def test_entries_are_canonical_json_with_rfc_leaf_hashes(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 3)
    with db.connect() as conn:
        rows = conn.execute(sa.select(E).order_by(E.c.idx)).all()
    assert [r.idx for r in rows] == [0, 1, 2]
    for r in rows:
        data = bytes(r.entry_bytes)
        assert r.leaf_hash == hashlib.sha256(b"\x00" + data).hexdigest()
        record = json.loads(data)
        assert data == json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        assert record["index"] == r.idx
        assert set(record) == {
            "v", "index", "time", "actor", "role", "action", "object_type", "object_id",
            "workspace_id", "before", "after", "reason",
        }  # fmt: skip
    assert json.loads(rows[0].entry_bytes)["reason"] == "reason 0"


def test_clean_ledger_verifies_with_signed_checkpoints(
    db: sa.Engine, ledger: Ledger, signer: Signer
) -> None:
    fill(db, ledger, 10)
    report = verify(db, ledger)
    assert report.ok, report.summary()
    assert report.entries == 10
    assert report.checkpoints == 2  # after entries 4 and 8
    assert report.signed_checkpoints == 2
    assert report.covered_entries == 8
    assert any("8-9 are not yet covered" in n for n in report.notes)
    # the checkpoint root equals an independent recomputation over the first 8 leaves
    with db.connect() as conn:
        rows = conn.execute(sa.select(E.c.entry_bytes).order_by(E.c.idx).limit(8)).all()
        cp = conn.execute(sa.select(C).where(C.c.tree_size == 8)).one()

    def mth(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return leaves[0]
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

    leaves = [hashlib.sha256(b"\x00" + bytes(r.entry_bytes)).digest() for r in rows]
    assert cp.root_hash == mth(leaves).hex()
    assert cp.public_key == signer.public_key.hex()


def test_changed_column_is_named(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        conn.execute(sa.update(E).where(E.c.idx == 5).values(actor="u-evil"))
    report = verify(db, ledger)
    assert not report.ok
    assert report.implicated_entries == [5]
    assert "actor" in report.problems[0].message


def test_changed_bytes_without_leaf_hash_is_named(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        row = conn.execute(sa.select(E.c.entry_bytes).where(E.c.idx == 2)).one()
        forged = bytes(row.entry_bytes).replace(b"objective.update", b"objective.delete")
        conn.execute(sa.update(E).where(E.c.idx == 2).values(entry_bytes=forged))
    report = verify(db, ledger)
    assert 2 in report.implicated_entries
    assert {p.kind for p in report.problems} >= {"changed", "root"}


def test_consistent_rewrite_is_caught_by_the_signed_root(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        rewrite_entry(conn, 6, action="objective.delete", reason="covering tracks")
    report = verify(db, ledger)
    assert not report.ok
    kinds = {p.kind for p in report.problems}
    assert kinds == {"root"}, report.summary()
    # the first checkpoint (size 4) still matches, so the change is within entries 4-7
    assert report.implicated_entries == [4, 5, 6, 7]


def test_deleted_middle_row_is_named(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        conn.execute(sa.delete(E).where(E.c.idx == 3))
    report = verify(db, ledger)
    assert not report.ok
    missing = [p for p in report.problems if p.kind == "missing"]
    assert missing and missing[0].entries == (3,)


def test_deleted_last_rows_are_named(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        conn.execute(sa.delete(E).where(E.c.idx >= 6))
        # the attacker also rewinds the head; only the checkpoint still remembers 8 entries
        conn.execute(sa.update(tables.head).values(size=6))
    report = verify(db, ledger)
    truncated = [p for p in report.problems if p.kind == "truncated"]
    assert truncated and truncated[0].entries == (6, 7)


def test_deleted_uncheckpointed_tail_is_named_by_the_head(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 10)  # checkpoints cover 0-7; 8 and 9 rely on the head row
    with db.begin() as conn:
        conn.execute(sa.delete(E).where(E.c.idx == 9))
    report = verify(db, ledger)
    assert [p.kind for p in report.problems] == ["head"]
    assert report.implicated_entries == [9]


def test_inserted_row_in_the_middle_is_caught(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        # shift entries 5.. up by one (highest first, the index is the primary key)
        for idx in range(7, 4, -1):
            conn.execute(sa.update(E).where(E.c.idx == idx).values(idx=idx + 1))
        record = json.loads(
            conn.execute(sa.select(E.c.entry_bytes).where(E.c.idx == 4)).scalar_one()
        )
        record.update(index=5, action="budget_line.delete", object_id="bud_x")
        data = canonical_json(record)
        conn.execute(
            sa.insert(E).values(
                idx=5, time=record["time"], actor=record["actor"], role=record["role"],
                action=record["action"], object_type=record["object_type"],
                object_id=record["object_id"], workspace_id=record["workspace_id"],
                before_digest=record["before"], after_digest=record["after"],
                reason=record["reason"], entry_bytes=data, leaf_hash=leaf_hash(data).hex(),
            )
        )  # fmt: skip
        conn.execute(sa.update(tables.head).values(size=9))
    report = verify(db, ledger)
    assert not report.ok
    moved = sorted(i for p in report.problems if p.kind == "moved" for i in p.entries)
    assert moved == [6, 7, 8]  # the shifted rows no longer sit at their own index
    assert any(p.kind == "root" and 5 in p.entries for p in report.problems)


def test_row_appended_behind_the_heads_back_is_named(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        record = json.loads(
            conn.execute(sa.select(E.c.entry_bytes).where(E.c.idx == 7)).scalar_one()
        )
        record.update(index=8, action="user.create")
        data = canonical_json(record)
        conn.execute(
            sa.insert(E).values(
                idx=8, time=record["time"], actor=record["actor"], role=record["role"],
                action=record["action"], object_type=record["object_type"],
                object_id=record["object_id"], workspace_id=record["workspace_id"],
                before_digest=record["before"], after_digest=record["after"],
                reason=record["reason"], entry_bytes=data, leaf_hash=leaf_hash(data).hex(),
            )
        )  # fmt: skip
    report = verify(db, ledger)
    assert [p.kind for p in report.problems] == ["head"]
    assert report.implicated_entries == [8]


def test_swapped_indices_are_named(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        conn.execute(sa.update(E).where(E.c.idx == 1).values(idx=-1))
        conn.execute(sa.update(E).where(E.c.idx == 2).values(idx=1))
        conn.execute(sa.update(E).where(E.c.idx == -1).values(idx=2))
    report = verify(db, ledger)
    moved = sorted(i for p in report.problems if p.kind == "moved" for i in p.entries)
    assert moved == [1, 2]


def test_swapped_row_contents_are_named(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    cols = [c for c in E.c if c.name != "idx"]
    with db.begin() as conn:
        a = conn.execute(sa.select(*cols).where(E.c.idx == 4)).one()._asdict()
        b = conn.execute(sa.select(*cols).where(E.c.idx == 6)).one()._asdict()
        conn.execute(sa.update(E).where(E.c.idx == 4).values(**b))
        conn.execute(sa.update(E).where(E.c.idx == 6).values(**a))
    report = verify(db, ledger)
    moved = sorted(i for p in report.problems if p.kind == "moved" for i in p.entries)
    assert moved == [4, 6]


def test_changed_checkpoint_is_caught(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 8)
    with db.begin() as conn:
        conn.execute(sa.update(C).where(C.c.tree_size == 4).values(root_hash="00" * 32))
    report = verify(db, ledger)
    kinds = {p.kind for p in report.problems}
    assert kinds == {"signature", "root"}
    assert all(p.checkpoint is not None for p in report.problems)


def test_forged_signature_with_another_key_is_caught(
    db: sa.Engine, ledger: Ledger, signer: Signer
) -> None:
    fill(db, ledger, 8)
    forger = Signer.generate()
    with db.begin() as conn:
        rewrite_entry(conn, 1, action="user.delete")
        # recompute every checkpoint over the forged entries and sign them with the forger's key
        rows = conn.execute(sa.select(E.c.entry_bytes).order_by(E.c.idx)).all()
        leaves = [leaf_hash(bytes(r.entry_bytes)) for r in rows]
        from civicflow.ledger import root_from_leaves

        for cp in conn.execute(sa.select(C)).all():
            root = root_from_leaves(leaves[: cp.tree_size]).hex()
            statement = checkpoint_statement(
                tree_size=cp.tree_size, root_hash=root, created_at=cp.created_at
            )
            conn.execute(
                sa.update(C)
                .where(C.c.id == cp.id)
                .values(
                    root_hash=root,
                    public_key=forger.public_key.hex(),
                    key_fingerprint=forger.fingerprint,
                    signature=forger.sign(statement).hex(),
                )
            )
    # with the trusted key (the configured signer's), the forgery is plain
    report = verify(db, ledger)
    assert not report.ok
    assert {p.kind for p in report.problems} == {"signature"}
    assert all("untrusted key" in p.message for p in report.problems)
    # without any trusted key, verify cannot tell, and says why
    report = verify(db, Ledger(signer=None))
    assert report.ok
    assert any("no trusted public key" in n for n in report.notes)


def test_bad_signature_bytes_are_caught(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 4)
    with db.begin() as conn:
        sig = conn.execute(sa.select(C.c.signature)).scalar_one()
        flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
        conn.execute(sa.update(C).values(signature=flipped))
    report = verify(db, ledger)
    assert [p.kind for p in report.problems] == ["signature"]
    assert "signature does not match" in report.problems[0].message


def test_unsigned_ledger_says_so(db: sa.Engine) -> None:
    ledger = Ledger(signer=None, checkpoint_every=2)
    fill(db, ledger, 4)
    report = verify(db, ledger)
    assert report.ok
    assert report.unsigned
    assert any("UNSIGNED" in n for n in report.notes)


def test_inclusion_proof_verifies_independently(
    db: sa.Engine, ledger: Ledger, signer: Signer
) -> None:
    fill(db, ledger, 11)
    with db.connect() as conn:
        proof = ledger.inclusion_proof(conn, 5)
    assert proof.tree_size == 8
    assert verify_inclusion_proof(proof, trusted_public_key=signer.public_key)
    assert not verify_inclusion_proof(proof, trusted_public_key=Signer.generate().public_key)
    forged = InclusionProof(
        entry_index=proof.entry_index,
        entry_bytes=proof.entry_bytes.replace(b"obj_5", b"obj_9"),
        leaf_hash=leaf_hash(proof.entry_bytes.replace(b"obj_5", b"obj_9")).hex(),
        tree_size=proof.tree_size,
        path=proof.path,
        checkpoint=proof.checkpoint,
    )
    assert not verify_inclusion_proof(forged, trusted_public_key=signer.public_key)
    with db.connect() as conn, pytest.raises(NotFoundError, match="not covered"):
        ledger.inclusion_proof(conn, 9)


def test_actor_must_be_a_pseudonym(db: sa.Engine, ledger: Ledger) -> None:
    with db.begin() as conn, pytest.raises(InputError) as err:
        ledger.append(
            conn, actor="jane.doe@agency.example", role="analyst", action="x.y",
            object_type="x", object_id="1",
        )  # fmt: skip
    assert err.value.where is not None and err.value.where.field == "actor"


def test_rolled_back_append_leaves_nothing(db: sa.Engine, ledger: Ledger) -> None:
    fill(db, ledger, 2)
    with pytest.raises(RuntimeError), db.begin() as conn:
        ledger.append(
            conn, actor="u-1", role="analyst", action="x.y", object_type="x", object_id="1"
        )
        raise RuntimeError("the change failed after the entry was written")
    fill(db, ledger, 1)
    report = verify(db, ledger)
    assert report.ok and report.entries == 3


def test_concurrent_appends_never_collide(db: sa.Engine, ledger: Ledger) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            fill(db, ledger, 10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = verify(db, ledger)
    assert report.ok, report.summary()
    assert report.entries == 40
    assert report.checkpoints == 10


def test_keygen_writes_a_private_pem(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "ledger.pem"
    signer = write_new_key(key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert Signer.from_pem_file(key_file).public_key == signer.public_key


# -- issue 7: the ledger must catch every rewrite ----------------------------------------------


def published(db: sa.Engine, ledger: Ledger, n: int) -> None:
    """Append ``n`` entries the way the application does: publish each head after commit."""
    for i in range(n):
        with db.begin() as conn:
            ledger.append(
                conn, actor="u-0001", role="analyst", action="objective.update",
                object_type="objective", object_id=f"obj_{i}", workspace_id="ws_1",
                after_digest=hashlib.sha256(f"after {i}".encode()).hexdigest(),
            )  # fmt: skip
            head = ledger.take_head(conn)
        ledger.publish(head)


def rewrite_consistently(conn: sa.Connection, idx: int, **changes: object) -> None:
    """The attack of issue 7: delete every checkpoint, rewrite an entry, and make the leaf
    hashes and the head's frontier agree again, so the database is consistent with itself."""
    from civicflow.ledger import Frontier

    conn.execute(sa.delete(C))
    rewrite_entry(conn, idx, **changes)
    frontier = Frontier()
    for r in conn.execute(sa.select(E.c.entry_bytes).order_by(E.c.idx)).all():
        frontier.append(leaf_hash(bytes(r.entry_bytes)))
    conn.execute(sa.update(tables.head).values(frontier=json.dumps(frontier.to_state())))


@pytest.mark.parametrize("signed", [True, False])
def test_deleted_checkpoints_and_consistent_rewrite_are_caught_by_the_published_head(
    db: sa.Engine, tmp_path: Path, signed: bool
) -> None:
    head_file = tmp_path / "tree-head.json"
    ledger = Ledger(signer=Signer.generate() if signed else None, tree_head_file=head_file)
    published(db, ledger, 20)
    assert json.loads(head_file.read_text())["tree_size"] == 20
    with db.begin() as conn:
        rewrite_consistently(conn, 7, action="objective.delete")
    # the database alone can no longer tell (this is what passed before the fix) ...
    alone = verify(db, Ledger(signer=None))
    assert alone.ok and alone.checkpoints == 0
    # ... the published head can
    report = verify(db, ledger)
    assert not report.ok
    assert "tree-head" in {p.kind for p in report.problems}, report.summary()
    assert 7 in report.implicated_entries


def test_every_append_signs_and_publishes_the_head(db: sa.Engine, tmp_path: Path) -> None:
    signer = Signer.generate()
    head_file = tmp_path / "head.json"
    ledger = Ledger(signer=signer, tree_head_file=head_file)  # default: a checkpoint per append
    published(db, ledger, 5)
    report = verify(db, ledger)
    assert report.ok, report.summary()
    assert report.checkpoints == report.signed_checkpoints == 5
    assert report.covered_entries == 5 and report.tree_head_size == 5
    from civicflow.ledger import read_tree_head, verify_signature

    head = read_tree_head(head_file)
    assert head is not None and head.tree_size == 5
    assert head.signature is not None
    assert verify_signature(signer.public_key, bytes.fromhex(head.signature), head.statement())


@pytest.mark.parametrize("attack", ["delete", "forge", "rewrite"])
def test_last_entries_cannot_be_deleted_forged_or_rewritten(
    db: sa.Engine, tmp_path: Path, attack: str
) -> None:
    """Before: entries after the last checkpoint (up to 15) could go unnoticed."""
    ledger = Ledger(signer=Signer.generate(), tree_head_file=tmp_path / "head.json")
    published(db, ledger, 6)
    with db.begin() as conn:
        if attack == "delete":  # and rewind the head row and drop the checkpoints covering it
            conn.execute(sa.delete(E).where(E.c.idx == 5))
            conn.execute(sa.delete(C).where(C.c.tree_size == 6))
            rows = conn.execute(sa.select(E.c.entry_bytes).order_by(E.c.idx)).all()
            from civicflow.ledger import Frontier

            frontier = Frontier()
            for r in rows:
                frontier.append(leaf_hash(bytes(r.entry_bytes)))
            conn.execute(
                sa.update(tables.head).values(size=5, frontier=json.dumps(frontier.to_state()))
            )
        elif attack == "forge":
            conn.execute(sa.delete(C).where(C.c.tree_size == 6))
            rewrite_entry(conn, 5, actor="u-evil", reason="forged")
        else:
            rewrite_consistently(conn, 5, reason="rewritten")
    report = verify(db, ledger)
    assert not report.ok
    assert 5 in report.implicated_entries, report.summary()


def test_checkpoint_rows_alone_catch_a_tail_rewrite_without_the_key(db: sa.Engine) -> None:
    ledger = Ledger(signer=Signer.generate())  # no head file: signed checkpoint per append
    fill(db, ledger, 6)
    with db.begin() as conn:
        rewrite_entry(conn, 5, reason="rewritten")
    report = verify(db, ledger)
    assert {p.kind for p in report.problems} == {"root"}
    assert report.implicated_entries == [5]


def test_deleted_signed_checkpoints_are_a_finding_with_a_key(db: sa.Engine) -> None:
    ledger = Ledger(signer=Signer.generate())
    fill(db, ledger, 4)
    with db.begin() as conn:
        conn.execute(sa.delete(C))
    report = verify(db, ledger)
    assert not report.ok
    assert "no checkpoint of the 4 entries is signed" in report.summary()


def test_turning_signing_on_later_is_a_migration_not_a_failure(db: sa.Engine) -> None:
    """Before: 'checkpoint 1 is unsigned although a signing key is configured', for ever."""
    fill(db, Ledger(signer=None, checkpoint_every=2), 6)  # three unsigned checkpoints
    signer = Signer.generate()
    ledger = Ledger(signer=signer, checkpoint_every=2)
    # turned on, nothing signed yet: a finding that says what to do
    first = verify(db, ledger)
    assert not first.ok and "civicflow ledger sign" in first.summary()
    with db.begin() as conn:
        cp = ledger.checkpoint(conn)  # what `civicflow ledger sign` does
    assert cp.signed
    report = verify(db, ledger)
    assert report.ok, report.summary()
    assert any("vouched for" in n for n in report.notes)
    fill(db, ledger, 2)
    assert verify(db, ledger).ok
    # the vouching first signed checkpoint still pins the unsigned history before it
    with db.begin() as conn:
        rewrite_entry(conn, 1, reason="rewritten")
    assert not verify(db, ledger).ok
    # an unsigned checkpoint after the first signed one is still a finding
    with db.begin() as conn:
        rewrite_entry(conn, 1, reason=None)
        Ledger(signer=None).checkpoint(conn)
    late = verify(db, ledger)
    assert [p.kind for p in late.problems] == ["signature"]
    assert "unsigned although a signing key is configured" in late.problems[0].message


def test_text_entry_bytes_are_a_finding_not_a_crash(db: sa.Engine, ledger: Ledger) -> None:
    """What SQLite stores after ``UPDATE ... SET entry_bytes = replace(...)``: TEXT."""
    fill(db, ledger, 4)
    with db.begin() as conn:
        if db.dialect.name == "sqlite":
            conn.execute(
                sa.text(
                    "UPDATE ledger_entries SET entry_bytes = "
                    "replace(entry_bytes, 'objective.update', 'objective.delete') WHERE idx = 2"
                )
            )
            kind = conn.execute(
                sa.text("SELECT typeof(entry_bytes) FROM ledger_entries WHERE idx = 2")
            ).scalar_one()
            assert kind == "text"
        else:  # PostgreSQL keeps bytea; the closest attack is a converted value
            conn.execute(
                sa.text(
                    "UPDATE ledger_entries SET entry_bytes = convert_to(replace("
                    "convert_from(entry_bytes, 'UTF8'), 'objective.update', 'objective.delete'),"
                    " 'UTF8') WHERE idx = 2"
                )
            )
    report = verify(db, ledger)
    assert not report.ok
    assert 2 in report.implicated_entries
    if db.dialect.name == "sqlite":
        assert any("stored as str" in p.message for p in report.problems)


def test_published_head_file_is_replaced_atomically_and_never_shrinks(tmp_path: Path) -> None:
    from civicflow.ledger import TreeHead, publish_tree_head, read_tree_head

    path = tmp_path / "sub" / "head.json"
    big = TreeHead(tree_size=9, root_hash="ab" * 32, created_at="t", public_key=None,
                   key_fingerprint=None, signature=None)  # fmt: skip
    small = TreeHead(tree_size=8, root_hash="cd" * 32, created_at="t", public_key=None,
                     key_fingerprint=None, signature=None)  # fmt: skip
    assert publish_tree_head(path, big)
    assert not publish_tree_head(path, small)  # a commit that finished late
    head = read_tree_head(path)
    assert head is not None and head.tree_size == 9
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_garbled_head_file_is_a_finding(db: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "head.json"
    ledger = Ledger(signer=None, tree_head_file=path)
    published(db, ledger, 2)
    path.write_text("{not json")
    report = verify(db, ledger)
    assert [p.kind for p in report.problems] == ["tree-head"]
    path.unlink()
    report = verify(db, ledger)
    assert report.ok
    assert any(n.startswith("WARNING: no published tree head") for n in report.notes)


@pytest.mark.parametrize("value", ["", "folder"])
def test_empty_or_folder_signing_key_setting_is_a_configuration_error(
    tmp_path: Path, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicflow.core import ConfigurationError, Settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    monkeypatch.setenv("CIVICFLOW_LEDGER_SIGNING_KEY_FILE", value)
    path = Settings().ledger_signing_key_file
    assert path is not None
    with pytest.raises(ConfigurationError) as exc:
        Signer.from_pem_file(path)
    assert exc.value.fix and "keygen" in exc.value.fix
    (tmp_path / "empty.pem").write_bytes(b"")
    with pytest.raises(ConfigurationError, match="is empty"):
        Signer.from_pem_file(tmp_path / "empty.pem")


def test_the_entry_table_holds_exactly_the_entry_type_fields() -> None:
    """One entry type: the table's columns are LedgerEntry's fields (``index`` stored as
    ``idx``) plus the hashed bytes; a field added in one place only fails here."""
    from dataclasses import fields

    from civicflow.ledger import LedgerEntry

    names = {f.name for f in fields(LedgerEntry)} - {"index"}
    assert set(E.c.keys()) == names | {"idx", "entry_bytes"}


def test_a_head_signed_by_another_key_or_edited_is_caught(db: sa.Engine, tmp_path: Path) -> None:
    """Someone who can write the head file but lacks the key cannot vouch for a rewrite."""
    from civicflow.ledger import read_tree_head

    path = tmp_path / "head.json"
    ledger = Ledger(signer=Signer.generate(), tree_head_file=path)
    published(db, ledger, 3)
    head = read_tree_head(path)
    assert head is not None
    forger = Signer.generate()
    doc = json.loads(path.read_text())
    doc |= {
        "public_key": forger.public_key.hex(),
        "key_fingerprint": forger.fingerprint,
        "signature": forger.sign(head.statement()).hex(),
    }
    path.write_text(json.dumps(doc))
    report = verify(db, ledger)
    assert [p.kind for p in report.problems] == ["tree-head"]
    assert "the published tree head is signed by an untrusted key" in report.problems[0].message
    path.write_text(json.dumps(doc | {"tree_size": 2, "public_key": None, "signature": None}))
    kinds = [p.message for p in verify(db, ledger).problems]
    assert any("unsigned although a signing key is configured" in m for m in kinds), kinds
