"""Engines and sessions for SQLite (local, one user) and PostgreSQL (shared).

Use `reading(engine)` for a unit of work that only reads and `writing(engine)` for one that
writes: on SQLite a writing session starts with BEGIN IMMEDIATE, so it waits for the write lock
(up to the busy timeout) at its start instead of failing with "database is locked" half-way.
One short session per user action; never keep one open while a person is typing.

On PostgreSQL every payapp session carries a lock timeout and a statement timeout, so that a
lock somebody holds from psql makes a save say "busy" instead of hanging; `database_refusal`
turns that, and the database's own refusals (workflow triggers, clean-text checks), into
messages a person reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from data.audit_chain import seal
from data.config import ensure_private_dir
from data.refusals import Busy, Invalid, NotAllowed, Refusal

SQLITE_BUSY_TIMEOUT_MS = 10_000
# How long a payapp session waits for a lock, and lets one statement run, on PostgreSQL.
LOCK_TIMEOUT_MS = 5_000
STATEMENT_TIMEOUT_MS = 60_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 120_000
APPLICATION_NAME = "payapp"
_WRITE_OPTION = "payapp_write"

BUSY_WORDS = ("the database is busy: {what}; nothing was saved, and what you typed is still "
              "here. Try again in a moment (`payapp db who-blocks` shows who holds the lock)")


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


def _postgres_session_settings(lock_timeout_ms: int) -> dict[str, str]:
    options = (f"-c lock_timeout={lock_timeout_ms} "
               f"-c statement_timeout={STATEMENT_TIMEOUT_MS} "
               f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}")
    return {"options": options, "application_name": APPLICATION_NAME}


def make_engine(url: str, *, echo: bool = False,
                lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        prepare_sqlite_file(path)
    postgres = make_url(url).get_backend_name() == "postgresql"
    connect_args = _postgres_session_settings(lock_timeout_ms) if postgres else {}
    engine = create_engine(url, echo=echo, pool_pre_ping=path is None,
                           connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgres(engine, url)
    return engine


def database_refusal(error: DBAPIError) -> Refusal | None:
    """The refusal a person should read for a database error, or None when it is unexpected."""
    code = getattr(error.orig, "sqlstate", None)
    diag = getattr(error.orig, "diag", None)
    said = (getattr(diag, "message_primary", None) or str(error.orig)).strip()
    if code in ("55P03", "40P01"):  # lock not available, deadlock
        return Busy(BUSY_WORDS.format(what="someone else holds a lock on it"))
    if code in ("57014", "25P03"):  # statement timeout, idle-in-transaction timeout
        return Busy(BUSY_WORDS.format(what="the request took too long"))
    if code == "42501":  # insufficient privilege: a workflow trigger or a grant said no
        return NotAllowed(said if not said.startswith("permission denied")
                          else "you may not change this")
    if code == "23514" and "_clean" in (getattr(diag, "constraint_name", "") or ""):
        return Invalid("text cannot hold control characters (escape sequences, bell, "
                       "direction overrides)")
    if code is None and "database is locked" in str(error.orig):  # SQLite's busy timeout
        return Busy(BUSY_WORDS.format(what="another payapp is writing to this file"))
    return None


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except DBAPIError as error:
        refusal = database_refusal(error)
        if refusal is None:
            raise
        raise refusal from error


def _flushed(session: Session, *_args: Any) -> None:
    session.info["flushed"] = True


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work. Closing it ends the transaction and detaches what it loaded,
    which stays readable (nothing is expired).

    On PostgreSQL a reading that changed nothing ends with COMMIT, which for it is the same as a
    rollback: psycopg forgets the statements it prepared on the connection at every ROLLBACK,
    and without them PostgreSQL plans each statement again, which under row-level security
    costs more than running it. A reading that did change something is rolled back, as ever.
    """
    with _refusals(), Session(engine, expire_on_commit=False) as session:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            event.listen(session, "after_flush", _flushed)
        yield session
        if postgres and not (session.info.get("flushed") or session.new or session.dirty
                             or session.deleted):
            session.commit()


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A unit of work that writes: committed at the end, rolled back on any error. On
    PostgreSQL the audit entries written so far are sealed into the chain just before the
    commit (sealing skips, rather than waits, while someone else seals)."""
    bind = engine.execution_options(**{_WRITE_OPTION: True})
    with _refusals(), Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            if engine.dialect.name == "postgresql":
                session.flush()
                seal(session.connection())
            session.commit()
        except BaseException:
            session.rollback()
            raise
