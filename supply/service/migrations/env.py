"""Alembic environment: runs on the connection handed over by :func:`supply.service.migrate.upgrade`."""

from alembic import context
from sqlmodel import SQLModel

import supply.drills.models  # noqa: F401  (registers the drills' tables; the schema is the whole database's)
import supply.service.models  # noqa: F401  (registers the service's tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run from the alembic CLI
    from supply.service.db import make_engine

    connection = make_engine(context.config.get_main_option("sqlalchemy.url", "")).connect()

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
