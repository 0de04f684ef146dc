"""Alembic environment: payapp passes an open connection in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import data.models  # noqa: F401  - registers the tables on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("payapp runs migrations with a connection: use `payapp db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
