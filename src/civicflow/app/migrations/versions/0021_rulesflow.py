"""rulesflow: rule set versions that hold a DMN model, and batches of decisions

Revision ID: 0021_rulesflow
Revises: 0020_privrest
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_rulesflow"
down_revision = "0020_privrest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ruleset_versions") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="yaml")
        )
        batch.add_column(sa.Column("dmn_decision", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("dmn_positive", sa.JSON(), nullable=True))
    op.create_table(
        "rule_decision_batches",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_version_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Integer(), nullable=False),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ruleset_version_id"], ["ruleset_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_rule_decision_batches_workspace_id", "rule_decision_batches", ["workspace_id"]
    )
    op.create_index(
        "ix_rule_decision_batches_ruleset_version_id",
        "rule_decision_batches",
        ["ruleset_version_id"],
    )
    with op.batch_alter_table("rule_decisions") as batch:
        batch.add_column(sa.Column("batch_id", sa.String(length=64), nullable=True))
        batch.create_index("ix_rule_decisions_batch_id", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_rule_decisions_batch_id", "rule_decisions")
    op.drop_column("rule_decisions", "batch_id")
    op.drop_index("ix_rule_decision_batches_ruleset_version_id", "rule_decision_batches")
    op.drop_index("ix_rule_decision_batches_workspace_id", "rule_decision_batches")
    op.drop_table("rule_decision_batches")
    # Dropped in place, never by rebuilding the table: on SQLite a rebuild drops
    # ruleset_versions, which the stored decisions' foreign keys refuse.
    for column in ("dmn_positive", "dmn_decision", "kind"):
        op.drop_column("ruleset_versions", column)
