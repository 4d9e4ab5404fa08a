"""retention policies by name, with a rule (scope, age, action) and an order

Revision ID: 0019_privret
Revises: 0018_assistant_conversations
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_privret"
down_revision = "0018_assistant_conversations"
branch_labels = None
depends_on = None

TABLE = "privacy_retention_policies"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("name", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("rule", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("position", sa.Integer(), nullable=True))
    op.execute(sa.text(f"UPDATE {TABLE} SET name = dataset, position = 100"))
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("name", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("position", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_privacy_retention_policies_version", type_="unique")
        batch.create_unique_constraint(
            "uq_privacy_retention_policies_name_version", ["workspace_id", "name", "version"]
        )


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint("uq_privacy_retention_policies_name_version", type_="unique")
        batch.create_unique_constraint(
            "uq_privacy_retention_policies_version", ["workspace_id", "dataset", "version"]
        )
        batch.drop_column("position")
        batch.drop_column("rule")
        batch.drop_column("name")
