"""privacy: the data steward's column decisions, the re-identification vault, DP releases

Revision ID: 0008_privacy
Revises: 0004_simulation
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_privacy"
down_revision = "0007_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_column_decisions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "column", name="uq_privacy_column_decisions_column"),
    )
    op.create_index(
        "ix_privacy_column_decisions_workspace_id",
        "privacy_column_decisions",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "privacy_vault",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "pseudonym", name="uq_privacy_vault_pseudonym"),
    )
    op.create_index(
        "ix_privacy_vault_workspace_id", "privacy_vault", ["workspace_id"], unique=False
    )
    op.create_table(
        "privacy_releases",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("budget", sa.Float(), nullable=False),
        sa.Column("release", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_privacy_releases_workspace_id", "privacy_releases", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_privacy_releases_workspace_id", table_name="privacy_releases")
    op.drop_table("privacy_releases")
    op.drop_index("ix_privacy_vault_workspace_id", table_name="privacy_vault")
    op.drop_table("privacy_vault")
    op.drop_index("ix_privacy_column_decisions_workspace_id", table_name="privacy_column_decisions")
    op.drop_table("privacy_column_decisions")
