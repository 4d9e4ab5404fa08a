"""decisions: rule set versions, decisions under them, reviews/overrides and appeals

Revision ID: 0012_decisions
Revises: 0011_privacy_requests
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_decisions"
down_revision = "0011_privacy_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ruleset_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tests_text", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("automation", sa.String(length=16), nullable=False),
        sa.Column("review_negative", sa.Boolean(), nullable=False),
        sa.Column("review_uncertain", sa.Boolean(), nullable=False),
        sa.Column("test_result", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name", "version", name="uq_ruleset_versions_version"),
    )
    op.create_index(
        "ix_ruleset_versions_workspace_id", "ruleset_versions", ["workspace_id"], unique=False
    )
    op.create_table(
        "rule_decisions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_version_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset", sa.String(length=200), nullable=False),
        sa.Column("case_ref", sa.String(length=200), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("automation", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("final_positive", sa.Boolean(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ruleset_version_id"], ["ruleset_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_rule_decisions_workspace_id", "rule_decisions", ["workspace_id"], unique=False
    )
    op.create_index(
        "ix_rule_decisions_ruleset_version_id",
        "rule_decisions",
        ["ruleset_version_id"],
        unique=False,
    )
    op.create_table(
        "rule_reviews",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("final_positive", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decision_id"], ["rule_decisions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rule_reviews_workspace_id", "rule_reviews", ["workspace_id"], unique=False)
    op.create_index("ix_rule_reviews_decision_id", "rule_reviews", ["decision_id"], unique=False)
    op.create_table(
        "rule_appeals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_version_id", sa.String(length=64), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("changed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decision_id"], ["rule_decisions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ruleset_version_id"], ["ruleset_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rule_appeals_workspace_id", "rule_appeals", ["workspace_id"], unique=False)
    op.create_index("ix_rule_appeals_decision_id", "rule_appeals", ["decision_id"], unique=False)


def downgrade() -> None:
    op.drop_table("rule_appeals")
    op.drop_table("rule_reviews")
    op.drop_table("rule_decisions")
    op.drop_table("ruleset_versions")
