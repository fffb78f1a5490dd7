"""sync identity: a global uid and an origin on every record a node or the centre can create

Revision ID: e5f9b2c3d4a5
Revises: d4e8a1b2c3f4
Create Date: 2026-12-01

Movements, support requests, dispatches, their events, team events, orders and their events and
audit entries gain ``uid`` (36-character UUID text, unique) and ``origin`` (``centre`` or the
node's station code). Existing rows get theirs here: a fresh random uid, and this database's node
code as origin (``centre`` unless ``db init --node`` ran); opening stock gets the deterministic uid
a new database loading the same scenario gives it, so syncing never counts it twice. Status events
gain ``parent`` (the event they were made on: the previous one of their record) and ``rejected``;
movements gain ``cause`` (the event that made them). ``sync_peer`` and ``sync_alert`` are new.
"""

import uuid

import sqlalchemy as sa
from alembic import op

from supply.service.models import opening_uid

revision = "e5f9b2c3d4a5"
down_revision = "d4e8a1b2c3f4"
branch_labels = None
depends_on = None

#: Tables that gain ``uid`` and ``origin``, and the status logs among them (column naming their record).
IDENTIFIED = (
    "movement",
    "support_request",
    "dispatch",
    "dispatch_event",
    "team_event",
    "drill_order",
    "order_event",
    "audit_entry",
)
EVENTS = {"dispatch_event": "dispatch_id", "team_event": "team", "order_event": "order_id"}


def upgrade() -> None:
    op.create_table(
        "sync_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("available", sa.Float(), nullable=False),
        sa.Column("movements", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sync_peer",
        sa.Column("node", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.String(), nullable=True),
        sa.Column("trusted_at", sa.DateTime(), nullable=True),
        sa.Column("received", sa.JSON(), nullable=False),
        sa.Column("acked", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("node"),
    )
    for table in IDENTIFIED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("uid", sa.String(length=36), nullable=True))
            batch_op.add_column(sa.Column("origin", sa.String(length=40), nullable=True))
            if table in EVENTS:
                batch_op.add_column(sa.Column("parent", sa.String(length=36), nullable=True))
                batch_op.add_column(sa.Column("rejected", sa.Boolean(), server_default="0", nullable=False))
            if table == "movement":
                batch_op.add_column(sa.Column("cause", sa.String(length=36), nullable=True))
                batch_op.create_index(batch_op.f("ix_movement_cause"), ["cause"], unique=False)
    _fill()
    for table in IDENTIFIED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("uid", existing_type=sa.String(length=36), nullable=False)
            batch_op.alter_column("origin", existing_type=sa.String(length=40), nullable=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_uid"), ["uid"], unique=True)


def _fill() -> None:
    """Give existing rows their uid and origin, and each event its parent (the previous event of its record)."""
    conn = op.get_bind()
    meta: dict[str, str] = dict(
        conn.execute(sa.text("SELECT key, value FROM meta WHERE key IN ('node', 'scenario_toml')")).all()
    )
    node = meta.get("node", "centre")
    scenario = meta.get("scenario_toml")
    for table in IDENTIFIED:
        t = sa.table(table, sa.column("id"), sa.column("uid"), sa.column("origin"))
        ids = [row[0] for row in conn.execute(sa.select(t.c.id).order_by(t.c.id))]
        if not ids:
            continue
        uids = {i: str(uuid.uuid4()) for i in ids}
        seeded = []  # opening stock: the uid (and origin) a database loading the same scenario gives it
        if table == "movement" and scenario is not None:
            opening = sa.text("SELECT id, station, item, exercise FROM movement WHERE kind = 'opening'")
            for i, station, item, exercise in conn.execute(opening):
                uids[i] = opening_uid(scenario, station, item, bool(exercise))
                seeded.append(i)
        origins = dict.fromkeys(uids, node)
        if table == "movement" and scenario is not None:
            origins.update(dict.fromkeys(seeded, "centre"))
        stmt = sa.update(t).where(t.c.id == sa.bindparam("b_id"))
        stmt = stmt.values(uid=sa.bindparam("b_uid"), origin=sa.bindparam("b_origin"))
        conn.execute(stmt, [{"b_id": i, "b_uid": u, "b_origin": origins[i]} for i, u in uids.items()])
        if table in EVENTS:
            record = EVENTS[table]
            rows = conn.execute(sa.text(f"SELECT id, {record} FROM {table} ORDER BY id"))  # noqa: S608 - fixed names
            head: dict[object, str] = {}
            parents = []
            for i, rec in rows:
                if rec in head:
                    parents.append({"b_id": i, "b_parent": head[rec]})
                head[rec] = uids[i]
            if parents:
                e = sa.table(table, sa.column("id"), sa.column("parent"))
                conn.execute(
                    sa.update(e).where(e.c.id == sa.bindparam("b_id")).values(parent=sa.bindparam("b_parent")),
                    parents,
                )


def downgrade() -> None:
    for table in reversed(IDENTIFIED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_uid"))
            if table == "movement":
                batch_op.drop_index(batch_op.f("ix_movement_cause"))
                batch_op.drop_column("cause")
            if table in EVENTS:
                batch_op.drop_column("rejected")
                batch_op.drop_column("parent")
            batch_op.drop_column("origin")
            batch_op.drop_column("uid")
    op.drop_table("sync_peer")
    op.drop_table("sync_alert")
