"""fairness_streams: registered decision streams, re-audited by `civicflow fairness monitor run`

Revision ID: 0010_fairness_streams
Revises: 0009_fairness
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_fairness_streams"
down_revision = "0009_fairness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fairness_streams",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("last_check", sa.JSON(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_fairness_streams_name"),
    )
    op.create_index(
        "ix_fairness_streams_workspace_id", "fairness_streams", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("fairness_streams")
