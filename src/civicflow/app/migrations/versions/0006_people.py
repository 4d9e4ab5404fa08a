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
down_revision = "0004_simulation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objective_measurements") as batch:
        batch.add_column(sa.Column("change", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objective_measurements") as batch:
        batch.drop_column("change")
