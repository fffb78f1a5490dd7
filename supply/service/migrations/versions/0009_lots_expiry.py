"""lots and expiry, stock in transit: items kept by lot, each movement's lot, running balances per lot (issue 22)

Revision ID: e9c22a1d0b09
Revises: e8c20a5e5510
Create Date: 2026-12-04

Items gain ``lot_tracked`` (the built-in ``rations`` and ``water_l`` are); movements gain ``lot``
(``""``: stock without a lot, which every existing movement is) and ``expires_on``; ``lotbalance``
holds the running on-hand per lot, filled here from each book's running balance as its one
unlotted lot. A transfer's legs gain ``counterpart`` (the other station) and ``due_at`` (its
expected arrival): a transfer is on the road from its outgoing legs until the destination receives it.
Support requests gain their approval state (``approval``: pending, approved, rejected; the deciding
role, why, who decided, when and why).
"""

import sqlalchemy as sa
from alembic import op

revision = "e9c22a1d0b09"
down_revision = "e8c20a5e5510"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lot_tracked", sa.Boolean(), nullable=False, server_default="0"))
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lot", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("expires_on", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("counterpart", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("approval_role", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("approval_why", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("decision_reason", sa.String(), nullable=False, server_default=""))
    op.execute("UPDATE item SET lot_tracked = true WHERE code IN ('rations', 'water_l')")
    op.create_table(
        "lotbalance",
        sa.Column("station", sa.String(length=40), sa.ForeignKey("station.code"), primary_key=True),
        sa.Column("item", sa.String(length=40), sa.ForeignKey("item.code"), primary_key=True),
        sa.Column("exercise", sa.Boolean(), primary_key=True),
        sa.Column("lot", sa.String(length=40), primary_key=True),
        sa.Column("on_hand", sa.Float(), nullable=False, server_default="0"),
        sa.Column("expires_on", sa.String(length=10), nullable=True),
    )
    op.execute(
        "INSERT INTO lotbalance (station, item, exercise, lot, on_hand, expires_on) "
        "SELECT station, item, exercise, '', on_hand, NULL FROM stocklock"
    )


def downgrade() -> None:
    op.drop_table("lotbalance")
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        for column in ("decision_reason", "decided_at", "decided_by", "approval_why", "approval_role", "approval"):
            batch_op.drop_column(column)
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.drop_column("due_at")
        batch_op.drop_column("counterpart")
        batch_op.drop_column("expires_on")
        batch_op.drop_column("lot")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("lot_tracked")
