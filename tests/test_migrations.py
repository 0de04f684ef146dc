"""data/migrate.py on SQLite and PostgreSQL: up, down, up again, and the schema check at start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from sqlmodel import SQLModel

from data import migrate
from data.db import make_engine
from data.demo import build_demo
from tests.conftest import DEMO_TODAY

PAYAPP_TABLES = frozenset(SQLModel.metadata.tables)
# Tables only the PostgreSQL workflow and audit chain use (migration 0004).
POSTGRES_ONLY_TABLES = frozenset({"workflow_move", "workflow_status", "audit_chain_head"})
# The demo leaves these empty (it attaches no files and runs no reminder job); every other
# table gets rows.
NOT_IN_DEMO = frozenset({"retainage_rule", "attachment", "attachment_chunk", "attachment_part",
                         "invite_reminder", "payment_hold_release", "invoice_change"})


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database: no tables at all."""
    created = make_engine(database_url)
    yield created
    created.dispose()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: int(connection.execute(
                select(func.count()).select_from(SQLModel.metadata.tables[name])).scalar_one())
            for name in PAYAPP_TABLES
        }


def expected_tables(engine: Engine) -> set[str]:
    extra = POSTGRES_ONLY_TABLES if engine.dialect.name == "postgresql" else frozenset()
    return set(PAYAPP_TABLES | extra | {"alembic_version"})


def test_up_down_up(bare_engine: Engine) -> None:
    assert table_names(bare_engine) == set()
    assert migrate.current_revision(bare_engine) is None

    migrate.upgrade(bare_engine)
    assert table_names(bare_engine) == expected_tables(bare_engine)
    assert migrate.current_revision(bare_engine) == migrate.head_revision()
    migrate.check_schema(bare_engine)  # at head: no complaint

    build_demo(bare_engine, DEMO_TODAY)
    first = row_counts(bare_engine)
    empty = {name for name, n in first.items() if n == 0}
    assert empty == NOT_IN_DEMO

    migrate.downgrade(bare_engine, "base")
    assert table_names(bare_engine) == {"alembic_version"}
    assert migrate.current_revision(bare_engine) is None
    with pytest.raises(migrate.SchemaMismatch, match="payapp db upgrade"):
        migrate.check_schema(bare_engine)

    migrate.upgrade(bare_engine)
    assert table_names(bare_engine) == expected_tables(bare_engine)
    assert migrate.current_revision(bare_engine) == migrate.head_revision()
    assert set(row_counts(bare_engine).values()) == {0}
    build_demo(bare_engine, DEMO_TODAY)
    assert row_counts(bare_engine) == first


def test_upgrade_twice_is_harmless(bare_engine: Engine) -> None:
    migrate.upgrade(bare_engine)
    build_demo(bare_engine, DEMO_TODAY)
    before = row_counts(bare_engine)
    migrate.upgrade(bare_engine)
    build_demo(bare_engine, DEMO_TODAY)  # the demo is there already: nothing happens
    assert row_counts(bare_engine) == before


def test_check_schema_on_an_empty_database_names_the_command(bare_engine: Engine) -> None:
    with pytest.raises(migrate.SchemaMismatch, match="payapp db upgrade") as raised:
        migrate.check_schema(bare_engine)
    assert "no payapp schema" in str(raised.value)


def test_check_schema_on_a_newer_database_says_so(bare_engine: Engine) -> None:
    migrate.upgrade(bare_engine)
    unknown = "ffee0000beef"
    assert unknown not in migrate.known_revisions()
    with bare_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": unknown})
    with pytest.raises(migrate.SchemaMismatch, match="newer") as raised:
        migrate.check_schema(bare_engine)
    assert unknown in str(raised.value)
    assert "payapp db upgrade" not in str(raised.value)


def test_check_schema_with_an_unknown_revision_in_a_fresh_version_table(
        bare_engine: Engine) -> None:
    with bare_engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('abc123')"))
    with pytest.raises(migrate.SchemaMismatch, match="newer"):
        migrate.check_schema(bare_engine)
