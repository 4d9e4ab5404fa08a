"""governance attachments: evidence files attached to assessment answers and controls

Revision ID: 0017_governance_attachments
Revises: 0016_privacy_policies
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_governance_attachments"
down_revision = "0016_privacy_policies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "governance_attachments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_governance_attachments_workspace_id",
        "governance_attachments",
        ["workspace_id"],
        unique=False,
    )
    op.create_index(
        "ix_governance_attachments_target",
        "governance_attachments",
        ["workspace_id", "target"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_governance_attachments_target", table_name="governance_attachments")
    op.drop_index("ix_governance_attachments_workspace_id", table_name="governance_attachments")
    op.drop_table("governance_attachments")
