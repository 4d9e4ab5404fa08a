"""assistant conversations: settings, transcripts (redacted), hand-offs and ratings

Revision ID: 0018_assistant_conversations
Revises: 0017_governance_attachments
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_assistant_conversations"
down_revision = "0017_governance_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assistant_settings",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    op.create_table(
        "assistant_conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_assistant_conversations_workspace_id",
        "assistant_conversations",
        ["workspace_id"],
        unique=False,
    )
    op.create_index(
        "ix_assistant_conversations_last_at", "assistant_conversations", ["last_at"], unique=False
    )
    op.create_table(
        "assistant_turns",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("chunk_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("kb_version", sa.String(length=64), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["assistant_conversations.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_assistant_turns_conversation_id", "assistant_turns", ["conversation_id"], unique=False
    )
    op.create_index(
        "ix_assistant_turns_workspace_id", "assistant_turns", ["workspace_id"], unique=False
    )
    op.create_index("ix_assistant_turns_chunk_id", "assistant_turns", ["chunk_id"], unique=False)
    op.create_index(
        "ix_assistant_turns_kb_version", "assistant_turns", ["kb_version"], unique=False
    )
    op.create_table(
        "assistant_handoffs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("turn_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["assistant_conversations.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_assistant_handoffs_workspace_id", "assistant_handoffs", ["workspace_id"], unique=False
    )
    op.create_index(
        "ix_assistant_handoffs_conversation_id",
        "assistant_handoffs",
        ["conversation_id"],
        unique=False,
    )
    op.create_index("ix_assistant_handoffs_status", "assistant_handoffs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("assistant_handoffs")
    op.drop_table("assistant_turns")
    op.drop_table("assistant_conversations")
    op.drop_table("assistant_settings")
