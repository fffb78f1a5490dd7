"""hardening: token expiry and revocation, idempotency retention, drill jobs, exercise teams

Revision ID: d4e8a1b2c3f4
Revises: d4e8a1b9c7f3
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "d4e8a1b2c3f4"
down_revision = "d4e8a1b9c7f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_record_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=8), type_=sa.String(length=12))
        batch_op.add_column(sa.Column("job", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("job_owner", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("review", sa.JSON(), nullable=True))
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drill_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_team_drill_id"), ["drill_id"], unique=False)
        batch_op.create_foreign_key("fk_team_drill_id_drill", "drill", ["drill_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_constraint("fk_team_drill_id_drill", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_team_drill_id"))
        batch_op.drop_column("drill_id")
    with op.batch_alter_table("drill", schema=None) as batch_op:
        for name in ("review", "error", "job_owner", "progress", "job"):
            batch_op.drop_column(name)
        batch_op.alter_column("status", existing_type=sa.String(length=12), type_=sa.String(length=8))
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_created_at"))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("token_expires_at")
