"""live drill coordination

Revision ID: c3d1e5a0f6a2
Revises: b7c2f3f2ad16
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "c3d1e5a0f6a2"
down_revision = "b7c2f3f2ad16"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scenario_source", sa.String(length=300), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "drill_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("target_minutes", sa.Float(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["drill.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("drill_id", "step", name="uq_drill_step"),
    )
    with op.batch_alter_table("drill_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_step_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "team",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_station"), ["station"], unique=False)

    op.create_table(
        "drill_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=True),
        sa.Column("team", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["drill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.ForeignKeyConstraint(
            ["team"],
            ["team.code"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("drill_id", "user_id", name="uq_drill_member_user"),
    )
    with op.batch_alter_table("drill_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_member_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "drill_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=True),
        sa.Column("team", sa.String(length=40), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ack_by", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("issued_by", sa.String(length=80), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["drill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.ForeignKeyConstraint(
            ["team"],
            ["team.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("drill_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_order_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "drill_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("station", sa.String(length=40), nullable=True),
        sa.Column("planned_arrive_at", sa.DateTime(), nullable=False),
        sa.Column("planned_fed_at", sa.DateTime(), nullable=True),
        sa.Column("planned_depart_at", sa.DateTime(), nullable=True),
        sa.Column("arrived_at", sa.DateTime(), nullable=True),
        sa.Column("served_at", sa.DateTime(), nullable=True),
        sa.Column("departed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["drill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["support_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("drill_id", "code", name="uq_drill_unit_code"),
    )
    with op.batch_alter_table("drill_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_unit_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "dispatch_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["team"],
            ["team.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispatch_team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_team_dispatch_id"), ["dispatch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatch_team_team"), ["team"], unique=False)

    op.create_table(
        "order_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["drill_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_event_order_id"), ["order_id"], unique=False)

    op.create_table(
        "team_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["team"],
            ["team.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("team_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_event_team"), ["team"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_event_team"))

    op.drop_table("team_event")
    with op.batch_alter_table("order_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_event_order_id"))

    op.drop_table("order_event")
    with op.batch_alter_table("dispatch_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_team_team"))
        batch_op.drop_index(batch_op.f("ix_dispatch_team_dispatch_id"))

    op.drop_table("dispatch_team")
    with op.batch_alter_table("drill_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drill_unit_drill_id"))

    op.drop_table("drill_unit")
    with op.batch_alter_table("drill_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drill_order_drill_id"))

    op.drop_table("drill_order")
    with op.batch_alter_table("drill_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drill_member_drill_id"))

    op.drop_table("drill_member")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_station"))

    op.drop_table("team")
    with op.batch_alter_table("drill_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drill_step_drill_id"))

    op.drop_table("drill_step")
    op.drop_table("drill")
