"""drill team keys: an exercise team is its drill's own, keyed ``CODE@DRILL`` (issue 20)

A drill's team codes may repeat a real team's or another drill's: an exercise team's key joins its
code within the drill to the drill's id, so the key columns widen to 60 characters, and the
exercise teams made before are re-keyed (each row copied under its new key, every reference moved
to it, the old row removed: no foreign key needs to cascade).

Revision ID: e7c3d9a2b4f6
Revises: e6a14b0d5e01
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "e7c3d9a2b4f6"
down_revision = "e6a14b0d5e01"
branch_labels = None
depends_on = None

#: Every column holding a team's key, by table.
_KEYS = {"team": "code", "team_event": "team", "dispatch_team": "team", "drill_member": "team", "drill_order": "team"}
_REFERRERS = [t for t in _KEYS if t != "team"]
_COPY = sa.text(
    "INSERT INTO team (code, name, station, kind, headcount, vehicles, capacity, status, created_at, drill_id) "
    "SELECT :new, name, station, kind, headcount, vehicles, capacity, status, created_at, drill_id "
    "FROM team WHERE code = :old"
)


def _resize(old: int, new: int) -> None:
    for table, column in _KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=old), type_=sa.String(length=new))


def upgrade() -> None:
    _resize(40, 60)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT code, drill_id FROM team WHERE drill_id IS NOT NULL")).all()
    for code, drill_id in rows:
        if "@" in code:
            continue
        new = f"{code}@{drill_id}"
        conn.execute(_COPY, {"new": new, "old": code})
        for table in _REFERRERS:
            conn.execute(sa.text(f"UPDATE {table} SET team = :new WHERE team = :old"), {"new": new, "old": code})
        conn.execute(sa.text("DELETE FROM team WHERE code = :old"), {"old": code})


def downgrade() -> None:
    """Back to 40 characters (exercise teams keep their keys: a downgrade with any that long fails)."""
    _resize(60, 40)
