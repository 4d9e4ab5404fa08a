"""sensitive fields encrypted at rest (widened to text, existing rows encrypted), ledger seal keys

Revision ID: 0020_privrest
Revises: 0019_privret
Create Date: 2026-12-06

The fields of ``civicflow.app._encrypted.ENCRYPTED_FIELDS`` become text (a ciphertext is longer
than the String(200) a name had; JSON documents are stored as their encrypted text) and the values
already stored are encrypted with the key ring of the setting ``privacy_key_file`` — without one
they stay clear until a key ring is configured and ``civicflow privacy encrypt-fields`` runs.
The downgrade decrypts them (it needs the same key ring) and restores the types.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from civicflow.app._encrypted import ENCRYPTED_FIELDS, rewrite_fields

revision = "0020_privrest"
down_revision = "0019_privret"
branch_labels = None
depends_on = None

_WAS_STRING = {("stakeholders", "name"): 200, ("stakeholders", "organisation"): 200}


def _old_type(table: str, column: str, kind: str) -> Any:
    if (table, column) in _WAS_STRING:
        return sa.String(length=_WAS_STRING[(table, column)])
    return sa.JSON() if kind == "json" else sa.Text()


def _retype(to_text: bool) -> None:
    bind = op.get_bind()
    for table, fields in ENCRYPTED_FIELDS.items():
        changes = [(c, k) for c, k in fields if (table, c) in _WAS_STRING or k == "json"]
        if not changes:
            continue
        with op.batch_alter_table(table) as batch:
            for column, kind in changes:
                old = _old_type(table, column, kind)
                using: dict[str, Any] = {}
                if bind.dialect.name == "postgresql" and kind == "json":
                    using = {"postgresql_using": f"{column}::{'text' if to_text else 'json'}"}
                batch.alter_column(
                    column,
                    type_=sa.Text() if to_text else old,
                    existing_type=old if to_text else sa.Text(),
                    existing_nullable=False,
                    **using,
                )


def upgrade() -> None:
    op.create_table(
        "privacy_seal_keys",
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("object_type", "object_id"),
    )
    _retype(to_text=True)
    rewrite_fields(op.get_bind(), encrypt=True)


def downgrade() -> None:
    rewrite_fields(op.get_bind(), encrypt=False)
    _retype(to_text=False)
    op.drop_table("privacy_seal_keys")
