"""fairness_models: an audit and a stream name the automated system (a governance register entry)
and the model version they audit, so a system's audits are listed and compared over time; stored
explanations of a model's decisions (fairness_explanations)

Revision ID: 0015_fairness_models
Revises: 0014_allocations
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_fairness_models"
down_revision = "0014_allocations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fairness_audits") as batch:
        batch.add_column(sa.Column("system_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("system_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("system_version", sa.String(length=100), nullable=True))
        batch.create_index("ix_fairness_audits_system_id", ["system_id"], unique=False)
    with op.batch_alter_table("fairness_streams") as batch:
        batch.add_column(sa.Column("system_id", sa.String(length=64), nullable=True))
    op.create_table(
        "fairness_explanations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=500), nullable=False),
        sa.Column("model_sha256", sa.String(length=64), nullable=False),
        sa.Column("data_name", sa.String(length=500), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("system_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_fairness_explanations_workspace_id",
        "fairness_explanations",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("fairness_explanations")
    with op.batch_alter_table("fairness_streams") as batch:
        batch.drop_column("system_id")
    with op.batch_alter_table("fairness_audits") as batch:
        batch.drop_index("ix_fairness_audits_system_id")
        batch.drop_column("system_version")
        batch.drop_column("system_name")
        batch.drop_column("system_id")
