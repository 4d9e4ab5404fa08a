"""privacy policies: stored, versioned retention policies per dataset (or every dataset)

Revision ID: 0016_privacy_policies
Revises: 0015_fairness_models
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_privacy_policies"
down_revision = "0015_fairness_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_retention_policies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("older_than_days", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "workspace_id", "dataset", "version", name="uq_privacy_retention_policies_version"
        ),
    )
    op.create_index(
        "ix_privacy_retention_policies_workspace_id",
        "privacy_retention_policies",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("privacy_retention_policies")
