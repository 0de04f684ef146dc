"""Engines and sessions for SQLite (local, one user) and PostgreSQL (shared).

Use `reading(engine)` for a unit of work that only reads and `writing(engine)` for one that
writes: on SQLite a writing session starts with BEGIN IMMEDIATE, so it waits for the write lock
(up to the busy timeout) at its start instead of failing with "database is locked" half-way.
One short session per user action; never keep one open while a person is typing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from data.config import ensure_private_dir

SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE_OPTION = "payapp_write"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare_sqlite_file(path: Path) -> None:
    """The database file lives in a 0700 folder and is created 0600, before SQLite opens it."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    path.chmod(0o600)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: payapp emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        writing = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _configure_postgres(engine: Engine, url: str) -> None:
    from data.credentials import resolve_password

    found = resolve_password(url)
    if found.password is not None:
        password = found.password

        @event.listens_for(engine, "do_connect")
        def supply_password(_dialect: Any, _record: Any, _cargs: Any, cparams: Any) -> None:
            cparams.setdefault("password", password)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        prepare_sqlite_file(path)
    engine = create_engine(url, echo=echo, pool_pre_ping=path is None)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgres(engine, url)
    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work. Closing it ends the transaction and detaches what it loaded,
    which stays readable (nothing is expired)."""
    with Session(engine) as session:
        yield session


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A unit of work that writes: committed at the end, rolled back on any error."""
    bind = engine.execution_options(**{_WRITE_OPTION: True})
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
