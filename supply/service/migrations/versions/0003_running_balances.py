"""running balances on the stock lock rows, filled from the ledger

Revision ID: d4e8a1b9c7f3
Revises: c3d1e5a0f6a2
Create Date: 2026-11-30

Each (station, item, book) row of ``stocklock`` gains ``on_hand`` and ``reserved``: the sums of
its movement deltas, kept up to date by every write from now on. The fill creates the rows any
movement needs that ``db init`` did not (pairs added through the API), then sums the ledger once.
An index on (station, exercise, at) bounds a station's days-of-supply window.
"""

import sqlalchemy as sa
from alembic import op

revision = "d4e8a1b9c7f3"
down_revision = "c3d1e5a0f6a2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stocklock", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_hand", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("reserved", sa.Float(), server_default="0", nullable=False))
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.create_index("ix_movement_window", ["station", "exercise", "at"], unique=False)
    op.execute(
        "INSERT INTO stocklock (station, item, exercise, on_hand, reserved) "
        "SELECT DISTINCT m.station, m.item, m.exercise, 0, 0 FROM movement m "
        "WHERE NOT EXISTS (SELECT 1 FROM stocklock l "
        "WHERE l.station = m.station AND l.item = m.item AND l.exercise = m.exercise)"
    )
    op.execute(
        "UPDATE stocklock SET "
        "on_hand = COALESCE((SELECT SUM(m.on_hand_delta) FROM movement m WHERE m.station = stocklock.station "
        "AND m.item = stocklock.item AND m.exercise = stocklock.exercise), 0), "
        "reserved = COALESCE((SELECT SUM(m.reserved_delta) FROM movement m WHERE m.station = stocklock.station "
        "AND m.item = stocklock.item AND m.exercise = stocklock.exercise), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.drop_index("ix_movement_window")
    with op.batch_alter_table("stocklock", schema=None) as batch_op:
        batch_op.drop_column("reserved")
        batch_op.drop_column("on_hand")
