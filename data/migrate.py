"""Schema migrations (Alembic), run from payapp itself: `payapp db upgrade`, and at start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaMismatch(RuntimeError):
    """The database's schema is not the one this version of payapp was written for.

    `upgradable` is True when `payapp db upgrade` would fix it (an empty or older schema).
    """

    def __init__(self, message: str, *, upgradable: bool) -> None:
        super().__init__(message)
        self.upgradable = upgradable


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def _pragma(connection: Connection, statement: str) -> None:
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute(statement)


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run `step` in one transaction. On SQLite, foreign keys are off meanwhile: a batch
    migration copies a table and drops the old one, which rows of other tables still point at;
    the keys are checked once the copy is complete."""
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


def upgrade(engine: Engine, revision: str = "head") -> None:
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda config: command.downgrade(config, revision))


def check_schema(engine: Engine) -> None:
    """Stop when the database is behind or ahead of this payapp, naming the command to run."""
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
