"""The ledger's SQL tables (SQLAlchemy Core), kept in the same database as application state.

``ledger_entries`` holds one row per entry: its index, the canonical JSON bytes (the only thing
hashed), the leaf hash, and copies of the fields for querying (checked against the bytes by
``verify``). ``ledger_checkpoints`` holds the signed tree heads. ``ledger_head`` is a single lock
row: every append updates it first, which serialises appenders on PostgreSQL (row lock) and SQLite
(the write lock) so indices never collide; it also carries the Merkle frontier so appends and
checkpoints cost O(log n).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

entries = Table(
    "ledger_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("time", String(40), nullable=False),
    Column("actor", String(80), nullable=False, index=True),
    Column("role", String(40), nullable=False),
    Column("action", String(80), nullable=False, index=True),
    Column("object_type", String(80), nullable=False),
    Column("object_id", String(200), nullable=False),
    Column("workspace_id", String(64), nullable=True, index=True),
    Column("before_digest", String(64), nullable=True),
    Column("after_digest", String(64), nullable=True),
    Column("reason", Text, nullable=True),
    Column("entry_bytes", LargeBinary, nullable=False),
    Column("leaf_hash", String(64), nullable=False),
)

checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("public_key", String(64), nullable=True),
    Column("key_fingerprint", String(64), nullable=True),
    Column("signature", String(128), nullable=True),
)

head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("frontier", Text, nullable=False),
)
