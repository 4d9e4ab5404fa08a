"""business cases: saved cases and their versions (documents and evaluations)

Revision ID: 0005_business_cases
Revises: 0004_simulation
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_business_cases"
down_revision = "0004_simulation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_cases",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_business_cases_name"),
    )
    op.create_index(
        "ix_business_cases_workspace_id", "business_cases", ["workspace_id"], unique=False
    )
    op.create_table(
        "business_case_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["business_cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "version", name="uq_business_case_versions_version"),
    )
    op.create_index(
        "ix_business_case_versions_workspace_id",
        "business_case_versions",
        ["workspace_id"],
        unique=False,
    )
    op.create_index(
        "ix_business_case_versions_case_id", "business_case_versions", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("business_case_versions")
    op.drop_table("business_cases")
