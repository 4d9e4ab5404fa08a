"""governance: the register of automated systems, supplied question sets, assessments, the
state of compliance controls, the infrastructure inventory, saved readiness scorecards

Revision ID: 0007_governance
Revises: 0004_simulation
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_governance"
down_revision = "0006_people"
branch_labels = None
depends_on = None


def _common() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "governance_systems",
        *_common(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_governance_systems_name"),
    )
    op.create_index(
        "ix_governance_systems_workspace_id", "governance_systems", ["workspace_id"], unique=False
    )
    op.create_table(
        "governance_question_sets",
        *_common(),
        sa.Column("set_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "workspace_id", "set_id", "version", name="uq_governance_question_sets"
        ),
    )
    op.create_index(
        "ix_governance_question_sets_workspace_id",
        "governance_question_sets",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "governance_assessments",
        *_common(),
        sa.Column("system_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("question_set_id", sa.String(length=64), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["system_id"], ["governance_systems.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["question_set_id"], ["governance_question_sets.id"], ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_governance_assessments_workspace_id",
        "governance_assessments",
        ["workspace_id"],
        unique=False,
    )
    op.create_index(
        "ix_governance_assessments_system_id",
        "governance_assessments",
        ["system_id"],
        unique=False,
    )
    op.create_table(
        "governance_controls",
        *_common(),
        sa.Column("catalogue", sa.String(length=64), nullable=False),
        sa.Column("control", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "catalogue", "control", name="uq_governance_controls"),
    )
    op.create_index(
        "ix_governance_controls_workspace_id", "governance_controls", ["workspace_id"], unique=False
    )
    op.create_table(
        "governance_infrastructure",
        *_common(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_governance_infrastructure_name"),
    )
    op.create_index(
        "ix_governance_infrastructure_workspace_id",
        "governance_infrastructure",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "governance_readiness",
        *_common(),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("scorecard", sa.JSON(), nullable=False),
        sa.Column("taken_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_governance_readiness_workspace_id",
        "governance_readiness",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("governance_readiness")
    op.drop_table("governance_infrastructure")
    op.drop_table("governance_controls")
    op.drop_table("governance_assessments")
    op.drop_table("governance_question_sets")
    op.drop_table("governance_systems")
