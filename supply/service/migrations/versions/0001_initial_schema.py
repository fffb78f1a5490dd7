"""initial schema

Revision ID: b7c2f3f2ad16
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "b7c2f3f2ad16"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)

    op.create_table(
        "item",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "site",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ring", sa.String(length=10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "station",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("capacity", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
    )
    op.create_table(
        "reorderlevel",
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item"],
            ["item.code"],
        ),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.PrimaryKeyConstraint("station", "item"),
    )
    op.create_table(
        "stocklock",
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item"],
            ["item.code"],
        ),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.PrimaryKeyConstraint("station", "item", "exercise"),
    )
    op.create_table(
        "support_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=120), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("special_diets", sa.JSON(), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("arrive_at", sa.DateTime(), nullable=False),
        sa.Column("dwell_minutes", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("needs_computed", sa.Boolean(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site"],
            ["site.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_request_exercise"), ["exercise"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_request_site"), ["site"], unique=False)

    op.create_table(
        "dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["support_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispatch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_exercise"), ["exercise"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatch_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatch_station"), ["station"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatch_status"), ["status"], unique=False)

    op.create_table(
        "dispatch_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatch.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispatch_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_event_dispatch_id"), ["dispatch_id"], unique=False)

    op.create_table(
        "dispatch_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item"],
            ["item.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispatch_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_line_dispatch_id"), ["dispatch_id"], unique=False)

    op.create_table(
        "movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("on_hand_delta", sa.Float(), nullable=False),
        sa.Column("reserved_delta", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("reversal_of", sa.Integer(), nullable=True),
        sa.Column("transfer_ref", sa.String(length=36), nullable=True),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item"],
            ["item.code"],
        ),
        sa.ForeignKeyConstraint(
            ["reversal_of"],
            ["movement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["station"],
            ["station.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reversal_of"),
    )
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_movement_at"), ["at"], unique=False)
        batch_op.create_index("ix_movement_book", ["station", "item", "exercise"], unique=False)
        batch_op.create_index(batch_op.f("ix_movement_dispatch_id"), ["dispatch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_movement_transfer_ref"), ["transfer_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movement_transfer_ref"))
        batch_op.drop_index(batch_op.f("ix_movement_dispatch_id"))
        batch_op.drop_index("ix_movement_book")
        batch_op.drop_index(batch_op.f("ix_movement_at"))

    op.drop_table("movement")
    with op.batch_alter_table("dispatch_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_line_dispatch_id"))

    op.drop_table("dispatch_line")
    with op.batch_alter_table("dispatch_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_event_dispatch_id"))

    op.drop_table("dispatch_event")
    with op.batch_alter_table("dispatch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_status"))
        batch_op.drop_index(batch_op.f("ix_dispatch_station"))
        batch_op.drop_index(batch_op.f("ix_dispatch_request_id"))
        batch_op.drop_index(batch_op.f("ix_dispatch_exercise"))

    op.drop_table("dispatch")
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_request_site"))
        batch_op.drop_index(batch_op.f("ix_support_request_exercise"))

    op.drop_table("support_request")
    op.drop_table("stocklock")
    op.drop_table("reorderlevel")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_token_hash"))

    op.drop_table("user")
    op.drop_table("station")
    op.drop_table("site")
    op.drop_table("meta")
    op.drop_table("item")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
