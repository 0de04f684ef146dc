"""Schema migrations (Alembic), run from payapp itself: `payapp db upgrade`, and at start.

At start the schema is checked without importing Alembic (it costs ~70 ms before anything is
on screen): the revision in the database's `alembic_version` table is compared with the newest
migration file's number. Only when they differ does Alembic read the migrations.

A migration that has something to tell the person running it (what it moved, what it could not
find) says it with `tell()`; `upgrade()` and `downgrade()` return what was told, and log it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^revision(?:: str)? = "([^"]+)"$', re.MULTILINE)
_TOLD = "payapp.told"  # in the Alembic config's attributes: what the migrations told
_log = logging.getLogger("payapp.migrate")


class SchemaMismatch(RuntimeError):
    """The database's schema is not the one this version of payapp was written for.

    `upgradable` is True when `payapp db upgrade` would fix it (an empty or older schema).
    """

    def __init__(self, message: str, *, upgradable: bool) -> None:
        super().__init__(message)
        self.upgradable = upgradable


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def newest_file_revision() -> str:
    """The revision of the newest migration file (files are numbered in order), read as text."""
    newest = max((MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    found = _REVISION.search(newest.read_text(encoding="utf-8"))
    assert found is not None, f"{newest.name} names no revision"
    return found.group(1)


def _stored_revision(engine: Engine) -> str | None:
    """The revision in alembic_version, read with plain SQL; None when there is none."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def _pragma(connection: Connection, statement: str) -> None:
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute(statement)


def tell(message: str) -> None:
    """From inside a migration: say `message` to the person running it."""
    from alembic import context

    told: list[str] = context.config.attributes.setdefault(_TOLD, [])
    told.append(message)
    _log.info("%s", message)


def _migrate(engine: Engine, step: Callable[[Config], None]) -> list[str]:
    """Run `step` in one transaction; returns what the migrations told. On SQLite, foreign keys
    are off meanwhile: a batch migration copies a table and drops the old one, which rows of
    other tables still point at; the keys are checked once the copy is complete."""
    config = _config()
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:  # only takes effect outside a transaction, so before SQLAlchemy begins one
            _pragma(connection, "PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                if not sqlite:  # a migration may run long, and waits for people's locks
                    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                    connection.exec_driver_sql("SET LOCAL lock_timeout = '120s'")
                config.attributes["connection"] = connection
                step(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"the migration broke a foreign key: {broken}")
        finally:
            if sqlite:
                _pragma(connection, "PRAGMA foreign_keys = ON")
    told: list[str] = config.attributes.get(_TOLD, [])
    return told


def upgrade(engine: Engine, revision: str = "head") -> list[str]:
    """Migrate up to `revision`; returns what the migrations told the person, in order."""
    from alembic import command

    return _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> list[str]:
    from alembic import command

    return _migrate(engine, lambda config: command.downgrade(config, revision))


def check_schema(engine: Engine) -> None:
    """Stop when the database is behind or ahead of this payapp, naming the command to run."""
    if _stored_revision(engine) == newest_file_revision():
        return
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaMismatch("the database has no payapp schema yet; run: payapp db upgrade",
                             upgradable=True)
    if current in known_revisions():
        raise SchemaMismatch(
            f"the database schema ({current}) is older than this payapp ({head}); "
            "run: payapp db upgrade",
            upgradable=True,
        )
    raise SchemaMismatch(
        f"the database schema ({current}) is newer than this payapp knows ({head}); "
        "upgrade payapp (pip install --upgrade payapp) before using this database",
        upgradable=False,
    )
