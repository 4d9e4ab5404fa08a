"""people and pilots: objectives' measurements keep their significance against the reference
baseline; training plans; pilot designs and evaluations

Revision ID: 0006_people
Revises: 0004_simulation
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_people"
down_revision = "0005_business_cases"
branch_labels = None
depends_on = None


_PILOT_COLUMNS = (
    ("dataset", lambda: sa.Column("dataset", sa.String(length=64), nullable=False,
                                  server_default="")),
    ("scope_filter", lambda: sa.Column("scope_filter", sa.Text(), nullable=False,
                                       server_default="")),
    ("control_filter", lambda: sa.Column("control_filter", sa.Text(), nullable=False,
                                         server_default="")),
    ("baseline_start", lambda: sa.Column("baseline_start", sa.Date(), nullable=True)),
    ("baseline_end", lambda: sa.Column("baseline_end", sa.Date(), nullable=True)),
    ("evaluation", lambda: sa.Column("evaluation", sa.JSON(), nullable=True)),
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("objective_measurements") as batch:
        batch.add_column(sa.Column("change", sa.JSON(), nullable=True))
    with op.batch_alter_table("pilots") as batch:
        for _name, column in _PILOT_COLUMNS:
            batch.add_column(column())
    op.create_table(
        "training_plans",
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_training_plans_workspace_id", "training_plans", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_training_plans_workspace_id", table_name="training_plans")
    op.drop_table("training_plans")
    with op.batch_alter_table("pilots") as batch:
        for name, _column in reversed(_PILOT_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("objective_measurements") as batch:
        batch.drop_column("change")
