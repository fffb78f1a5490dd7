"""console sessions: a server-side session per sign-in, its id stored hashed (issue 20)

Revision ID: e8c20a5e5510
Revises: e7c3d9a2b4f6
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "e8c20a5e5510"
down_revision = "e7c3d9a2b4f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_console_session_id_hash"), "console_session", ["id_hash"], unique=True)
    op.create_index(op.f("ix_console_session_user_id"), "console_session", ["user_id"], unique=False)
    op.create_index(op.f("ix_console_session_expires_at"), "console_session", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_console_session_expires_at"), table_name="console_session")
    op.drop_index(op.f("ix_console_session_user_id"), table_name="console_session")
    op.drop_index(op.f("ix_console_session_id_hash"), table_name="console_session")
    op.drop_table("console_session")
