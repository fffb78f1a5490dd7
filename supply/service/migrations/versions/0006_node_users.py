"""node users: a sync node's user is bound to its station (issue 14)

Revision ID: e6a14b0d5e01
Revises: e5f9b2c3d4a5
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "e6a14b0d5e01"
down_revision = "e5f9b2c3d4a5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("station", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("station")
